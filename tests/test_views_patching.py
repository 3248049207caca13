"""patching_view in Chromium (static twin, network refused): every panel draws exactly Python's pixels; a hover over a
patch outlines it in every panel and the readout gives Python's values for it; no console errors."""
import numpy as np
import torch
from prisma_nb.analysis.patching import patch_residual_stream, logit_diff
from prisma_nb.toys.train import TOY_RECIPES
from prisma_nb.vit import HookedViT
from prisma_nb.viz.patching import patching_view, patching_canvas
from prisma_nb.viz.widget import network_refs
from views_browser import needs_chromium, browser, open_static, canvas_pixels, hover_cell

def toy_result():
    torch.manual_seed(0)
    model = HookedViT(TOY_RECIPES["shapes-2l"].config()).eval()
    clean, corrupt = torch.rand(1, 3, 64, 64), torch.rand(1, 3, 64, 64)
    return patch_residual_stream(model, clean, corrupt, logit_diff(0, 1)), clean[0]

@needs_chromium
def test_patching_panels_and_hover(tmp_path):
    result, image = toy_result()
    view = patching_view(result, image, class_names=("circle", "star"))
    s, n = view.state, len(view.state["layer_labels"])
    assert network_refs(view.to_html()) == []
    with browser() as ctx:
        page = open_static(ctx, view, tmp_path)
        for l in range(n): np.testing.assert_array_equal(canvas_pixels(page, "canvas.pn-panel", l)[..., :3], patching_canvas(view, l))
        hover_cell(page, "canvas.pn-panel", 5, 2, 8, 8, index=n - 1)
        text = page.inner_text(".pn-readout")
        vals = result.on_grid()[:, 5, 2]
        assert text.startswith("patch r5c2:") and all(f"{v:.2f}" in text for v in vals.tolist()), text
        ch, cw = s["height"] // 8, s["width"] // 8
        for l in range(n):  # the hovered patch is outlined in every panel, the rest unchanged
            px, want = canvas_pixels(page, "canvas.pn-panel", l)[..., :3], patching_canvas(view, l)
            changed = np.argwhere((px != want).any(-1))
            assert len(changed) and changed[:, 0].min() >= 5 * ch and changed[:, 0].max() < 6 * ch
            assert changed[:, 1].min() >= 2 * cw and changed[:, 1].max() < 3 * cw
        assert "circle" in page.inner_text(".pn-title") and page.console_errors == [] and ctx.blocked == []

@needs_chromium
def test_tour_circuits_views_render_offline(tmp_path):
    "The tour's circuits section: its four views (DLA, patching, attention, emoji lens) render in one saved report, offline."
    from prisma_nb.cli import build_tour
    from prisma_nb.tour.circuits import circuits_section
    from prisma_nb.viz.report import external_links
    from views_browser import n_colours
    from prisma_nb.zoo.registry import load_hooked_model
    model = load_hooked_model("toy/shapes-2l").eval()  # trained weights ship with the package
    report = build_tour(model, n_images=4, n_eval=20, progress=False, sections=[circuits_section])
    path = report.save(tmp_path / "tour.html")
    assert external_links(path.read_text()) == []
    with browser() as ctx:
        page = open_static(ctx, path)
        assert page.locator("[data-component][data-rendered='1']").count() == 4
        for i in range(page.locator("canvas").count()):
            if page.locator("canvas").nth(i).is_visible(): assert n_colours(canvas_pixels(page, "canvas", i)) > 1
        page.screenshot(path=str(tmp_path / "tour.png"), full_page=True)
        assert page.console_errors == [] and ctx.blocked == []
