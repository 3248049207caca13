// explorer: the feature dashboard of a sparse coder (overview + feature cards), or the guess-the-image game (state.mode).
// Everything it shows comes from Python (prisma_nb.analysis.features / concepts, prisma_nb.sae.exemplars); it only draws.
const fm = (v, d = 3) => v === null || v === undefined ? "—" : pn.fmt(v, d);  // a number, or a dash where Python sent None

function exImage(model, name, idx, h, w) {  // one RGB image out of a uint8 [..., h, w, 3] array, as PatchCanvas wants it
  const a = pn.arr(model, name), n = h * w * 3;
  return { data: a.data.subarray(idx * n, (idx + 1) * n), h, w };
}

function bars(counts, width, height, color, labels) {  // a small bar chart on a canvas
  const c = pn.h("canvas", { width, height, style: `width:${width}px;height:${height}px;background:#fff;border:1px solid #d0d7de` });
  const ctx = c.getContext("2d"), top = Math.max(1, ...counts), bw = width / counts.length;
  ctx.fillStyle = color;
  counts.forEach((v, i) => { const bh = (height - 14) * v / top; ctx.fillRect(i * bw + 1, height - 12 - bh, Math.max(1, bw - 2), bh); });
  if (labels) { ctx.fillStyle = "#424a53"; ctx.font = "10px sans-serif"; ctx.fillText(labels[0], 2, height - 2);
    const t = labels[1], m = ctx.measureText(t).width; ctx.fillText(t, width - m - 2, height - 2); }
  return c;
}

function card(model, s, f) {  // the card of feature f, or a note when it has none
  const ci = pn.arr(model, "card_index").data[f];
  const dens = pn.arr(model, "log_density").data[f], mean = pn.arr(model, "log_mean").data[f];
  const head = pn.h("div", { class: "pn-title", text: `feature ${f}` });
  const facts = pn.h("div", { class: "ex-facts" },
    `log10 density ${fm(dens, 2)} · log10 mean activation ${fm(mean, 2)}` +
    (pn.arr(model, "cluster").data[f] ? " · in the ultra-low-density cluster" : ""));
  if (ci < 0) return pn.h("div", { class: "ex-card", "data-feature": f }, head, facts,
    pn.h("div", { class: "pn-note", text: "no card for this feature: the dashboard carries cards for the features listed above the scatter" }));
  const c = s.cards[ci];
  const maps = pn.arr(model, "ex_maps").data, cells = s.rows * s.cols;
  const grid = pn.h("div", { class: "ex-grid" });
  for (let j = 0; j < s.k; j++) {
    if (c.images[j] < 0) continue;
    const pc = new pn.PatchCanvas({ image: exImage(model, "ex_images", ci * s.k + j, s.img_h, s.img_w), rows: s.rows, cols: s.cols,
                                    width: 96, height: 96, alpha: 0.6, cmap: "inferno" });
    pc.draw(maps.subarray((ci * s.k + j) * cells, (ci * s.k + j + 1) * cells), 0, 255);
    grid.append(pn.h("figure", { class: "ex-fig" }, pc.canvas, pn.h("figcaption", { text: `#${c.images[j]} · ${fm(c.values[j], 2)}` })));
  }
  const hist = pn.arr(model, "hist").data, nb = s.hist_edges.length + 1;
  const counts = Array.from(hist.subarray(ci * nb, (ci + 1) * nb));
  const table = (rows, fmtv) => pn.h("table", { class: "ex-table" }, rows.map(([k, v]) => pn.h("tr", {}, pn.h("td", { text: k }), pn.h("td", { text: fmtv(v) }))));
  return pn.h("div", { class: "ex-card", "data-feature": f }, head, facts,
    pn.h("div", { class: "ex-facts", text: `density ${fm(c.density, 5)} · best concept: ${c.concept} (F1 ${fm(c.f1, 2)})` }),
    grid,
    pn.h("div", { class: "ex-row" },
      pn.h("div", {}, pn.h("div", { class: "ex-sub", text: "activations (log10 bins)" }),
        bars(counts, 220, 80, "#8250df", [String(s.hist_edges[0]), String(s.hist_edges[s.hist_edges.length - 1])])),
      pn.h("div", {}, pn.h("div", { class: "ex-sub", text: "label entropy (bits)" }), table(Object.entries(c.entropy), (v) => fm(v, 2))),
      pn.h("div", {}, pn.h("div", { class: "ex-sub", text: "class effects" }), table(c.effects, (v) => fm(v, 3))),
      pn.h("div", {}, pn.h("div", { class: "ex-sub", text: "nearest by decoder cosine" }),
        table(c.neighbours.map(([g, v]) => [`feature ${g}`, v]), (v) => fm(v, 3)))));
}

