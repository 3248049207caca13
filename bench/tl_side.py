"""Runs inside a separate virtual environment that has `transformer-lens` >= 4 (never imported by prisma_nb itself).

    python tl_side.py bench --hidden 768 --layers 12 --heads 12 --patch 16 --batch 4 --rounds 5
        ViT built from a Hugging Face config with random weights, booted in TransformerLens 4's bridge: prints one JSON
        line with the bytes an unfiltered `run_with_cache` holds (each storage counted once) and its time over a forward.
    python tl_side.py dump FOLDER INPUTS OUT
        Boots the saved `ViTForImageClassification` in FOLDER, runs `run_with_cache` on the `images` tensor of the
        safetensors file INPUTS, and writes every cached tensor to the safetensors file OUT.
"""
import argparse, json, os, statistics, sys, time
os.environ.setdefault("HF_HUB_OFFLINE", "1")
import torch, transformers
from safetensors.torch import load_file, save_file
from transformer_lens.model_bridge import TransformerBridge

def unique_bytes(tensors) -> int:
    seen, total = set(), 0
    for t in tensors:
        s = t.untyped_storage()
        if s.data_ptr() not in seen: seen.add(s.data_ptr()); total += s.nbytes()
    return total

def bench(args):
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = transformers.ViTConfig(hidden_size=args.hidden, num_hidden_layers=args.layers, num_attention_heads=args.heads,
                                 intermediate_size=4 * args.hidden, image_size=224, patch_size=args.patch, num_labels=1000,
                                 architectures=["ViTForImageClassification"])
    bridge = TransformerBridge.boot_transformers("vit", hf_model=transformers.ViTForImageClassification(cfg).eval(), device="cpu")
    x = torch.randn(args.batch, 3, 224, 224)
    with torch.inference_mode():
        _, cache = bridge.run_with_cache(x)
        held, n = unique_bytes(cache.values()), len(cache)
        del cache
        runs = {"forward": lambda: bridge(x), "cache": lambda: bridge.run_with_cache(x)}
        for f in runs.values(): f()
        times = {k: [] for k in runs}
        for r in range(args.rounds):
            for k in (runs if r % 2 == 0 else list(runs)[::-1]):
                start = time.perf_counter(); runs[k](); times[k].append(time.perf_counter() - start)
    ratios = [c / f for c, f in zip(times["cache"], times["forward"])]
    print(json.dumps(dict(bytes=held, n_cached=n, cache_ratio=statistics.median(ratios), ratio_min=min(ratios), ratio_max=max(ratios),
                          forward_ms=1e3 * statistics.median(times["forward"]))))

def dump(args):
    torch.manual_seed(0)
    bridge = TransformerBridge.boot_transformers(args.folder, device="cpu")
    images = load_file(args.inputs)["images"]
    with torch.no_grad(): out, cache = bridge.run_with_cache(images)
    save_file({"output": out.clone(), **{k: v.clone().contiguous() for k, v in cache.items()}}, args.out)  # clones: TL shares storages

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="what", required=True)
    b = sub.add_parser("bench")
    for name, default in (("hidden", 768), ("layers", 12), ("heads", 12), ("patch", 16), ("batch", 4), ("rounds", 5), ("threads", 1)):
        b.add_argument(f"--{name}", type=int, default=default)
    d = sub.add_parser("dump")
    for name in ("folder", "inputs", "out"): d.add_argument(name)
    args = ap.parse_args()
    bench(args) if args.what == "bench" else dump(args)
