"""attention_heads in Chromium (static twins, network refused) and JupyterLab: a hover over a chosen patch makes every
head's tile show exactly the pixels Python computes for that query (`attention_canvas`); the toggle, the layer buttons,
the CLS / register tiles and the frame selector do what they say; no console errors."""
import numpy as np
import pytest
import torch
from prisma_nb.config import ViTConfig
from prisma_nb.vit import HookedViT
from prisma_nb.toys.train import TOY_RECIPES
from prisma_nb.viz.attention import attention_heads, attention_canvas
from prisma_nb.viz.widget import network_refs
from views_browser import needs_chromium, browser, open_static, canvas_pixels, hover_cell, cell_centre, n_colours

def toy_view():
    torch.manual_seed(0)
    model = HookedViT(TOY_RECIPES["shapes-2l"].config()).eval()
    return attention_heads(model, torch.rand(3, 64, 64))

def outside(view, token, frame=0):
    "A mask of a head tile without the query's own patch (the page outlines it there)."
    s = view.state
    m = np.ones((s["tile_height"], s["tile_width"]), bool)
    p = token - s["n_prefix"]
    g = s["rows"] * s["cols"]
    if token >= s["n_prefix"] and p // g == frame // s["tubelet_size"]:
        r, c = p % g // s["cols"], p % s["cols"]
        ch, cw = s["tile_height"] // s["rows"], s["tile_width"] // s["cols"]
        m[r * ch:(r + 1) * ch, c * cw:(c + 1) * cw] = False
    return m

def check_heads(page, view, layer, token, mode="query", frame=0):
    for h in range(view.state["n_heads"]):
        px = canvas_pixels(page, "canvas.pn-head", h)[..., :3]
        want = attention_canvas(view, layer, h, token, mode, frame)
        m = outside(view, token, frame)
        np.testing.assert_array_equal(px[m], want[m], err_msg=f"head {h}, layer {layer}, token {token}, {mode}")

@needs_chromium
def test_toy_hover_toggle_layer_and_cls(tmp_path):
    view = toy_view()
    s = view.state
    assert network_refs(view.to_html()) == []
    with browser() as ctx:
        page = open_static(ctx, view, tmp_path)
        assert n_colours(canvas_pixels(page, "canvas.pn-main")) > 2
        hover_cell(page, "canvas.pn-main", 2, 6, s["rows"], s["cols"])
        token = 1 + 2 * 8 + 6
        assert page.get_attribute("[data-component]", "data-token") == str(token)
        check_heads(page, view, 0, token)
        before = canvas_pixels(page, "canvas.pn-head", 1)
        hover_cell(page, "canvas.pn-main", 5, 1, s["rows"], s["cols"])
        assert (canvas_pixels(page, "canvas.pn-head", 1) != before).any()  # the heatmap follows the pointer
        check_heads(page, view, 0, 1 + 5 * 8 + 1)
        page.mouse.click(*cell_centre(page, "canvas.pn-main", 4, 4, 8, 8))  # pins r4c4
        page.click("button[data-mode=key]")
        page.click("button[data-layer='1']")
        check_heads(page, view, 1, 1 + 4 * 8 + 4, mode="key")
        page.mouse.click(*cell_centre(page, "canvas.pn-main", 4, 4, 8, 8))  # releases the pin
        page.hover(".pn-prefix[data-token='0']")  # the CLS tile
        assert page.get_attribute("[data-component]", "data-token") == "0"
        check_heads(page, view, 1, 0, mode="key")
        assert page.console_errors == [] and ctx.blocked == []

@needs_chromium
def test_vit_b16_registers_and_video(tmp_path):
    torch.manual_seed(0)
    vit_b = attention_heads(HookedViT(ViTConfig(d_model=768, n_layers=12, n_heads=12, n_classes=10)).eval(), torch.rand(3, 224, 224))
    dino = attention_heads(HookedViT(ViTConfig(d_model=96, n_layers=2, n_heads=4, image_size=518, patch_size=14, n_registers=4,
                                               n_classes=10)).eval(), torch.rand(3, 518, 518))
    video = attention_heads(HookedViT(ViTConfig(d_model=64, n_layers=2, n_heads=2, image_size=32, patch_size=8, n_frames=4,
                                                tubelet_size=2, n_classes=5)).eval(), torch.rand(4, 3, 32, 32))
    with browser() as ctx:
        page = open_static(ctx, vit_b, tmp_path / "b")  # 12 x 12 heads, rows "up"-filtered and deflated in the page
        page.click("button[data-layer='7']")
        hover_cell(page, "canvas.pn-main", 3, 11, 14, 14)
        check_heads(page, vit_b, 7, 1 + 3 * 14 + 11)
        assert page.console_errors == []
        page = open_static(ctx, dino, tmp_path / "d")
        hover_cell(page, "canvas.pn-main", 20, 9, 37, 37)
        check_heads(page, dino, 0, 5 + 20 * 37 + 9)
        page.click(".pn-prefix[data-token='3']")  # reg2, pinned
        page.mouse.move(1, 1)
        assert page.get_attribute("[data-component]", "data-token") == "3"
        check_heads(page, dino, 0, 3)
        page.click("button[data-layer='1']")  # not in the static copy: it says so
        assert "not in this static copy" in page.inner_text(".pn-err")
        assert page.console_errors == []
        page = open_static(ctx, video, tmp_path / "v")
        page.fill("input.pn-frame", "3")  # frame 3 = tubelet 1
        page.dispatch_event("input.pn-frame", "input")
        hover_cell(page, "canvas.pn-main", 1, 2, 4, 4)
        token = 1 + 16 + 1 * 4 + 2
        assert page.get_attribute("[data-component]", "data-token") == str(token)
        check_heads(page, video, 0, token, frame=3)
        assert page.console_errors == [] and ctx.blocked == []
