#!/usr/bin/env bash
# Build a folder of every wheel fangfei-screen[all] needs (the project's own wheel too), for
# installing on a machine without internet:
#   bash scripts/wheelhouse.sh [FOLDER]          # default: ./wheelhouse
#   python3 -m venv .venv && .venv/bin/pip install --no-index --find-links FOLDER 'fangfei-screen[all]'
# Build it with the same Python version and platform as the target machine (wheels are per version).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-wheelhouse}
PY=${PYTHON:-python3}
mkdir -p "$OUT"
"$PY" -m pip wheel --quiet --wheel-dir "$OUT" ".[all]"
n=$(find "$OUT" -maxdepth 1 -name '*.whl' | wc -l)
echo "wheelhouse: $n wheels in $OUT（离线安装：pip install --no-index --find-links $OUT 'fangfei-screen[all]'）"
