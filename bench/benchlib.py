"""What every bench shares: a fixed thread count, the machine load, interleaved timing rounds, median and range, and
one closing line per target (ratio, target, met or not)."""
from __future__ import annotations
import os, statistics, time
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
