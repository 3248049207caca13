"Damaged and wrong files reaching the zoo's loaders get errors that name the file, say what it is and the fix; wrong-sized checkpoints are refused."
import json, os, struct
import pytest, torch
from pathlib import Path
from safetensors.torch import save_file
import prisma_nb.files as files
from prisma_nb.zoo.compat import import_timm, import_transformers
from prisma_nb.zoo.timm import load_timm
from prisma_nb.zoo.hf import load_hf, hf_entry
from prisma_nb.zoo.registry import load_hooked_model
from prisma_nb.toys.train import save_toy, load_toy
from prisma_nb.analysis.ablation import AblationReference
from prisma_nb.config import ViTConfig
from prisma_nb.vit import HookedViT

def _damage(path: Path, kind: str):
    "Damage the safetensors file at `path` in one of the ways files get damaged."
    data = path.read_bytes()
    damaged = {"truncated": data[:len(data) - 50], "random": bytes(range(256)) * 8, "huge header": struct.pack("<Q", 10**12) + data[8:],
               "list header": struct.pack("<Q", 6) + b"[1, 2]"}[kind]
    path.write_bytes(damaged)

WHAT = {"truncated": "is truncated", "random": "is not a safetensors file", "huge header": "is not a safetensors file",
        "list header": "is corrupt: its header is a JSON list"}
KINDS = list(WHAT)
TIMM_SMALL = dict(img_size=32, patch_size=8, embed_dim=48, depth=1, num_heads=3)
TIMM_NAME = "vit_small_patch16_224.augreg_in21k_ft_in1k"

def _expect(fn, path: Path, kind: str):
    with pytest.raises(ValueError) as e: fn()
    assert str(path) in str(e.value) and WHAT[kind] in str(e.value), str(e.value)

@pytest.mark.parametrize("kind", KINDS)
def test_damaged_timm_checkpoint(tmp_path, kind):
    tm = import_timm().create_model(TIMM_NAME, **TIMM_SMALL)
    path = tmp_path / "model.safetensors"
    save_file(tm.state_dict(), path)
    _damage(path, kind)
    _expect(lambda: load_timm(TIMM_NAME, checkpoint=path, **TIMM_SMALL), path, kind)

def _toy(folder: Path) -> HookedViT:
    model = HookedViT(ViTConfig(d_model=16, n_layers=1, n_heads=2, image_size=16, patch_size=8, n_classes=3)).init_weights(seed=0)
    save_toy(folder, model, {"name": "toy/test"})
    return model

@pytest.mark.parametrize("kind", KINDS)
def test_damaged_toy(tmp_path, kind):
    _toy(tmp_path)
    _damage(tmp_path / "model.safetensors", kind)
    _expect(lambda: load_toy(tmp_path), tmp_path / "model.safetensors", kind)

@pytest.mark.parametrize("kind", KINDS)
def test_damaged_ablation_reference(tmp_path, kind):
    path = tmp_path / "reference.safetensors"
    AblationReference({"blocks.0.hook_resid_post": torch.zeros(5, 16)}, None, 4).save(path)
    _damage(path, kind)
    _expect(lambda: AblationReference.load(path), path, kind)

def _hf_folder(folder: Path, **config) -> Path:
    tr = import_transformers()
    small = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2, image_size=32, patch_size=8) | config
    tr.CLIPVisionModelWithProjection(tr.CLIPVisionConfig(**small, projection_dim=16)).save_pretrained(folder)
    return folder

def _tiny_clip_entry(folder: Path) -> dict:
    return {**hf_entry("hf/openai/clip-vit-base-patch32"), "name": "tiny CLIP", "config": json.loads((folder / "config.json").read_text())}

@pytest.mark.parametrize("kind", KINDS)
def test_damaged_hf_folder(tmp_path, kind):
    folder = _hf_folder(tmp_path)
    _damage(folder / "model.safetensors", kind)
    _expect(lambda: load_hf(_tiny_clip_entry(folder), checkpoint=folder), folder / "model.safetensors", kind)

def test_hf_folder_of_its_size_loads(tmp_path):
    folder = _hf_folder(tmp_path)
    assert load_hf(_tiny_clip_entry(folder), checkpoint=folder).cfg.d_model == 32

def test_wrong_sized_hf_folder_is_refused_with_both_shapes(tmp_path):
    folder = _hf_folder(tmp_path, patch_size=32, image_size=224)
    with pytest.raises(ValueError) as e: load_hooked_model("hf/openai/clip-vit-base-patch32", checkpoint=folder)
    msg = str(e.value)
    assert "1 layers, width 32" in msg and "hf/openai/clip-vit-base-patch32 is 12 layers, width 768" in msg, msg

def test_wrong_sized_timm_checkpoint_is_refused_with_both_shapes(tmp_path):
    big = import_timm().create_model(TIMM_NAME, **(TIMM_SMALL | dict(embed_dim=96)))
    save_file(big.state_dict(), tmp_path / "big.safetensors")
    with pytest.raises(ValueError) as e: load_timm(TIMM_NAME, checkpoint=tmp_path / "big.safetensors", **TIMM_SMALL)
    assert "cls_token [1, 1, 96] vs [1, 1, 48]" in str(e.value), str(e.value)

def test_json_file_as_hf_checkpoint(tmp_path):
    folder = _hf_folder(tmp_path)
    with pytest.raises(ValueError) as e: load_hf("hf/openai/clip-vit-base-patch32", checkpoint=folder / "config.json")
    assert "is a JSON text file, not a folder" in str(e.value) and "unpickling" not in str(e.value), str(e.value)

def test_missing_hf_folder(tmp_path):
    with pytest.raises(FileNotFoundError) as e: load_hooked_model("hf/openai/clip-vit-base-patch32", checkpoint=tmp_path / "nowhere")
    assert "no such folder" in str(e.value) and "nowhere" in str(e.value), str(e.value)

@pytest.mark.parametrize("content,what", [(b"", "an empty file (0 bytes)"), (bytes(range(256)) * 8, "binary data of an unknown format"),
                                          (b'{"hidden_size": 32}', "a JSON text file")])
def test_torch_files_say_what_they_are(tmp_path, content, what):
    path = tmp_path / "weights.pt"
    path.write_bytes(content)
    for load in (lambda: files.load_torch_state(path), lambda: load_timm(TIMM_NAME, checkpoint=path, **TIMM_SMALL)):
        with pytest.raises(ValueError) as e: load()
        msg = str(e.value)
        assert str(path) in msg and what in msg and "pickled" not in msg and "unpickling" not in msg, msg

def test_toy_config_that_does_not_match_its_weights(tmp_path):
    _toy(tmp_path)
    info = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps(info | {"config": info["config"] | {"d_mlp": 32}}))
    with pytest.raises(ValueError) as e: load_toy(tmp_path)
    msg = str(e.value)
    assert "model.safetensors" in msg and "does not fit the config.json beside it" in msg and "shape mismatches" in msg, msg
