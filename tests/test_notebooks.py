"""Every notebook as a reader meets it: run top to bottom in a fresh Jupyter kernel offline (nbclient, which ignores
nbdev's flags and skip rules), within its time budget; and the static rules of the pages: output size, no progress-bar
logs, no CDN renderer, imports in cells of their own, legible figures, Colab badges, a sidebar that lists each page once."""
import ast, base64, json, os, re, struct, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT / "nbs"
NOTEBOOKS = sorted(p for p in NBS.rglob("*.ipynb") if not ({"_proc", ".ipynb_checkpoints"} & set(p.parts)))
TUTORIAL_DIRS = ("tutorials", "course")

def rel(p: Path) -> str: return p.relative_to(NBS).as_posix()
def is_long_form(p: Path) -> bool: return p.parent.name in TUTORIAL_DIRS
def budget_seconds(p: Path) -> int: return 300 if is_long_form(p) else 120
def budget_bytes(p: Path) -> int: return 1_000_000 if is_long_form(p) or p.name == "index.ipynb" else 300_000
def cells(p: Path) -> list: return json.loads(p.read_text())["cells"]
def source(c) -> str: return "".join(c["source"])

# ---- running every notebook as Jupyter does ----

TIMES: dict[str, float] = {}

def _run(p: Path):
    nbformat = pytest.importorskip("nbformat"); nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(p, as_version=4)
    env_keep = dict(os.environ)
    # one thread per kernel: two kernels run at once on this 2-core machine, and oversubscribed threads only wait on each other
    os.environ.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", MPLBACKEND="module://matplotlib_inline.backend_inline",
                      OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    os.environ.pop("IN_TEST", None); os.environ.pop("PRISMA_NB_RUN", None)
    start = time.perf_counter()
    try:
        client = nbclient.NotebookClient(nb, timeout=budget_seconds(p), kernel_name="python3",
                                         resources={"metadata": {"path": str(p.parent)}})
        client.execute()
        error = None
    except Exception as e:  # reported by the test of this notebook, with the cell that failed
        error = e
    finally:
        os.environ.clear(); os.environ.update(env_keep)
    return time.perf_counter() - start, error

@pytest.fixture(scope="session")
def executed():
    "Every notebook run once, two at a time (this machine has two cores) with one thread each, in a fresh kernel each."
    pytest.importorskip("nbclient")
    with ThreadPoolExecutor(max_workers=int(os.environ.get("PRISMA_NB_NOTEBOOK_WORKERS", "2"))) as pool:
        results = dict(zip(NOTEBOOKS, pool.map(_run, NOTEBOOKS)))
    for p, (seconds, _) in results.items(): TIMES[rel(p)] = seconds
    return results

@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_notebook_runs_in_a_fresh_kernel(path, executed):
    seconds, error = executed[path]
    if error is not None: pytest.fail(f"{rel(path)} failed under a plain Run All after {seconds:.0f} s:\n{str(error)[-3000:]}")
    assert seconds <= budget_seconds(path), f"{rel(path)} took {seconds:.0f} s; its budget is {budget_seconds(path)} s"

# ---- the static rules ----

@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_outputs_within_budget_and_no_progress_logs(path):
    size = path.stat().st_size
    assert size <= budget_bytes(path), f"{rel(path)} is {size / 1e3:.0f} KB; the budget is {budget_bytes(path) / 1e3:.0f} KB"
    for i, c in enumerate(cells(path)):
        for out in c.get("outputs", []):
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            assert not re.search(r"\d+%\|[█▏▎▍▌▋▊▉ #]*\|", text) and "it/s]" not in text, f"{rel(path)} cell {i} holds a progress-bar log"

def _png_width(b64: str) -> int: return struct.unpack(">I", base64.b64decode(b64[:44])[16:20])[0]

@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_main_figure_is_legible(path):
    widths = [_png_width(o["data"]["image/png"]) for c in cells(path) for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    if widths: assert max(widths) >= 600, f"{rel(path)}: its widest figure is {max(widths)} px; a main figure should be about 600 px or more"

@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_nothing_loads_from_a_cdn(path):
    assert "notebook_connected" not in path.read_text(), f"{rel(path)} uses plotly's notebook_connected renderer (a CDN: blank offline)"

@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_committed_views_are_static_twins(path):
    "A live widget's committed output is only a reference to kernel state, blank on the docs site and in nbconvert."
    live = [i for i, c in enumerate(cells(path)) for o in c.get("outputs", [])
            if "application/vnd.jupyter.widget-view+json" in o.get("data", {}) and "text/html" not in o.get("data", {})]
    assert not live, (f"{rel(path)}: cells {live} hold live widgets with no static twin; re-run the page with "
                      "PRISMA_NB_VIEWS=static before committing its outputs")

def _mixed_import_cells(path: Path) -> list[int]:
    "Cells nbdev runs while preparing the docs (any import) that also hold other code."
    out = []
    for i, c in enumerate(cells(path)):
        if c["cell_type"] != "code": continue
        src = source(c)
        if "nbdev_export()" in src: continue   # nbdev never runs its own export call
        dirs = dict((m.group(1), (m.group(2) or "").strip()) for m in re.finditer(r"^#\|\s*([\w-]+):?(.*)$", src, re.M))
        if dirs.keys() & {"export", "exports", "exporti", "exec_doc"} or dirs.get("eval", "").lower() == "false": continue
        body = "\n".join("" if l.lstrip().startswith(("%", "!")) else l for l in src.splitlines())
        tree = ast.parse(body)
        if any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(tree)) and \
           any(not isinstance(t, (ast.Import, ast.ImportFrom)) for t in tree.body): out.append(i)
    return out

@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_imports_in_cells_of_their_own(path):
    assert _mixed_import_cells(path) == [], f"{rel(path)}: cells {_mixed_import_cells(path)} mix imports with other code (breaks nbdev-proc-nbs)"

@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if is_long_form(p)], ids=rel)
def test_colab_badge_and_install_cell(path):
    from prisma_nb.notebook import COLAB_INSTALL, colab_badge
    top = [source(c) for c in cells(path)[:3]]
    assert top[1] == colab_badge(rel(path)), f"{rel(path)}: the cell after the title should be the Colab badge"
    assert top[2] == COLAB_INSTALL, f"{rel(path)}: the third cell should be the Colab install cell"
    assert (NBS / "images" / "colab-badge.svg").exists()

def test_sidebar_lists_each_page_once():
    yml = (NBS / "_quarto.yml").read_text()
    globs = re.findall(r'contents:\s*"([^"]+)"', yml)
    assert globs and all(g.startswith("/") for g in globs), f"sidebar globs must start with / (Quarto matches them in subfolders otherwise): {globs}"
    assert "commonmark" not in yml and "keep-md" not in yml
    assert "format-links: false" in yml, "nbdev.yml (rewritten by nbdev) links a Markdown format that is not rendered: turn it off in _quarto.yml"

def test_home_page_links_resolve():
    text = "\n".join(source(c) for c in cells(NBS / "index.ipynb") if c["cell_type"] == "markdown")
    links = [l for l in re.findall(r"\]\(([^)\s]+)\)", text) if not l.startswith(("http://", "https://", "#"))]
    assert links, "the home page should link the tutorials, the course and the API pages"
    missing = [l for l in links if not (NBS / l.split("#")[0]).exists()]
    assert not missing, f"index.ipynb links to pages that do not exist: {missing}"
    for part in ("tutorials/", "course/"): assert any(l.startswith(part) for l in links), f"the home page links no {part} page"
