// lens: the emoji logit lens. A layer slider; each patch's top class as an emoji chip over the image (tinted by its
// probability); hover a patch (or a CLS / register tile) for its top-k classes with probabilities. No kernel needed.
export default {
  render({ model, el }) {
    const s = model.get("state"), root = pn.root(el, s.title);
    const img = pn.arr(model, "image"), top = pn.arr(model, "top"), prob = pn.arr(model, "prob");
    const [L, P, K] = top.shape, cells = s.rows * s.cols;
    const at = (l, p, k) => (l * P + p) * K + k;
    const line = (l, p, k) => { const c = top.data[at(l, p, k)];
      return `${s.emoji[c]} ${s.names[c]} ${(100 * prob.data[at(l, p, k)]).toFixed(1)}%`; };
    const topk = (l, p) => Array.from({ length: K }, (_, k) => line(l, p, k)).join("\n");
    let layer = s.layer;

    const slider = pn.h("input", { type: "range", min: 0, max: L - 1, step: 1, value: layer, class: "pn-layer",
                                   "aria-label": "layer", style: "width:220px" });
    const layerText = pn.h("span", { class: "pn-layer-label", style: "min-width:200px;font-weight:600" });
    root.append(pn.h("div", { class: "pn-bar" }, pn.h("label", { text: "reading" }), slider, layerText));

    const pc = new pn.PatchCanvas({ image: { data: img.data, h: img.shape[0], w: img.shape[1] }, rows: s.rows, cols: s.cols,
                                    width: s.width, height: s.height, alpha: s.alpha, cmap: "viridis" });
    const cellPx = Math.min(s.width / s.cols, s.height / s.rows), chipPx = Math.floor(Math.min(22, cellPx * 0.62));
    const overlay = pn.h("div", { class: "pn-lens-chips", style: `position:absolute;left:0;top:0;width:${s.width}px;height:${s.height}px;` +
      `display:grid;grid-template-columns:repeat(${s.cols},1fr);grid-template-rows:repeat(${s.rows},1fr);pointer-events:none` });
    const chips = [];
    if (chipPx >= 8) for (let i = 0; i < cells; i++) {
      const cell = pn.h("div", { style: "display:flex;align-items:center;justify-content:center" });
      const chip = pn.emojiChip("", "", chipPx - 6); chip.style.opacity = "0.92";
      cell.append(chip); overlay.append(cell); chips.push(chip);
    }
    const stage = pn.h("div", { style: `position:relative;width:${s.width}px;height:${s.height}px` }, pc.canvas, overlay);

    const prefixBox = pn.h("div", { style: "display:flex;flex-wrap:wrap;gap:4px;margin-bottom:8px" });
    const prefixTiles = s.prefix_labels.map((label, p) => {
      const chip = pn.emojiChip("", "", 18);
      const tile = pn.h("div", { class: "pn-prefix", "data-pos": p }, chip, pn.h("span", { text: label }));
      tile.addEventListener("mousemove", (ev) => pn.tip.show(ev, `${label} · ${s.layer_labels[layer]}` +
        (s.constant[layer] ? " (same for every image)" : "") + "\n" + topk(layer, p)));
      tile.addEventListener("mouseleave", () => pn.tip.hide());
      prefixBox.append(tile);
      return { tile, chip };
    });
    const pooled = pn.h("div", { class: "pn-pooled", style: "margin:4px 0 8px" });
    const note = pn.h("div", { class: "pn-note pn-constant-note", style: "max-width:300px" });
    const legend = pn.h("div", { class: "pn-bar" }, pn.colorbar("viridis", "0%", "100%", pn.h("span", { text: "top-1 probability" }), 120));
    const side = pn.h("div", { style: "min-width:240px;max-width:320px" },
      s.prefix_labels.length ? pn.h("div", { class: "pn-cap", text: "tokens beside the image" }) : null, prefixBox,
      pn.h("div", { class: "pn-cap", text: `pooled reading (${s.pool})` }), pooled, legend, note);
    root.append(pn.h("div", { style: "display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap" }, stage, side),
                pn.h("div", { class: "pn-note", text: s.note }));

    const top1 = new Float32Array(cells);
    function draw(mark = null) {
      for (let i = 0; i < cells; i++) top1[i] = prob.data[at(layer, s.n_prefix + i, 0)];
      pc.draw(top1, 0, 1, mark);
    }
    function show() {
      layerText.textContent = s.layer_labels[layer];
      slider.value = layer; el.dataset.layer = layer;
      draw();
      chips.forEach((chip, i) => { const c = top.data[at(layer, s.n_prefix + i, 0)];
        chip.textContent = s.emoji[c]; chip.title = s.names[c]; chip.dataset.name = s.names[c]; });
      prefixTiles.forEach(({ tile, chip }, p) => { const c = top.data[at(layer, p, 0)];
        chip.textContent = s.emoji[c]; chip.title = s.names[c];
        tile.style.opacity = s.constant[layer] ? "0.45" : "1"; });
      const pk = s.pooled_top[layer].map((c, k) => `${s.emoji[c]} ${s.names[c]} ${(100 * s.pooled_prob[layer][k]).toFixed(1)}%`);
      pooled.replaceChildren(pn.h("div", { style: "font-weight:600", text: pk[0] }),
                             pn.h("div", { class: "pn-cap", text: pk.slice(1).join(" · ") }));
      pooled.style.opacity = s.pooled_constant[layer] ? "0.45" : "1";
      note.textContent = s.constant[layer] ? s.constant_note : "";
    }
    slider.addEventListener("input", () => { layer = +slider.value; show(); });
    pc.canvas.addEventListener("mousemove", (ev) => {
      const c = pc.cellAt(ev); if (!c) return pn.tip.hide();
      draw(c);
      const p = s.n_prefix + c.row * s.cols + c.col;
      pn.tip.show(ev, `${s.token_labels[p]} · ${s.layer_labels[layer]}\n${topk(layer, p)}`);
    });
    pc.canvas.addEventListener("mouseleave", () => { pn.tip.hide(); draw(); });
    show();
  },
};
