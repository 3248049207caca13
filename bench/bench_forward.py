"""Forward and cache cost of HookedViT against timm's VisionTransformer holding the same weights (and TransformerLens 4).

Three parts, each measured in interleaved rounds in one process (machine noise hits every variant alike), figures are
medians of per-round ratios with their range:

1. Forward / timm, with autograd off (`inference_mode`) and on (parameters requiring grad, as attribution methods
   run), ViT-B/16 at batch 1 and 16. The target (<= 1.05) is read from paired rounds of one forward each, run until the
   95 % interval of the median ratio lies wholly below or above 1.05 (`benchlib.paired_until`, CPU time): 5 rounds of
   8 s forwards at batch 16 ranged 0.83-1.23 on the 2-core test machine, too wide to settle 5 %; at batch 16 with
   autograd on, deciding took 20 rounds (about 430 s: `--max-seconds`). Also: Q/K/V as three separate multiplies (the
   path a hook on q, k or v or a split weight block takes), and the time to rebuild a fused Q/K/V weight with `torch.cat` per forward, which is what a
   cached fused weight would save (the design keeps no such cache: W_Q, W_K, W_V are views into one block).
2. `run_with_cache()` with no filter / plain forward (time), the bytes it holds (each storage once), and the bytes a
   cache of `attn.hook_q` alone holds over the bytes of the tensors it returns, on ViT-B/16 batch 4 and ViT-B/32 batch
   16. With a Python that has `transformer-lens` >= 4 (a side environment: `--tl-python PATH` or the environment variable
   PRISMA_NB_TL_PYTHON), TransformerLens 4's bridge on a Hugging Face ViT of the same shape is measured the same way, in
   a subprocess, and its figures are printed beside ours.
3. The cost of checking the input for NaN/Inf (`torch.isfinite(x).all()`) per forward, on the toy ViT and ViT-B/16.

    python bench/bench_forward.py [--rounds 5] [--threads 1] [--quick] [--parts 1,2,3] [--max-seconds 400] [--tl-python PATH]
"""
import argparse, json, os, statistics, subprocess, sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).parent))
from benchlib import paired_until
from prisma_nb.hooks import format_bytes
from prisma_nb.zoo.compat import import_timm
from prisma_nb.zoo.timm import from_timm_vit

TOY = ("vit_tiny_patch16_224", dict(img_size=64, patch_size=8, embed_dim=64, depth=2, num_heads=4, num_classes=8))
B16, B32 = ("vit_base_patch16_224", {}), ("vit_base_patch32_224", {})
TARGETS = []  # (what, ratio, target)

def build(spec, requires_grad: bool = False):
    torch.manual_seed(0)
    ref = import_timm().create_model(spec[0], pretrained=False, **spec[1]).eval()
    hooked = from_timm_vit(ref).eval()
    for p in [*ref.parameters(), *hooked.parameters()]: p.requires_grad_(requires_grad)
    return ref, hooked

def interleaved(runs: dict, rounds: int, context) -> dict:
    "Seconds of each run per round, the order alternating round by round, after one warm-up each."
    times = {k: [] for k in runs}
    with context():
        for f in runs.values(): f()
        for r in range(rounds):
            for k in (list(runs) if r % 2 == 0 else list(runs)[::-1]):
                start = time.perf_counter(); runs[k](); times[k].append(time.perf_counter() - start)
    return times

def ratio(times: dict, k: str, ref: str) -> tuple[float, float, float]:
    rs = [a / b for a, b in zip(times[k], times[ref])]
    return statistics.median(rs), min(rs), max(rs)

def fmt(r) -> str: return f"{r[0]:.3f} ({r[1]:.2f}-{r[2]:.2f})"

def forward_part(rounds: int, batches, max_seconds: float = 400.0):
    print("\n1. forward / timm, ViT-B/16 (same weights)")
    for batch in batches:
        for mode, context in (("autograd off", torch.inference_mode), ("autograd on", torch.enable_grad)):
            ref, hooked = build(B16, requires_grad=mode == "autograd on")
            x = torch.randn(batch, 3, 224, 224)
            split = from_timm_vit(ref).eval()
            for blk in split.blocks:  # each of W_Q, W_K, W_V in a memory of its own: three multiplies
                for n in ("W_Q", "W_K", "W_V"): getattr(blk.attn, n).data = getattr(blk.attn, n).detach().clone()
            assert split.blocks[0].attn.shared_qkv_weight() is None and hooked.blocks[0].attn.shared_qkv_weight() is not None
            with context(): diff = (hooked(x) - ref(x)).abs().max().item()
            t = interleaved({"timm": lambda: ref(x), "hooked": lambda: hooked(x), "split": lambda: split(x)}, rounds, context)
            r, rs = ratio(t, "hooked", "timm"), ratio(t, "split", "timm")
            print(f"  batch {batch:2d}, {mode:12s}: timm {1e3 * statistics.median(t['timm']):8.1f} ms  hooked/timm {fmt(r)}  "
                  f"three Q/K/V multiplies/timm {fmt(rs)}  max |diff| {diff:.1e}")
            with context():   # the target: paired rounds until the median's 95 % interval is decided against 1.05
                d = paired_until(lambda: hooked(x), lambda: ref(x), 1.05, max_seconds=max_seconds, clock=time.process_time)
            print(f"  batch {batch:2d}, {mode:12s}: hooked/timm decided in {d['rounds']} paired rounds (CPU time): "
                  f"{d['median']:.3f} [95 % interval {d['ci'][0]:.3f}-{d['ci'][1]:.3f}] -> {d['side']} 1.05")
            TARGETS.append((f"forward/timm, ViT-B/16 batch {batch}, {mode} (upper end of the median's 95 % interval, "
                            f"median {d['median']:.3f}, {d['rounds']} paired rounds)", d["ci"][1], 1.05))
            if mode == "autograd off" and batch == batches[0]:
                attns = [blk.attn for blk in hooked.blocks]
                def rebuild():
                    for a in attns: torch.cat([W.transpose(1, 2).reshape(-1, W.shape[1]) for W in (a.W_Q, a.W_K, a.W_V)])
                t2 = interleaved({"forward": lambda: hooked(x), "rebuild": rebuild}, rounds, context)
                saved = ratio(t2, "rebuild", "forward")
                print(f"  what a cached fused weight would save (torch.cat of W_Q, W_K, W_V per forward / forward): {fmt(saved)}; "
                      "no such cache is kept")

