"""Activation store: caching overhead, float16 disk size, and the streaming reader's memory.

(a) Caching overhead: `cache_activations` against the reference it cannot beat, the same forward passes without
    writing: `activation_rows` (the function caching calls) on the same batches, hooks, token positions and stopping
    layer, kept in the same dtype on the CPU. Each round is a pair (reference, caching) in alternating order; the
    figures are the median [range] over >= 9 rounds of the per-pair ratios, in wall time and in CPU seconds of this
    process (all threads: the background writer overlaps the forward passes only when a core is free). Target <= 1.1
    (wall, median).
(b) Disk: bytes of a float16 store / bytes of the float32 store of the same activations. Target 0.5.
(c) Reader memory: `store.batches` in a fresh process over a store 1x and 10x the shuffle buffer (one epoch), and 3
    epochs over the 10x store (30x the buffer in rows); peak RSS (VmHWM) above the RSS after opening the store, with
    the anonymous and file-mapped parts sampled after every batch. Flat means the figure does not grow with the rows
    read. For contrast, the same for reading the whole store at once (`store.read(hook)`), which grows with the store.

    python bench/bench_store.py [--rounds 9] [--quick]
"""
import argparse, json, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).parent))
from benchlib import setup, target, load, spread, med
from prisma_nb.config import ViTConfig
from prisma_nb.sae.store import activation_rows, cache_activations, describe_model, stop_layer, token_positions, token_shapes
from prisma_nb.toys.shapes import ShapesWorld
from prisma_nb.vit import HookedViT
from prisma_nb.zoo.registry import load_hooked_model


def forward_only(model, images, hooks, batch_size, tokens="all", dtype=torch.float32):
    "What caching computes, without writing: `activation_rows` on the same batches, hooks, positions and stopping layer, moved to the CPU dtype."
    stop, positions = stop_layer(model, hooks), token_positions(model.cfg, tokens)
    with torch.inference_mode():
        for i in range(0, len(images), batch_size):
            rows = activation_rows(model, images[i:i + batch_size], hooks, positions, stop)
            {h: r.to(device="cpu", dtype=dtype) for h, r in rows.items()}


def caching_overhead(model, images, hooks, batch_size, rounds, folder: Path, tokens="all") -> dict:
    "Interleaved pairs (reference, caching) on the same batches; per-pair wall and CPU ratios."
    wall = {"plain": [], "cache": []}; cpu = {"plain": [], "cache": []}
    forward_only(model, images[:batch_size], hooks, batch_size, tokens)  # warm-up
    for r in range(rounds):
        def cache():
            cache_activations(model, images, hooks, folder / f"round{r}", tokens=tokens, batch_size=batch_size, progress=False)
        steps = [("plain", lambda: forward_only(model, images, hooks, batch_size, tokens)), ("cache", cache)]
        for name, fn in (steps if r % 2 == 0 else steps[::-1]):
            start, start_cpu = time.perf_counter(), time.process_time()  # process time counts the writer thread too
            fn()
            wall[name].append(time.perf_counter() - start); cpu[name].append(time.process_time() - start_cpu)
        shutil.rmtree(folder / f"round{r}")
    return dict(plain=wall["plain"], cache=wall["cache"], ratio=[c / p for c, p in zip(wall["cache"], wall["plain"])],
                cpu_ratio=[c / p for c, p in zip(cpu["cache"], cpu["plain"])])


READER = """
import json, sys, torch
torch.set_num_threads(1)
from prisma_nb.sae.store import ActivationStore
def status():
    fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return {k: int(fields[k].split()[0]) * 1024 for k in ("VmRSS", "VmHWM", "RssAnon", "RssFile")}
path, mode, batch_size, buffer_size, epochs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
store = ActivationStore(path)
store.verify()
base, peak_anon, peak_file, rows = status(), 0, 0, 0
if mode == "stream":
    for batch in store.batches(batch_size, buffer_size=buffer_size, epochs=epochs, seed=0):
        rows += sum(len(v) for v in batch.values()) // len(batch)
        s = status(); peak_anon, peak_file = max(peak_anon, s["RssAnon"]), max(peak_file, s["RssFile"])
else:
    rows = sum(len(store.read(h)) for h in store.hooks) // len(store.hooks)
    s = status(); peak_anon, peak_file = s["RssAnon"], s["RssFile"]
end = status()
print(json.dumps(dict(rows=rows, peak_over_open=end["VmHWM"] - base["VmRSS"], anon_over_open=peak_anon - base["RssAnon"],
                      file_over_open=peak_file - base["RssFile"], store_bytes=store.nbytes)))
"""


def reader_memory(path: Path, mode: str, batch_size: int, buffer_size: int, epochs: int = 1) -> dict:
    out = subprocess.run([sys.executable, "-c", READER, str(path), mode, str(batch_size), str(buffer_size), str(epochs)],
                         capture_output=True, text=True, check=True, env={"OMP_NUM_THREADS": "1", "PATH": ""})
    return json.loads(out.stdout)


