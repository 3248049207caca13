// The static twin's loader: a local stand-in for anywidget's model (get / set / on / off / save_changes / send),
// the arrays decoded from base64 (and inflated where Python deflated them), then the component's render().
async (id) => {
  const el = document.getElementById(id), spec = JSON.parse(document.getElementById(id + "-data").textContent);
  const decode = async (a) => {
    const s = atob(a.b64), bytes = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
    if (!a.deflate) return new DataView(bytes.buffer);
    const out = await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"))).arrayBuffer();
    return new DataView(out);
  };
  const arrays = {};
  for (const [k, a] of Object.entries(spec.arrays)) arrays[k] = { dtype: a.dtype, shape: a.shape, data: await decode(a) };
  const values = { ...spec.traits, state: spec.state, arrays, live: false }, listeners = {};
  const model = {
    get: (k) => values[k],
    set: (k, v) => { values[k] = v; (listeners["change:" + k] || []).slice().forEach((f) => f()); },
    on: (ev, f) => { (listeners[ev] = listeners[ev] || []).push(f); },
    off: (ev, f) => { if (!ev) { for (const k in listeners) delete listeners[k]; return; }
                      listeners[ev] = f ? (listeners[ev] || []).filter((g) => g !== f) : []; },
    save_changes: () => {},
    send: () => { throw new Error("this is a static copy of the view: there is no kernel to send to"); },
  };
  try {
    const url = URL.createObjectURL(new Blob([spec.esm], { type: "text/javascript" }));
    const mod = (await import(url)).default;
    URL.revokeObjectURL(url);
    if (mod.initialize) await mod.initialize({ model });
    await mod.render({ model, el });
    el.dataset.rendered = "1";
  } catch (err) {
    el.textContent = "prisma_nb view failed: " + err.message;
    el.style.color = "#cf222e";
    el.dataset.rendered = "error";
    throw err;
  }
}
