"""Ledger databases for tests: an SQLite file per test, and a fresh PostgreSQL database
per test on the server at $FANGFEI_TEST_PG (default: the local one, user postgres).

Without a reachable PostgreSQL the PostgreSQL cases are skipped — except under CI=true,
where they fail, so that CI cannot pass without having run them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

from .tools import skip_or_fail

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_SESSION = f"ff_ledger_{os.getpid()}_{secrets.token_hex(3)}"
_counter = iter(range(1_000_000))


def pg_base_url() -> str:
    return os.environ.get("FANGFEI_TEST_PG", DEFAULT_PG)


def _admin_conninfo() -> str:
    from sqlalchemy.engine import make_url

    url = make_url(pg_base_url())
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def pg_reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(_admin_conninfo(), connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _skip_or_fail(reason: str) -> None:
    skip_or_fail(f"PostgreSQL not reachable: {reason}")


def new_pg_database() -> str:
    """A new, empty database on the test server; its URL."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"{_SESSION}_{next(_counter)}"
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(pg_base_url()).set(database=name, drivername="postgresql+psycopg").render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The URL of an empty ledger database, once for SQLite and once for PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    reason = pg_reachable()
    if reason:
        _skip_or_fail(reason)
    url = new_pg_database()
    try:
        yield url
    finally:
        from sqlalchemy import create_engine  # noqa: F401

        drop_pg_database(url)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database only (skipped without one, failed under CI)."""
    reason = pg_reachable()
    if reason:
        _skip_or_fail(reason)
    url = new_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def ledger(db_url: str) -> Iterator[object]:
    from fangfei_screen.ledger import Ledger

    led = Ledger.open(db_url)
    try:
        yield led
    finally:
        led.dispose()


REGISTRY_HEADER = ("统一社会信用代码", "企业名称", "登记状态", "住所", "经营范围")


def screened_file(folder, stem: str, rows, *, suffix: str = ".csv", as_of: str = "2025-06-30"):  # type: ignore[no-untyped-def]
    """Write a registry extract of ``rows`` (tuples in REGISTRY_HEADER order) and scan it
    with the real ``scan``; the results file's path."""
    import csv

    from fangfei_screen.scanfile import scan_file

    registry = folder / f"{stem}-registry.csv"
    with registry.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(REGISTRY_HEADER)
        w.writerows(rows)
    out = folder / f"{stem}-screened{suffix}"
    scan_file(str(registry), str(out), as_of=as_of)
    return out