function overview(model, el, root, s) {
  const W = 380, H = 300, pad = 30;
  const ld = pn.arr(model, "log_density").data, lm = pn.arr(model, "log_mean").data, ent = pn.arr(model, "entropy").data;
  const cl = pn.arr(model, "cluster").data, best = pn.arr(model, "best_concept").data, f1 = pn.arr(model, "f1").data;
  const F = ld.length, live = [];
  for (let f = 0; f < F; f++) if (ld[f] === ld[f]) live.push(f);
  const ext = (a) => { let lo = Infinity, hi = -Infinity; for (const f of live) { if (a[f] === a[f]) { lo = Math.min(lo, a[f]); hi = Math.max(hi, a[f]); } }
    return hi > lo ? [lo, hi] : [lo - 1, lo + 1]; };
  const [x0, x1] = ext(ld), [y0, y1] = ext(lm), emax = Math.max(1e-6, ...live.map((f) => ent[f] === ent[f] ? ent[f] : 0));
  const X = (v) => pad + (W - pad - 8) * (v - x0) / (x1 - x0), Y = (v) => H - pad - (H - pad - 8) * (v - y0) / (y1 - y0);
  const nb = 30, counts = new Array(nb).fill(0);
  for (const f of live) counts[Math.min(nb - 1, Math.floor(nb * (ld[f] - x0) / (x1 - x0 || 1)))]++;
  const hist = bars(counts, W, 110, "#0969da", [fm(x0, 2), fm(x1, 2)]);
  const sc = pn.h("canvas", { width: W, height: H, class: "ex-scatter", style: `width:${W}px;height:${H}px;background:#fff;border:1px solid #d0d7de` });
  const ctx = sc.getContext("2d"), L = pn.cmap("viridis");
  const concept = pn.h("input", { type: "text", placeholder: "concept contains…", class: "ex-in" });
  const minD = pn.h("input", { type: "number", step: "0.5", value: String(Math.floor(x0)), class: "ex-in", title: "min log10 density" });
  const minF1 = pn.h("input", { type: "number", step: "0.05", value: "0", min: "0", max: "1", class: "ex-in", title: "min F1" });
  const list = pn.h("div", { class: "ex-list" }), cardBox = pn.h("div", { class: "ex-cardbox" });
  let chosen = s.cards.length ? s.cards[0].feature : live[0];
  const keep = (f) => {
    const q = concept.value.trim().toLowerCase();
    return ld[f] >= parseFloat(minD.value || "-99") && (f1[f] === f1[f] ? f1[f] : 0) >= parseFloat(minF1.value || "0") &&
      (!q || (best[f] >= 0 && s.concepts[best[f]].toLowerCase().includes(q)));
  };
  const draw = () => {
    ctx.clearRect(0, 0, W, H);
    ctx.strokeStyle = "#8c959f"; ctx.beginPath(); ctx.moveTo(pad, 4); ctx.lineTo(pad, H - pad); ctx.lineTo(W - 4, H - pad); ctx.stroke();
    ctx.fillStyle = "#424a53"; ctx.font = "10px sans-serif";
    ctx.fillText("log10 density →", W - 100, H - 8); ctx.save(); ctx.translate(10, H - pad); ctx.rotate(-Math.PI / 2); ctx.fillText("log10 mean activation →", 0, 0); ctx.restore();
    const points = {};
    for (const f of live) {
      if (lm[f] !== lm[f]) continue;
      const on = keep(f), x = X(ld[f]), y = Y(lm[f]), k = 3 * pn.level((ent[f] === ent[f] ? ent[f] : 0) / emax);
      ctx.globalAlpha = on ? 0.9 : 0.12;
      ctx.fillStyle = `rgb(${L[k]},${L[k + 1]},${L[k + 2]})`;
      ctx.beginPath(); ctx.arc(x, y, 3, 0, 2 * Math.PI); ctx.fill();
      if (cl[f]) { ctx.strokeStyle = "#cf222e"; ctx.lineWidth = 1.5; ctx.beginPath(); ctx.arc(x, y, 5, 0, 2 * Math.PI); ctx.stroke(); }
      if (f === chosen) { ctx.strokeStyle = "#000"; ctx.lineWidth = 2; ctx.beginPath(); ctx.arc(x, y, 7, 0, 2 * Math.PI); ctx.stroke(); }
      if (pn.arr(model, "card_index").data[f] >= 0) points[f] = [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
    }
    ctx.globalAlpha = 1;
    sc.dataset.points = JSON.stringify(points);
    const shown = live.filter(keep);
    list.replaceChildren(pn.h("span", { class: "ex-sub", text: `${shown.length} of ${live.length} live features match; carded: ` }),
      ...s.cards.filter((c) => keep(c.feature)).map((c) => pn.h("a", { href: "#", class: "ex-link", "data-feature": c.feature,
        onclick: (ev) => { ev.preventDefault(); open(c.feature); } }, `${c.feature}`)));
  };
  const open = (f) => { chosen = f; cardBox.replaceChildren(card(model, s, f)); draw(); el.dataset.openFeature = String(f); };
  sc.addEventListener("click", (ev) => {
    const r = sc.getBoundingClientRect(), x = (ev.clientX - r.left) * W / r.width, y = (ev.clientY - r.top) * H / r.height;
    let bestF = -1, bd = 64;
    for (const f of live) { if (lm[f] !== lm[f]) continue; const d = (X(ld[f]) - x) ** 2 + (Y(lm[f]) - y) ** 2; if (d < bd) { bd = d; bestF = f; } }
    if (bestF >= 0) open(bestF);
  });
  sc.addEventListener("mousemove", (ev) => {
    const r = sc.getBoundingClientRect(), x = (ev.clientX - r.left) * W / r.width, y = (ev.clientY - r.top) * H / r.height;
    let bestF = -1, bd = 36;
    for (const f of live) { if (lm[f] !== lm[f]) continue; const d = (X(ld[f]) - x) ** 2 + (Y(lm[f]) - y) ** 2; if (d < bd) { bd = d; bestF = f; } }
    if (bestF < 0) return pn.tip.hide();
    pn.tip.show(ev, `feature ${bestF}\nlog10 density ${fm(ld[bestF], 2)}\nentropy ${fm(ent[bestF], 2)} bits` +
      (best[bestF] >= 0 ? `\n${s.concepts[best[bestF]]} (F1 ${fm(f1[bestF], 2)})` : ""));
  });
  sc.addEventListener("mouseleave", () => pn.tip.hide());
  for (const i of [concept, minD, minF1]) i.addEventListener("input", draw);
  root.append(pn.h("div", { class: "ex-row" },
    pn.h("div", {}, pn.h("div", { class: "ex-sub", text: `log10 density of the ${live.length} live features (${F - live.length} dead)` }), hist,
      pn.h("div", { class: "ex-sub", text: `density × mean activation; colour: lowest label entropy over ${(s.colour_factors || s.factors).join(", ")}; red ring: ultra-low-density cluster` }), sc,
      pn.h("div", { class: "pn-bar" }, pn.colorbar("viridis", "0", fm(emax, 2), "entropy (bits)")),
      pn.h("div", { class: "ex-filters" }, concept, " min log10 density ", minD, " min F1 ", minF1), list),
    cardBox));
  open(chosen);
}

function game(model, el, root, s) {
  let score = 0, played = 0;
  const box = pn.h("div", {});
  const round = (r) => {
    const R = s.rounds[r], thumbs = pn.h("div", { class: "ex-row" });
    R.features.forEach((f, i) => {
      const row = pn.h("div", { class: "ex-clue" }, pn.h("div", { class: "ex-sub", text: `feature ${f} (${fm(R.activations[i], 2)})` }));
      for (let j = 0; j < s.m; j++) {
        const pc = new pn.PatchCanvas({ image: exImage(model, "clue_images", (r * s.n_clues + i) * s.m + j, s.img_h, s.img_w),
                                        rows: 1, cols: 1, width: 56, height: 56 });
        pc.draw(null); row.append(pc.canvas);
      }
      thumbs.append(row);
    });
    const cands = pn.h("div", { class: "ex-row" }), verdict = pn.h("div", { class: "ex-verdict" });
    R.candidates.forEach((img, j) => {
      const pc = new pn.PatchCanvas({ image: exImage(model, "candidates", r * s.n_candidates + j, s.img_h, s.img_w), rows: 1, cols: 1, width: 120, height: 120 });
      pc.draw(null);
      pc.canvas.classList.add("ex-cand"); pc.canvas.dataset.candidate = String(j);
      pc.canvas.addEventListener("click", () => {
        if (verdict.textContent) return;
        played++; if (j === R.answer) score++;
        verdict.textContent = (j === R.answer ? "✓ right" : `✗ it was candidate ${R.answer + 1}`) + ` — score ${score} / ${played} (chance ${pn.pct(1 / s.n_candidates)})`;
        el.dataset.score = `${score}/${played}`;
        if (r + 1 < s.rounds.length) verdict.append(" ", pn.h("button", { onclick: () => round(r + 1), text: "next round" }));
      });
      cands.append(pn.h("figure", { class: "ex-fig" }, pc.canvas, pn.h("figcaption", { text: `candidate ${j + 1}` })));
    });
    box.replaceChildren(pn.h("div", { class: "ex-sub", text: `round ${r + 1} of ${s.rounds.length}: these features fire most on a held-out image (each shown by its top images). Which candidate is it?` }),
      thumbs, cands, verdict);
  };
  root.append(box);
  round(0);
}

export default {
  render({ model, el }) {
    const s = model.get("state"), root = pn.root(el, s.title);
    root.append(pn.h("style", {}, `.ex-row{display:flex;gap:14px;flex-wrap:wrap;align-items:flex-start}.ex-grid{display:flex;gap:6px;flex-wrap:wrap;margin:6px 0}
      .ex-fig{margin:0;text-align:center;font-size:11px;color:#424a53}.ex-sub{font-size:12px;color:#424a53;margin:4px 0}
      .ex-facts{font-size:13px;margin:2px 0}.ex-table{font-size:12px;border-collapse:collapse}.ex-table td{padding:1px 6px;border-bottom:1px solid #eaeef2}
      .ex-in{width:90px;font-size:12px}.ex-list{font-size:12px;max-width:380px}.ex-link{margin-right:6px}.ex-cardbox{min-width:420px;max-width:640px}
      .ex-cand{cursor:pointer;border:2px solid #d0d7de}.ex-verdict{font-size:14px;margin-top:6px;min-height:20px}.ex-clue{display:flex;gap:3px;align-items:center}`));
    if (s.mode === "game") game(model, el, root, s); else overview(model, el, root, s);
  },
};
