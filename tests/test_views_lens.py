"""The emoji logit lens view: payload shapes, dtypes and bytes, bad input, and its static twin in Chromium with the
network refused (non-blank canvas, a hover shows the top-5 Python computes for that patch, the layer slider, no console
errors). Helpers: tests/views_browser.py."""
from decimal import Decimal, ROUND_HALF_UP
import numpy as np
import pytest
import torch
from prisma_nb.zoo.registry import load_hooked_model
from prisma_nb.toys.shapes import ShapesWorld
from prisma_nb.config import ViTConfig
from prisma_nb.vit import HookedViT
from prisma_nb.analysis.logit_lens import logit_lens, class_emoji
from prisma_nb.analysis.dla import model_class_names
from prisma_nb.viz.widget import network_refs
from prisma_nb.viz.lens import emoji_lens
from views_browser import needs_chromium, browser, open_static, canvas_pixels, hover_cell, n_colours


@pytest.fixture(scope="module")
def toy():
    model = load_hooked_model("toy/shapes-2l")
    return model, ShapesWorld("test", n=4, seed=0)[0]["image"]


def expected_tip(model, image, layer, row, col, emoji=None):
    "The hover text for patch (row, col) at reading `layer`, from the layer-5 lens alone (probabilities as float16, as sent)."
    lens = logit_lens(model, image[None])
    classes, probs = lens.top_k(5)
    names, emoji = model_class_names(model), emoji or class_emoji(model)
    p = model.cfg.n_prefix + row * model.cfg.grid_size[1] + col
    return [f"{emoji[c]} {names[c]} {Decimal(100 * float(np.float16(q))).quantize(Decimal('0.1'), ROUND_HALF_UP)}%" for c, q in zip(classes[layer, p].tolist(), probs[layer, p].tolist())]


def test_payload(toy):
    model, image = toy
    view = emoji_lens(model, image)
    assert {k: (a.dtype.name, a.shape) for k, a in view.arrays.items()} == {
        "image": ("uint8", (64, 64, 3)), "top": ("int32", (3, 65, 5)), "prob": ("float16", (3, 65, 5))}
    html = view.to_html()
    assert len(html.encode()) < 300_000 and network_refs(html) == []


def test_bad_input(toy):
    model, image = toy
    with pytest.raises(IndexError, match="layer 5 is out of range"): emoji_lens(model, image, layer=5)
    with pytest.raises(ValueError, match="image size 32x32 does not match"): emoji_lens(model, torch.rand(3, 32, 32))
    with pytest.raises(ValueError, match="9 emoji for 8 classes"): emoji_lens(model, image, emoji=["x"] * 9)
    with pytest.raises(ValueError, match="one image"): emoji_lens(model, torch.rand(2, 3, 64, 64))


@needs_chromium
def test_static_twin_in_chromium(toy, tmp_path):
    model, image = toy
    view = emoji_lens(model, image)
    with browser() as ctx:
        page = open_static(ctx, view, tmp_path)
        px = canvas_pixels(page, ".pn-view canvas", 0)
        assert n_colours(px) > 50
        assert page.locator(".pn-lens-chips .pn-chip").count() == 64
        for layer, (row, col) in ((2, (3, 5)), (0, (6, 1))):
            page.locator("input.pn-layer").fill(str(layer))
            hover_cell(page, ".pn-view canvas", row, col, 8, 8)
            lines = page.locator(".pn-tip").inner_text().splitlines()
            assert lines[0].startswith(f"r{row}c{col} · ")
            assert lines[1:] == expected_tip(model, image, layer, row, col)
        # at the first reading the CLS tile is greyed and the page says why; at the output it is not
        assert "same for every input" in page.locator(".pn-constant-note").inner_text()
        assert page.locator(".pn-prefix").first.evaluate("e => getComputedStyle(e).opacity") == "0.45"
        page.locator("input.pn-layer").fill("2")
        assert page.locator(".pn-constant-note").inner_text() == ""
        chip = page.locator(".pn-lens-chips .pn-chip").nth(3 * 8 + 5)
        assert chip.get_attribute("title") == expected_tip(model, image, 2, 3, 5)[0].split(" ")[1]
        assert page.console_errors == [] and ctx.blocked == []


@needs_chromium
def test_imagenet_vit_b16_twin(tmp_path):
    model = HookedViT(ViTConfig(d_model=64, n_layers=2, n_heads=2, image_size=224, patch_size=16, n_classes=1000)).init_weights(seed=0).eval()
    image = torch.rand(3, 224, 224, generator=torch.Generator().manual_seed(0))
    view = emoji_lens(model, image)
    assert view.arrays["top"].shape == (3, 197, 5)
    with browser() as ctx:
        page = open_static(ctx, view, tmp_path)
        hover_cell(page, ".pn-view canvas", 7, 2, 14, 14)
        lines = page.locator(".pn-tip").inner_text().splitlines()
        assert lines[1:] == expected_tip(model, image, 2, 7, 2)
        assert page.console_errors == [] and ctx.blocked == []
