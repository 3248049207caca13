"scripts/tour.sh installs only when its inputs changed: a stamp holds the hash of pyproject.toml, constraints.txt and setup.sh."
import shutil, subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FAKE_SETUP = """#!/usr/bin/env bash
# stands in for the real install: counts its runs and provides the command
set -e
echo run >> setup_runs.txt
mkdir -p "$1/bin"
printf '#!/usr/bin/env bash\\necho "$*"\\n' > "$1/bin/prisma-nb"
chmod +x "$1/bin/prisma-nb"
"""

def _layout(tmp: Path) -> Path:
    (tmp / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "tour.sh", tmp / "scripts" / "tour.sh")
    (tmp / "scripts" / "setup.sh").write_text(FAKE_SETUP)
    (tmp / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp / "constraints.txt").write_text("torch==2.0\n")
    return tmp

def _tour(root: Path, *args, **env) -> str:
    out = subprocess.run(["bash", str(root / "scripts" / "tour.sh"), *args], cwd=root, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", **env}, check=True)
    return out.stdout

def _runs(root: Path) -> int: return len((root / "setup_runs.txt").read_text().split())

def test_install_skipped_while_inputs_unchanged(tmp_path):
    root = _layout(tmp_path)
    assert _tour(root, "--quiet").strip() == "tour --quiet"  # the arguments reach `prisma-nb tour`
    assert _runs(root) == 1
    _tour(root); _tour(root)
    assert _runs(root) == 1                        # the stamp matches: no install
    (root / "constraints.txt").write_text("torch==2.1\n")
    _tour(root)
    assert _runs(root) == 2                        # an input changed: installed again, once
    _tour(root)
    assert _runs(root) == 2
    _tour(root, PRISMA_NB_REINSTALL="1")
    assert _runs(root) == 3                        # forced

def test_missing_command_reinstalls(tmp_path):
    root = _layout(tmp_path)
    _tour(root)
    (root / ".venv" / "bin" / "prisma-nb").unlink()  # a broken venv with a current stamp is still repaired
    _tour(root)
    assert _runs(root) == 2
