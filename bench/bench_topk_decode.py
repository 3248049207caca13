"""Sparse against dense steps of sparse coders: TopK training steps and the ReLU 'auto' path, same weights, same batches.

TopK (k=32, d_in 768, d_sae 4096 to 65536, batch 2048): one full `SAETrainer` step (loss, backward, Adam, decoder renormalisation,
dead-feature bookkeeping) of two coders of one trainer, `decode_mode='dense'` and `'sparse'`, on the same batch, in
interleaved rounds; the ratio is dense / sparse per round (median [range]) of this process's CPU seconds (`--loss-too`:
the loss's forward + backward alone beside it). The steps share O(d_sae · d_in) work the sparse path cannot remove
(Adam, decoder renormalisation, zeroed gradients), which weighs less against the products at a larger batch. Before timing, both paths are checked to give the same loss and gradients.
Targets: the step ratio grows with d_sae / k, and is >= 2.5x at d_sae 65536.

ReLU: forward + backward of the loss with `decode_mode` 'dense', 'sparse' and 'auto' on a grid of sizes and densities
(the encoder bias sets the fraction of features that fire), all on one coder (its mode set before each step: with
separate coders of equal weights, a second dense coder came out 1.04-1.08x the first at d_in 64 x d_sae 512). Two parts:
- The table: the dense and sparse paths in `--rounds` interleaved rounds, CPU seconds; 'chose' is the path 'auto' takes
  (`SparseReLUFn` ran or not), 'model' the sparse / dense ratio the cost model predicts ('auto' goes sparse only where
  that is at most 1 - `RELU_SPARSE_MARGIN`). A timed sample is as many steps of one path as 0.2 s of dense steps ('n':
  about 11 at d_in 64 x d_sae 512, 2 at 128 x 2048, 1 from 256 x 4096 up); times are per step. Each timed sample
  follows `--settle` untimed ones of the same path (default 1), so each path is timed in its own steady state, as in
  training, where a coder takes one path step after step: without it, whichever path runs right after the sparse one
  pays for the page faults of re-touching the memory the allocator handed back in between (up to a third of a step at
  d_in 128 x d_sae 2048).
- The target: auto / dense at every grid point, timed in paired rounds of one step each until the 95 % confidence
  interval of the median ratio lies wholly below or above 1.05 (`benchlib.paired_until`; distribution-free, from the
  order statistics). A few long samples cannot settle a 5 % question here: on this 2-core machine one step timed
  against itself varies by 10-25 % from round to round, and the median of 7 such rounds of two equal paths exceeds 1.05
  one time in eight. Beside it, where 'auto' runs densely, the null arm, dense against dense by the same procedure,
  shows the noise floor (skip with `--no-null`). The target is met when every point's interval lies below 1.05. Before this part the bench makes
  glibc keep freed memory (`benchlib.keep_freed_memory`): with the paths alternating step by step, whether a step
  page-faults depends on what ran before it, and with the default allocator even dense against dense came out 0.86
  [0.81-0.97] at d_in 64 x d_sae 512 (training, where a coder takes one path step after step, does not see this). The
  table above runs with the default allocator. Where 'auto' runs densely, its only extra work is estimating the active
  count from a sample of `RELU_DENSITY_SAMPLE` entries; when it counted 256 whole rows (2-3 % of a step at 64 x 512,
  `count_nonzero` being slow on CPU), this part measured auto / dense 1.03-1.04 there, its interval above 1.
`--points 128x2048@0.1,...` times chosen grid points only. `--fit` also fits the cost model that 'auto' uses
(`RELU_COST` in `prisma_nb.sae.coders`) to the table's measurements and prints its constants.

    python bench/bench_topk_decode.py [--quick] [--threads 1] [--rounds 5] [--skip-topk] [--skip-relu] [--fit] [--settle 1] [--no-null] [--max-seconds 90] [--points ...]
"""
from __future__ import annotations
import argparse, dataclasses, math, time
import torch
from benchlib import setup, interleaved, keep_freed_memory, paired_until, ratios, med, spread, target, load
from prisma_nb.sae.coders import CoderConfig, SparseCoder, ReLUProduct, RELU_COST, RELU_SPARSE_MARGIN, relu_costs
from prisma_nb.sae.train import SAETrainer, TrainConfig

