"""Streaming top-k exemplars (`stream_exemplars`' accumulator) against the plain way, for a 4,096-feature TopK coder.

The plain way keeps the full `[images, features]` score matrix, then takes one
`topk` over the images at the end. The streaming way keeps only `(score, image, position)` for each of a feature's
`k` slots and folds each batch in (only the batch's own top `k` images per feature can enter). A third way is the streaming search that also counts each feature's firings and fills its activation histogram
(what `stream_exemplars` does by default). All read the same batches of
per-token activations of the toy model `toy/shapes-2l` at `blocks.1.hook_resid_post` and both encode them with the
same coder, so the times include the encoder (the shared cost) and the ratio is end to end. The results must be equal
(same images and same scores in every slot).

The activations: a pool of real residual streams of `--pool` ShapesWorld images, cycled, each image's block offset by
small Gaussian noise from a generator seeded by the batch's first image (so images differ and both ways see
bit-identical inputs). Rendering and running the model on 50,000 images would time ShapesWorld and the model, not
the search. Cycling makes near-copies (100 of each pool image at 50,000), so a few features' top scores tie exactly in
float32 (none at 5,000, four features at 50,000); both ways order equal scores the same way, the earlier image first
(`top_rows`), and the bench prints how many features had a tie that decided a slot.

Rounds alternate the order of the two ways; the figures are medians over rounds with their range. Memory: the bytes
each way holds across the pass (the state that grows with the data) and the transient bytes of one batch.

    python bench/bench_exemplars.py [--n 5000] [--rounds 3] [--features 4096] [--k 16] [--batch 64]
    python bench/bench_exemplars.py --n 50000 --rounds 1 --no-stats   # the full-size run (tens of minutes on one busy core)
"""
import argparse, os, statistics, time
import torch
from prisma_nb.zoo.registry import load_hooked_model
from prisma_nb.toys.shapes import ShapesWorld
from prisma_nb.sae.coders import CoderConfig, SparseCoder
from prisma_nb.sae.exemplars import ExemplarSearch, top_rows

HOOK = "blocks.1.hook_resid_post"

def batches(pool: torch.Tensor, n: int, batch: int, noise: float):
    "Per-image activation blocks `[b, pos, d]` for images 0..n-1: the pool cycled, plus noise seeded by the batch's first image."
    for start in range(0, n, batch):
        stop = min(start + batch, n)
        base = pool[torch.arange(start, stop) % len(pool)]
        g = torch.Generator().manual_seed(start)
        yield start, base + noise * torch.randn(base.shape, generator=g)

@torch.no_grad()
def streaming(coder, pool, n, batch, k, noise, stats=False):
    search = ExemplarSearch(coder.cfg.d_sae, k, scores=("max",), n_prefix=1, stats=stats)
    transient = 0
    for _, x in batches(pool, n, batch, noise):
        acts = coder.encode(x)
        transient = max(transient, acts.nelement() * acts.element_size())
        search.add(acts)
    t = search.tables["max"]
    held = sum(v.nelement() * v.element_size() for v in (t.values, t.images, t.positions))
    if stats: held += sum(v.nelement() * v.element_size() for v in (search.fires, search.act_sum, search.hist))
    return (t.values, t.images), held, transient

def streaming_stats(*args): return streaming(*args, stats=True)

def tied_features(scores: torch.Tensor, k: int) -> int:
    "Features where two of the top k scores are equal, or an image left out ties the k-th: where topk's own order would decide."
    v = scores.topk(k, dim=0).values
    inside = ((v[1:] == v[:-1]) & (v[1:] > 0)).any(0)
    boundary = (v[-1] > 0) & ((scores == v[-1]).sum(0) > (v == v[-1]).sum(0))
    return int((inside | boundary).sum())

