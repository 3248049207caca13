"The model zoo: every registered model builds (full size on the meta device by default, scaled-down real builds that run with --runslow)."
import pytest, torch
from prisma_nb.zoo.registry import list_models, load_hooked_model, model_config, model_row, resolve_model, SOURCES, OPEN_CLIP_MODELS
from prisma_nb.zoo.open_clip import open_clip_tag_info, load_open_clip
from prisma_nb.zoo.compat import import_open_clip

def test_every_entry_builds_on_meta():
    zoo = list_models()
    rows = zoo.rows
    counts = {s: len([r for r in rows if r["source"] == s]) for s in SOURCES}
    assert counts["timm"] + counts["open_clip"] >= 45, counts
    assert len(zoo) >= 75, counts
    assert len(set(zoo)) == len(zoo)
    for row in rows:
        assert row["params"] > 0 and row["layers"] > 0 and row["width"] % row["heads"] == 0, row

def test_every_entry_builds_full_size_with_random_weights():
    "Each entry converts from its source built with `pretrained=False` at full size (on the meta device: shapes, no values)."
    for name in list_models():
        with torch.device("meta"):
            if resolve_model(name)["source"] == "open_clip":  # OpenCLIP moves its model to a device itself: name meta
                arch, _, tag = name.split("/", 1)[1].partition(":")
                model = load_open_clip(arch, tag or None, pretrained=False, device="meta")
            else: model = load_hooked_model(name, pretrained=False)
        assert sum(p.numel() for p in model.parameters()) == model_row(name)["params"], name
        assert model.cfg == model_config(name), name

def test_aliases_resolve_to_entries():
    for name in list_models():
        for alias in resolve_model(name)["aliases"]: assert resolve_model(alias)["name"] == name

@pytest.mark.parametrize("arch,tag", OPEN_CLIP_MODELS)
def test_open_clip_activation_follows_the_tag(arch, tag):
    want = "quick_gelu" if open_clip_tag_info(arch, tag).get("quick_gelu", False) else "gelu"
    assert model_config(f"open_clip/{arch}:{tag}").act_fn == want

def _scaled_down(name: str) -> dict:
    "Keyword arguments that keep a source architecture but give it one block."
    source = resolve_model(name)["source"]
    if source == "timm": return dict(depth=1)
    if source == "hf":
        config = resolve_model(name)["config"]
        frames = {k: 4 for k in ("num_frames", "frames_per_clip") if k in config}  # a short clip keeps video attention small
        return dict(num_hidden_layers=1, **frames)
    if source == "open_clip":
        cfg = import_open_clip().get_model_config(name.split("/", 1)[1].split(":")[0])
        return dict(vision_cfg=cfg["vision_cfg"] | dict(layers=1), text_cfg=cfg["text_cfg"] | dict(layers=1))
    return {}

@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in list_models() if not n.startswith("toy/")])
def test_scaled_down_real_build_runs(name):
    model = load_hooked_model(name, pretrained=False, **_scaled_down(name))
    cfg = model.cfg
    assert model.cfg.n_layers == 1
    shape = (1,) + ((cfg.n_frames,) if cfg.is_video else ()) + (cfg.n_channels, *cfg.image_size)
    with torch.no_grad(): out = model(torch.randn(shape))
    assert torch.isfinite(out).all()
