"Installing the built wheel where torch is already installed keeps that torch and ships the toy weights (slow: a fresh venv)."
import json, subprocess, sys, venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

@pytest.mark.slow
def test_wheel_keeps_the_installed_torch_and_ships_the_toys(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)], check=True)
    wheel = next(wheels.glob("prisma_nb-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = str(env_dir / "bin" / "python")
    pip = [py, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    # the user's own torch first (here the CPU pair from the constraints file; in Colab, Colab's GPU build)
    subprocess.run(pip + ["-c", str(ROOT / "constraints.txt"), "torch", "torchvision"], check=True)
    before = subprocess.run([py, "-c", "import torch; print(torch.__version__)"], check=True, capture_output=True, text=True).stdout
    subprocess.run(pip + [str(wheel)], check=True)   # no constraints file: as a user elsewhere would
    report = subprocess.run([py, "-c", """if True:
        import importlib.metadata as md, json, torch
        from prisma_nb.zoo.registry import load_hooked_model
        from prisma_nb.toys.shapes import ShapesWorld
        model = load_hooked_model("toy/shapes-2l")
        images, labels = ShapesWorld("test", n=64).images(range(64))
        names = [d.metadata["Name"] for d in md.distributions()]
        print(json.dumps({"torch": torch.__version__, "torch_dists": sum(n.lower() == "torch" for n in names),
                          "cuda": sorted(n for n in names if n.lower().startswith(("nvidia-", "triton"))),
                          "accuracy": (model(images).argmax(-1) == labels).float().mean().item()}))"""],
        check=True, capture_output=True, text=True, cwd=tmp_path).stdout
    got = json.loads(report.strip().splitlines()[-1])
    assert got["torch"] == before.strip() and got["torch_dists"] == 1 and got["cuda"] == [], got
    assert got["accuracy"] > 0.8, got   # the shipped weights, not a random model
