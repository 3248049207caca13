// patching_grid: a (layer x position) patching result over the image, one panel per layer on one shared colour scale.
// Hover a patch in any panel: every panel outlines it, the tooltip and the readout give its value at each layer.
export default {
  render({ model, el }) {
    const s = model.get("state"), root = pn.root(el, s.title);
    const img = pn.arr(model, "image"), V = pn.arr(model, "values").data, C = pn.arr(model, "cls").data;
    const g = s.rows * s.cols, image = { data: img.data, h: img.shape[0], w: img.shape[1] };
    const panels = pn.h("div", { style: `display:grid;grid-template-columns:repeat(${s.panel_cols}, max-content);gap:10px 14px` });
    const readout = pn.h("div", { class: "pn-note pn-readout", style: "min-height:2.6em;font-variant-numeric:tabular-nums" });
    const canv = s.layer_labels.map((lab, l) => {
      const pc = new pn.PatchCanvas({ image, rows: s.rows, cols: s.cols, width: s.width, height: s.height, alpha: s.alpha, cmap: "RdBu" });
      pc.canvas.classList.add("pn-panel"); pc.canvas.dataset.layer = l;
      pc.vals = V.subarray(l * g, (l + 1) * g);
      const cls = C[l] === C[l] ? ` · ${s.prefix_label} ${pn.fmt(C[l], 2)}` : "";
      panels.append(pn.h("div", { class: "pn-tile" }, pn.h("div", { class: "pn-cap", style: "font-size:13px;margin-bottom:3px", text: `${lab}${cls}` }), pc.canvas));
      return pc;
    });
    canv.forEach((pc) => pc.draw(pc.vals, -s.lim, s.lim));
    const show = (cell) => {  // the panels' values never change: move the outline only
      canv.forEach((pc) => pc.mark(cell ? { ...cell, color: "#111" } : null));
      if (!cell) { readout.textContent = "hover a patch: its value at every layer"; return; }
      const i = cell.row * s.cols + cell.col;
      readout.textContent = `patch r${cell.row}c${cell.col}: ` + s.layer_labels.map((lab, l) => `${lab} ${pn.fmt(V[l * g + i], 2)}`).join("  ·  ");
      el.dataset.cell = i;
    };
    canv.forEach((pc, l) => {
      pc.canvas.addEventListener("mousemove", (ev) => { const c = pc.cellAt(ev); if (!c) return;
        show(c); pn.tip.show(ev, `${s.layer_labels[l]}, patch r${c.row}c${c.col}\n${s.value_name}: ${pn.fmt(V[l * g + c.row * s.cols + c.col], 3)}`); });
      pc.canvas.addEventListener("mouseleave", () => { pn.tip.hide(); show(null); });
    });
    show(null);
    root.append(pn.h("div", { class: "pn-bar" }, pn.colorbar("RdBu", pn.fmt(-s.lim, 2), pn.fmt(s.lim, 2), s.value_name, 180)), panels, readout,
                pn.h("div", { class: "pn-note", text: s.note }));
  },
};
