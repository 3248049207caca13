// dla: direct logit attribution. One bar per embedding, head, MLP and bias (they add up to the logit); select a
// component to see its share over the image (a head: by the source patch it moved it from; others: by the position it
// was written at). Live only: zero- or mean-ablate the selected component; Python re-runs the model and the bars update.
export default {
  render({ model, el }) {
    const root = pn.root(el, model.get("state").title);
    const head = pn.h("div", { class: "pn-bar" }), barsBox = pn.h("div", { style: "overflow-x:auto;max-width:100%" });
    const mapBox = pn.h("div", { style: `max-width:${Math.max(300, model.get("state").width)}px` }), panel = pn.h("div", { style: "min-width:260px;max-width:380px" });
    root.append(head, barsBox, pn.h("div", { style: "display:flex;gap:18px;align-items:flex-start;flex-wrap:wrap;margin-top:8px" }, mapBox, panel));
    let selected = null, busy = false;

    const fmt = (v) => pn.fmt(v, 3);
    const svgNS = () => { const d = document.createElement("div"); d.innerHTML = "<svg></svg>"; return d.firstChild.namespaceURI; };
    function draw() {
      const s = model.get("state"), clean = pn.arr(model, "bars").data, now = pn.arr(model, "bars_now").data;
      const n = s.labels.length, ablated = new Set(s.ablated);
      if (selected === null) selected = s.selected;
      // the headline: the logit explained, and after an ablation the new one
      const logit = pn.h("span", { class: "pn-logit", "data-value": String(s.logit_now), style: "font-weight:600" },
                         `${s.what} ${s.target}: ${fmt(s.logit)}`);
      if (s.ablated.length) logit.textContent += ` → ${fmt(s.logit_now)} with ${s.ablated.join(", ")} ${s.how}-ablated`;
      head.replaceChildren(logit, pn.h("span", { class: "pn-cap", text: `prediction: ${s.prediction_now}` }));

      // the bars (SVG): one per term, blue positive, red negative; the clean value as an outline where it changed
      const bw = n > 60 ? 5 : n > 30 ? 10 : 22, gap = n > 60 ? 1 : 3, left = n > 30 ? 50 : 80, top = 8, H = 170, W = left + n * (bw + gap) + 10;
      const lim = Math.max(1e-9, ...Array.from(clean, Math.abs), ...Array.from(now, Math.abs)), y0 = top + H / 2;
      const ns = svgNS();
      const svg = document.createElementNS(ns, "svg");
      const mk = (tag, attrs, parent = svg) => { const e = document.createElementNS(ns, tag);
        for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); parent.append(e); return e; };
      const labelH = n > 30 ? 26 : 100;
      svg.setAttribute("width", W); svg.setAttribute("height", top + H + labelH); svg.setAttribute("class", "pn-dla-bars");
      mk("line", { x1: left, x2: W, y1: y0, y2: y0, stroke: "#8c959f" });
      for (const v of [lim, -lim]) mk("text", { x: left - 4, y: y0 - (v / lim) * (H / 2) + 4, "text-anchor": "end", "font-size": 10, fill: "#57606a" }).textContent = fmt(v);
      let group = null, lastLabel = -1e9, lastText = "";
      for (let i = 0; i < n; i++) {
        const x = left + i * (bw + gap), v = now[i], hgt = Math.abs(v) / lim * (H / 2);
        const g = mk("g", { class: "pn-dla-bar", "data-label": s.labels[i], style: "cursor:pointer" });
        mk("rect", { x: x - gap / 2, y: top, width: bw + gap, height: H, fill: "transparent",
                     stroke: s.labels[i] === selected ? "#bf8700" : "none", "stroke-width": 2 }, g);
        mk("rect", { x, y: v >= 0 ? y0 - hgt : y0, width: bw, height: Math.max(hgt, 0.5),
                     fill: ablated.has(s.labels[i]) ? "#8c959f" : v >= 0 ? "#2f6fb0" : "#c0392b" }, g);
        if (clean[i] !== v) { const ch = Math.abs(clean[i]) / lim * (H / 2);
          mk("rect", { x: x + 0.5, y: clean[i] >= 0 ? y0 - ch : y0, width: bw - 1, height: Math.max(ch, 0.5), fill: "none", stroke: "#1f2328", "stroke-dasharray": "2,2" }, g); }
        g.addEventListener("mousemove", (ev) => pn.tip.show(ev, `${s.labels[i]}: ${fmt(v)}` +
          (clean[i] !== v ? ` (before: ${fmt(clean[i])})` : "") + (s.kinds[i] === "bias" ? "\n(a bias: not ablatable)" : "\nclick to select")));
        g.addEventListener("mouseleave", () => pn.tip.hide());
        g.addEventListener("click", () => { selected = s.labels[i]; draw(); });
        if (n <= 30) mk("text", { x: x + bw / 2, y: top + H + 6, "font-size": 10, fill: "#424a53", "text-anchor": "end",
                                  transform: `rotate(-50 ${x + bw / 2} ${top + H + 6})` }).textContent = s.labels[i];
        else if (s.groups[i] !== group) { group = s.groups[i];
          mk("line", { x1: x - gap, x2: x - gap, y1: top, y2: top + H + 4, stroke: "#d0d7de" });
          const lx = Math.max(x, lastLabel + 6 * String(lastText).length + 6);  // no overlap after a narrow group
          mk("text", { x: lx, y: top + H + 16, "font-size": 10, fill: "#424a53" }).textContent = group;
          lastLabel = lx; lastText = group; }
      }
      barsBox.replaceChildren(svg);

      // the selected component over the image
      const k = s.labels.indexOf(selected), kind = s.kinds[k];
      let values = null, what = "";
      if (kind === "head") {
        const hs = pn.arr(model, "head_sources"), [Lh, Hh, P] = hs.shape, [l, hh] = s.head_index[k];
        values = hs.data.subarray((l * Hh + hh) * P, (l * Hh + hh + 1) * P); what = "its share by the source patch it moved it from";
      } else if (kind !== "bias") {
        const bp = pn.arr(model, "by_position"), P = bp.shape[1];
        values = bp.data.subarray(s.component_index[k] * P, (s.component_index[k] + 1) * P); what = "its share by the position it was written at";
      }
      const cells = s.rows * s.cols;
      let grid = values ? Float32Array.from({ length: cells }, (_, i) => values[s.n_prefix + i]) : null;
      const m = grid ? Math.max(1e-9, ...Array.from(grid, Math.abs)) : 1;
      if (grid && m <= 1e-6 * Math.max(1e-9, Math.abs(now[k]))) {  // all of it at CLS / registers (a CLS-pooled model)
        grid = null; what = "all of it at the prefix tokens (the model pools CLS): nothing over the patches"; }
      const img = pn.arr(model, "image");
      const pc = new pn.PatchCanvas({ image: { data: img.data, h: img.shape[0], w: img.shape[1] }, rows: s.rows, cols: s.cols,
                                      width: s.width, height: s.height, alpha: 0.6, cmap: "RdBu" });
      pc.draw(grid, -m, m);  // RdBu: red below zero, blue above
      pc.canvas.addEventListener("mousemove", (ev) => {
        const c = pc.cellAt(ev); if (!c || !grid) return pn.tip.hide();
        pn.tip.show(ev, `${s.token_labels[s.n_prefix + c.row * s.cols + c.col]}: ${fmt(grid[c.row * s.cols + c.col])}`);
      });
      pc.canvas.addEventListener("mouseleave", () => pn.tip.hide());
      const prefix = values && s.n_prefix ? s.token_labels.slice(0, s.n_prefix).map((t, p) => `${t} ${fmt(values[p])}`).join(" · ") : "";
      mapBox.replaceChildren(...[pn.h("div", { class: "pn-cap", style: "font-weight:600", text: `${selected}: ${fmt(now[k])}` }),
        pn.h("div", { class: "pn-cap", text: values ? what : "a bias is a constant: nothing to show over the image" }), pc.canvas,
        grid ? pn.h("div", { class: "pn-bar" }, pn.colorbar("RdBu", fmt(-m), fmt(m), pn.h("span", { text: "share" }), 120)) : null,
        prefix ? pn.h("div", { class: "pn-cap", text: prefix }) : null].filter(Boolean));

      // the panel: ablation (live only) and the class logits
      const live = model.get("live") && s.ablatable, canAblate = kind !== "bias";
      const toggled = (how) => { const keep = s.how === how ? s.ablated : [];
        return keep.includes(selected) ? keep.filter((c) => c !== selected) : [...keep, selected]; };
      const off = (how) => !live || !canAblate || busy || (how === "mean" && !s.mean_ok);
      const btn = (how) => pn.h("button", { class: "pn-btn pn-ablate", "data-how": how, disabled: off(how), style: off(how) ? "opacity:.45;cursor:default" : null,
        onclick: () => ask({ kind: "ablate", ablate: toggled(how), how }) },
        `${s.how === how && s.ablated.includes(selected) ? "restore" : how + "-ablate"} ${selected}`);
      const restore = pn.h("button", { class: "pn-btn pn-restore", disabled: !live || !s.ablated.length || busy,
        style: !live || !s.ablated.length || busy ? "opacity:.45;cursor:default" : null,
        onclick: () => ask({ kind: "ablate", ablate: [], how: s.how }) }, "restore all");
      const why = !s.ablatable ? "Ablation needs the model: make the view with dla_view(model, image, ...)." :
        !model.get("live") ? "Static copy: ablation re-runs the model, so it works only in the live widget (run the notebook in Jupyter)." :
        !s.mean_ok ? "Mean ablation needs reference images: pass reference_images=..." : "";
      const td = "text-align:right;padding:1px 0 1px 14px";
      const rows = s.class_rows.map((r) => pn.h("tr", {}, pn.h("td", { text: r[0] }), pn.h("td", { style: td, text: fmt(r[1]) }),
                                                 pn.h("td", { style: td, text: s.ablated.length ? fmt(r[2]) : "" })));
      panel.replaceChildren(...[pn.h("div", { class: "pn-bar" }, btn("zero"), btn("mean"), restore),
        why ? pn.h("div", { class: "pn-note pn-why", text: why }) : null,
        pn.h("table", { class: "pn-classes", style: "border-collapse:collapse;font-size:12px;margin-top:6px" },
          pn.h("tr", {}, pn.h("th", { style: "text-align:left", text: "class logit" }), pn.h("th", { style: td, text: "before" }),
               pn.h("th", { style: td, text: s.ablated.length ? "ablated" : "" })), rows),
        pn.h("div", { class: "pn-note", style: "margin-top:6px", text: s.note })].filter(Boolean));
    }
    function ask(msg) {
      busy = true; draw();
      const t0 = performance.now();
      pn.ask(model, msg).then(() => { el.dataset.roundTripMs = (performance.now() - t0).toFixed(1); pn.error(root, null); })
        .catch((e) => pn.error(root, e.message)).finally(() => { busy = false; draw(); });
    }
    draw();
    model.on("change:state", draw);
    model.on("change:arrays", draw);
    return () => { model.off("change:state", draw); model.off("change:arrays", draw); };
  },
};
