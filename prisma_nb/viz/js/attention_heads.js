// attention_heads: every head of a layer over the image. Hover a patch (or a CLS/register tile) of the large image:
// each head shows that query's attention over the patches; the toggle turns it round (who attends to this token).
// Click pins the token. Layers not embedded in a static twin are fetched from Python in the live widget.
export default {
  render({ model, el }) {
    const s0 = model.get("state"), root = pn.root(el, s0.title);
    const bar = pn.h("div", { class: "pn-bar" }), body = pn.h("div", { style: "display:flex;gap:18px;align-items:flex-start;flex-wrap:wrap" });
    const note = pn.h("div", { class: "pn-note" });
    root.append(bar, body, note);
    const ui = { layer: s0.layer, mode: "query", frame: 0, tok: s0.n_prefix > 0 ? 0 : s0.n_prefix, pinned: false };
    let heads = [], main = null, prefixEls = [], caps = [];

    const st = () => model.get("state");
    const grid = () => st().rows * st().cols;
    const tubelet = () => Math.floor(ui.frame / st().tubelet_size);
    const tokName = (t) => { const s = st(); if (t < s.n_prefix) return s.prefix_labels[t];
      const p = t - s.n_prefix, g = grid(), tt = Math.floor(p / g), r = Math.floor((p % g) / s.cols), c = p % s.cols;
      return (s.n_tubelets > 1 ? `t${tt}` : "") + `r${r}c${c}`; };
    const slot = () => st().embedded.indexOf(ui.layer);   // where the current layer sits in the arrays, -1 if absent

    // values[head] over the shown patches (Float64Array rows * cols) and the prefix tokens, for the current token and mode
    function values(h) {
      const s = st(), P = pn.arr(model, "pattern"), M = pn.arr(model, "row_max").data, n = s.n_tokens, g = grid();
      const base = (slot() * s.n_heads + h) * n, off = s.n_prefix + tubelet() * g;
      const patch = new Float64Array(g), pre = new Float64Array(s.n_prefix);
      if (ui.mode === "query") {  // row tok: quantised levels of one query row (its scale is common, so levels suffice)
        const row = (base + ui.tok) * n, scale = M[base + ui.tok] / 255;
        for (let k = 0; k < g; k++) patch[k] = P.data[row + off + k];
        for (let k = 0; k < s.n_prefix; k++) pre[k] = P.data[row + k] * scale;
        return { patch, pre, scale, total: patch.reduce((a, b) => a + b, 0) * scale };
      }
      for (let q = 0; q < g; q++) patch[q] = P.data[(base + off + q) * n + ui.tok] * M[base + off + q] / 255;  // column tok
      for (let q = 0; q < s.n_prefix; q++) pre[q] = P.data[(base + q) * n + ui.tok] * M[base + q] / 255;
      return { patch, pre, scale: 1 };
    }

    function drawHeads() {
      const s = st(), ok = slot() >= 0;
      pn.error(root, ok ? "" : `layer ${s.layer_labels[ui.layer]} is not in this static copy; pass layers=[...] to attention_heads, or use the live widget`);
      for (let h = 0; h < s.n_heads; h++) {
        if (!ok) { heads[h].draw(null); caps[h].textContent = `H${h}`; continue; }
        const v = values(h), top = v.patch.reduce((a, b) => Math.max(a, b), 0);
        const cell = ui.tok >= s.n_prefix && Math.floor((ui.tok - s.n_prefix) / grid()) === tubelet() ? (ui.tok - s.n_prefix) % grid() : -1;
        heads[h].draw(v.patch, 0, top, cell >= 0 ? { row: Math.floor(cell / s.cols), col: cell % s.cols, color: "#00e5ff" } : null);
        heads[h].last = v;
        const preTxt = s.n_prefix ? " · " + (ui.mode === "query"
          ? s.prefix_labels.map((l, k) => `${l} ${pn.pct(v.pre[k])}`).slice(0, 2).join(" ")
          : `from ${s.prefix_labels[0]} ${pn.pct(v.pre[0])}`) : "";
        caps[h].textContent = `H${h}${preTxt}`;
        const L = pn.cmap(s.cmap);
        prefixEls[h].forEach((sq, k) => { const lv = 3 * pn.level(top > 0 ? v.pre[k] / (ui.mode === "query" ? top * v.scale : top) : 0);
          sq.style.background = `rgb(${L[lv]},${L[lv + 1]},${L[lv + 2]})`; });
      }
      main.mark(ui.tok >= s.n_prefix && Math.floor((ui.tok - s.n_prefix) / grid()) === tubelet()
        ? { row: Math.floor(((ui.tok - s.n_prefix) % grid()) / s.cols), col: (ui.tok - s.n_prefix) % s.cols, color: ui.pinned ? "#ff3b30" : "#00e5ff" } : null);
      mainPrefix.forEach((e, k) => e.classList.toggle("sel", k === ui.tok));
      note.textContent = `${ui.mode === "query" ? "What" : "Who attends to"} ${tokName(ui.tok)}${ui.mode === "query" ? " attends to" : ""} ` +
        `in layer ${s.layer_labels[ui.layer]}${s.n_frames > 1 ? `, frame ${ui.frame} (tubelet ${tubelet()})` : ""}` +
        `${ui.pinned ? " (pinned: click again to release)" : " (click to pin)"}. Each head's map is scaled to its own largest patch value; ` +
        `small squares: ${s.n_prefix ? s.prefix_labels.join(", ") : "none"} on the same scale (clipped).`;
      el.dataset.token = ui.tok; el.dataset.layer = ui.layer; el.dataset.mode = ui.mode; el.dataset.frame = ui.frame;
    }

    function frameImage() { const F = pn.arr(model, "frames"), [nf, hh, ww] = F.shape, k = hh * ww * 3;
      return { data: F.data.subarray(ui.frame * k, (ui.frame + 1) * k), h: hh, w: ww }; }

    let mainPrefix = [];
    function build() {
      const s = st();
      bar.replaceChildren(); body.replaceChildren();
      const layerBtns = s.layer_labels.map((lab, i) => pn.h("button", { class: "pn-btn" + (i === ui.layer ? " on" : ""), "data-layer": i,
        title: s.embedded.includes(i) || model.get("live") ? `layer ${lab}` : "not in this static copy",
        onclick: () => setLayer(i) }, `L${lab}`));
      const modeBtns = [["query", "what it attends to"], ["key", "who attends to it"]].map(([m, t]) =>
        pn.h("button", { class: "pn-btn" + (ui.mode === m ? " on" : ""), "data-mode": m,
          onclick: () => { ui.mode = m; modeBtns.forEach((b) => b.classList.toggle("on", b.dataset.mode === m)); drawHeads(); } }, t));
      bar.append(pn.h("span", { text: "layer" }), ...layerBtns, pn.h("span", { style: "width:10px" }), ...modeBtns);
      if (s.n_frames > 1) {
        const lab = pn.h("span", { text: `frame ${ui.frame}` });
        const slider = pn.h("input", { type: "range", min: 0, max: s.n_frames - 1, value: ui.frame, class: "pn-frame",
          oninput: (e) => { ui.frame = +e.target.value; lab.textContent = `frame ${ui.frame}`; const img = frameImage();
            main.setImage(img); main.draw(null); heads.forEach((t) => t.setImage(img)); drawHeads(); } });
        bar.append(pn.h("span", { style: "width:10px" }), slider, lab);
      }
      const img = frameImage();
      main = new pn.PatchCanvas({ image: img, rows: s.rows, cols: s.cols, width: s.main_width, height: s.main_height, alpha: 0, cmap: s.cmap });
      main.canvas.classList.add("pn-main");
      main.draw(null);  // the image alone; hovers only move the outline
      const pick = (ev, click) => { const c = main.cellAt(ev); if (!c) return;
        const t = s.n_prefix + tubelet() * grid() + c.row * s.cols + c.col;
        if (click) { ui.pinned = !(ui.pinned && ui.tok === t); ui.tok = t; drawHeads(); }
        else if (!ui.pinned && t !== ui.tok) { ui.tok = t; drawHeads(); } };
      main.canvas.addEventListener("mousemove", (ev) => pick(ev, false));
      main.canvas.addEventListener("click", (ev) => pick(ev, true));
      mainPrefix = s.prefix_labels.map((lab, k) => pn.h("div", { class: "pn-prefix", "data-token": k,
        onmouseenter: () => { if (!ui.pinned) { ui.tok = k; drawHeads(); } },
        onclick: () => { ui.pinned = !(ui.pinned && ui.tok === k); ui.tok = k; drawHeads(); } }, pn.h("div", { class: "sq", style: "background:#e6e8eb" }), lab));
      const left = pn.h("div", {}, main.canvas, pn.h("div", { style: "display:flex;flex-wrap:wrap;margin-top:6px" }, ...mainPrefix),
                        pn.colorbar(s.cmap, "0", "head's max", "", 120));
      heads = []; caps = []; prefixEls = [];
      const tiles = pn.h("div", { class: "pn-heads", style: `display:grid;grid-template-columns:repeat(${s.head_cols}, max-content);gap:6px 10px` });
      for (let h = 0; h < s.n_heads; h++) {
        const pc = new pn.PatchCanvas({ image: img, rows: s.rows, cols: s.cols, width: s.tile_width, height: s.tile_height, alpha: s.alpha, cmap: s.cmap });
        pc.canvas.classList.add("pn-head"); pc.canvas.dataset.head = h;
        pc.canvas.addEventListener("mousemove", (ev) => { const c = pc.cellAt(ev); if (!c || !pc.last) return;
          const i = c.row * s.cols + c.col, v = ui.mode === "query" ? pc.last.patch[i] * pc.last.scale : pc.last.patch[i];
          const other = tokName(s.n_prefix + tubelet() * grid() + i);
          pn.tip.show(ev, ui.mode === "query" ? `H${h}: ${tokName(ui.tok)} → ${other}\nattention ${pn.fmt(v, 4)}`
                                               : `H${h}: ${other} → ${tokName(ui.tok)}\nattention ${pn.fmt(v, 4)}`); });
        pc.canvas.addEventListener("mouseleave", () => pn.tip.hide());
        const sqs = s.prefix_labels.map((lab) => pn.h("span", { title: lab, style: "display:inline-block;width:10px;height:10px;margin-right:2px;border:1px solid #8c959f" }));
        const cap = pn.h("div", { class: "pn-cap" });
        heads.push(pc); caps.push(cap); prefixEls.push(sqs);
        tiles.append(pn.h("div", { class: "pn-tile" }, pc.canvas, pn.h("div", { style: "display:flex;align-items:center;gap:4px" }, ...sqs, cap)));
      }
      body.append(left, tiles);
      drawHeads();
    }

    function setLayer(i) {
      const s = st();
      if (s.embedded.includes(i) || !model.get("live")) { ui.layer = i; build(); return; }
      note.textContent = `asking Python for layer ${s.layer_labels[i]} ...`;
      const t0 = performance.now();
      pn.ask(model, { kind: "layer", layer: i }).then(() => { ui.layer = i; el.dataset.roundTripMs = (performance.now() - t0).toFixed(1); build(); })
        .catch((e) => pn.error(root, e.message));
    }
    build();
    const onChange = () => build();
    model.on("change:arrays", onChange);
    return () => model.off("change:arrays", onChange);
  },
};
