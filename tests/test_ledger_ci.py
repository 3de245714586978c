"""Without a reachable PostgreSQL the PostgreSQL tests are skipped, except under CI=true,
where they fail: CI cannot pass without having run them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_pg_test(**env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "FANGFEI_TEST_PG": "postgresql+psycopg://postgres@127.0.0.1:1/none", **env}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/test_ledger_migrations.py::test_migrations_build_the_schema_the_code_uses"],
        cwd=ROOT, env=full, capture_output=True, text=True,
    )


def test_without_postgresql_skipped_locally_failed_under_ci() -> None:
    local = run_pg_test(CI="")
    assert local.returncode == 0 and "1 passed, 1 skipped" in local.stdout, local.stdout
    ci = run_pg_test(CI="true")
    assert ci.returncode != 0 and "PostgreSQL tests cannot be skipped under CI" in ci.stdout, ci.stdout
