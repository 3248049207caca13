"""What the NaN / Inf checks cost: `check_finite` on a batch of images and on the activation rows `cache_activations`
stores from it, against computing those rows (the forward pass). Same process, interleaved rounds, one thread, CPU
time of this process; the figure is the median of the per-round ratios (checks / forward). Target: the checks add at most 1 % to the forward.

    python bench/bench_nonfinite_checks.py [--rounds 15] [--batch 64]
"""
import argparse, os, statistics, time
import torch
from prisma_nb.sae.store import activation_rows, check_finite, token_positions
from prisma_nb.toys.shapes import ShapesWorld
from prisma_nb.zoo.registry import load_hooked_model

def timed(fn) -> float:
    "CPU seconds of `fn()` in this process (one thread): unlike wall time, not inflated by other processes on a busy machine."
    start = time.process_time(); fn(); return time.process_time() - start

def main(rounds: int, batch: int, target: float = 0.01):
    torch.set_num_threads(1)
    model = load_hooked_model("toy/shapes-2l").eval()
    images = ShapesWorld("val", n=batch).images(range(batch))[0]
    hooks, positions = ["blocks.0.hook_resid_post", "blocks.1.hook_resid_post"], token_positions(model.cfg, "all")
    rows = activation_rows(model, images, hooks, positions)
    def forward(): activation_rows(model, images, hooks, positions)
    def checks():
        check_finite(images, "the images")
        for h, r in rows.items(): check_finite(r, f"the activations at {h}", per_item=len(positions))
    forward(); checks()                                            # warm up
    fwd, chk = [], []
    for _ in range(rounds):                                        # interleaved, so load hits both alike
        fwd.append(timed(forward)); chk.append(timed(lambda: [checks() for _ in range(10)]) / 10)
    ratios = sorted(c / f for c, f in zip(chk, fwd))
    ratio = statistics.median(ratios)
    print(f"threads {torch.get_num_threads()}, load average {os.getloadavg()}, {rounds} rounds, batch {batch} images, "
          f"{sum(r.numel() for r in rows.values()) + images.numel():,} values checked")
    print(f"forward (activation rows): median {statistics.median(fwd) * 1e3:.2f} ms, range {min(fwd) * 1e3:.2f}-{max(fwd) * 1e3:.2f} ms")
    print(f"finite checks:             median {statistics.median(chk) * 1e3:.3f} ms, range {min(chk) * 1e3:.3f}-{max(chk) * 1e3:.3f} ms")
    print(f"checks / forward: median {ratio:.4f}, range {ratios[0]:.4f}-{ratios[-1]:.4f}, target <= {target}: "
          f"{'met' if ratio <= target else 'NOT met'}")

if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--batch", type=int, default=64)
    a = p.parse_args()
    main(a.rounds, a.batch)
