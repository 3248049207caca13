"""Size and speed of the emoji logit lens and DLA views (issue targets: static twin of ViT-B/16 <= 1 MB each; first
paint <= 1 s in headless Chromium; hover-to-updated view <= 30 ms median over 200 hovers, timed in the page with
performance.now(); a DLA ablation that re-runs the toy model <= 300 ms).

The Python side of the ablation click (the view's callback: the ablated run, its attribution and the new payload) is
timed against a plain forward pass of the same model on the same image, interleaved round by round, so machine noise
hits both; the ratio and the absolute median are printed. Needs Debian's Chromium and Playwright for the browser rows.

    python bench/bench_views_lens_dla.py [--rounds 15] [--hovers 200]
"""
import argparse, os, statistics, tempfile, time
from pathlib import Path
import torch
from prisma_nb.config import ViTConfig
from prisma_nb.vit import HookedViT
from prisma_nb.zoo.registry import load_hooked_model
from prisma_nb.toys.shapes import ShapesWorld
from prisma_nb.viz.lens import emoji_lens
from prisma_nb.viz.dla import dla_view

HOVER_JS = """([n]) => { const c = document.querySelector('.pn-view canvas'), r = c.getBoundingClientRect(), times = [];
  for (let i = 0; i < n; i++) {
    const x = r.left + ((i * 7919) % 997) / 997 * r.width, y = r.top + ((i * 104729) % 991) / 991 * r.height;
    const t0 = performance.now();
    c.dispatchEvent(new MouseEvent('mousemove', { clientX: x, clientY: y, bubbles: true }));
    times.push(performance.now() - t0);  // the handler redraws the canvas and the tooltip synchronously
  }
  times.sort((a, b) => a - b); return times; }"""

def browser_rows(views: dict, hovers: int) -> dict:
    from playwright.sync_api import sync_playwright
    out, tmp = {}, Path(tempfile.mkdtemp(prefix="bench-views-"))
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium")
        for name, view in views.items():
            path = view.save(tmp / f"{name.replace('/', '_').replace(' ', '_')}.html")
            page = b.new_page(viewport={"width": 1200, "height": 900})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
            start = time.perf_counter()
            page.goto(path.as_uri())
            page.wait_for_function("() => document.querySelector('[data-component]')?.dataset.rendered", polling=10)
            paint = time.perf_counter() - start
            times = page.evaluate(HOVER_JS, [hovers])
            out[name] = (paint, statistics.median(times), times[int(0.9 * len(times))])
            page.close()
        b.close()
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--hovers", type=int, default=200)
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(f"load {os.getloadavg()}, torch threads {torch.get_num_threads()}, cpus {os.cpu_count()}")
    toy = load_hooked_model("toy/shapes-2l")
    image = ShapesWorld("test", n=1, seed=0)[0]["image"]
    vitb = HookedViT(ViTConfig(d_model=768, n_layers=12, n_heads=12, image_size=224, patch_size=16, n_classes=1000)).init_weights(seed=0).eval()
    photo = torch.rand(3, 224, 224, generator=torch.Generator().manual_seed(0))
    views = {"lens toy": emoji_lens(toy, image), "lens ViT-B/16": emoji_lens(vitb, photo),
             "dla toy": dla_view(toy, image), "dla ViT-B/16": dla_view(vitb, photo)}
    sizes = {k: len(v.to_html().encode()) for k, v in views.items()}
    for k, n in sizes.items(): print(f"{k:16s} static twin {n / 1e3:7.1f} kB")

    view = views["dla toy"]
    clicks, forwards = [], []
    with torch.no_grad():
        for r in range(args.rounds):  # interleaved: the callback, then a plain forward of the same image
            start = time.perf_counter(); view._handle({"kind": "ablate", "ablate": ["L1H2"] if r % 2 == 0 else ["L0_mlp"], "how": "zero"})
            clicks.append(time.perf_counter() - start)
            start = time.perf_counter(); toy(image[None]); forwards.append(time.perf_counter() - start)
    ratios = [c / f for c, f in zip(clicks, forwards)]
    click_ms = 1e3 * statistics.median(clicks)
    print(f"DLA ablation callback (toy): median {click_ms:.1f} ms (range {1e3 * min(clicks):.1f}-{1e3 * max(clicks):.1f}), "
          f"{statistics.median(ratios):.1f}x a plain forward ({1e3 * statistics.median(forwards):.2f} ms)")

    try: rows = browser_rows({k: views[k] for k in ("lens ViT-B/16", "dla ViT-B/16", "lens toy")}, args.hovers)
    except Exception as e: rows = {}; print(f"browser rows skipped: {e}")
    for k, (paint, med, p90) in rows.items():
        print(f"{k:16s} first paint {paint * 1e3:6.0f} ms; hover redraw median {med:5.2f} ms, 90th percentile {p90:5.2f} ms")
    print(f"load after {os.getloadavg()}")
    met = lambda ok: "met" if ok else "NOT met"
    for k in ("lens ViT-B/16", "dla ViT-B/16"):
        print(f"{k} static twin: {sizes[k] / 1e6:.2f} MB, target <= 1 MB: ratio {sizes[k] / 1e6:.2f}, {met(sizes[k] <= 1e6)}")
        if k in rows:
            print(f"{k} first paint: {rows[k][0]:.2f} s, target <= 1 s: ratio {rows[k][0]:.2f}, {met(rows[k][0] <= 1)}")
    if "lens ViT-B/16" in rows:
        med = rows["lens ViT-B/16"][1]
        print(f"lens ViT-B/16 hover: median {med:.2f} ms, target <= 30 ms: ratio {med / 30:.2f}, {met(med <= 30)}")
    print(f"DLA ablation (toy, Python side): {click_ms:.0f} ms, target <= 300 ms: ratio {click_ms / 300:.2f}, {met(click_ms <= 300)}")

if __name__ == "__main__":
    main()
