"""Shared helpers for the views' browser and JupyterLab tests.

Static twins are opened in Debian's Chromium (/usr/bin/chromium) through Playwright with every request that is not a
local file (or a data:/blob: URL made by the page itself) aborted, so a view that reached for the network would break.
`jupyter_lab()` starts a real JupyterLab server on 127.0.0.1 with a temporary token and stops it by its PID.
"""
from __future__ import annotations
import contextlib, json, os, secrets, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path
import numpy as np
import pytest

CHROMIUM = "/usr/bin/chromium"

def _playwright_missing() -> str:
    if not Path(CHROMIUM).exists(): return f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-color-emoji"
    try: import playwright.sync_api  # noqa: F401
    except ImportError: return "playwright is missing: pip install -e '.[dev]'"
    return ""

# put `@needs_chromium` on a test that opens a browser; .ci/run installs Chromium, so in CI none of these skip
needs_chromium = pytest.mark.skipif(bool(_playwright_missing()), reason=_playwright_missing() or "chromium present")

LOCAL = ("file:", "data:", "blob:", "about:")

@contextlib.contextmanager
def browser(allow_hosts: tuple[str, ...] = ()):
    "A headless Chromium (Playwright) that refuses the network: only local files and `allow_hosts` (e.g. the Lab server)."
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            ctx = b.new_context(viewport={"width": 1400, "height": 1000})
            ctx.blocked = []
            def route(r):
                url = r.request.url
                if url.startswith(LOCAL) or any(url.startswith(h) for h in allow_hosts): return r.continue_()
                ctx.blocked.append(url)
                return r.abort()
            ctx.route("**/*", route)
            yield ctx
        finally:
            b.close()

def watch_console(page) -> list[str]:
    "A list that collects the page's console errors and uncaught exceptions."
    errors = []
    page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    return errors

def open_static(ctx, view_or_path, tmp_dir: str | Path | None = None, timeout_ms: int = 20_000):
    "Open a view's static twin (a `View`, or a saved page) in a new page; wait until every view on it has rendered."
    if hasattr(view_or_path, "save"):
        tmp_dir = Path(tmp_dir or tempfile.mkdtemp(prefix="views-"))
        view_or_path = view_or_path.save(tmp_dir / "view.html")
    page = ctx.new_page()
    page.console_errors = watch_console(page)
    page.goto(Path(view_or_path).resolve().as_uri())
    wait_rendered(page, timeout_ms)
    return page

def wait_rendered(page, timeout_ms: int = 20_000):
    "Wait until every static twin on the page says it rendered; a failed one raises with its message."
    page.wait_for_function("""() => { const v = [...document.querySelectorAll('[data-component]')];
        return v.length > 0 && v.every(e => e.dataset.rendered); }""", timeout=timeout_ms)
    bad = page.eval_on_selector_all("[data-component]", "vs => vs.filter(e => e.dataset.rendered === 'error').map(e => e.textContent)")
    if bad: raise AssertionError(f"a view failed to render: {bad}; console: {getattr(page, 'console_errors', [])}")

def canvas_pixels(page, selector: str = "canvas", index: int = 0) -> np.ndarray:
    "The RGBA pixels `[height, width, 4]` of the `index`-th canvas matching `selector`, read with getImageData."
    got = page.evaluate("""([sel, i]) => { const c = document.querySelectorAll(sel)[i];
        if (!c) return null;
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return {w: c.width, h: c.height, px: Array.from(d)}; }""", [selector, index])
    if got is None: raise AssertionError(f"no canvas number {index} matches {selector!r}")
    return np.array(got["px"], np.uint8).reshape(got["h"], got["w"], 4)

def n_colours(px: np.ndarray) -> int:
    "How many distinct RGB colours a pixel array holds (a blank canvas has one)."
    return len(np.unique(px[..., :3].reshape(-1, 3), axis=0))

def cell_centre(page, selector: str, row: int, col: int, rows: int, cols: int, index: int = 0) -> tuple[float, float]:
    "Page coordinates of the centre of patch (row, col) of a canvas drawn over a rows x cols grid."
    box = page.locator(selector).nth(index).bounding_box()
    return box["x"] + (col + 0.5) * box["width"] / cols, box["y"] + (row + 0.5) * box["height"] / rows

def hover_cell(page, selector: str, row: int, col: int, rows: int, cols: int, index: int = 0):
    "Move the mouse over patch (row, col) of the canvas (a real pointer move: mousemove events fire)."
    page.mouse.move(*cell_centre(page, selector, row, col, rows, cols, index))

def cell_pixel(px: np.ndarray, row: int, col: int, rows: int, cols: int) -> np.ndarray:
    "The RGB pixel at the centre of patch (row, col) of a canvas's pixels."
    h, w = px.shape[:2]
    return px[int((row + 0.5) * h / rows), int((col + 0.5) * w / cols), :3]

# ---- JupyterLab, live path ----

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

@contextlib.contextmanager
def jupyter_lab(root: str | Path, timeout_s: float = 90):
    "Start `jupyter lab` on 127.0.0.1 with a temporary token serving `root`; yields (base_url, token); stops it by its PID."
    token, port = secrets.token_hex(16), _free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(Path(root) / ".jupyter-config"), "HF_HUB_OFFLINE": "1",
           "JUPYTER_RUNTIME_DIR": str(Path(root) / ".jupyter-runtime"), "PRISMA_NB_VIEWS": "live"}
    log = open(Path(root) / "jupyter-lab.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
                             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
                             "--ServerApp.open_browser=False", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                             "--LabApp.extension_manager=readonly"] + (["--allow-root"] if os.geteuid() == 0 else []),
                            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {proc.returncode}: {(Path(root) / 'jupyter-lab.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200: break
            except OSError: pass
            if time.time() > deadline: raise TimeoutError(f"jupyter lab did not answer on {base} within {timeout_s} s")
            time.sleep(0.5)
        yield base, token
    finally:
        _stop(proc)
        log.close()

def _stop(proc: subprocess.Popen):
    "Stop the server we started, by its PID (its kernels are in its process group, started with it)."
    if proc.poll() is None:
        try: os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError: pass
        try: proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

def write_notebook(path: str | Path, cells: list[str]) -> Path:
    "A minimal notebook of code `cells` (for the live tests to open in JupyterLab)."
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {}, "outputs": [],
                     "source": src} for i, src in enumerate(cells)],
          "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5}
    Path(path).write_text(json.dumps(nb))
    return Path(path)

def open_in_lab(ctx, base: str, token: str, name: str, timeout_ms: int = 120_000):
    "Open notebook `name` in JupyterLab, run all its cells, and return the page once the kernel is idle again."
    page = ctx.new_page()
    page.console_errors = watch_console(page)
    page.goto(f"{base}/lab/tree/{name}?token={token}")
    page.wait_for_selector(".jp-Notebook", timeout=timeout_ms)
    # the kernel is ready when the status bar says so (on a loaded machine a kernel takes tens of seconds to start)
    page.wait_for_function("() => /\\|\\s*Idle/.test(document.querySelector('#jp-main-statusbar')?.textContent || '')", timeout=timeout_ms)
    page.locator("#jp-MainMenu").get_by_text("Run", exact=True).click()
    page.get_by_text("Run All Cells", exact=True).click()
    page.wait_for_function("""() => [...document.querySelectorAll('.jp-InputArea-prompt')].every(p => /\\[\\d+\\]/.test(p.textContent))""",
                           timeout=timeout_ms)
    return page
