"The CircuitsVis adapter: labels, bad input, the missing-package error, and the offline HTML rendered in Chromium with the network blocked."
import sys
from unittest import mock
import pytest
import torch
from prisma_nb.zoo.registry import load_hooked_model
from prisma_nb.toys.shapes import ShapesWorld
from prisma_nb.viz.circuitsvis import circuitsvis_attention, token_labels
from views_browser import needs_chromium, browser, watch_console


@pytest.fixture(scope="module")
def toy():
    model = load_hooked_model("toy/shapes-2l")
    images, _ = ShapesWorld("test", n=2, seed=0).images(range(2))
    _, cache = model.run_with_cache(images, names_filter="blocks.1.attn.hook_pattern")
    return model, cache["pattern", 1]


def test_missing_circuitsvis_names_the_install(toy):
    model, pattern = toy
    with mock.patch.dict(sys.modules, {"circuitsvis": None, "circuitsvis.attention": None}):
        with pytest.raises(ImportError, match=r"pip install circuitsvis"):
            circuitsvis_attention(pattern, model.cfg)


def test_token_count_must_match(toy):
    model, pattern = toy
    with pytest.raises(ValueError, match="model has 65 tokens"):
        circuitsvis_attention(pattern[..., 1:, 1:], model.cfg)


def test_html_holds_labels_and_weights(toy):
    pytest.importorskip("circuitsvis")
    model, pattern = toy
    view = circuitsvis_attention(pattern, model.cfg, index=1)
    call = view.html.split("CircuitsVis.render(")[-1]
    assert '"tokens": ["CLS", "r0c0"' in call and '"r7c7"]' in call
    assert "unpkg" not in view.html and "esm.js" not in call  # the inlined bundle, never the CDN one
    import json
    args = json.loads(call[call.index("{"):call.rindex("}") + 1])
    got = torch.tensor(args["attention"])
    assert got.shape == (4, 65, 65)
    assert (got - pattern[1]).abs().max() <= 5e-5 + 1e-7  # rounded to 4 decimals, nothing else


@needs_chromium
def test_renders_offline_in_chromium(toy, tmp_path):
    pytest.importorskip("circuitsvis")
    model, pattern = toy
    page_path = circuitsvis_attention(pattern, model.cfg).save(tmp_path / "cv.html")
    with browser() as ctx:
        page = ctx.new_page()
        errors = watch_console(page)
        page.goto(page_path.as_uri())
        for _ in range(80):  # CircuitsVis renders after load; wait up to 20 s
            text = page.evaluate("document.body.innerText")
            if "r3c5" in text: break
            page.wait_for_timeout(250)
        assert "CLS" in text and "r7c7" in text
        assert ctx.blocked == [] and errors == [], (ctx.blocked, errors)
