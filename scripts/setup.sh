#!/usr/bin/env bash
# Create .venv (once) and install the project with every extra into it.
# Used by demo.sh, test.sh and CI; needs only Python 3.11+ and network access to PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[all]"
