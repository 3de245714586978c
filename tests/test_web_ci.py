"""Under CI=true a browser test without a browser fails; elsewhere it is skipped."""

from __future__ import annotations

import os
import subprocess
import sys

from .web_helpers import ROOT


def run_browser_test(**env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "FANGFEI_CHROMIUM": "/nonexistent/chromium", **env}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/test_web_check.py::test_error_summary_links_to_the_field"],
        cwd=ROOT, env=full, capture_output=True, text=True,
    )


def test_without_chromium_skipped_locally_failed_under_ci() -> None:
    local = run_browser_test(CI="")
    assert local.returncode == 0 and "1 skipped" in local.stdout, local.stdout
    ci = run_browser_test(CI="true")
    assert ci.returncode != 0 and "browser tests must run under CI" in ci.stdout, ci.stdout
