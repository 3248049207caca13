"""The views foundation in a real browser and a real JupyterLab: patch_heatmap's static twin draws exactly the pixels
Python computes, offline; its live widget makes a kernel round trip. Helpers: tests/views_browser.py."""
import numpy as np
import pytest
import torch
from prisma_nb.viz.attention import attention_heads, attention_canvas
from prisma_nb.viz.widget import JS_DIR, components, network_refs, patch_canvas_pixels, patch_heatmap, image_array
from views_browser import (needs_chromium, browser, open_static, canvas_pixels, hover_cell, cell_pixel, n_colours,
                           jupyter_lab, write_notebook, open_in_lab)

def demo_view(on_click=None):
    g = torch.Generator().manual_seed(0)
    image, values = torch.rand(3, 64, 64, generator=g), torch.rand(8, 8, generator=g)
    return patch_heatmap(values, image, cmap="viridis", size=256, on_click=on_click), image, values

def test_every_module_and_page_is_offline():
    for path in JS_DIR.glob("*.js"):
        assert network_refs(path.read_text()) == [], path.name
    view, _, _ = demo_view()
    assert network_refs(view.to_html()) == []
    assert "patch_heatmap" in components()

@needs_chromium
def test_patch_heatmap_static_twin(tmp_path):
    view, image, values = demo_view()
    s = view.state
    with browser() as ctx:
        page = open_static(ctx, view, tmp_path)
        px = canvas_pixels(page, ".pn-view canvas", 0)
        want = patch_canvas_pixels(image_array(image), values.numpy(), s["width"], s["height"], s["vmin"], s["vmax"], s["alpha"], s["cmap"])
        assert px.shape == (256, 256, 4) and n_colours(px) > 100
        np.testing.assert_array_equal(px[..., :3], want)  # byte for byte what Python computes
        hover_cell(page, ".pn-view canvas", 2, 5, 8, 8)
        tip = page.locator(".pn-tip").inner_text()
        assert f"row 2, column 5" in tip and f"{values[2, 5].item():.3f}" in tip
        after = canvas_pixels(page, ".pn-view canvas", 0)
        changed = np.argwhere((after[..., :3] != want).any(-1))
        assert len(changed) and changed[:, 0].min() >= 64 and changed[:, 0].max() < 96 and changed[:, 1].min() >= 160  # the outline, on that patch only
        assert page.console_errors == [] and ctx.blocked == []

def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="image size 60x64"): patch_heatmap(torch.rand(8, 8), torch.rand(3, 60, 64))
    with pytest.raises(ValueError, match="colour map 'jet'"): patch_heatmap(torch.rand(8, 8), torch.rand(3, 64, 64), cmap="jet")

LIVE_SETUP = """import torch, numpy as np
from prisma_nb.toys.train import TOY_RECIPES
from prisma_nb.vit import HookedViT
from prisma_nb.viz.widget import patch_heatmap
from prisma_nb.viz.attention import attention_heads
from prisma_nb.viz.patching import patching_view
from prisma_nb.analysis.patching import patch_residual_stream, logit_diff
def toy():
    torch.manual_seed(0)
    return HookedViT(TOY_RECIPES["shapes-2l"].config()).eval(), torch.rand(3, 64, 64), torch.rand(3, 64, 64)
"""

@needs_chromium
def test_views_live_in_jupyterlab(tmp_path):
    "Each view renders as a live widget in JupyterLab; patch_heatmap's click and attention_heads' layer button ask the kernel."
    cells = [LIVE_SETUP,
             "g = torch.Generator().manual_seed(0)\nimage, values = torch.rand(3, 64, 64, generator=g), torch.rand(8, 8, generator=g)\n"
             "patch_heatmap(values, image, cmap='viridis', size=256, on_click=lambda r, c: torch.full((8, 8), (r * 8 + c) / 63))",
             "model, image, other = toy()\nattention_heads(model, image, max_bytes=1)  # carries layer 0; layer 1 comes from the kernel",
             "patching_view(patch_residual_stream(model, image[None], other[None], logit_diff(0, 1)), image)"]
    write_notebook(tmp_path / "live.ipynb", cells)
    with jupyter_lab(tmp_path) as (base, token), browser(allow_hosts=(base,)) as ctx:
        page = open_in_lab(ctx, base, token, "live.ipynb")
        heat, attn, patching = (page.locator(".jp-CodeCell").nth(i).locator(".jp-OutputArea") for i in (1, 2, 3))
        for out in (heat, attn, patching): out.locator(".pn-view canvas").first.wait_for(timeout=60_000)
        assert "click a patch: Python computes new values" in heat.inner_text()
        # patch_heatmap: a click asks Python for new values and the canvas shows them
        box = heat.locator("canvas").first.bounding_box()
        page.mouse.click(box["x"] + 5.5 * box["width"] / 8, box["y"] + 2.5 * box["height"] / 8)  # patch (2, 5)
        heat.locator("[data-round-trip-ms]").wait_for(timeout=30_000)
        page.mouse.move(0, 0)
        page.wait_for_timeout(300)
        _, image, values = demo_view()  # the colour scale stays that of the first values
        lo, hi = float(values.numpy().min()), float(values.numpy().max())
        want = patch_canvas_pixels(image_array(image), np.full((8, 8), 21 / 63), 256, 256, lo, hi, 0.65, "viridis")
        heat.locator("canvas").first.evaluate("c => c.id = 'live-heat'")
        px = canvas_pixels(page, "#live-heat")
        np.testing.assert_array_equal(px[..., :3], want)
        # attention_heads: layer 1 is not in the widget until the kernel sends it
        attn.locator("button[data-layer='1']").click()
        attn.locator("[data-round-trip-ms]").wait_for(timeout=30_000)
        page.wait_for_timeout(500)
        assert attn.locator("[data-layer='1'].on").count() == 1
        assert attn.locator(".pn-err").count() == 0, attn.locator(".pn-err").all_inner_texts()
        model, img, _ = _toy()
        view = attention_heads(model, img, max_bytes=1)
        view._handle({"kind": "layer", "layer": 1})
        for h in range(view.state["n_heads"]):
            attn.locator("canvas.pn-head").nth(h).evaluate(f"c => c.id = 'live-head{h}'")
            np.testing.assert_array_equal(canvas_pixels(page, f"#live-head{h}")[..., :3], attention_canvas(view, 1, h, 0))
        assert patching.locator("canvas.pn-panel").count() == 2
        assert not [e for e in page.console_errors if "favicon" not in e], page.console_errors

def _toy():
    from prisma_nb.toys.train import TOY_RECIPES
    from prisma_nb.vit import HookedViT
    torch.manual_seed(0)
    return HookedViT(TOY_RECIPES["shapes-2l"].config()).eval(), torch.rand(3, 64, 64), torch.rand(3, 64, 64)