HOOK = "h"


class OneBatch:
    "An activation source of one batch (the trainer is only constructed; the bench calls its step directly)."
    def __init__(self, x): self.x, self.hooks = x, [HOOK]
    @property
    def n_rows(self): return len(self.x)
    def d(self, hook): return self.x.shape[1]
    def batches(self, *args, **kwargs): yield {HOOK: self.x}


def topk_row(d_in: int, d_sae: int, k: int, batch: int, rounds: int, with_loss: bool = False) -> dict:
    "Dense and sparse TopK: exactness, then interleaved trainer steps and loss forward + backward."
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(batch, d_in, generator=gen) / d_in ** 0.5
    cfg = CoderConfig(d_in=d_in, d_sae=d_sae, architecture="topk", k=k, hook=HOOK)
    trainer = SAETrainer(OneBatch(x), [dataclasses.replace(cfg, decode_mode=m) for m in ("dense", "sparse")],
                         TrainConfig(batch_size=batch, total_steps=10 ** 6, progress=False))
    dense, sparse = trainer.coders
    sparse.load_state_dict(dense.state_dict())
    losses, grads = [], []
    for coder in (dense, sparse):
        coder.zero_grad(set_to_none=True)
        out = coder.loss(x, dense_acts=False)
        out["loss"].backward()
        losses.append(out["loss"].item()); grads.append({n: p.grad.clone() for n, p in coder.named_parameters()})
    dl = abs(losses[0] - losses[1]) / max(abs(losses[0]), 1e-12)
    dg = max(((grads[0][n] - grads[1][n]).abs().max() / grads[0][n].abs().max().clamp_min(1e-12)).item() for n in grads[0])
    assert dl <= 1e-5 and dg <= 1e-4, (dl, dg)
    del grads

    def fwd_bwd(coder):
        def run():
            coder.zero_grad(set_to_none=True)
            coder.loss(x, dense_acts=False)["loss"].backward()
        return run
    step = lambda i: (lambda: trainer._train_step(i, {HOOK: x}, 1e-4, 1.0))
    t_loss = interleaved({"dense": fwd_bwd(dense), "sparse": fwd_bwd(sparse)}, rounds) if with_loss else None
    t_step = interleaved({"dense": step(0), "sparse": step(1)}, rounds)
    return dict(d_in=d_in, d_sae=d_sae, rel_dloss=dl, rel_dgrad=dg, t_loss=t_loss, t_step=t_step,
                loss_ratio=ratios(t_loss["dense"], t_loss["sparse"]) if with_loss else None, step_ratio=ratios(t_step["dense"], t_step["sparse"]))


def relu_coders(d_in: int, d_sae: int, x: torch.Tensor, density: float) -> dict:
    "Three ReLU coders (dense, sparse, auto) with the same weights, whose encoder bias makes a fraction `density` of the features fire on `x`."
    cfg = CoderConfig(d_in=d_in, d_sae=d_sae, architecture="relu", l1_coefficient=1e-3)
    coders = {m: SparseCoder(dataclasses.replace(cfg, decode_mode=m), seed=0) for m in ("dense", "sparse", "auto")}
    with torch.no_grad():
        pre = x @ coders["dense"].W_enc
        kth = max(1, min(len(x), round((1 - density) * len(x))))
        bias = -pre.kthvalue(kth, dim=0).values
        for c in coders.values(): c.b_enc.copy_(bias)
    return coders


