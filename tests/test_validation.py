"""The bad-input cases of issue 9 for configs, loaders, sources and non-finite data: each is refused with an error that
names the field or file (or the images), and nothing is written. Each of these passed silently, or failed deep in
torch or with a bare TypeError, before the shared field checks."""
import json
import pytest
import torch
from prisma_nb.config import ViTConfig, ConfigError
from prisma_nb.vit import HookedViT
from prisma_nb.sae.coders import CoderConfig, SparseCoder
from prisma_nb.sae.store import ActivationStore, cache_activations, NonFiniteError
from prisma_nb.sae.train import TrainConfig, TensorSource, train_sae
from prisma_nb.sae.eval import evaluate_sae
from prisma_nb.toys.shapes import ShapesWorld
from prisma_nb.zoo.registry import load_hooked_model

SMALL = dict(d_model=16, n_layers=1, n_heads=2, image_size=16, patch_size=4, n_classes=3)

@pytest.mark.parametrize("field, value, allowed", [
    ("eps", "small", "a positive number"), ("image_size", "big", "a positive integer or two of them"),
    ("patch_size", (8,), "a positive integer or two of them"), ("image_size", (64, 64, 64), "a positive integer or two of them"),
    ("attn_only", "false", "True or False"), ("n_layers", 2.0, "a positive integer"), ("d_head", True, "a positive integer"),
    ("eps", float("nan"), "a positive number"), ("class_names", ["a", 2, "c"], "a list of items, each a string")])
def test_a_bad_vit_field_is_named_with_its_value_and_what_is_allowed(field, value, allowed):
    with pytest.raises(ConfigError) as e: ViTConfig(**{**SMALL, field: value})
    assert e.value.field == field and str(e.value).startswith(f"{field} must be {allowed}") and repr(value)[:10] in str(e.value)
    assert isinstance(e.value, ValueError) and isinstance(e.value, TypeError)

def test_a_truthy_string_in_config_json_is_not_a_bool(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**ViTConfig(**SMALL).to_dict(), "attn_only": "false"}))
    with pytest.raises(ConfigError, match=r"config\.json: attn_only must be True or False"): ViTConfig.from_json(path)

@pytest.mark.parametrize("cls", [ViTConfig, CoderConfig, TrainConfig])
def test_format_version_must_be_an_integer(cls):
    with pytest.raises(ConfigError, match="format_version must be a positive integer, got '2'"): cls.from_dict({"format_version": "2"})

@pytest.mark.parametrize("cls", [ViTConfig, CoderConfig, TrainConfig])
def test_a_json_list_is_refused_naming_the_file_and_json_text_is_never_a_path(cls, tmp_path):
    (tmp_path / "cfg.json").write_text("[1, 2]")
    with pytest.raises(ConfigError, match=r"cfg\.json holds a list, not a JSON object"): cls.from_json(tmp_path / "cfg.json")
    with pytest.raises(ConfigError, match="the JSON text holds a list, not a JSON object"): cls.from_json("[1, 2]")

def test_coder_and_train_config_fields_are_checked():
    with pytest.raises(ConfigError, match="skip_connection must be True or False"): CoderConfig(d_in=8, d_sae=16, skip_connection="no")
    with pytest.raises(ConfigError, match="threshold_beta must be a number in"): CoderConfig(d_in=8, d_sae=16, threshold_beta="0.9")
    with pytest.raises(ConfigError, match="lr must be a positive number, got '1e-3'"): TrainConfig(lr="1e-3")
    with pytest.raises(ConfigError, match="progress must be True or False"): TrainConfig(progress="false")

def test_a_config_that_builds_runs(tmp_path):
    "What the checks accept still works: pairs, lists from JSON, a Path for a folder."
    cfg = ViTConfig.from_json(ViTConfig(**{**SMALL, "image_size": [16, 12], "patch_size": [4, 4]}).to_json())
    assert HookedViT(cfg)(torch.randn(1, 3, 16, 12)).shape == (1, 3)
    assert TrainConfig(checkpoint_folder=tmp_path, checkpoint_every=5).checkpoint_folder == str(tmp_path)

