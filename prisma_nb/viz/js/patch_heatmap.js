// patch_heatmap: values over an image's patch grid; hover shows a patch's value; a click asks Python (live only).
export default {
  render({ model, el }) {
    const root = pn.root(el, model.get("state").title), body = pn.h("div");
    root.append(body);
    const draw = () => {
      const s = model.get("state"), img = pn.arr(model, "image"), vals = pn.arr(model, "values").data;
      const pc = new pn.PatchCanvas({ image: { data: img.data, h: img.shape[0], w: img.shape[1] }, rows: s.rows, cols: s.cols,
                                      width: s.width, height: s.height, alpha: s.alpha, cmap: s.cmap });
      pc.draw(vals, s.vmin, s.vmax);
      const note = !s.clickable ? "" : model.get("live") ? "click a patch: Python computes new values" : "static copy: clicks need the live widget";
      pc.canvas.addEventListener("mousemove", (ev) => {
        const c = pc.cellAt(ev); if (!c) return pn.tip.hide();
        pc.draw(vals, s.vmin, s.vmax, c);
        pn.tip.show(ev, `row ${c.row}, column ${c.col}\nvalue ${pn.fmt(vals[c.row * s.cols + c.col])}`);
      });
      pc.canvas.addEventListener("mouseleave", () => { pn.tip.hide(); pc.draw(vals, s.vmin, s.vmax); });
      pc.canvas.addEventListener("click", (ev) => {
        const c = pc.cellAt(ev); if (!c || !s.clickable) return;
        const t0 = performance.now();
        pn.ask(model, { kind: "click", row: c.row, col: c.col, clicks: (s.clicks || 0) + 1 })
          .then(() => { el.dataset.roundTripMs = (performance.now() - t0).toFixed(1); })
          .catch((e) => pn.error(root, e.message));
      });
      body.replaceChildren(pc.canvas, pn.h("div", { class: "pn-bar" }, pn.colorbar(s.cmap, pn.fmt(s.vmin), pn.fmt(s.vmax))),
                           pn.h("div", { class: "pn-note", text: note }));
    };
    draw();
    model.on("change:state", draw);
    model.on("change:arrays", draw);
    return () => { model.off("change:state", draw); model.off("change:arrays", draw); };
  },
};
