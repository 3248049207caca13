#!/usr/bin/env bash
# The main job: install prisma_nb into .venv (only when the install inputs changed) and run the tour on the embedded toy model.
# The install is skipped while .venv/.install-stamp holds the hash of pyproject.toml, constraints.txt and scripts/setup.sh
# (PRISMA_NB_REINSTALL=1 forces it). Extra arguments go to `prisma-nb tour` (e.g. --threads 2).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1
stamp=.venv/.install-stamp
want=$(cat pyproject.toml constraints.txt scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ "${PRISMA_NB_REINSTALL:-0}" = 1 ] || [ ! -x .venv/bin/prisma-nb ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  rm -f "$stamp"
  bash scripts/setup.sh .venv
  echo "$want" > "$stamp"
fi
.venv/bin/prisma-nb tour "$@"
