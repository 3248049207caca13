"""Residual-stream activation patching, full (layer x position) grid: batched sites against one forward per site.

Both methods patch the same sites of the same model in the same process and must agree (max |diff| is printed). They
run back to back in alternating order over rounds, with torch pinned to one thread (`--threads`; at 2 threads on a
busy 2-core machine the per-site loop burns CPU in OpenMP barriers and the ratio jumps). The figure is loop / batched
in CPU seconds of this process (which other load on a shared machine barely moves), median [range] over rounds, with
the wall-clock ratio beside it, and the analytic FLOP ratio of the two (matrix products only: the loop runs the whole
model once per site; the batched runs start at the patched layer, read only CLS in the last block of a CLS-pooled
model, and skip the sites whose activation is the same in the clean and the corrupted run). Target: >= 5x.

    python bench/bench_patching.py [--threads 1] [--rounds 5] [--vit-rounds 3] [--vit-layers 0,3,6,9] [--quick]
"""
import argparse, statistics, sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).parent))
from benchlib import setup, target, load, spread
from prisma_nb.analysis.patching import activation_patch, logit_diff, _plan
from prisma_nb.config import ViTConfig
from prisma_nb.vit import HookedViT
from prisma_nb.zoo.registry import load_hooked_model
from prisma_nb.toys.shapes import ShapesWorld


def timed(fn):
    "Result, process CPU seconds and wall seconds of `fn()`."
    cpu, wall = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - cpu, time.perf_counter() - wall


def block_flops(cfg, n_q: int, n_kv: int) -> int:
    "Multiply-adds of one block's products for `n_q` query positions over `n_kv` positions (per image)."
    d = cfg.d_model
    qkv = n_kv * 3 * d * d if n_q == n_kv else n_kv * 2 * d * d + n_q * d * d  # q only where it is read
    attn = 2 * n_q * n_kv * d + n_q * d * d                                      # scores, mixing, output projection
    return qkv + attn + (0 if cfg.attn_only else 2 * n_q * d * cfg.d_mlp)


def flop_ratio(model, images, layers_done: list[int]) -> float:
    "Loop / batched multiply-adds: one full forward per site, against one forward from the site's layer per patched site."
    cfg, n = model.cfg, model.cfg.n_tokens
    full = cfg.n_layers * block_flops(cfg, n, n)
    cls_last = cfg.pool == "cls"
    def from_layer(l):
        blocks = [block_flops(cfg, n, n)] * (cfg.n_layers - l)
        if cls_last: blocks[-1] = block_flops(cfg, 1, n)
        return sum(blocks)
    n_sites = len(layers_done[0])
    loop = 2 * full + n_sites * full                     # clean and corrupted runs, then one per site
    batched = 2 * full + sum(from_layer(l) for l in layers_done[1])
    return loop / batched


def sites_run(model, clean, corrupt, layers):
    "(every site's layer, the layers of the sites the batched method runs): sites whose clean and corrupted activations are equal are skipped."
    plan = _plan(model, clean, corrupt, "resid_pre", None, layers, None, None, "denoise")
    names = sorted({s[2] for s in plan.sites})
    with torch.no_grad():
        _, a = model.run_with_cache(plan.source, names_filter=names)
        _, b = model.run_with_cache(plan.base, names_filter=names)
    run = [l for _, l, hook, index in plan.sites if not torch.equal(a[hook][(slice(None),) + index], b[hook][(slice(None),) + index])]
    return [l for _, l, _, _ in plan.sites], run


def bench(model, clean, corrupt, layers=None, rounds: int = 1) -> dict:
    "Loop and batched times of the whole grid, back to back in alternating order; per-round ratios."
    metric = logit_diff(0, 1, model=model)
    run = lambda method: activation_patch(model, clean, corrupt, metric, layers=layers, method=method)
    run("batch")  # warm-up (allocator)
    rows, diffs = [], []
    for r in range(rounds):
        t = {}
        for method in (("batch", "loop") if r % 2 == 0 else ("loop", "batch")):
            out, t[f"{method}_cpu"], t[f"{method}_wall"] = timed(lambda: run(method))
            if method == "batch": fast = out
            else: slow = out
        diffs.append((fast.values - slow.values).abs().max().item())
        rows.append(t)
    all_sites, ran = sites_run(model, clean, corrupt, layers)
    return dict(sites=fast.values.numel(), skipped=len(all_sites) - len(ran), max_abs_diff=max(diffs),
                cpu_ratios=[t["loop_cpu"] / t["batch_cpu"] for t in rows], wall_ratios=[t["loop_wall"] / t["batch_wall"] for t in rows],
                loop_cpu=[t["loop_cpu"] for t in rows], batch_cpu=[t["batch_cpu"] for t in rows],
                flop_ratio=flop_ratio(model, clean, (all_sites, ran)))


def toy_case():
    model = load_hooked_model("toy/shapes-4l")
    clean, corrupt = (ShapesWorld("test", n=8, shapes=(s,)).images([3])[0] for s in ("circle", "square"))
    return model, clean, corrupt


def vit_b32_case():
    torch.manual_seed(0)
    cfg = ViTConfig(d_model=768, n_layers=12, n_heads=12, image_size=224, patch_size=32, n_classes=1000)
    model = HookedViT(cfg).eval()
    return model, torch.randn(1, 3, 224, 224), torch.randn(1, 3, 224, 224)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vit-layers", default=None, help="comma-separated layers of ViT-B/32 to patch (default all 12)")
    ap.add_argument("--quick", action="store_true", help="only the toy model")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (pinned; default 1)")
    ap.add_argument("--rounds", type=int, default=5, help="rounds for the toy model")
    ap.add_argument("--vit-rounds", type=int, default=3, help="rounds for ViT-B/32 (at least 3)")
    args = ap.parse_args()
    setup(args.threads, "ratios = loop / batched in CPU seconds of this process, median [range] over rounds (wall in brackets)")
    print(f"{'case':38s} {'sites':>5s} {'skipped':>7s} {'loop cpu s':>18s} {'batch cpu s':>18s} {'CPU ratio':>18s} {'(wall)':>7s} {'FLOP ratio':>10s} {'max |diff|':>10s}")
    cases = [("toy/shapes-4l, 65 tokens, all layers", toy_case, None, args.rounds)]
    if not args.quick:
        layers = None if args.vit_layers is None else [int(l) for l in args.vit_layers.split(",")]
        cases.append((f"ViT-B/32 random, 50 tokens, {'all layers' if layers is None else 'layers ' + args.vit_layers}", vit_b32_case, layers,
                      max(3, args.vit_rounds)))
    results = []
    for name, make, layers, rounds in cases:
        r = bench(*make(), layers=layers, rounds=rounds); results.append((name, r))
        print(f"{name:38s} {r['sites']:5d} {r['skipped']:7d} {spread(r['loop_cpu']):>18s} {spread(r['batch_cpu']):>18s} "
              f"{spread(r['cpu_ratios'], fmt='.2f'):>18s} {statistics.median(r['wall_ratios']):6.1f}x {r['flop_ratio']:9.2f}x {r['max_abs_diff']:10.2e}", flush=True)
    print(f"load average at the end {load()}")
    for name, r in results:
        target(f"batched patching loop / batch, {name.split(',')[0]}", statistics.median(r["cpu_ratios"]), 5)
