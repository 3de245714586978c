"""Concurrent writers in separate processes lose and duplicate nothing (PostgreSQL and
SQLite), and a killed ingest leaves the ledger as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select, text

from fangfei_screen.ledger import Ledger
from fangfei_screen.ledger.db import LOCK_KEY
from fangfei_screen.ledger.ingest import ingest
from fangfei_screen.ledger.queries import list_clues
from fangfei_screen.ledger.schema import batches, clue_months, history, metadata
from fangfei_screen.ledger.sheets import HEADERS, export_sheet

from .ledger_db import db_url, pg_url, screened_file  # noqa: F401 - fixtures
from .test_ledger import A, B, C, D


def registry(prefix: str, n: int, *, start: int = 0) -> list[tuple[str, ...]]:
    return [(f"91340323{prefix}{i:08d}", f"固镇县第{i}号{prefix}投资咨询有限公司", "存续", "", "投资咨询；日用百货销售")
             for i in range(start, start + n)]


def cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "fangfei_screen", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def counts(ledger: Ledger) -> dict[str, int]:
    with ledger.reading() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in metadata.sorted_tables}


def test_concurrent_ingests_and_import_lose_and_duplicate_nothing(db_url: str, tmp_path: Path) -> None:  # noqa: F811
    # the same entities (credit codes) in both units' files; C and H are letters a 统一社会信用代码 may hold (S is not)
    shared = registry("CH", 50)
    f1 = screened_file(tmp_path, "u1", [A, B, D, *registry("AA", 300), *shared])
    f2 = screened_file(tmp_path, "u2", [C, *registry("BB", 300), *shared])
    led = Ledger.open(db_url)
    base = screened_file(tmp_path, "base", [A])
    ingest(led, base, month="2025-05", unit="城关镇", by="seed")
    sheet = tmp_path / "台账-05.xlsx"
    export_sheet(led, month="2025-05", output=sheet)
    book = openpyxl.load_workbook(sheet)
    row = book["台账"][2]
    row[HEADERS.index("处置措施")].value, row[HEADERS.index("处置日期（YYYY-MM-DD）")].value = "责令整改", "2025-05-30"
    book.save(sheet)
    runs = [
        cli("ledger", "import", str(sheet), "--by", "p5", "--db", db_url),
        cli("ledger", "ingest", str(f1), "--month", "2025-06", "--unit", "城关镇", "--by", "p1", "--db", db_url),
        cli("ledger", "ingest", str(f1), "--month", "2025-06", "--unit", "城关镇", "--by", "p2", "--db", db_url),
        cli("ledger", "ingest", str(f2), "--month", "2025-06", "--unit", "湖沟镇", "--by", "p3", "--db", db_url),
        cli("ledger", "dispose", A[0], "--measure", "约谈", "--date", "2025-06-02", "--by", "p4", "--db", db_url),
        cli("users", "add", "并发", "--unit", "城关镇", "--role", "clerk", "--db", db_url),
    ]
    outs = [p.communicate(timeout=300) for p in runs]
    for p, (out, err) in zip(runs, outs):
        assert p.returncode == 0, err
    assert sum("台账未变" in out for out, _ in outs[1:3]) == 1  # one recorded, the other found it done
    june = list_clues(led, month="2025-06")
    keys = [c["key"] for c in june]
    expected = {A[0], B[0], *(r[0] for r in registry("AA", 300)), *(r[0] for r in registry("BB", 300)), C[0], *(r[0] for r in shared)}
    assert len(keys) == len(set(keys)) and set(keys) == expected
    assert {c["key"]: c["state"] for c in june}[A[0]] == "recurring"
    with led.reading() as conn:
        assert conn.execute(select(func.count()).select_from(batches)).scalar_one() == 3
        entity_events = conn.execute(
            select(func.count()).select_from(history).where(history.c.subject == "entity", history.c.batch_id.isnot(None))
        ).scalar_one()
        assert entity_events == conn.execute(select(func.count()).select_from(clue_months)).scalar_one()
        assert conn.execute(select(func.count()).select_from(history).where(history.c.action == "disposed")).scalar_one() == 2
    led.dispose()


def _in_transaction(led: Ledger, db_file: Path | None) -> bool:
    """The ingest holds the ledger's write lock (its transaction has begun)."""
    if db_file is not None:
        import sqlite3

        probe = sqlite3.connect(db_file, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()
    with led.engine.connect() as conn:
        return bool(conn.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")).scalar_one())


def _writing(led: Ledger, db_file: Path | None, baseline: int) -> bool:
    """The ingest's transaction has started writing rows."""
    if db_file is not None:
        wal = Path(f"{db_file}-wal")
        return wal.exists() and wal.stat().st_size > baseline
    with led.engine.connect() as conn:
        q = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' "
                 "AND (query ILIKE 'COPY%' OR query ILIKE 'INSERT%')")
        return bool(conn.execute(q).scalar_one())


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screened_file(tmp_path_factory.mktemp("big"), "big", registry("KK", 20000))


@pytest.mark.parametrize("when", ["reading", "writing"])
def test_killed_ingest_leaves_the_ledger_as_it_was(db_url: str, tmp_path: Path, when: str, big_file: Path) -> None:  # noqa: F811
    led = Ledger.open(db_url)
    ingest(led, screened_file(tmp_path, "m1", [A, B, C]), month="2025-05", unit="城关镇", by="seed")
    before = counts(led)
    big = big_file
    db_file = Path(db_url.removeprefix("sqlite:///")) if db_url.startswith("sqlite") else None
    baseline = Path(f"{db_file}-wal").stat().st_size if db_file and Path(f"{db_file}-wal").exists() else 0
    proc = cli("ledger", "ingest", str(big), "--month", "2025-06", "--unit", "城关镇", "--by", "doomed", "--db", db_url)
    deadline = time.monotonic() + 240
    ready = (lambda: _in_transaction(led, db_file)) if when == "reading" else (lambda: _writing(led, db_file, baseline))
    while not ready():
        assert proc.poll() is None, "the ingest finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    led.dispose()
    led = Ledger.open(db_url)
    assert counts(led) == before
    assert list_clues(led, month="2025-06") == []
    # the lock died with the process: the next ingest goes through
    s = ingest(led, screened_file(tmp_path, "m2", [A, B, D]), month="2025-06", unit="城关镇", by="next")
    assert dict(s.states) == {"recurring": 2}
    led.dispose()


@pytest.mark.parametrize("n", [2])
def test_pg_url_fixture_is_a_fresh_database(pg_url: str, n: int) -> None:  # noqa: F811
    led = Ledger.open(pg_url)
    assert counts(led)["batches"] == 0 and led.engine.dialect.name == "postgresql"
    led.dispose()


def test_readers_do_not_wait_for_a_writer(db_url: str, tmp_path: Path) -> None:  # noqa: F811
    led = Ledger.open(db_url)
    ingest(led, screened_file(tmp_path, "m1", [A, B]), month="2025-06", unit="城关镇", by="seed")
    other = Ledger.open(db_url)
    with other.engine.begin() as writer:  # holds the ledger's write lock, as a running ingest does
        if not other.is_sqlite:
            writer.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")
        writer.execute(history.delete())  # an uncommitted change: readers see the committed state
        assert {c["key"] for c in list_clues(led, month="2025-06")} == {A[0], B[0]}
        assert Ledger.open(db_url).revisions()[0] is not None
        with led.reading() as conn:
            assert conn.execute(select(func.count()).select_from(history)).scalar_one() > 0
    other.dispose()
    led.dispose()
