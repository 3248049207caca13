"The installed `prisma-nb` command end to end: `tour` writes a self-contained report, bad input exits 2 without a traceback."
import os, re, shutil, subprocess, sys
from pathlib import Path

from prisma_nb.zoo.registry import model_info

SECTIONS = ["Model", "Predictions", "Hooks and the activation cache", "Attention", "Circuits", "Sparse autoencoder"]


def _command() -> list[str]:
    "The console script of this interpreter's environment, else the one on PATH, else `python -m prisma_nb.cli`."
    beside = Path(sys.executable).parent / "prisma-nb"
    if beside.exists(): return [str(beside)]
    on_path = shutil.which("prisma-nb")
    return [on_path] if on_path else [sys.executable, "-m", "prisma_nb.cli"]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(_command() + list(args), capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def test_tour_writes_a_self_contained_report(tmp_path):
    out = tmp_path / "tour.html"
    res = _run("tour", "--out", str(out), "--n-eval", "200", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert out.exists() and sorted(os.listdir(tmp_path)) == ["tour.html"]  # no temporary file left behind
    page = out.read_text(encoding="utf-8")
    refs = re.findall(r"""\b(?:src|href)\s*=\s*["']?([^"'\s>]+)""", page, flags=re.I)
    assert refs and all(r.startswith(("data:image/png;base64,", "#")) for r in refs), [r[:60] for r in refs]
    assert not re.search(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, flags=re.I)
    assert not re.search(r"<script[^>]*\bsrc", page, flags=re.I)
    assert re.findall(r"<h2>(.*?)</h2>", page) == SECTIONS
    cfg = model_info("toy/shapes-2l")["config"]
    heads = re.findall(r'class="pixelated attn-head"[^>]*data-head="(L\d+H\d+)"', page)
    assert sorted(heads) == sorted(f"L{l}H{h}" for l in range(cfg["n_layers"]) for h in range(cfg["n_heads"]))
    assert "[1/6]" in res.stderr and "[6/6]" in res.stderr  # progress lines
    assert res.stdout.strip().endswith("tour.html")


def test_tour_unknown_model_exits_2_without_traceback(tmp_path):
    res = _run("tour", "--model", "toy/nope", "--out", str(tmp_path / "tour.html"), cwd=tmp_path)
    assert res.returncode == 2
    assert "unknown model" in res.stderr and "Traceback" not in res.stderr
    assert os.listdir(tmp_path) == []


def test_tour_missing_output_folder_exits_2(tmp_path):
    res = _run("tour", "--out", str(tmp_path / "missing" / "tour.html"), cwd=tmp_path)
    assert res.returncode == 2
    assert "does not exist" in res.stderr and "Traceback" not in res.stderr


def test_tour_refuses_an_unwritable_out_before_any_work(tmp_path, capsys):
    "A name the file system refuses is found by a probe before the model loads, not at the save 35 s later."
    import time
    from prisma_nb.cli import main
    start = time.perf_counter()
    code = main(["tour", "--out", str(tmp_path / ("x" * 300 + ".html")), "--n-eval", "50"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot write" in err and "File name too long" in err
    assert "loading" not in err and "[1/6]" not in err                   # no work was started
    assert time.perf_counter() - start < 10 and list(tmp_path.iterdir()) == []


def test_train_toy_refuses_an_unwritable_out_before_training(tmp_path, capsys):
    from prisma_nb.cli import main
    (tmp_path / "file").write_text("")
    assert main(["train-toy", "shapes-1l", "--out", str(tmp_path / "file" / "models"), "--quiet"]) == 2
    assert "is a file" in capsys.readouterr().err


def test_tour_refuses_a_model_with_non_finite_outputs_naming_the_images():
    import pytest, torch
    from prisma_nb.cli import build_tour, model_section
    from prisma_nb.sae.store import NonFiniteError
    from prisma_nb.zoo.registry import load_hooked_model
    model = load_hooked_model("toy/shapes-1l")
    with torch.no_grad(): model.blocks[0].mlp.W_out[3, 5] = float("nan")
    with pytest.raises(NonFiniteError, match="the model's outputs on the test images of images 0, 1, 2"):
        build_tour(model, n_eval=20, progress=False, sections=[model_section])
