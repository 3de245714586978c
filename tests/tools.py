"""Tests that need a tool of the machine (LibreOffice, poppler, Chromium, PostgreSQL).

Where the tool is missing such a test is skipped on a developer's machine, but fails under
CI=true: .ci/run installs every tool, so a skip there would hide a missing install step and
let a form or a page go unchecked.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str) -> None:
    """Skip the test, or fail it under CI, where nothing may be skipped for a missing tool."""
    if under_ci():
        pytest.fail(f"cannot be skipped under CI: {reason}")
    pytest.skip(reason)


def require_tools(*names: str) -> None:
    """Skip (or fail under CI) unless every named program is on PATH."""
    missing = [n for n in names if shutil.which(n) is None]
    if missing:
        skip_or_fail(f"needs {', '.join(missing)} (bash .ci/run installs it)")


def pictures_dir(name: str) -> Path:
    """Where a test puts the pictures it takes of pages and printed forms: out/NAME, or the
    committed docs/NAME when FANGFEI_UPDATE_DOCS=1 (so a test run never dirties the tree)."""
    root = Path(__file__).resolve().parent.parent
    return root / ("docs" if os.environ.get("FANGFEI_UPDATE_DOCS") == "1" else "out") / name