def relu_steps(d_in: int, d_sae: int, batch: int, density: float):
    """`(step, n_active)` at one grid point: `step(mode)` runs the loss of one ReLU coder in that `decode_mode` (set before
    each step, so the paths share the very same tensors) and returns its output, without the backward."""
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(batch, d_in, generator=gen) / d_in ** 0.5
    coders = relu_coders(d_in, d_sae, x, density)
    coder, configs = coders["dense"], {m: c.cfg for m, c in coders.items()}   # one coder: the paths share the very same tensors
    with torch.no_grad(): n_active = int((coder._features(x, hooked=False)[1] > 0).sum())
    def step(mode):
        coder.cfg = configs[mode]
        coder.zero_grad(set_to_none=True)
        return coder.loss(x)
    return step, n_active


def relu_point(d_in: int, d_sae: int, batch: int, density: float, rounds: int, settle: int = 1, min_sample: float = 0.2) -> dict:
    """Interleaved forward + backward of the dense and sparse ReLU paths at one grid point (one coder whose `decode_mode` is
    set before each step, so the paths share the very same tensors); the path 'auto' takes; the model's ratio; the active count."""
    step, n_active = relu_steps(d_in, d_sae, batch, density)
    step("dense")["loss"].backward(); start = time.process_time(); step("dense")["loss"].backward()
    calls = max(1, math.ceil(min_sample / (time.process_time() - start)))   # short steps: several per timed sample
    def run(mode):
        def f():
            for _ in range(calls): step(mode)["loss"].backward()
        return f
    t = interleaved({m: run(m) for m in ("dense", "sparse")}, rounds, settle=settle)
    t = {m: [s / calls for s in ts] for m, ts in t.items()}
    chose = "sparse" if isinstance(step("auto")["active"], ReLUProduct) else "dense"
    dense, sparse = relu_costs(batch, d_in, d_sae, d_in, n_active)
    return dict(d_in=d_in, d_sae=d_sae, batch=batch, density=n_active / (batch * d_sae), target_density=density, n_active=n_active, t=t, chose=chose, calls=calls,
                model=sparse / dense, sparse_ratio=ratios(t["sparse"], t["dense"]))


def relu_target(d_in: int, d_sae: int, batch: int, density: float, chose: str, bound: float = 1.05, null: bool = True,
                max_seconds: float = 60.0) -> dict:
    """auto / dense (and, with `null` where auto runs densely, dense / dense) at one grid point, in paired rounds of one
    step each until the 95 % interval of the median lies wholly on one side of `bound` (`paired_until`). Where auto takes
    the sparse path, each timed step follows an untimed one of the same path (the page faults a switch of path brings
    would otherwise land on one side); where it takes the dense path, the two sides run the same code and need none."""
    step, _ = relu_steps(d_in, d_sae, batch, density)
    run = lambda mode: (lambda: step(mode)["loss"].backward())
    settle = 1 if chose == "sparse" else 0
    out = dict(auto=paired_until(run("auto"), run("dense"), bound, max_seconds=max_seconds, settle=settle))
    if null and chose == "dense": out["null"] = paired_until(run("dense"), run("dense"), bound, max_seconds=max_seconds)
    return out


