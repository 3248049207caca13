"The training command reproduces a shipped toy model (slow: minutes of CPU; run with --runslow)."
import json, subprocess, sys
import pytest
import torch
from safetensors.torch import load_file
from prisma_nb.zoo.registry import TOY_DIR

@pytest.mark.slow
def test_train_toy_reproduces_shipped_model(tmp_path):
    name = "shapes-1l-attn"
    res = subprocess.run([sys.executable, "-m", "prisma_nb.cli", "train-toy", name, "--out", str(tmp_path)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-3000:]
    shipped = json.loads((TOY_DIR / name / "config.json").read_text())
    again = json.loads((tmp_path / name / "config.json").read_text())
    assert abs(again["test_accuracy"] - shipped["test_accuracy"]) <= 0.01, (again["test_accuracy"], shipped["test_accuracy"])
    assert again["train_seconds"] <= 600, f"training took {again['train_seconds']} s; the budget is 10 minutes"
    a, b = load_file(TOY_DIR / name / "model.safetensors"), load_file(tmp_path / name / "model.safetensors")
    worst = max((a[k] - b[k]).abs().max().item() for k in a)
    print(f"max weight difference to the shipped model: {worst:.2e}")
