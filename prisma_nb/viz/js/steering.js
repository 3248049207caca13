// steering: select patches on an image, rank the SAE features active there, set them with sliders (-3..3 x their maximum),
// and see the class probabilities and the probe's segmentation before and after. Live: Python re-runs the model.
// Static twin: one feature's precomputed sweep on the initial selection.
export default {
  render({ model, el }) {
    const s0 = model.get("state");
    const root = pn.root(el, s0.title), body = pn.h("div");
    root.append(body);
    const R = s0.rows, C = s0.cols, P = R * C;
    let selection = Uint8Array.from(s0.selection), edits = {}, pending = 0;
    const img = pn.arr(model, "image");
    const mk = () => new pn.PatchCanvas({ image: { data: img.data, h: img.shape[0], w: img.shape[1] }, rows: R, cols: C,
                                          width: s0.width, height: s0.height, alpha: 0.6, cmap: "viridis" });
    const before = mk(), after = mk();
    before.canvas.dataset.role = "before"; after.canvas.dataset.role = "after";
    const note = pn.h("div", { class: "pn-note" }), bars = pn.h("div"), list = pn.h("div");
    const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

    const drawBefore = () => {
      before.draw(pn.arr(model, "seg_before").data, s0.vmin, s0.vmax);
      for (let i = 0; i < P; i++) if (selection[i]) before.outline(Math.floor(i / C), i % C, "#ff2d55");
    };
    const drawAfter = (seg) => after.draw(seg, s0.vmin, s0.vmax);
    const drawBars = (pa) => {
      const pb = pn.arr(model, "probs_before").data, s = model.get("state");
      bars.replaceChildren(...s.classes.map((name, k) => pn.h("div", { class: "pn-bar", style: "margin:1px 0", "data-class": name },
        pn.emojiChip(s.emoji[k], name, 14),
        pn.h("span", { style: "display:inline-block;width:62px" }, name),
        pn.h("span", { style: `display:inline-block;height:8px;width:${Math.round(120 * pb[k])}px;background:#8c959f` }),
        pn.h("span", { class: "pn-cap", "data-p": "before" }, pn.fmt(pb[k])),
        pn.h("span", { style: `display:inline-block;height:8px;width:${Math.round(120 * pa[k])}px;background:#0969da` }),
        pn.h("span", { class: "pn-cap", "data-p": "after" }, pn.fmt(pa[k])))));
    };
    const showAfter = () => { drawAfter(pn.arr(model, "seg_after").data); drawBars(pn.arr(model, "probs_after").data); };

    // Rank features by their mean activation over the selected patches (the activations travel with the view).
    const rank = () => {
      const F = pn.arr(model, "features"), S = F.shape[1], n = selection.reduce((a, b) => a + b, 0), mean = new Float32Array(S);
      if (!n) return [];
      for (let i = 0; i < P; i++) if (selection[i]) for (let j = 0; j < S; j++) mean[j] += F.data[i * S + j] / n;
      return Array.from(mean.keys()).filter((j) => mean[j] > 0).sort((a, b) => mean[b] - mean[a]).slice(0, s0.n_features)
        .map((j) => ({ j, mean: mean[j] }));
    };
    const thumbs = (j) => {
      const ids = Array.from(pn.arr(model, "exemplar_ids").data), k = ids.indexOf(j), ex = pn.arr(model, "exemplars");
      if (k < 0) return [pn.h("span", { class: "pn-note", text: "no exemplars in this copy" })];
      const [, n, h, w] = ex.shape;
      return Array.from({ length: n }, (_, e) => {
        const c = pn.h("canvas", { width: w, height: h, style: `width:${2 * w}px;height:${2 * h}px;margin-right:3px` });
        const ctx = c.getContext("2d"), im = ctx.createImageData(w, h);
        for (let p = 0; p < h * w; p++) { const q = ((k * n + e) * h * w + p) * 3;
          im.data.set([ex.data[q], ex.data[q + 1], ex.data[q + 2], 255], 4 * p); }
        ctx.putImageData(im, 0, 0);
        return c;
      });
    };
    const maxOf = (j) => pn.arr(model, "feature_max").data[j];

    const apply = () => {
      const live = model.get("live"), active = Object.keys(edits);
      if (!active.length) { drawAfter(pn.arr(model, "seg_before").data); drawBars(pn.arr(model, "probs_before").data); note.textContent = "move a slider to edit a feature"; return; }
      if (live) {
        const t0 = performance.now(), mine = ++pending;
        pn.ask(model, { kind: "steer", edits, selection: Array.from(selection) })
          .then(() => { if (mine === pending) { el.dataset.roundTripMs = (performance.now() - t0).toFixed(1); note.textContent = "computed by the kernel"; pn.error(root, null); } })
          .catch((e) => pn.error(root, e.message));
        return;
      }
      const sw = s0.sweep;
      if (active.length === 1 && +active[0] === sw.feature && same(Array.from(selection), sw.selection)) {
        const i = sw.values.indexOf(edits[active[0]]), segs = pn.arr(model, "sweep_seg"), probs = pn.arr(model, "sweep_probs");
        const nc = probs.shape[1];
        drawAfter(segs.data.slice(i * P, (i + 1) * P)); drawBars(probs.data.slice(i * nc, (i + 1) * nc));
        el.dataset.sweepStep = String(i);
        note.textContent = `static copy: precomputed sweep of feature ${sw.feature} (step ${i})`;
      } else note.textContent = `static copy: only feature ${sw.feature} on the initial selection was precomputed; run the notebook for live edits`;
    };

    const drawList = () => {
      const ranked = rank();
      list.replaceChildren(...(ranked.length ? ranked.map(({ j, mean }) => {
        const val = pn.h("span", { class: "pn-cap", text: j in edits ? `${edits[j]} × max` : "off" });
        const slider = pn.h("input", { type: "range", min: -3, max: 3, step: s0.step, value: j in edits ? edits[j] : 0,
                                       "data-feature": j, style: "width:160px" });
        slider.addEventListener("input", () => { edits[j] = +slider.value; val.textContent = `${edits[j]} × max`; apply(); });
        const reset = pn.h("button", { class: "pn-btn", text: "off", onclick: () => { delete edits[j]; slider.value = 0; val.textContent = "off"; apply(); } });
        return pn.h("div", { class: "pn-bar", "data-row": j },
          pn.h("span", { style: "display:inline-block;width:150px" }, `feature ${j} · mean ${pn.fmt(mean, 2)} · max ${pn.fmt(maxOf(j), 2)}`),
          ...thumbs(j), slider, val, reset);
      }) : [pn.h("div", { class: "pn-note", text: "no feature fires on the selection" })]));
    };

    // Click or drag over the left image to select patches.
    let dragging = null;
    const hit = (ev) => { const c = before.cellAt(ev); return c ? c.row * C + c.col : -1; };
    before.canvas.addEventListener("mousedown", (ev) => { const i = hit(ev); if (i < 0) return; dragging = selection[i] ? 0 : 1; selection[i] = dragging; drawBefore(); });
    before.canvas.addEventListener("mousemove", (ev) => { const i = hit(ev); if (dragging === null || i < 0 || selection[i] === dragging) return; selection[i] = dragging; drawBefore(); });
    const end = () => { if (dragging === null) return; dragging = null; edits = {}; drawList(); apply(); };
    before.canvas.addEventListener("mouseup", end); before.canvas.addEventListener("mouseleave", end);

    body.replaceChildren(
      pn.h("div", { class: "pn-bar" },
        pn.h("div", { class: "pn-tile" }, before.canvas, pn.h("div", { class: "pn-cap", text: "before · click or drag to select patches" })),
        pn.h("div", { class: "pn-tile" }, after.canvas, pn.h("div", { class: "pn-cap", text: "after the edit" })),
        pn.h("div", { class: "pn-tile" }, pn.h("div", { class: "pn-cap", text: "class probability: before (grey), after (blue)" }), bars)),
      note, list);
    drawBefore(); drawList(); apply();
    const onArrays = () => { if (model.get("live") && Object.keys(edits).length) showAfter(); };
    model.on("change:arrays", onArrays);
    return () => model.off("change:arrays", onArrays);
  },
};
