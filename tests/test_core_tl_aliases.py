"""TransformerLens 4's bridge hook names are aliases of ours: one random Hugging Face ViT, booted in TransformerLens 4's
bridge (in a side virtual environment, through bench/tl_side.py) and converted here, holds the same tensor under every
name the two share and every alias.

The side environment is `$PRISMA_NB_TL_VENV`, else a folder `side/tl` beside the repository or one of its parents; the
test is skipped when there is none (make one with `python3 -m venv side/tl && side/tl/bin/pip install -c constraints.txt
"transformer-lens>=4"`)."""
import os, subprocess
from pathlib import Path
import pytest, torch
from safetensors.torch import load_file, save_file
from prisma_nb.zoo.compat import import_transformers
from prisma_nb.zoo.hf import from_hf

ROOT = Path(__file__).resolve().parents[1]

def side_python() -> Path | None:
    "The Python of the side environment with TransformerLens 4, if there is one."
    env = os.environ.get("PRISMA_NB_TL_VENV")
    venvs = [Path(env)] if env else [p / "side" / "tl" for p in ROOT.parents]
    return next((v / "bin" / "python" for v in venvs if (v / "bin" / "python").exists()), None)

TL_PYTHON = side_python()

@pytest.mark.slow
@pytest.mark.skipif(TL_PYTHON is None, reason="needs a side environment with transformer-lens>=4 (PRISMA_NB_TL_VENV)")
def test_transformer_lens_4_names_hold_the_same_tensors(tmp_path):
    transformers = import_transformers()
    torch.manual_seed(0)
    cfg = transformers.ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                                 image_size=32, patch_size=8, num_labels=5)
    hf = transformers.ViTForImageClassification(cfg).eval()
    with torch.no_grad():  # norms and biases away from their initial ones and zeros, so that a mix-up shows
        for p in hf.parameters(): p.add_(torch.randn_like(p) * 0.2)
    hf.save_pretrained(tmp_path / "vit")
    images = torch.randn(2, 3, 32, 32)
    save_file({"images": images}, tmp_path / "images.safetensors")
    subprocess.run([str(TL_PYTHON), str(ROOT / "bench" / "tl_side.py"), "dump", str(tmp_path / "vit"),
                    str(tmp_path / "images.safetensors"), str(tmp_path / "tl.safetensors")],
                   check=True, timeout=900, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    theirs = load_file(tmp_path / "tl.safetensors")
    model = from_hf(transformers.ViTForImageClassification.from_pretrained(tmp_path / "vit").eval())

    # TransformerLens's legacy names that mean something else there keep our meaning here (see the table on the vit page)
    other_meaning = {"hook_embed", "hook_unembed", *(f"blocks.{l}.hook_mlp_in" for l in range(cfg.num_hidden_layers))}
    shared = [n for n in theirs if n != "output" and n not in other_meaning and (n in model.hook_aliases or n in model.hook_dict)]
    assert sorted(set(theirs) - set(shared) - {"output"}) == sorted(other_meaning | {"embed.hook_in"})  # the pixels: no hook here
    assert set(model.hook_aliases) <= set(shared), "every alias is checked against TransformerLens"
    with torch.no_grad(): out, cache = model.run_with_cache(images, names_filter=shared)  # aliases in a filter
    assert (out - theirs["output"]).abs().max() <= 1e-5
    for l in range(cfg.num_hidden_layers):  # the bridge's softmax runs in place, so its cached scores hold the pattern:
        a = f"blocks.{l}.attn"                # check ours against its q and k instead
        assert torch.equal(theirs[f"{a}.hook_attn_scores"], theirs[f"{a}.hook_pattern"])
        theirs[f"{a}.hook_attn_scores"] = torch.einsum("bqhd,bkhd->bhqk", theirs[f"{a}.hook_q"], theirs[f"{a}.hook_k"]) / 8 ** 0.5
    worst = {n: (cache[n] - theirs[n]).abs().max().item() for n in shared}  # and in lookups
    assert max(worst.values()) <= 1e-5, sorted(worst.items(), key=lambda kv: -kv[1])[:5]
    assert len([n for n in shared if n in model.hook_aliases]) == len(model.hook_aliases) >= 30
