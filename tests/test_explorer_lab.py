"""The feature explorer as a live widget in a real JupyterLab (started on 127.0.0.1, stopped by its PID; Chromium with the
network refused): the overview renders from the kernel's widget state, and a click on a feature's point in the scatter
opens that feature's card with the exemplars Python found. Helpers: tests/views_browser.py."""
import json
import pytest
from views_browser import needs_chromium, browser, canvas_pixels, n_colours, jupyter_lab, write_notebook, open_in_lab
from explorer_setup import SETUP, build

@pytest.fixture(scope="module")
def built(): return build()

def _farthest(points: dict) -> int:
    "The carded feature whose scatter point lies farthest from every other carded point (a click there cannot be ambiguous)."
    def gap(f):
        x, y = points[f]
        return min(((x - u) ** 2 + (y - v) ** 2 for g, (u, v) in points.items() if g != f), default=float("inf"))
    return int(max(points, key=gap))

@needs_chromium
def test_explorer_live_in_jupyterlab(built, tmp_path):
    explorer = built["explorer"]
    cards = {c["feature"]: c for c in explorer.state["cards"]}
    write_notebook(tmp_path / "explorer.ipynb", [SETUP, "explorer"])
    with jupyter_lab(tmp_path) as (base, token), browser(allow_hosts=(base,)) as ctx:
        page = open_in_lab(ctx, base, token, "explorer.ipynb", timeout_ms=240_000)
        out = page.locator(".jp-CodeCell").nth(1).locator(".jp-OutputArea")
        out.locator(".pn-view canvas.ex-scatter").wait_for(timeout=120_000)
        # live: the widget drew it from the kernel's comm state (a widget view, no static twin's `.prisma-view-static` page)
        assert out.locator(".prisma-view-static, [data-component]").count() == 0
        assert out.locator(".jp-OutputArea-output > .lm-Widget > .pn-view").count() == 1
        out.locator("canvas.ex-scatter").evaluate("c => c.id = 'lab-scatter'")
        assert n_colours(canvas_pixels(page, "#lab-scatter")) > 5                      # the points are drawn
        listed = out.locator(".ex-list").inner_text()
        n_live = int((explorer.arrays["log_density"] == explorer.arrays["log_density"]).sum())
        assert f"of {n_live} live features match" in listed, listed
        # a click on a carded feature's point opens its card
        points = {int(f): xy for f, xy in json.loads(out.locator("canvas.ex-scatter").evaluate("c => c.dataset.points")).items()}
        assert set(points) == set(cards)
        f = _farthest(points)
        assert out.locator(f".ex-card[data-feature='{f}']").count() == 0               # not the card open at the start
        box = out.locator("canvas.ex-scatter").bounding_box()
        x, y = points[f]
        page.mouse.click(box["x"] + x * box["width"] / 380, box["y"] + y * box["height"] / 300)
        card = out.locator(f".ex-card[data-feature='{f}']")
        card.wait_for(timeout=10_000)
        text, want = card.inner_text(), cards[f]
        assert f"feature {f}" in text and f"#{want['images'][0]}" in text, text
        assert card.locator(".ex-fig canvas").count() == sum(i >= 0 for i in want["images"])   # one heatmap per exemplar
        card.locator(".ex-fig canvas").first.evaluate("c => c.id = 'lab-exemplar'")
        assert n_colours(canvas_pixels(page, "#lab-exemplar")) > 20                    # an image with its heatmap
        page.mouse.move(0, 0)
        out.locator(".pn-view").screenshot(path=str(tmp_path / "explorer-lab.png"))   # the whole widget: overview and the card
        assert not [e for e in page.console_errors if "favicon" not in e], page.console_errors
        assert ctx.blocked == [], ctx.blocked
