"""Forward time of HookedViT against timm's VisionTransformer holding the same weights, with no hooks and with a cache.

Both models run in the same process, alternating, so machine noise hits both alike; each figure is the median of the
per-round ratios (HookedViT time / timm time). Targets: <= 1.05 with no hooks, <= 1.25 for `run_with_cache` of every
`hook_resid_post`. The cache with that `names_filter` must hold only the requested tensors: its bytes are printed next
to a full cache's.

    OMP_NUM_THREADS=1 python bench/bench_forward.py [--rounds 7] [--reps 2] [--quick]
"""
import argparse, os, statistics, time
import torch
from prisma_nb.hooks import format_bytes
from prisma_nb.zoo.compat import import_timm
from prisma_nb.zoo.timm import from_timm_vit

# name: (timm model, keyword overrides, batch)
CASES = {
    "ViT-B/32, 224px, batch 16": ("vit_base_patch32_224", {}, 16),
    "ViT-B/16, 224px, batch 4": ("vit_base_patch16_224", {}, 4),
    "toy 2-layer, 64px, batch 64": ("vit_tiny_patch16_224", dict(img_size=64, patch_size=8, embed_dim=64, depth=2, num_heads=4, num_classes=8), 64),
}
RESID_POST = lambda name: name.endswith("hook_resid_post")

def time_once(fn) -> float:
    start = time.perf_counter(); fn(); return time.perf_counter() - start

def cache_bytes(cache) -> int: return sum(t.numel() * t.element_size() for t in cache.values())

def bench(model_name: str, overrides: dict, batch: int, rounds: int, reps: int) -> dict:
    timm = import_timm()
    torch.manual_seed(0)
    ref = timm.create_model(model_name, pretrained=False, **overrides).eval()
    hooked = from_timm_vit(ref)
    x = torch.randn(batch, 3, *ref.patch_embed.img_size)
    runs = {"timm": lambda: ref(x), "hooked": lambda: hooked(x),
            "cached": lambda: hooked.run_with_cache(x, names_filter=RESID_POST)}
    with torch.inference_mode():
        diff = (hooked(x) - ref(x)).abs().max().item()
        _, resid_cache = hooked.run_with_cache(x, names_filter=RESID_POST)
        _, full_cache = hooked.run_with_cache(x)
        assert sorted(resid_cache) == sorted(n for n in full_cache if RESID_POST(n)), "names_filter kept other tensors"
        sizes = dict(resid_bytes=cache_bytes(resid_cache), full_bytes=cache_bytes(full_cache), n_resid=len(resid_cache), n_full=len(full_cache))
        del resid_cache, full_cache
        for fn in runs.values(): fn()  # warm-up
        times = {k: [] for k in runs}
        for r in range(rounds):
            order = list(runs) if r % 2 == 0 else list(runs)[::-1]
            for k in order: times[k].append(min(time_once(runs[k]) for _ in range(reps)))
    ratio = lambda k: statistics.median(t / t_ref for t, t_ref in zip(times[k], times["timm"]))
    return dict(timm_ms=1e3 * statistics.median(times["timm"]), hooked_ms=1e3 * statistics.median(times["hooked"]),
                cached_ms=1e3 * statistics.median(times["cached"]), ratio=ratio("hooked"), cached_ratio=ratio("cached"),
                max_abs_diff=diff, **sizes)

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="only the toy case")
    args = ap.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'case':30s} {'timm ms':>8s} {'hooked ms':>9s} {'ratio':>6s} {'cached ms':>9s} {'ratio':>6s} {'max |diff|':>10s}  "
          f"{'resid_post cache':>22s} {'full cache':>22s}")
    for name, (model_name, overrides, batch) in CASES.items():
        if args.quick and not name.startswith("toy"): continue
        r = bench(model_name, overrides, batch, args.rounds, args.reps)
        ok = "ok" if r["ratio"] <= 1.05 and r["cached_ratio"] <= 1.25 else "ABOVE TARGET (1.05 / 1.25)"
        print(f"{name:30s} {r['timm_ms']:8.1f} {r['hooked_ms']:9.1f} {r['ratio']:6.3f} {r['cached_ms']:9.1f} {r['cached_ratio']:6.3f} "
              f"{r['max_abs_diff']:10.2e}  {format_bytes(r['resid_bytes']):>11s} ({r['n_resid']:3d} t) "
              f"{format_bytes(r['full_bytes']):>11s} ({r['n_full']:3d} t)  {ok}")
