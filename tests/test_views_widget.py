"""The views foundation in a real browser and a real JupyterLab: patch_heatmap's static twin draws exactly the pixels
Python computes, offline; its live widget makes a kernel round trip. Helpers: tests/views_browser.py."""
import numpy as np
import pytest
import torch
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

@needs_chromium
def test_patch_heatmap_live_in_jupyterlab(tmp_path):
    cells = ["import torch, numpy as np\nfrom prisma_nb.viz.widget import patch_heatmap",
             "g = torch.Generator().manual_seed(0)\nimage, values = torch.rand(3, 64, 64, generator=g), torch.rand(8, 8, generator=g)\n"
             "view = patch_heatmap(values, image, cmap='viridis', size=256, on_click=lambda r, c: torch.full((8, 8), (r * 8 + c) / 63))\nview"]
    write_notebook(tmp_path / "live.ipynb", cells)
    with jupyter_lab(tmp_path) as (base, token), browser(allow_hosts=(base,)) as ctx:
        page = open_in_lab(ctx, base, token, "live.ipynb")
        page.wait_for_selector(".jp-OutputArea .pn-view canvas", timeout=60_000)
        assert "click a patch: Python computes new values" in page.locator(".jp-OutputArea .pn-view").inner_text()
        sel = ".jp-OutputArea .pn-view canvas"
        box = page.locator(sel).first.bounding_box()
        page.mouse.click(box["x"] + 5.5 * box["width"] / 8, box["y"] + 2.5 * box["height"] / 8)  # patch (2, 5)
        page.wait_for_function("() => document.querySelector('[data-round-trip-ms]')", timeout=30_000)
        page.mouse.move(0, 0)
        page.wait_for_timeout(200)
        px = canvas_pixels(page, sel, 0)
        _, image, values = demo_view()  # the colour scale stays that of the first values
        lo, hi = float(values.numpy().min()), float(values.numpy().max())
        want = patch_canvas_pixels(image_array(image), np.full((8, 8), 21 / 63), 256, 256, lo, hi, 0.65, "viridis")
        s = (2 * 256 // 8) + 10
        np.testing.assert_array_equal(px[s, s, :3], want[s, s])
        assert page.console_errors == [] or all("favicon" in e for e in page.console_errors), page.console_errors