@pytest.fixture(scope="module")
def toy():
    return load_hooked_model("toy/shapes-2l")

def _store(toy, path):
    return cache_activations(toy, ShapesWorld("val", n=16), ["blocks.0.hook_resid_post"], path, tokens="cls", batch_size=8, progress=False)

def test_a_store_manifest_that_is_a_list_names_the_file(toy, tmp_path):
    store = _store(toy, tmp_path / "store")
    (tmp_path / "store" / "manifest.json").write_text(json.dumps([store.manifest]))
    with pytest.raises(ConfigError, match=r"store/manifest\.json holds a list, not a JSON object"): ActivationStore(tmp_path / "store")

@pytest.mark.parametrize("field, value", [("n_rows", "16"), ("complete", "true"), ("hooks", "blocks.0.hook_resid_post"),
                                          ("shards", [{"file": "x"}]), ("d", {"blocks.0.hook_resid_post": 0})])
def test_a_damaged_manifest_field_is_named(toy, tmp_path, field, value):
    store = _store(toy, tmp_path / "store")
    (tmp_path / "store" / "manifest.json").write_text(json.dumps({**store.manifest, field: value}))
    with pytest.raises(ConfigError, match=rf"manifest\.json: {field}"): ActivationStore(tmp_path / "store")

def test_a_zero_row_source_is_empty():
    with pytest.raises(ValueError, match="the source is empty"): TensorSource({"h": torch.zeros(0, 8)})
    class Empty(TensorSource):
        @property
        def n_rows(self): return 0
    with pytest.raises(ValueError, match="the source is empty"):
        train_sae(Empty({"h": torch.zeros(4, 8)}), CoderConfig(d_in=8, d_sae=16, hook="h"), TrainConfig(batch_size=2, progress=False))

def test_cache_activations_refuses_non_finite_images_naming_them_and_writes_nothing(toy, tmp_path):
    images = ShapesWorld("val", n=16).images(range(16))[0]
    images[11, 0, 2, 2] = float("inf")
    with pytest.raises(NonFiniteError, match="the images of image 11 hold NaN or Inf"):
        cache_activations(toy, images, ["blocks.0.hook_resid_post"], tmp_path / "store", batch_size=8, progress=False)
    assert not (tmp_path / "store").exists()

def test_cache_activations_refuses_non_finite_activations(toy, tmp_path):
    broken = load_hooked_model("toy/shapes-2l")
    with torch.no_grad(): broken.blocks[0].attn.W_O[0, 0, 0] = float("nan")
    with pytest.raises(NonFiniteError, match=r"the activations at blocks\.0\.hook_resid_post of images 0, 1, 2"):
        _store(broken, tmp_path / "store")

def test_evaluate_sae_refuses_non_finite_images_naming_them(toy):
    data = ShapesWorld("val", n=20)
    images, labels = data.images(range(20))
    images[17, 1, 0, 0] = float("nan")
    coder = SparseCoder(CoderConfig(d_in=64, d_sae=32, hook="blocks.0.hook_resid_post"), seed=0)
    with pytest.raises(NonFiniteError, match="the images of image 17 hold NaN or Inf"):
        evaluate_sae(toy, coder, (images, labels), n=None, batch_size=8)

def test_training_refuses_non_finite_activations_naming_the_step():
    rows = torch.randn(64, 8); rows[40] = float("nan")
    with pytest.raises(FloatingPointError, match="training stopped at step .*'h' activations contain NaN or Inf"):
        train_sae(TensorSource({"h": rows}), CoderConfig(d_in=8, d_sae=16, hook="h"),
                  TrainConfig(batch_size=8, init_rows=8, progress=False, seed=1))