def tl_figures(tl_python: str | None, spec_args: list, rounds: int, threads: int) -> dict | None:
    if not tl_python: return None
    cmd = [tl_python, str(Path(__file__).with_name("tl_side.py")), "bench", *spec_args, "--rounds", str(rounds), "--threads", str(threads)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    if out.returncode != 0: raise RuntimeError(f"TransformerLens side run failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])

def cache_part(rounds: int, tl_python: str | None, threads: int, quick: bool):
    print("\n2. run_with_cache() with no filter, and a cache of attn.hook_q alone")
    cases = [("ViT-B/16, batch 4", B16, 4, ["--patch", "16", "--batch", "4"]),
             ("ViT-B/32, batch 16", B32, 16, ["--patch", "32", "--batch", "16"])]
    if quick: cases = [("toy, batch 64", TOY, 64, None)]
    for name, spec, batch, tl_args in cases:
        _, hooked = build(spec)
        x = torch.randn(batch, 3, *hooked.cfg.image_size)
        with torch.inference_mode():
            _, full = hooked.run_with_cache(x)
            full_bytes, n_full = full.nbytes, len(full)  # each storage counted once
            del full
            _, q_only = hooked.run_with_cache(x, names_filter=lambda n: n.endswith("attn.hook_q"))
            q_ratio = q_only.nbytes / sum(t.numel() * t.element_size() for t in q_only.values())
            del q_only
        t = interleaved({"forward": lambda: hooked(x), "cache": lambda: hooked.run_with_cache(x)}, rounds, torch.inference_mode)
        r = ratio(t, "cache", "forward")
        print(f"  {name:20s} forward {1e3 * statistics.median(t['forward']):8.1f} ms  full cache/forward {fmt(r)}  "
              f"held {format_bytes(full_bytes)} in {n_full} tensors  q-only held/requested {q_ratio:.3f}")
        TARGETS.append((f"full cache/forward, {name}", r[0], 1.10))
        TARGETS.append((f"q-only cache held/requested, {name}", q_ratio, 1.05))
        tl = tl_figures(tl_python, tl_args, rounds, threads) if tl_args else None
        if tl is not None:
            print(f"  {'TransformerLens 4':20s} forward {tl['forward_ms']:8.1f} ms  full cache/forward "
                  f"{tl['cache_ratio']:.3f} ({tl['ratio_min']:.2f}-{tl['ratio_max']:.2f})  held {format_bytes(tl['bytes'])} in {tl['n_cached']} tensors")
            TARGETS.append((f"full cache bytes ours/TransformerLens 4, {name}", full_bytes / tl["bytes"], 1.0))
        elif tl_args: print("  (TransformerLens 4 not measured: pass --tl-python or set PRISMA_NB_TL_PYTHON)")

def nan_part(rounds: int, quick: bool):
    print("\n3. checking the input for NaN/Inf, torch.isfinite(x).all(), per forward")
    for name, spec, batch in ([("toy, batch 64", TOY, 64)] + ([] if quick else [("ViT-B/16, batch 4", B16, 4)])):
        _, hooked = build(spec)
        x = torch.randn(batch, 3, *hooked.cfg.image_size)
        t = interleaved({"forward": lambda: hooked(x), "check": lambda: bool(torch.isfinite(x).all())}, max(rounds, 9), torch.inference_mode)
        r = ratio(t, "check", "forward")
        print(f"  {name:20s} check/forward {fmt(r)}")
        TARGETS.append((f"NaN check/forward, {name} (would be kept in forward only if under 0.01 on every model)", r[0], 0.01))

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="toy sizes and batch 1 only")
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 16], help="batch sizes of part 1")
    ap.add_argument("--tl-python", default=os.environ.get("PRISMA_NB_TL_PYTHON"), help="a Python with transformer-lens >= 4")
    ap.add_argument("--max-seconds", type=float, default=400.0, help="part 1: timed seconds at most for each target's paired rounds")
    ap.add_argument("--parts", default="1,2,3", help="which parts to run, e.g. 1 for the forward / timm part alone")
    args = ap.parse_args()
    parts = {p.strip() for p in args.parts.split(",")}
    if not parts <= {"1", "2", "3"}: ap.error(f"--parts {args.parts!r}: give part numbers among 1, 2, 3, separated by commas")
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores, {args.rounds} interleaved rounds; ratios are medians (min-max)")
    if "1" in parts: forward_part(args.rounds, (1,) if args.quick else tuple(args.batches), args.max_seconds)
    if "2" in parts: cache_part(args.rounds, args.tl_python, args.threads, args.quick)
    if "3" in parts: nan_part(args.rounds, args.quick)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
    for what, r, target in TARGETS:
        print(f"{what}: {r:.3f}, target <= {target}: {'met' if r <= target else 'NOT MET'}")
