#!/usr/bin/env bash
# The test command: a fresh virtual environment, the notebooks/package sync check, the notebook tests, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MPLBACKEND=Agg PYTHONDONTWRITEBYTECODE=1
venv=.venv-test
start=$(date +%s)
echo "== setting up a fresh virtual environment in $venv"
bash scripts/setup.sh "$venv" --fresh
PATH="$PWD/$venv/bin:$PATH"

echo "== checking that nbdev-clean and nbdev-export leave the tree as it is"
state() { git status --porcelain --untracked-files=all -- nbs prisma_nb; git diff -- nbs prisma_nb | sha1sum; }
before=$(state)
nbdev-clean >/dev/null
nbdev-export
after=$(state)
if [ "$before" != "$after" ]; then
  echo "FAILED: notebooks and package are out of sync; run nbdev-clean and nbdev-export and commit the result:"
  diff <(echo "$before") <(echo "$after") || true
  exit 1
fi

echo "== nbdev-proc-nbs (the docs build's notebook processing; Quarto itself cannot be installed here)"
# it first tries to install Quarto and says so in a few harmless lines (there is no sudo here), hidden below;
# a notebook that fails raises, and the command exits non-zero
proc_log=$(mktemp)
status=0; nbdev-proc-nbs --force --n-workers 2 > "$proc_log" 2>&1 || status=$?
grep -v -e "^Quarto is not installed" -e "^Installing or upgrading quarto" -e "sudo: not found" -e "^Cancelled. Please download" "$proc_log" || true
rm -f "$proc_log"
if [ "$status" -ne 0 ]; then echo "FAILED: nbdev-proc-nbs (exit $status)"; exit 1; fi

# The notebooks themselves run in pytest (tests/test_notebooks.py): each one top to bottom in a fresh Jupyter kernel,
# as a reader's Run All does, which is stricter than nbdev-test (it honours flags and skip rules Jupyter ignores).
# `nbdev-test --n-workers 2` still runs them the nbdev way; `--flags slow` adds the opted-in cells.

echo "== pytest (tests/), $(( $(date +%s) - start )) s in so far; pytest's summary line is the last line"
exec python -m pytest tests -ra -p no:cacheprovider "$@"
