// The static twin's loader: a local stand-in for anywidget's model (get / set / on / off / save_changes / send),
// the arrays decoded from base64 (and inflated where Python deflated them), then the component's render().
async (id) => {
  const el = document.getElementById(id), spec = JSON.parse(document.getElementById(id + "-data").textContent);
  const decode = async (a) => {
    const s = atob(a.b64), bytes = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
    if (!a.deflate) return new DataView(bytes.buffer);
    const out = await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"))).arrayBuffer();
    if (a.filter === "up") {  // each row was stored minus the row above (mod 256): add them back
      const u = new Uint8Array(out), C = a.shape[a.shape.length - 1], R = a.shape[a.shape.length - 2];
      for (let b = 0; b < u.length; b += R * C) for (let i = b + C; i < b + R * C; i++) u[i] = (u[i] + u[i - C]) & 255;
    } else if (a.filter) throw new Error("unknown array filter " + a.filter);
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
    el.dataset.renderedAt = performance.now().toFixed(1);  // ms since the page started loading (first paint, for the benchmark)
    el.dataset.rendered = "1";
  } catch (err) {
    el.textContent = "prisma_nb view failed: " + err.message;
    el.style.color = "#cf222e";
    el.dataset.rendered = "error";
    throw err;
  }
}