def fit_cost(points: list[dict], rounds: int) -> dict:
    """The cost model's constants: the per-unit costs by least squares relative to each time (every grid point counts
    alike), the per-call costs from a tiny coder (8 x 32, 16 rows), where the calls are all there is."""
    def solve(rows, ys):
        A, y = torch.tensor(rows, dtype=torch.float64), torch.tensor(ys, dtype=torch.float64)
        scale = A.abs().max(0).values.clamp_min(1e-30)
        coef = torch.linalg.lstsq(A / scale / y[:, None], torch.ones(len(y), 1, dtype=torch.float64)).solution[:, 0] / scale
        return coef.clamp_min(0).tolist()   # a negative cost is noise: count it as free
    dense_rows, dense_y, sparse_rows, sparse_y = [], [], [], []
    for p in points:
        B, S, d = p["batch"], p["d_sae"], p["d_in"]
        dense_rows.append([B * S * (2 * d + 3 * d), B * S]); dense_y.append(med(p["t"]["dense"]))
        sparse_rows.append([B * S * d, p["n_active"] * (d + 3 * d), p["n_active"], B * S]); sparse_y.append(med(p["t"]["sparse"]))
    (product, dense_element), (encoder, active, entry, sparse_element) = solve(dense_rows, dense_y), solve(sparse_rows, sparse_y)
    x = torch.randn(16, 8, generator=torch.Generator().manual_seed(3))
    coders = relu_coders(8, 32, x, 0.05)
    def run(coder):
        def f():
            for _ in range(50): coder.zero_grad(set_to_none=True); coder.loss(x)["loss"].backward()
        return f
    t = interleaved({m: run(coders[m]) for m in ("dense", "sparse")}, rounds)
    return dict(product=product, dense_element=dense_element, dense_call=med(t["dense"]) / 50, encoder=encoder, active=active,
                entry=entry, sparse_element=sparse_element, sparse_call=med(t["sparse"]) / 50)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller grids (no d_sae 65536, no largest ReLU size)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds per point (after one warm-up)")
    ap.add_argument("--batch", type=int, default=2048, help="TopK tokens per step")
    ap.add_argument("--loss-too", action="store_true", help="also time the loss's forward + backward alone")
    ap.add_argument("--relu-batch", type=int, default=2048, help="ReLU tokens per step")
    ap.add_argument("--skip-topk", action="store_true"); ap.add_argument("--skip-relu", action="store_true")
    ap.add_argument("--fit", action="store_true", help="fit and print the ReLU cost model's constants")
    ap.add_argument("--settle", type=int, default=1, help="ReLU: untimed calls of a path right before each timed one")
    ap.add_argument("--no-null", action="store_true", help="ReLU target: skip the null arm (dense against dense)")
    ap.add_argument("--max-seconds", type=float, default=90.0, help="ReLU target: timed seconds at most per point and arm")
    ap.add_argument("--points", default="", help="ReLU: only these grid points, e.g. 128x2048@0.1,64x512@0.03")
    args = ap.parse_args()
    setup(args.threads, f"{args.rounds} interleaved rounds per point, median [range]")
    met = []
    if not args.skip_topk:
        k, d_in = 32, 768
        sizes = (4096, 16384) if args.quick else (4096, 16384, 65536)
        print(f"\nTopK, k {k}, d_in {d_in}, batch {args.batch}: dense / sparse (a trainer step: loss, backward, Adam, renorm, dead-feature count)")
        print(f"{'d_sae':>6} {'d_sae/k':>7} | {'step ms dense':>22} {'step ms sparse':>22} {'step ratio':>20} | {'fwd+bwd ratio':>20} | rel |Δloss|, |Δgrad|")
        rows = []
        for d_sae in sizes:
            r = topk_row(d_in, d_sae, k, args.batch, args.rounds, args.loss_too); rows.append(r)
            print(f"{d_sae:>6} {d_sae // k:>7} | {spread(r['t_step']['dense'], 1e3):>22} {spread(r['t_step']['sparse'], 1e3):>22} "
                  f"{spread(r['step_ratio'], fmt='.2f'):>20} | {spread(r['loss_ratio'], fmt='.2f') if r['loss_ratio'] else '-':>20} | {r['rel_dloss']:.1e}, {r['rel_dgrad']:.1e}", flush=True)
        steps = [med(r["step_ratio"]) for r in rows]
        grows = all(b > a for a, b in zip(steps, steps[1:]))
        print(f"TARGET TopK step ratio grows with d_sae/k: {' < '.join(f'{s:.2f}' for s in steps)} -> {'met' if grows else 'NOT met'}")
        met.append(grows)
        if not args.quick: met.append(target("TopK step ratio dense/sparse at d_sae 65536", steps[-1], 2.5))
    if not args.skip_relu:
        sizes = ((64, 512), (128, 2048), (256, 4096)) + (() if args.quick else ((512, 8192),))
        densities = (0.003, 0.01, 0.03, 0.1, 0.3)
        grid = [(d_in, d_sae, density) for d_in, d_sae in sizes for density in densities]
        if args.points:
            grid = [(int(size.split("x")[0]), int(size.split("x")[1]), float(density))
                    for size, density in (point.split("@") for point in args.points.split(","))]
        print(f"\nReLU loss forward + backward, batch {args.relu_batch}, {args.settle} untimed call(s) of a path before each timed one: "
              f"ms per path, their ratio, the path 'auto' takes, the model's sparse/dense (sparse where <= {1 - RELU_SPARSE_MARGIN:.2f})")
        print(f"{'d_in':>5} {'d_sae':>6} {'density':>8} | {'dense ms':>20} {'sparse ms':>20} | {'sparse/dense':>18} chose  model  n")
        def show(p):
            print(f"{p['d_in']:>5} {p['d_sae']:>6} {p['density']:>8.4f} | {spread(p['t']['dense'], 1e3):>20} {spread(p['t']['sparse'], 1e3):>20} "
                  f"| {spread(p['sparse_ratio'], fmt='.2f'):>18} {p['chose']:6} {p['model']:5.2f} {p['calls']:>2}", flush=True)
        points = []
        for d_in, d_sae, density in grid:
            p = relu_point(d_in, d_sae, args.relu_batch, density, args.rounds, args.settle); points.append(p)
            show(p)
        print(f"\nReLU target: auto / dense, paired rounds of one step until the 95 % interval of the median is wholly below or above 1.05"
              + ("" if args.no_null else "; null arm: dense / dense, the same way") + f"; {keep_freed_memory()}")
        print(f"{'d_in':>5} {'d_sae':>6} {'density':>8} chose  | {'auto/dense':>10} {'95 % interval':>13} {'rounds':>6}  side      "
              + ("" if args.no_null else f"| {'null':>6} {'95 % interval':>13} {'rounds':>6}  side"))
        def show_target(p, r):
            line = f"{p['d_in']:>5} {p['d_sae']:>6} {p['density']:>8.4f} {p['chose']:6} | "
            for arm in ("auto",) + (() if args.no_null else ("null",)):
                if arm not in r: continue
                a = r[arm]
                line += f"{a['median']:>10.3f} {a['ci'][0]:>6.3f}-{a['ci'][1]:<6.3f} {a['rounds']:>6}  {a['side']:9} " + ("| " if arm == "auto" and not args.no_null else "")
            print(line, flush=True)
        for p in points:
            p["target"] = relu_target(p["d_in"], p["d_sae"], args.relu_batch, p["target_density"], p["chose"], null=not args.no_null,
                                      max_seconds=args.max_seconds)
            show_target(p, p["target"])
        if args.fit:
            print("fitted RELU_COST (seconds per unit, this machine):", {k: float(f"{v:.4g}") for k, v in fit_cost(points, args.rounds).items()})
            print("in use:", RELU_COST)
        worst = max(points, key=lambda p: p["target"]["auto"]["ci"][1])
        sides = [p["target"]["auto"]["side"] for p in points]
        w = worst["target"]["auto"]
        print(f"TARGET ReLU auto / dense <= 1.05 at every grid point: {sides.count('below')} of {len(points)} points wholly below 1.05 "
              f"(95 % intervals), {sides.count('above')} above, {sides.count('undecided')} undecided; highest upper end "
              f"{w['ci'][1]:.3f} (median {w['median']:.3f}) at {worst['d_in']}x{worst['d_sae']}, density {worst['density']:.3f} -> "
              f"{'met' if sides.count('below') == len(points) else 'NOT met'}", flush=True)
        met.append(sides.count("below") == len(points))
    print(f"load average at the end {load()}")


if __name__ == "__main__":
    main()
