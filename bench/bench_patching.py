"""Residual-stream activation patching, full (layer x position) grid: batched sites against one forward per site.

Both methods patch the same sites of the same model in the same process and must agree (max |diff| is printed).
They are timed back to back, in alternating order over rounds; the figure is loop time / batched time in CPU seconds
of this single-threaded process (which other load on a shared machine barely moves), with the wall-clock ratio
beside it. Target: >= 5x.

    python bench/bench_patching.py [--vit-layers 0,3,6,9] [--quick]

`--vit-layers` restricts the ViT-B/32 grid to some layers (both methods patch exactly those sites).
"""
import argparse, statistics, time
import torch
from prisma_nb.analysis.patching import activation_patch, logit_diff
from prisma_nb.config import ViTConfig
from prisma_nb.vit import HookedViT
from prisma_nb.zoo.registry import load_hooked_model
from prisma_nb.toys.shapes import ShapesWorld

def timed(fn):
    "Result, process CPU seconds and wall seconds of `fn()`."
    cpu, wall = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - cpu, time.perf_counter() - wall

def bench(model, clean, corrupt, layers=None, rounds: int = 1) -> dict:
    "Loop and batched times of the whole grid, back to back in alternating order; medians over rounds."
    metric = logit_diff(0, 1)
    run = lambda method: activation_patch(model, clean, corrupt, metric, layers=layers, method=method)
    run("batch")  # warm-up (allocator, fused QKV weights)
    rows, diffs = [], []
    for r in range(rounds):
        t = {}
        for method in (("batch", "loop") if r % 2 == 0 else ("loop", "batch")):
            out, t[f"{method}_cpu"], t[f"{method}_wall"] = timed(lambda: run(method))
            if method == "batch": fast = out
            else: slow = out
        diffs.append((fast.values - slow.values).abs().max().item())
        rows.append(t)
    med = lambda f: statistics.median(f(t) for t in rows)
    return dict(sites=fast.values.numel(), max_abs_diff=max(diffs), cpu_ratio=med(lambda t: t["loop_cpu"] / t["batch_cpu"]),
                wall_ratio=med(lambda t: t["loop_wall"] / t["batch_wall"]), **{k: med(lambda t: t[k]) for k in rows[0]})

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
    ap.add_argument("--rounds", type=int, default=5, help="rounds for the toy model (ViT-B/32 runs once)")
    args = ap.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; ratios = loop / batched, CPU time of this process (wall in brackets)")
    print(f"{'case':38s} {'sites':>6s} {'loop cpu s':>10s} {'batch cpu s':>11s} {'ratio':>7s} {'(wall)':>8s} {'max |diff|':>11s}")
    cases = [("toy/shapes-4l, 65 tokens, all layers", toy_case, None, args.rounds)]
    if not args.quick:
        layers = None if args.vit_layers is None else [int(l) for l in args.vit_layers.split(",")]
        cases.append((f"ViT-B/32 random, 50 tokens, {'all layers' if layers is None else 'layers ' + args.vit_layers}", vit_b32_case, layers, 1))
    for name, make, layers, rounds in cases:
        r = bench(*make(), layers=layers, rounds=rounds)
        flag = "ok" if r["cpu_ratio"] >= 5 else "below target 5x"
        print(f"{name:38s} {r['sites']:6d} {r['loop_cpu']:10.2f} {r['batch_cpu']:11.2f} {r['cpu_ratio']:6.1f}x {r['wall_ratio']:6.1f}x "
              f"{r['max_abs_diff']:11.2e}  {flag}", flush=True)
