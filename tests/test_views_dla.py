"""The DLA view: payload shapes, dtypes and bytes, bad input, its static twin in Chromium with the network refused
(non-blank canvas, a head's per-patch shares on hover are Python's, no ablation without a kernel), and the live path in
JupyterLab: clicking "zero-ablate" re-runs the model and the displayed logit becomes the one Python computes.
Helpers: tests/views_browser.py."""
from decimal import Decimal, ROUND_HALF_UP
import numpy as np
import pytest
import torch
from prisma_nb.zoo.registry import load_hooked_model
from prisma_nb.toys.shapes import ShapesWorld
from prisma_nb.analysis.dla import direct_logit_attribution, ablated_attribution
from prisma_nb.viz.widget import network_refs
from prisma_nb.viz.dla import dla_view
from views_browser import (needs_chromium, browser, open_static, canvas_pixels, hover_cell, n_colours,
                           jupyter_lab, write_notebook, open_in_lab)


@pytest.fixture(scope="module")
def toy():
    model = load_hooked_model("toy/shapes-2l")
    return model, ShapesWorld("test", n=4, seed=0)[0]["image"]


def fmt(v: float) -> str:
    "The front end's number format (pn.fmt with 3 decimals): JavaScript's toFixed rounds the exact value half away from zero."
    if abs(v) >= 1e4 or (v != 0 and abs(v) < 1e-3): return f"{v:.2e}".replace("e-0", "e-").replace("e+0", "e+")
    return str(Decimal(v).quantize(Decimal("0.001"), ROUND_HALF_UP))


def test_payload(toy):
    model, image = toy
    view = dla_view(model, image)
    assert {k: (a.dtype.name, a.shape) for k, a in view.arrays.items()} == {
        "image": ("uint8", (64, 64, 3)), "bars": ("float32", (16,)), "bars_now": ("float32", (16,)),
        "head_sources": ("float16", (2, 4, 65)), "by_position": ("float16", (13, 65))}
    html = view.to_html()
    assert len(html.encode()) < 300_000 and network_refs(html) == []


def test_bad_input(toy):
    model, image = toy
    with pytest.raises(IndexError, match=r"classes \[9\] out of range"): dla_view(model, image, classes=9)
    with pytest.raises(ValueError, match="image size 48x48 does not match"): dla_view(model, torch.rand(3, 48, 48))
    dla = direct_logit_attribution(model, image[None])
    with pytest.raises(ValueError, match="65 tokens minus n_prefix=1 leaves 64 patches, which do not fill a 4x4"):
        dla.grid = (4, 4); dla_view(dla, image)
    dla.grid = (8, 8)
    with pytest.raises(ValueError, match="selected='L7H0' is not a component"): dla_view(dla, image, selected="L7H0")
    with pytest.raises(ValueError, match="go with a model"): dla_view(dla, image, classes=1)


@needs_chromium
def test_static_twin_in_chromium(toy, tmp_path):
    model, image = toy
    view = dla_view(model, image)
    dla = direct_logit_attribution(model, image[None])
    with browser() as ctx:
        page = open_static(ctx, view, tmp_path)
        assert page.locator("g.pn-dla-bar").count() == len(view.state["labels"])
        assert page.locator(".pn-logit").inner_text() == f"logit {dla.target()}: {fmt(dla.logits[0].item())}"
        page.locator('g.pn-dla-bar[data-label="L1H1"]').click()
        px = canvas_pixels(page, ".pn-view canvas", 0)
        assert n_colours(px) > 50
        shares = dla.patch_grid(dla.head_sources[1, 1, 0])
        r, c = divmod(shares.abs().argmax().item(), 8)
        hover_cell(page, ".pn-view canvas", r, c, 8, 8)
        assert page.locator(".pn-tip").inner_text() == f"r{r}c{c}: {fmt(float(np.float16(shares[r, c].item())))}"
        assert page.locator("button.pn-ablate").first.is_disabled()
        assert "works only in the live widget" in page.locator(".pn-why").inner_text()
        assert page.console_errors == [] and ctx.blocked == []


@needs_chromium
def test_ablation_click_in_jupyterlab(toy, tmp_path):
    model, image = toy
    cells = ["from prisma_nb.zoo.registry import load_hooked_model\nfrom prisma_nb.toys.shapes import ShapesWorld\nfrom prisma_nb.viz.dla import dla_view",
             "model = load_hooked_model('toy/shapes-2l')\nview = dla_view(model, ShapesWorld('test', n=4, seed=0)[0]['image'], selected='L1H2')\nview"]
    write_notebook(tmp_path / "dla.ipynb", cells)
    want = ablated_attribution(model, image[None], ["L1H2"]).logits[0].item()
    with jupyter_lab(tmp_path) as (base, token), browser(allow_hosts=(base,)) as ctx:
        page = open_in_lab(ctx, base, token, "dla.ipynb")
        out = ".jp-OutputArea .pn-view"
        page.wait_for_selector(f"{out} button.pn-ablate[data-how=zero]:not([disabled])", timeout=60_000)
        before = float(page.locator(f"{out} .pn-logit").get_attribute("data-value"))
        page.locator(f"{out} button.pn-ablate[data-how=zero]").click()
        page.wait_for_function("() => document.querySelector('[data-round-trip-ms]')", timeout=30_000)
        shown = page.locator(f"{out} .pn-logit")
        assert abs(float(shown.get_attribute("data-value")) - want) <= 1e-5
        assert shown.inner_text().endswith(f"→ {fmt(want)} with L1H2 zero-ablated")
        assert abs(before - want) > 0.1  # the click changed it
        ms = float(page.locator("[data-round-trip-ms]").get_attribute("data-round-trip-ms"))
        print(f"ablation round trip: {ms:.0f} ms")
        assert page.console_errors == [] or all("favicon" in e for e in page.console_errors), page.console_errors
