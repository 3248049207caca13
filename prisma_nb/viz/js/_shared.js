// prisma_nb shared view helpers. The foundation (prisma_nb.viz.widget) prepends this file to every component's module,
// so a component calls `pn.*` with no import. Nothing here loads from the network.
const PN_CMAPS = __PN_COLORMAPS__;  // name -> [256 * 3] RGB bytes, filled in from Python's `colormap` (one source for both)

const pn = (() => {
  const lut = {};
  const f16 = (() => {  // all 65,536 float16 bit patterns as float32, built once
    const t = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
      t[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
    }
    return t;
  });
  let f16table = null;
  const cache = new WeakMap();

  // The array `name` of the view as {data: typed array, shape}; float16 arrives as bits and is decoded to Float32Array.
  function arr(model, name) {
    const spec = (model.get("arrays") || {})[name];
    if (!spec) throw new Error(`prisma_nb view: no array named ${JSON.stringify(name)}; the view has ${Object.keys(model.get("arrays") || {}).join(", ")}`);
    const raw = spec.data;
    if (cache.has(raw)) return cache.get(raw);
    const buf = raw instanceof DataView ? raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)
              : ArrayBuffer.isView(raw) ? raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) : raw;
    let data;
    if (spec.dtype === "uint8") data = new Uint8Array(buf);
    else if (spec.dtype === "int32") data = new Int32Array(buf);
    else if (spec.dtype === "float32") data = new Float32Array(buf);
    else if (spec.dtype === "float16") {
      f16table = f16table || f16();
      const bits = new Uint16Array(buf); data = new Float32Array(bits.length);
      for (let i = 0; i < bits.length; i++) data[i] = f16table[bits[i]];
    } else throw new Error(`prisma_nb view: array ${name} has dtype ${spec.dtype}; expected uint8, float16, float32 or int32`);
    const out = { data, shape: spec.shape };
    cache.set(raw, out);
    return out;
  }

  // Colour map lookup table: 256 RGB triples; index = floor(255 * t + 0.5) for t in [0, 1] (Python does the same).
  function cmap(name) {
    if (!lut[name]) {
      if (!PN_CMAPS[name]) throw new Error(`prisma_nb view: unknown colour map ${name}; have ${Object.keys(PN_CMAPS).join(", ")}`);
      lut[name] = Uint8Array.from(PN_CMAPS[name]);
    }
    return lut[name];
  }
  const level = (t) => t >= 1 ? 255 : t > 0 ? Math.floor(255 * t + 0.5) : 0;

  // A DOM element: h("div", {class: "x", style: "...", onclick: f}, child, "text", ...)
  function h(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of kids.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    return e;
  }

  const CSS = `
.pn-view{font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;position:relative}
.pn-view .pn-title{font-weight:600;margin:2px 0 6px}
.pn-view .pn-bar{display:flex;flex-wrap:wrap;gap:6px 12px;align-items:center;margin:4px 0 8px}
.pn-view button.pn-btn{font:inherit;padding:2px 8px;border:1px solid #d0d7de;border-radius:5px;background:#f6f8fa;color:#1f2328;cursor:pointer}
.pn-view button.pn-btn.on{background:#0969da;border-color:#0969da;color:#fff}
.pn-view canvas{display:block;image-rendering:pixelated}
.pn-view .pn-tile{display:inline-block;margin:0 8px 8px 0;vertical-align:top}
.pn-view .pn-cap{font-size:12px;color:#424a53;margin-top:2px;white-space:nowrap}
.pn-view .pn-note{font-size:12px;color:#57606a;max-width:820px}
.pn-view .pn-err{color:#cf222e;background:#ffebe9;border:1px solid #ff8182;border-radius:5px;padding:4px 8px;margin:4px 0;white-space:pre-wrap}
.pn-tip{position:fixed;z-index:10000;pointer-events:none;background:#fff;color:#1f2328;border:1px solid #8c959f;border-radius:5px;padding:4px 7px;font:12px/1.35 system-ui,sans-serif;box-shadow:0 2px 8px rgba(0,0,0,.15);max-width:320px;display:none;white-space:pre-line}
.pn-chip{display:inline-flex;align-items:center;justify-content:center;background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px;color:#1f2328;line-height:1;box-sizing:border-box;font-family:"Noto Color Emoji","Apple Color Emoji","Segoe UI Emoji",system-ui,sans-serif}
.pn-prefix{display:inline-flex;flex-direction:column;align-items:center;margin:0 6px 6px 0;cursor:pointer;font-size:11px;color:#424a53}
.pn-prefix .sq{width:26px;height:26px;border:2px solid #d0d7de;border-radius:4px;box-sizing:border-box}
.pn-prefix.sel .sq{border-color:#cf222e}
`;
  function css() {
    if (document.getElementById("pn-view-css")) return;
    document.head.append(h("style", { id: "pn-view-css", text: CSS }));
  }

  // One shared tooltip: tip.show(event, text) near the pointer, tip.hide().
  let tipEl = null;
  const tip = {
    show(ev, text) {
      if (!tipEl) { tipEl = h("div", { class: "pn-tip" }); document.body.append(tipEl); }
      tipEl.textContent = text; tipEl.style.display = "block";
      const x = ev.clientX + 14, y = ev.clientY + 14, r = tipEl.getBoundingClientRect();
      tipEl.style.left = Math.min(x, window.innerWidth - r.width - 4) + "px";
      tipEl.style.top = Math.min(y, window.innerHeight - r.height - 4) + "px";
    },
    hide() { if (tipEl) tipEl.style.display = "none"; },
  };

  // An emoji readable without a colour emoji font: a light chip behind it, the class name on hover (tooltip and title).
  function emojiChip(emoji, name, size = 18) {
    const c = h("span", { class: "pn-chip", title: name, "data-name": name,
      style: `width:${size + 6}px;height:${size + 6}px;font-size:${size}px` }, emoji);
    c.addEventListener("mousemove", (ev) => tip.show(ev, name));
    c.addEventListener("mouseleave", () => tip.hide());
    return c;
  }

  // An image with a heatmap over its patch grid, drawn pixel by pixel into a canvas of size width x height:
  // image pixel = image[floor(y * H / height), floor(x * W / width)] (nearest), cell = (floor(y * rows / height), floor(x * cols / width)),
  // shown = floor(((255 - a) * image + a * cmap[level]) / 255 + 0.5) with a = floor(255 * alpha + 0.5). Python mirrors this exactly.
  class PatchCanvas {
    constructor({ image, rows, cols, width, height, alpha = 0.65, cmap: cm = "inferno" }) {
      Object.assign(this, { rows, cols, width, height, a: level(alpha), cm });
      this.canvas = h("canvas", { width, height, style: `width:${width}px;height:${height}px` });
      this.ctx = this.canvas.getContext("2d");
      this.img = this.ctx.createImageData(width, height);
      this.cell = new Int32Array(width * height);
      this.base = new Uint8Array(width * height * 3);
      this.setImage(image);
    }
    setImage(image) {  // image: {data: Uint8Array [H * W * 3], h, w} or null (grey)
      const { width, height, rows, cols } = this;
      for (let y = 0; y < height; y++) {
        const r = Math.floor(y * rows / height), iy = image ? Math.floor(y * image.h / height) : 0;
        for (let x = 0; x < width; x++) {
          const p = y * width + x, c = Math.floor(x * cols / width);
          this.cell[p] = r * cols + c;
          if (image) { const q = (iy * image.w + Math.floor(x * image.w / width)) * 3;
            this.base[3 * p] = image.data[q]; this.base[3 * p + 1] = image.data[q + 1]; this.base[3 * p + 2] = image.data[q + 2]; }
          else this.base.fill(128, 3 * p, 3 * p + 3);
        }
      }
    }
    // values: per cell (rows * cols), any array; colour level = level((v - vmin) / (vmax - vmin)); null draws the image alone.
    draw(values, vmin = 0, vmax = 1, mark = null) {
      const L = cmap(this.cm), a = this.a, b = 255 - a, px = this.img.data, n = this.width * this.height;
      const span = vmax - vmin || 1, lev = new Uint8Array(this.rows * this.cols);
      if (values) for (let i = 0; i < lev.length; i++) { const v = values[i]; lev[i] = v !== v ? 0 : level((v - vmin) / span); }
      for (let p = 0; p < n; p++) {
        const o = 4 * p, s = 3 * p;
        if (!values || values[this.cell[p]] !== values[this.cell[p]]) {  // no values, or NaN: the image alone
          px[o] = this.base[s]; px[o + 1] = this.base[s + 1]; px[o + 2] = this.base[s + 2];
        } else {
          const k = 3 * lev[this.cell[p]];
          px[o] = Math.floor((b * this.base[s] + a * L[k]) / 255 + 0.5);
          px[o + 1] = Math.floor((b * this.base[s + 1] + a * L[k + 1]) / 255 + 0.5);
          px[o + 2] = Math.floor((b * this.base[s + 2] + a * L[k + 2]) / 255 + 0.5);
        }
        px[o + 3] = 255;
      }
      this.ctx.putImageData(this.img, 0, 0);
      if (mark) this.outline(mark.row, mark.col, mark.color || "#00e5ff");
    }
    outline(row, col, color) {
      const cw = this.width / this.cols, ch = this.height / this.rows, c = this.ctx;
      c.save(); c.strokeStyle = color; c.lineWidth = Math.max(1.5, Math.min(cw, ch) / 8);
      c.strokeRect(col * cw + c.lineWidth / 2, row * ch + c.lineWidth / 2, cw - c.lineWidth, ch - c.lineWidth); c.restore();
    }
    cellAt(ev) {  // {row, col} under a mouse event, or null
      const r = this.canvas.getBoundingClientRect();
      const x = (ev.clientX - r.left) / r.width, y = (ev.clientY - r.top) / r.height;
      if (x < 0 || y < 0 || x >= 1 || y >= 1) return null;
      return { row: Math.floor(y * this.rows), col: Math.floor(x * this.cols) };
    }
  }

  // A horizontal colour bar with its end labels.
  function colorbar(name, lo, hi, label = "", width = 160) {
    const L = cmap(name), c = h("canvas", { width, height: 10, style: `width:${width}px;height:10px;border:1px solid #d0d7de` });
    const ctx = c.getContext("2d"), im = ctx.createImageData(width, 10);
    for (let x = 0; x < width; x++) { const k = 3 * level(x / (width - 1));
      for (let y = 0; y < 10; y++) { const o = 4 * (y * width + x); im.data.set([L[k], L[k + 1], L[k + 2], 255], o); } }
    ctx.putImageData(im, 0, 0);
    return h("span", { style: "display:inline-flex;align-items:center;gap:6px;font-size:12px;color:#424a53" }, label, lo, c, hi);
  }

  // Ask the kernel: send msg and resolve with its reply ({error} rejects). In a static twin it rejects at once.
  let nextId = 1;
  const waiting = new Map();
  function ask(model, msg) {
    if (!model.get("live")) return Promise.reject(new Error("this is a static copy of the view: run the notebook in Jupyter to re-run the model"));
    const id = nextId++;
    if (!model.__pnListening) {
      model.__pnListening = true;
      model.on("msg:custom", (m) => { const w = waiting.get(m && m._reply); if (!w) return; waiting.delete(m._reply);
        m.error ? w.reject(new Error(m.error)) : w.resolve(m); });
    }
    return new Promise((resolve, reject) => { waiting.set(id, { resolve, reject }); model.send({ ...msg, _id: id }); });
  }

  function error(el, text) {
    let e = el.querySelector(":scope > .pn-err");
    if (!text) { if (e) e.remove(); return; }
    if (!e) { e = h("div", { class: "pn-err" }); el.prepend(e); }
    e.textContent = text;
  }

  // The root element of a component: a .pn-view div, with CSS injected once.
  function root(el, title) {
    css();
    const r = h("div", { class: "pn-view" }, title ? h("div", { class: "pn-title", text: title }) : null);
    el.append(r);
    return r;
  }

  const fmt = (v, d = 3) => v !== v ? "—" : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toFixed(d);
  const pct = (v) => v !== v ? "—" : (100 * v).toFixed(v < 0.1 ? 1 : 0) + "%";

  return { arr, cmap, level, h, css, tip, emojiChip, PatchCanvas, colorbar, ask, error, root, fmt, pct };
})();
