"""The shipped toy sparse coders: a fresh evaluation of each matches its recorded row, the package data ships them,
ViT-Prisma's names fail offline with an error naming their repository, and `prisma-nb train-sae --toy` reproduces one."""
import fnmatch, json, os, subprocess, sys
from pathlib import Path
import pytest
import torch
from prisma_nb.sae.pretrained import (TOY_SAE_RECIPES, HUB_SAES, PRETRAINED_DIR, list_saes, load_sae, toy_sae_eval,
                                      evaluate_toy_sae)
from prisma_nb.sae.store import token_positions
from prisma_nb.zoo.registry import load_hooked_model

ROOT = Path(__file__).parents[1]
METRICS = ("explained_variance", "ce_recovered", "alive", "l0")

@pytest.mark.parametrize("name", list(TOY_SAE_RECIPES))
def test_fresh_evaluation_matches_the_recorded_row(name):
    torch.set_num_threads(1)
    fresh, recorded = evaluate_toy_sae(name), toy_sae_eval(name)
    for k in METRICS:
        if recorded[k] is None: assert fresh[k] is None; continue
        assert abs(fresh[k] - recorded[k]) <= 1.0, (name, k, fresh[k], recorded[k])

@pytest.mark.parametrize("name", list(TOY_SAE_RECIPES))
def test_recorded_row_counts_only_the_tokens_the_coder_was_trained_on(name):
    "A CLS-only coder's row is over the CLS tokens of the evaluation images, not over every token."
    recipe, recorded = TOY_SAE_RECIPES[name], toy_sae_eval(name)
    cfg = load_hooked_model(recipe.model).cfg
    per_image = len(token_positions(cfg, recipe.tokens))
    assert (recorded["images"], recorded["tokens"]) == (recipe.n_eval, recipe.n_eval * per_image), (name, recorded["tokens"])
    if recipe.tokens == "cls": assert recorded["l0_spatial"] is None and recorded["l0_cls"] == recorded["l0"], name

def test_package_data_ships_every_coder_file():
    tomllib = pytest.importorskip("tomllib")   # Python 3.11+
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["prisma_nb"]
    files = [p.relative_to(ROOT / "prisma_nb").as_posix() for p in PRETRAINED_DIR.rglob("*") if p.is_file()]
    assert len(files) == 3 * len(TOY_SAE_RECIPES)
    for f in files: assert any(fnmatch.fnmatch(f, g) for g in globs), f
    assert sum((PRETRAINED_DIR / f.removeprefix("sae/pretrained/")).stat().st_size for f in files) <= 15 * 2**20

def test_hub_name_offline_names_its_repository(tmp_path):
    name = "prisma/dino/blocks.3.hook_resid_post"
    code = f"from prisma_nb.sae.pretrained import load_sae\nload_sae({name!r})"
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("FileNotFoundError") and HUB_SAES[name].repo in last and "HF_HUB_OFFLINE" in last, last

def test_list_saes():
    assert list_saes("toy/shapes-4l/*") == [f"toy/shapes-4l/blocks.{l}.hook_resid_post" for l in range(4)]
    assert len(list_saes("prisma/clip-b-32/*transcoder")) == 11

@pytest.mark.slow
def test_train_sae_command_reproduces_a_shipped_coder(tmp_path):
    name = "toy/shapes-2l/blocks.0.hook_resid_post"
    r = subprocess.run([sys.executable, "-m", "prisma_nb.cli", "train-sae", "--toy", name, "--out", str(tmp_path), "--quiet"],
                       capture_output=True, text=True, timeout=1800, env=dict(os.environ, OMP_NUM_THREADS="1"))
    assert r.returncode == 0, r.stderr
    folder = tmp_path / "shapes-2l__blocks.0.hook_resid_post"
    row, recorded = json.loads((folder / "eval.json").read_text()), toy_sae_eval(name)
    for k in METRICS: assert abs(row[k] - recorded[k]) <= 1.0, (k, row[k], recorded[k])
