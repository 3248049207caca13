"""What every bench shares: a fixed thread count, the machine load, interleaved timing rounds, median and range, and
one closing line per target (ratio, target, met or not)."""
from __future__ import annotations
import math, os, statistics, time
from typing import Callable
import torch


def setup(threads: int = 1, what: str = "") -> str:
    "Pin torch to `threads` intra-op threads and print the line every bench starts with: torch, threads, cores, load."
    torch.set_num_threads(threads)
    line = (f"torch {torch.__version__}, {torch.get_num_threads()} torch thread(s) (pinned), {os.cpu_count()} cores, "
            f"load average {load()}" + (f"; {what}" if what else ""))
    print(line, flush=True)
    return line


def load() -> str:
    "The 1, 5 and 15 minute load averages."
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def interleaved(fns: dict[str, Callable], rounds: int, warmup: int = 1, clock=time.process_time,
                settle: int = 0) -> dict[str, list[float]]:
    """Seconds of each function over `rounds` rounds; within a round every function runs once, in an order that rotates each round.
    The default clock is this process's CPU time: on a shared machine, time spent waiting for a core is not counted.
    `settle` untimed calls of a function come right before each of its timed ones: each is then timed in its own steady
    state, as in a loop that calls it step after step, not paying for the memory the previous function freed (the C
    allocator hands large freed blocks back to the system, and the next function's first touch of them page-faults)."""
    names = list(fns)
    for _ in range(warmup):
        for name in names: fns[name]()
    times = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            for _ in range(settle): fns[name]()
            start = clock(); fns[name](); times[name].append(clock() - start)
    return times


def ratios(num: list[float], den: list[float]) -> list[float]:
    "Per-round ratios of paired measurements (same round, same inputs)."
    return [a / b for a, b in zip(num, den)]


def med(xs: list[float]) -> float: return statistics.median(xs)


def spread(xs: list[float], scale: float = 1.0, fmt: str = ".3g") -> str:
    "'median [min–max]' of `xs` times `scale`."
    return f"{med(xs) * scale:{fmt}} [{min(xs) * scale:{fmt}}–{max(xs) * scale:{fmt}}]"


def target(name: str, value: float, goal: float, higher_is_better: bool = True, unit: str = "x") -> bool:
    "Print one closing line: the measured ratio, the target, met or not."
    met = value >= goal if higher_is_better else value <= goal
    print(f"TARGET {name}: {value:.3g}{unit} (target {'>=' if higher_is_better else '<='} {goal:g}{unit}) -> {'met' if met else 'NOT met'}",
          flush=True)
    return met


def median_ci(xs: list[float], level: float = 0.95) -> tuple[float, float]:
    """A distribution-free confidence interval for the median of `xs`: the order statistics x_(j) and x_(n+1-j), with j
    the largest rank where P(Binomial(n, 1/2) < j) <= (1 - level) / 2 (no assumption on the noise's shape, only that
    rounds are independent). With fewer than 6 values no interval reaches 95 %: the whole range is returned."""
    s, n = sorted(xs), len(xs)
    tail, j, below = (1 - level) / 2, 0, 0.0
    while j < n // 2 and below + math.comb(n, j) / 2 ** n <= tail:
        below += math.comb(n, j) / 2 ** n; j += 1
    return (s[j - 1], s[n - j]) if j else (s[0], s[-1])


def paired_until(a: Callable, b: Callable, bound: float, min_rounds: int = 10, max_rounds: int = 400,
                 max_seconds: float = 60.0, settle: int = 0, clock=time.process_time, level: float = 0.95) -> dict:
    """Time `a` and `b` in paired rounds (one call each, the order alternating) until the confidence interval of the
    median of a / b lies wholly on one side of `bound`, or `max_rounds` rounds or `max_seconds` of timed calls are spent.

    For a ratio near 1 on a shared machine this beats a fixed number of long samples: the noise is slow (neighbours, clock
    changes), so it hits the two calls of a round nearly alike, and a short round cancels more of it than a long one
    (on the 2-core test machine, one ReLU coder step against itself: per-round ratio sd 0.25 at 17 ms a call, 0.12 at
    0.18 s, 0.10 at 0.7 s; the median over n rounds narrows as 1/sqrt(n)). The interval is checked every 10 rounds,
    from `min_rounds` on; fewer rounds never decide. Returns the ratios, the interval, and 'below', 'above' or 'undecided' relative to `bound`."""
    for f in (a, b): f()
    rat, spent, r = [], 0.0, 0
    while True:
        t = {}
        for name, f in ((("a", a), ("b", b)) if r % 2 == 0 else (("b", b), ("a", a))):
            for _ in range(settle): f()
            start = clock(); f(); t[name] = clock() - start
        rat.append(t["a"] / t["b"]); spent += t["a"] + t["b"]; r += 1
        if r >= min_rounds and r % 10 == 0 or r >= max_rounds or spent >= max_seconds:
            lo, hi = median_ci(rat, level)
            side = ("undecided" if r < min_rounds else   # a budget spent before min_rounds decides nothing
                    "below" if hi <= bound else "above" if lo > bound else "undecided")
            if side != "undecided" or r >= max_rounds or spent >= max_seconds:
                return dict(ratios=rat, median=med(rat), ci=(lo, hi), side=side, rounds=r, seconds=spent)


def keep_freed_memory() -> str:
    """Make glibc's allocator keep freed memory in the process (`mallopt`: no trimming of the heap's top, the largest
    threshold for serving big blocks from their own mappings), so that how often a step page-faults no longer depends on
    what ran before it. Returns a line saying what was set (or why nothing was: not glibc)."""
    import ctypes, ctypes.util
    try: libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError as e: return f"allocator unchanged ({e})"
    if not hasattr(libc, "mallopt"): return "allocator unchanged (no mallopt: not glibc)"
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    trim = libc.mallopt(M_TRIM_THRESHOLD, ctypes.c_int(2 ** 31 - 1))
    mmap = next((size for size in (2 ** 30, 2 ** 28, 2 ** 26, 2 ** 25) if libc.mallopt(M_MMAP_THRESHOLD, ctypes.c_int(size))), 0)
    return (f"allocator: heap trimming {'off' if trim else 'unchanged'}, blocks above {mmap / 2 ** 20:.0f} MiB mapped on their own"
            if mmap else f"allocator: heap trimming {'off' if trim else 'unchanged'}, mapping threshold unchanged")
