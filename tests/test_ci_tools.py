"""A test that needs a tool of the machine is skipped where the tool is missing, but fails
under CI=true: CI cannot pass without having run it (PostgreSQL, Chromium, LibreOffice and
poppler alike)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# (a test that needs the tool, the environment that takes the tool away, what the run reports locally)
CASES = {
    "postgresql": ("tests/test_ledger_migrations.py::test_migrations_build_the_schema_the_code_uses",
                   {"FANGFEI_TEST_PG": "postgresql+psycopg://postgres@127.0.0.1:1/none"}, "1 passed, 1 skipped"),
    "chromium": ("tests/test_web_check.py::test_error_summary_links_to_the_field",
                 {"FANGFEI_CHROMIUM": "/nonexistent/chromium"}, "1 skipped"),
    "libreoffice": ("tests/test_report.py::test_attachment2_prints_as_a_form", {"PATH": "/nonexistent"}, "1 skipped"),
}


def run_test(test: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
                          cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True)


@pytest.mark.parametrize("tool", sorted(CASES))
def test_without_the_tool_skipped_locally_failed_under_ci(tool: str) -> None:
    test, without, local_summary = CASES[tool]
    local = run_test(test, {**without, "CI": ""})
    assert local.returncode == 0 and local_summary in local.stdout, local.stdout
    ci = run_test(test, {**without, "CI": "true"})
    assert ci.returncode != 0 and "cannot be skipped under CI" in ci.stdout, ci.stdout
