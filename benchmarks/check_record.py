"""How fast the check record takes checks: ``append_checks`` with 1, 50 and 500 checks per
transaction (what the service's writer does when that many requests are waiting), on SQLite
and, when reachable, PostgreSQL.

    .venv/bin/python benchmarks/check_record.py [--checks 3000] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Prints checks/s for each batch size. Each run writes a new database in a temporary folder
(PostgreSQL: a new database, dropped afterwards).
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from fangfei_screen.ledger import Ledger
from fangfei_screen.ledger.checks import Caller, CheckEntry, append_checks, input_sha256, new_check_id

APPLICATION = {"name": "固镇县鑫源投资管理有限公司", "scope": "以自有资金从事投资活动；企业管理咨询", "kind": "new"}


def entries(n: int) -> list[CheckEntry]:
    at = datetime.now(UTC)
    return [CheckEntry(id=new_check_id(at), at=at, channel="api", caller=Caller(kind="key", name="0123456789ab", unit="城关镇"),
                       kind="new", input_sha256=input_sha256(APPLICATION), list_version="2025-05-30", list_sha256="a" * 64,
                       action="block", terms=("投资",), input=APPLICATION, result={"action": "block", "keywords": ["投资"]})
            for _ in range(n)]


def run(url: str, checks: int) -> None:
    ledger = Ledger.open(url)
    for size in (1, 50, 500):
        batches = [entries(size) for _ in range(max(1, checks // size))]
        started = time.perf_counter()
        for b in batches:
            append_checks(ledger, b)
        seconds = time.perf_counter() - started
        print(f"{ledger.engine.dialect.name:10} {size:4} a transaction: {len(batches) * size / seconds:9,.0f} checks/s")
    ledger.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checks", type=int, default=3000)
    ap.add_argument("--pg", help="a PostgreSQL server URL (a database is created on it and dropped)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'ledger.db'}", args.checks)
    if args.pg:
        import psycopg
        from sqlalchemy.engine import make_url

        base = make_url(args.pg)
        name = f"ff_bench_{secrets.token_hex(4)}"
        admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            run(base.set(database=name).render_as_string(hide_password=False), args.checks)
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
