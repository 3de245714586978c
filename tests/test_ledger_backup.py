"""Backups of the ledger and their restore (issue 19, part 6): `ledger backup` (SQLite's
online backup API) while the service's writes go on, and pg_dump/pg_restore for PostgreSQL;
the restored ledger opens, holds every check, and is still append-only."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from fangfei_screen.cli import main
from fangfei_screen.ledger import Ledger
from fangfei_screen.ledger.checks import Caller, CheckEntry, append_checks, count_checks, get_check, new_check_id

from .ledger_db import drop_pg_database, new_pg_database, pg_url  # noqa: F401 - the fixture


def _entries(n: int) -> list[CheckEntry]:
    at = datetime(2025, 6, 3, 2, 0, tzinfo=UTC)
    return [CheckEntry(id=new_check_id(at), at=at, channel="page", caller=Caller(kind="user", name="张三", unit="城关镇"),
                       kind="new", input_sha256="0" * 64, list_version="2025-05-30", list_sha256="a" * 64,
                       action="block", terms=("投资",), input={"name": f"固镇县鑫源投资管理有限公司{i}"}) for i in range(n)]


def test_sqlite_online_backup_while_checks_are_written_and_its_restore(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = Ledger.open(db)
    first = _entries(50)
    append_checks(ledger, first)
    stop = threading.Event()

    def keep_writing() -> None:
        while not stop.is_set():
            append_checks(ledger, _entries(20))

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        assert main(["ledger", "backup", "-o", str(tmp_path / "备份.db"), "--db", db]) == 0
    finally:
        stop.set()
        writer.join()
    assert "台账已备份到" in capsys.readouterr().out
    copy = tmp_path / "备份.db"
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # restore: the copy put in place of a lost ledger
    (tmp_path / "ledger.db").unlink()
    for extra in ("-wal", "-shm"):
        (tmp_path / f"ledger.db{extra}").unlink(missing_ok=True)
    ledger.dispose()
    shutil.copy(copy, tmp_path / "ledger.db")
    restored = Ledger.open(db)
    assert count_checks(restored) >= 50 and get_check(restored, first[0].id) is not None
    with pytest.raises(DBAPIError, match="append-only"):
        with restored.engine.begin() as conn:
            conn.execute(text("DELETE FROM checks"))
    restored.dispose()


def test_backup_refuses_what_it_cannot_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    Ledger.open(db).dispose()
    assert main(["ledger", "backup", "-o", str(tmp_path / "no" / "b.db"), "--db", db]) == 2
    assert "输出目录不存在" in capsys.readouterr().err
    assert main(["ledger", "backup", "-o", str(tmp_path / "ledger.db"), "--db", db]) == 2
    assert "不能是台账本身" in capsys.readouterr().err


@pytest.mark.needs_tools("pg_dump", "pg_restore")
def test_postgresql_pg_dump_and_restore(pg_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    ledger = Ledger.open(pg_url)
    first = _entries(30)
    append_checks(ledger, first)
    assert main(["ledger", "backup", "-o", str(tmp_path / "x.db"), "--db", pg_url]) == 2
    assert "pg_dump" in capsys.readouterr().err
    url = make_url(pg_url)
    conninfo = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    dump = tmp_path / "台账.dump"
    subprocess.run(["pg_dump", *conninfo, "-Fc", "-f", str(dump), url.database or ""], check=True, capture_output=True)
    ledger.dispose()
    target = new_pg_database()
    try:
        subprocess.run(["pg_restore", *conninfo, "-d", make_url(target).database or "", str(dump)], check=True, capture_output=True)
        restored = Ledger.open(target)
        assert count_checks(restored) == 30 and get_check(restored, first[-1].id) is not None
        with pytest.raises(DBAPIError, match="append-only"):
            with restored.engine.begin() as conn:
                conn.execute(text("UPDATE checks SET action = 'pass'"))
        restored.dispose()
    finally:
        drop_pg_database(target)
