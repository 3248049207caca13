"""Forward time of HookedViT with no hooks against timm's VisionTransformer holding the same weights.

Both models run in the same process, alternating, so machine noise hits both alike; the figure is the median of
the per-round ratios (HookedViT time / timm time). Target: <= 1.05.

    python bench/bench_forward.py [--rounds 7] [--quick]
"""
import argparse, statistics, time
import torch
from prisma_nb.zoo.compat import import_timm
from prisma_nb.zoo.timm import from_timm_vit

CASES = {
    "ViT-B/16, 224px, batch 8": (dict(img_size=224, patch_size=16, embed_dim=768, depth=12, num_heads=12, num_classes=1000), 8),
    "ViT-S/16, 224px, batch 16": (dict(img_size=224, patch_size=16, embed_dim=384, depth=12, num_heads=6, num_classes=1000), 16),
    "toy 2-layer, 64px, batch 256": (dict(img_size=64, patch_size=8, embed_dim=64, depth=2, num_heads=4, mlp_ratio=4, num_classes=8), 256),
}

def time_once(fn) -> float:
    start = time.perf_counter(); fn(); return time.perf_counter() - start

def bench(kw: dict, batch: int, rounds: int, reps: int) -> dict:
    timm = import_timm()
    torch.manual_seed(0)
    ref = timm.models.vision_transformer.VisionTransformer(**kw).eval()
    hooked = from_timm_vit(ref)
    x = torch.randn(batch, 3, kw["img_size"], kw["img_size"])
    with torch.inference_mode():
        diff = (hooked(x) - ref(x)).abs().max().item()
        for _ in range(2): ref(x); hooked(x)  # warm-up
        ratios, t_ref, t_hooked = [], [], []
        for r in range(rounds):
            pair = [(ref, t_ref), (hooked, t_hooked)] if r % 2 == 0 else [(hooked, t_hooked), (ref, t_ref)]
            for model, store in pair: store.append(min(time_once(lambda: model(x)) for _ in range(reps)))
            ratios.append(t_hooked[-1] / t_ref[-1])
    return dict(timm_ms=1e3 * statistics.median(t_ref), hooked_ms=1e3 * statistics.median(t_hooked),
                ratio=statistics.median(ratios), max_abs_diff=diff)

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="only the small cases")
    args = ap.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'case':32s} {'timm ms':>9s} {'hooked ms':>10s} {'ratio':>7s} {'max |diff|':>11s}")
    for name, (kw, batch) in CASES.items():
        if args.quick and "ViT-B" in name: continue
        r = bench(kw, batch, args.rounds, args.reps)
        flag = "ok" if r["ratio"] <= 1.05 else "above target 1.05"
        print(f"{name:32s} {r['timm_ms']:9.1f} {r['hooked_ms']:10.1f} {r['ratio']:7.3f} {r['max_abs_diff']:11.2e}  {flag}")
