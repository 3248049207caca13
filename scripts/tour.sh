#!/usr/bin/env bash
# The main job: install prisma_nb into .venv (once) and run the tour on the embedded toy model.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1
bash scripts/setup.sh .venv
.venv/bin/prisma-nb tour "$@"