MiB = 2**20

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=9, help="interleaved pairs per case (at least 9)")
    ap.add_argument("--quick", action="store_true", help="skip the ViT-S-sized model")
    args = ap.parse_args()
    setup(1, "caching figures: median [range] of per-pair ratios over interleaved rounds")
    args.rounds = max(9, args.rounds)
    overheads = {}
    folder = Path(tempfile.mkdtemp(prefix="bench_store_"))
    try:
        toy = load_hooked_model("toy/shapes-4l")
        images = ShapesWorld("val", n=1024).images(range(1024))[0]
        hooks = ["blocks.1.hook_resid_post", "blocks.3.hook_resid_post"]

        print("\n(a) caching time / plain forward time (target <= 1.1)")
        print(f"{'case':52s} {'reference s':>20s} {'cache s':>20s} {'wall ratio':>18s} {'CPU ratio':>18s}")
        cases = [("toy/shapes-4l, 1024 images, 2 resid hooks, all tokens", toy, images, hooks, 64),
                 ("toy/shapes-4l, 1024 images, 2 resid hooks, cls token", toy, images, hooks, 64, "cls")]
        if not args.quick:
            vit_s = HookedViT(ViTConfig(d_model=384, n_layers=12, n_heads=6, image_size=224, patch_size=16, n_classes=1000)).eval()
            cases.append(("random ViT-S/16 224px, 32 images, resid 5 + 11", vit_s, torch.randn(32, 3, 224, 224),
                          ["blocks.5.hook_resid_post", "blocks.11.hook_resid_post"], 16))
        for name, model, imgs, hks, bs, *tokens in cases:
            r = caching_overhead(model, imgs, hks, bs, args.rounds, folder, *tokens)
            overheads[name] = med(r["ratio"])
            start = time.perf_counter(); describe_model(model); token_shapes(model, imgs, hks, stop_layer(model, hks))
            fixed = time.perf_counter() - start
            print(f"{name:52s} {spread(r['plain']):>20s} {spread(r['cache']):>20s} {spread(r['ratio'], fmt='.3f'):>18s} {spread(r['cpu_ratio'], fmt='.3f'):>18s}"
                  f" (once per call: weights hash + probe pass {fixed:.3f} s)", flush=True)

        print("\n(b) float16 store bytes / float32 store bytes (target 0.5)")
        sizes = {}
        for dtype in ("float32", "float16", "bfloat16"):
            store = cache_activations(toy, images, hooks, folder / dtype, dtype=dtype, progress=False)
            sizes[dtype] = (store.nbytes, sum(p.stat().st_size for p in (folder / dtype).iterdir()))
        for dtype in ("float16", "bfloat16"):
            print(f"{dtype}: shards {sizes[dtype][0] / MiB:.2f} MiB / {sizes['float32'][0] / MiB:.2f} MiB = "
                  f"{sizes[dtype][0] / sizes['float32'][0]:.4f}; with the manifest {sizes[dtype][1] / sizes['float32'][1]:.4f}")

        print("\n(c) reader peak memory over the RSS after opening the store (one epoch, batch 4096)")
        buffer_rows, hook = 2**15, "blocks.1.mlp.hook_post"  # 32768 rows of 256 floats: a 32 MiB buffer
        n_small = -(-buffer_rows // 65)  # images for a store of 1x the buffer
        noise = torch.rand(10 * n_small, 3, 64, 64)
        for scale in (1, 10):
            cache_activations(toy, noise[:scale * n_small], hook, folder / f"x{scale}", batch_size=128, shard_size=2**14, progress=False)
        print(f"{'store':36s} {'store MiB':>9s} {'rows':>8s} {'peak RSS +MiB':>13s} {'anon +MiB':>9s} {'mapped file +MiB':>16s}")
        results = {}
        for mode, scale, epochs in (("stream", 1, 1), ("stream", 10, 1), ("stream", 10, 3), ("whole", 1, 1), ("whole", 10, 1)):
            r = results[mode, scale, epochs] = reader_memory(folder / f"x{scale}", mode, 4096, buffer_rows, epochs)
            label = f"{scale:2d}x buffer, {f'batches(epochs={epochs})' if mode == 'stream' else 'read() all'}"
            print(f"{label:36s} {r['store_bytes'] / MiB:9.1f} {r['rows']:8d} {r['peak_over_open'] / MiB:13.1f} "
                  f"{r['anon_over_open'] / MiB:9.1f} {r['file_over_open'] / MiB:16.1f}")
        for mode in ("stream", "whole"):
            ratio = results[mode, 10, 1]["peak_over_open"] / results[mode, 1, 1]["peak_over_open"]
            print(f"peak at 10x / peak at 1x, {'batches()' if mode == 'stream' else 'read() all'}: {ratio:.2f}")
        print(f"load average at the end {load()}")
        for name, r in overheads.items(): target(f"caching / forward, {name}", r, 1.1, higher_is_better=False)
        f16 = sizes["float16"][0] / sizes["float32"][0]
        target("float16 store bytes / float32 (0.5, plus 0.1 % for headers)", f16, 0.501, higher_is_better=False)
        target("reader peak at 10x / 1x the buffer (streaming)", results["stream", 10, 1]["peak_over_open"] / results["stream", 1, 1]["peak_over_open"], 1.5,
               higher_is_better=False)
    finally:
        shutil.rmtree(folder)
