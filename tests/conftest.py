import os
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="also run tests marked slow (minutes each)")

def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"): return
    skip = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords: item.add_marker(skip)

def pytest_terminal_summary(terminalreporter):
    "The per-notebook times of the fresh-kernel run, when it ran."
    import sys
    times = getattr(sys.modules.get("test_notebooks"), "TIMES", None) or getattr(sys.modules.get("tests.test_notebooks"), "TIMES", None)
    if not times: return
    terminalreporter.section("notebook run times (fresh kernel, two at a time)")
    for name, seconds in sorted(times.items(), key=lambda kv: -kv[1]): terminalreporter.write_line(f"{seconds:7.1f} s  {name}")

@pytest.fixture(autouse=True)
def _grad_mode_is_restored():
    "A test that switches autograd off globally must switch it back: later tests (training) depend on it."
    import torch
    before = torch.is_grad_enabled()
    yield
    assert torch.is_grad_enabled() == before, "this test left torch's grad mode changed (use `with torch.no_grad():`)"
    torch.set_grad_enabled(before)
