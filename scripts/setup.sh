#!/usr/bin/env bash
# Create (or reuse) a virtual environment and install prisma_nb into it with the pinned torch.
# Usage: scripts/setup.sh VENV_DIR [--fresh]
set -euo pipefail
venv="${1:-.venv}"
cd "$(dirname "$0")/.."
if [ "${2:-}" = "--fresh" ]; then rm -rf "$venv"; fi
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
# pip prints one harmless warning line per missing optional index folder on some machines; hide only those lines
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]" 2>&1 \
  | grep -v "^WARNING: Location" || true
"$venv/bin/python" - <<'PY'
import importlib.metadata as md, sys
import torch
names = sorted(d.metadata["Name"] for d in md.distributions() if d.metadata["Name"] and d.metadata["Name"].lower().startswith(("nvidia-", "triton")))
if names: sys.exit(f"CUDA packages were installed ({', '.join(names)}); install with the constraints file: pip install -c constraints.txt -e '.[dev]'")
print(f"torch {torch.__version__}, torchvision {md.version('torchvision')}, no CUDA packages")
PY
