"""The steering widget in a real browser and a real JupyterLab: the static twin replays the precomputed sweep with exactly the
pixels and probabilities Python computes, offline; in JupyterLab a slider move re-runs the model in the kernel."""
import numpy as np
import pytest
import torch
from prisma_nb.viz.widget import patch_canvas_pixels, image_array, network_refs
from views_browser import needs_chromium, browser, open_static, canvas_pixels, n_colours, jupyter_lab, write_notebook, open_in_lab

SETUP = """import torch
from prisma_nb.zoo.registry import load_hooked_model
from prisma_nb.toys.shapes import ShapesWorld
from prisma_nb.analysis.probes import shapes_targets, train_segmentation_probe
from prisma_nb.analysis.steering import train_toy_sae
from prisma_nb.viz.steering import steering_view
torch.set_grad_enabled(False)
torch.set_num_threads(1)   # the probe and coder train the same in this process and in the kernel (float sums depend on threads)
model = load_hooked_model("toy/shapes-2l")
sae = train_toy_sae(model, "blocks.0.hook_resid_post", "topk")
probe = train_segmentation_probe(model, "blocks.1.hook_resid_post", shapes_targets(ShapesWorld("train", n=200)), "colour")
data = ShapesWorld("test", n=64)
image = data.images([0])[0][0]
view = steering_view(model, sae, image, probe, data=data)"""

@pytest.fixture(scope="module")
def built():
    env, threads, grad = {}, torch.get_num_threads(), torch.is_grad_enabled()
    try: exec(SETUP, env)
    finally: torch.set_num_threads(threads); torch.set_grad_enabled(grad)
    return env

def _slide(page, feature: int, value: float):
    page.evaluate("""([f, v]) => { const s = document.querySelector(`input[data-feature="${f}"]`);
        s.value = String(v); s.dispatchEvent(new Event('input')); }""", [feature, value])

def _p_after(page, name: str) -> str:
    return page.locator(f'.pn-view [data-class="{name}"] [data-p="after"]').first.inner_text()

def test_page_is_offline(built):
    assert network_refs(built["view"].to_html()) == []

@needs_chromium
def test_static_twin_replays_the_sweep(built, tmp_path):
    view, image = built["view"], built["image"]
    s, a = view.state, view.arrays
    feature, i = s["sweep"]["feature"], s["sweep"]["values"].index(-2.0)
    assert not np.array_equal(np.nan_to_num(a["sweep_seg"][i], nan=-1), np.nan_to_num(a["seg_before"], nan=-1)), "pick a sweep that changes the map"
    with browser() as ctx:
        page = open_static(ctx, view, tmp_path)
        before = canvas_pixels(page, "canvas[data-role=before]")
        assert n_colours(before) > 50                                     # not blank
        _slide(page, feature, -2.0)
        px = canvas_pixels(page, "canvas[data-role=after]")
        want = patch_canvas_pixels(image_array(image), a["sweep_seg"][i].reshape(s["rows"], s["cols"]), s["width"], s["height"],
                                   s["vmin"], s["vmax"], 0.6, "viridis")
        np.testing.assert_array_equal(px[..., :3], want)                  # the map Python computed for that step, byte for byte
        k = int(a["sweep_probs"][i].argmax())
        assert _p_after(page, s["classes"][k]) == f"{a['sweep_probs'][i][k]:.3f}"
        assert page.console_errors == [] and ctx.blocked == []

@needs_chromium
def test_slider_reruns_the_model_in_jupyterlab(built, tmp_path):
    view = built["view"]
    s = view.state
    feature = s["sweep"]["feature"]
    want = view._handle({"kind": "steer", "edits": {str(feature): 1.5}, "selection": s["selection"]})["probs_after"]
    k = int(np.argmax(want))
    write_notebook(tmp_path / "live.ipynb", [SETUP, "view"])
    with jupyter_lab(tmp_path) as (base, token), browser(allow_hosts=(base,)) as ctx:
        page = open_in_lab(ctx, base, token, "live.ipynb", timeout_ms=240_000)
        page.wait_for_selector(".jp-OutputArea .pn-view canvas", timeout=120_000)
        _slide(page, feature, 1.5)   # live: the front end asks the kernel, which re-runs the model
        page.wait_for_function("() => document.querySelector('[data-round-trip-ms]')", timeout=60_000)
        page.wait_for_timeout(300)
        assert _p_after(page, s["classes"][k]) == f"{want[k]:.3f}"
        assert all("favicon" in e for e in page.console_errors), page.console_errors
