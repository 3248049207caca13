"""The statistics the benches' target lines rest on (`bench/benchlib.py`): the median's confidence interval and the
paired rounds that stop once a ratio is decided. A fake clock makes the timings exact."""
import random, sys
from pathlib import Path
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))
from benchlib import median_ci, paired_until, keep_freed_memory  # noqa: E402


def test_median_ci_order_statistics():
    # the textbook ranks: n = 10 -> the 2nd and 9th values (coverage 97.9 %), n = 100 -> the 40th and 61st
    assert median_ci(list(range(1, 11))) == (2, 9)
    assert median_ci(list(range(1, 101))) == (40, 61)
    assert median_ci([5, 1, 3, 2, 4, 6]) == (1, 6)                        # n = 6: only the extremes reach 95 %
    assert median_ci([3, 1, 2]) == (1, 3)                                # too few for 95 %: the whole range
    assert median_ci(list(range(1, 11)), level=0.5) == (4, 7)


def test_median_ci_covers_the_median_as_often_as_it_says():
    rng = random.Random(0)
    for n in (12, 37, 150):
        hits = sum(lo <= 0 <= hi for lo, hi in (median_ci([rng.gauss(0, 1) for _ in range(n)]) for _ in range(2000)))
        assert 0.935 <= hits / 2000 <= 0.99, (n, hits)   # discrete ranks: at least 95 %, a little more at small n


class FakeClock:
    "Each function advances the clock by its own cost, optionally scaled by noise drawn per call."
    def __init__(self, seed=0): self.now, self.rng = 0.0, random.Random(seed)
    def __call__(self): return self.now
    def fn(self, cost, noise=0.0):
        def f(): self.now += cost * (1 + self.rng.uniform(-noise, noise))
        return f


@pytest.mark.parametrize("cost_a, side", [(1.0, "below"), (0.5, "below"), (1.2, "above")])
def test_paired_until_decides_clear_ratios_at_the_first_look(cost_a, side):
    clock = FakeClock()
    r = paired_until(clock.fn(cost_a), clock.fn(1.0), 1.05, clock=clock)
    assert (r["side"], r["rounds"], r["median"]) == (side, 10, pytest.approx(cost_a))
    assert r["ci"] == (pytest.approx(cost_a), pytest.approx(cost_a))


def test_paired_until_keeps_going_while_noise_hides_the_answer():
    clock = FakeClock(seed=1)
    r = paired_until(clock.fn(1.0, noise=0.2), clock.fn(1.0, noise=0.2), 1.05, clock=clock, max_seconds=1e9)
    assert r["side"] == "below" and r["rounds"] > 10 and r["ci"][1] <= 1.05
    clock = FakeClock(seed=2)   # a real 4 % excess under 20 % noise: never wrongly 'below' within the budget
    r = paired_until(clock.fn(1.04, noise=0.2), clock.fn(1.0, noise=0.2), 1.0, clock=clock, max_rounds=60)
    assert r["side"] in ("above", "undecided") and r["rounds"] <= 60


def test_paired_until_stops_at_its_budget_undecided():
    clock = FakeClock()
    clock = FakeClock(seed=3)
    r = paired_until(clock.fn(1.05, noise=0.3), clock.fn(1.0, noise=0.3), 1.05, clock=clock, max_seconds=30)
    assert r["side"] == "undecided" and r["seconds"] >= 30 and r["rounds"] < 20


def test_paired_until_settle_calls_are_not_timed():
    clock, calls = FakeClock(), []
    a, b = clock.fn(1.0), clock.fn(2.0)
    def counted_a(): calls.append("a"); a()
    r = paired_until(counted_a, b, 1.05, clock=clock, settle=1)
    assert r["median"] == pytest.approx(0.5) and calls.count("a") == 1 + 2 * r["rounds"]   # warm-up, then settle + timed


def test_keep_freed_memory_says_what_it_set():
    line = keep_freed_memory()
    assert line.startswith("allocator")
    if sys.platform.startswith("linux"): assert "heap trimming off" in line


def test_paired_until_never_decides_before_min_rounds():
    clock = FakeClock()   # a clear ratio, but the budget runs out after 3 rounds
    r = paired_until(clock.fn(0.5), clock.fn(1.0), 1.05, clock=clock, max_seconds=4)
    assert (r["side"], r["rounds"]) == ("undecided", 3)
