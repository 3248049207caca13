"""Time ShapesWorld generation: `__getitem__` (full items) and `images()` (pixels and labels only).

Single process, single thread of numpy. The target is >= 2,000 images/s for 64x64 single-object scenes.

    python bench/bench_shapes.py --n 5000 --image-size 64
"""
import argparse, platform, time

import torch

from prisma_nb.toys.shapes import ShapesWorld

TARGET = 2000


def rate(fn, n, repeats):
    "Best images/s of `repeats` runs of `fn` (which makes `n` images)"
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return n / best


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=5000, help="images per timed run")
    p.add_argument("--image-size", type=int, default=64, help="image side in pixels")
    p.add_argument("--repeats", type=int, default=3, help="timed runs per case; the best is reported")
    a = p.parse_args()
    torch.set_num_threads(1)
    print(f"python {platform.python_version()}, torch {torch.__version__}, n={a.n}, image_size={a.image_size}, best of {a.repeats}")
    for n_objects in (1, 3):
        ds = ShapesWorld("train", n=max(a.n, 1), image_size=a.image_size, n_objects=n_objects)
        ds.images(range(min(200, a.n)))  # warm up
        cases = {"__getitem__": lambda: [ds[i] for i in range(a.n)], "images()": lambda: ds.images(range(a.n))}
        for name, fn in cases.items():
            r = rate(fn, a.n, a.repeats)
            verdict = f"{'>=' if r >= TARGET else '<'} {TARGET}"
            print(f"n_objects={n_objects}  {name:<12} {r:8,.0f} images/s  ({verdict})")


if __name__ == "__main__":
    main()