@torch.no_grad()
def plain(coder, pool, n, batch, k, noise):
    scores = torch.empty(n, coder.cfg.d_sae)             # the full activation matrix: every image's score for every feature
    transient = 0
    for start, x in batches(pool, n, batch, noise):
        acts = coder.encode(x)
        transient = max(transient, acts.nelement() * acts.element_size())
        scores[start:start + len(acts)] = acts.amax(1)
    held = scores.nelement() * scores.element_size()
    v, i = top_rows(scores, k)                          # [k, d_sae]: the best images of every feature (topk, ties to the earlier image)
    t0 = time.perf_counter()
    plain.ties = tied_features(scores, k)                # a count for the report, not part of the plain way: not timed
    plain.untimed = time.perf_counter() - t0
    v, i = v.T.contiguous(), i.T.contiguous()
    empty = v <= 0
    return (v.masked_fill(empty, 0), i.masked_fill(empty, -1)), held, transient

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=5000, help="images (default 5,000; --n 50000 for the full-size run)")
    ap.add_argument("--features", type=int, default=4096)
    ap.add_argument("--k", type=int, default=16, help="exemplars per feature")
    ap.add_argument("--topk", type=int, default=32, help="the coder's active features per token")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--pool", type=int, default=500, help="distinct real images whose activations are cycled")
    ap.add_argument("--noise", type=float, default=0.05)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-stats", action="store_true", help="skip the third way (streaming + density and histograms)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = load_hooked_model("toy/shapes-2l")
    images, _ = ShapesWorld("test", n=args.pool).images(range(args.pool))
    with torch.no_grad(): _, cache = model.run_with_cache(images, names_filter=[HOOK])
    pool = cache[HOOK]
    coder = SparseCoder(CoderConfig(d_in=pool.shape[-1], d_sae=args.features, architecture="topk", k=args.topk, hook=HOOK), seed=0).eval()
    print(f"{args.features} features, TopK k={args.topk}, {args.n} images x {pool.shape[1]} tokens, {args.k} exemplars per feature, "
          f"batch {args.batch}; torch threads {torch.get_num_threads()}, load average {os.getloadavg()}")
    ways = {"streaming": streaming, "plain": plain} if args.no_stats else {"streaming": streaming, "plain": plain, "streaming + stats": streaming_stats}
    times, cpu, results, memory = {w: [] for w in ways}, {w: [] for w in ways}, {}, {}
    for r in range(args.rounds):
        for w in (ways if r % 2 == 0 else list(ways)[::-1]):
            start, cpu_start = time.perf_counter(), time.process_time()
            results[w], held, transient = ways[w](coder, pool, args.n, args.batch, args.k, args.noise)
            times[w].append(time.perf_counter() - start - getattr(ways[w], "untimed", 0.0))
            cpu[w].append(time.process_time() - cpu_start - getattr(ways[w], "untimed", 0.0))   # this process's CPU time: fairer on a shared machine
            memory[w] = (held, transient)
    (sv, si), (pv, pi) = results["streaming"], results["plain"]
    equal = torch.equal(si, pi) and torch.equal(sv, pv) and all(torch.equal(a, b) for a, b in zip(results.get("streaming + stats", results["streaming"]), results["streaming"]))
    filled = (si >= 0).float().mean().item()
    print(f"results equal: {equal} (images and scores of all {si.numel()} slots; {100 * filled:.1f} % of slots filled; "
          f"{plain.ties} features with exactly equal scores deciding a slot)")
    rate = {}
    for w in ways:
        med = statistics.median(times[w])
        rate[w] = args.features * args.n / med
        print(f"{w:>17}: {med:7.2f} s median (range {min(times[w]):.2f}-{max(times[w]):.2f}), "
              f"{rate[w] / 1e6:8.2f} M features x images / s; CPU {statistics.median(cpu[w]):7.2f} s "
              f"({args.features * args.n / statistics.median(cpu[w]) / 1e6:.2f} M / CPU s); held {memory[w][0] / 2**20:8.2f} MiB, one batch {memory[w][1] / 2**20:6.2f} MiB")
    speed = statistics.median(p / s for s, p in zip(times["streaming"], times["plain"]))
    print(f"CPU-time ratio (plain / streaming): {statistics.median(p / s for s, p in zip(cpu['streaming'], cpu['plain'])):.2f}")
    speed_stats = None if args.no_stats else statistics.median(p / s for s, p in zip(times["streaming + stats"], times["plain"]))
    mem = memory["plain"][0] / memory["streaming"][0]
    print(f"load average after: {os.getloadavg()}")
    print(f"target results equal: {equal}, target True: {'met' if equal else 'NOT met'}")
    print(f"target speed (plain time / streaming time): {speed:.2f}, target >= 0.90: {'met' if speed >= 0.9 else 'NOT met'}")
    if speed_stats is not None: print(f"target speed with density and histograms (plain time / streaming + stats time): {speed_stats:.2f}, target >= 0.75: {'met' if speed_stats >= 0.75 else 'NOT met'}")
    print(f"target memory held (plain / streaming): {mem:.0f}x, target >= 10x: {'met' if mem >= 10 else 'NOT met'}")

if __name__ == "__main__": main()
