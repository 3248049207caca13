"""The feature explorer and the guess-the-image game in a real browser (static twins, network refused): the canvases
are drawn, a click on a carded feature's point opens its card with the numbers Python computed, a click on a candidate
answers the round, and nothing reaches the network or logs an error. Helpers: tests/views_browser.py."""
import json
import pytest
import torch
from prisma_nb.analysis.features import guess_rounds
from prisma_nb.viz.explorer import guess_game
from explorer_setup import build
from prisma_nb.viz.widget import network_refs
from views_browser import needs_chromium, browser, open_static, canvas_pixels, n_colours

@pytest.fixture(scope="module")
def views():
    torch.manual_seed(0)
    env = build()
    explorer, fa, data, found = env["explorer"], env["fa"], env["data"], env["found"]
    rounds = guess_rounds(fa.cls(), n_rounds=2, k=3, n_candidates=4)
    return explorer, guess_game(rounds, data, found, data), found

def test_pages_are_offline(views):
    explorer, game, _ = views
    assert network_refs(explorer.to_html()) == [] and network_refs(game.to_html()) == []

@needs_chromium
def test_explorer_static_twin(views, tmp_path):
    explorer, _, found = views
    with browser() as ctx:
        page = open_static(ctx, explorer, tmp_path)
        assert n_colours(canvas_pixels(page, "canvas.ex-scatter")) > 5          # points drawn
        assert n_colours(canvas_pixels(page, ".ex-fig canvas")) > 20           # an exemplar with its heatmap
        points = json.loads(page.eval_on_selector("canvas.ex-scatter", "c => c.dataset.points"))
        want = explorer.state["cards"][3]
        f = want["feature"]
        x, y = points[str(f)]
        box = page.locator("canvas.ex-scatter").bounding_box()
        page.mouse.click(box["x"] + x * box["width"] / 380, box["y"] + y * box["height"] / 300)
        opened = int(page.eval_on_selector(".pn-view", "v => v.parentElement.dataset.openFeature || v.closest('[data-component]').dataset.openFeature"))
        assert opened == f or explorer.arrays["card_index"][opened] >= 0   # the nearest point under the click
        page.locator(f".ex-link[data-feature='{f}']").click()
        card = page.locator(f".ex-card[data-feature='{f}']").inner_text()
        assert f"feature {f}" in card and f"density {want['density']:.5f}"[:12] in card.replace("density ", "density ", 1)
        assert f"#{want['images'][0]}" in card
        page.fill(".ex-in[type=text]", "no such concept")
        assert "0 of" in page.locator(".ex-list").inner_text()
        assert page.console_errors == [] and ctx.blocked == []

@needs_chromium
def test_game_static_twin(views, tmp_path):
    _, game, _ = views
    r0 = game.state["rounds"][0]
    with browser() as ctx:
        page = open_static(ctx, game, tmp_path)
        assert n_colours(canvas_pixels(page, "canvas.ex-cand")) > 5
        page.locator(f"canvas.ex-cand[data-candidate='{r0['answer']}']").click()
        assert "✓ right" in page.locator(".ex-verdict").inner_text()
        assert page.console_errors == [] and ctx.blocked == []
