"""``ledger backup``: SQLite's online backup API (pages copied while the ledger stays in
use), into a temporary beside the target renamed into place when complete."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from fangfei_screen.atomic import atomic_output

from .db import Ledger, LedgerError


def backup(ledger: Ledger, output: str | Path) -> int:
    """Copy an SQLite ledger to ``output``; returns its size in bytes. PostgreSQL: pg_dump."""
    if not ledger.is_sqlite:
        raise LedgerError("PostgreSQL 台账请用 pg_dump 备份，如 pg_dump -Fc -f 台账.dump 数据库名 / use pg_dump")
    output = Path(output)
    if not output.parent.exists():
        raise LedgerError(f"输出目录不存在 / no such directory: {output.parent}")
    source_path = ledger.engine.url.database or ""
    if output.exists() and source_path and output.resolve() == Path(source_path).resolve():
        raise LedgerError("备份文件不能是台账本身 / the backup cannot be the ledger itself")
    with atomic_output(output) as tmp:  # complete or absent
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=120)
        try:
            target = sqlite3.connect(tmp)
            try:
                source.backup(target)
                ok = target.execute("PRAGMA integrity_check").fetchone()
                if not ok or ok[0] != "ok":
                    raise LedgerError(f"备份校验未通过 / the copy failed its integrity check: {ok}")
                target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                target.close()
        finally:
            source.close()
    return output.stat().st_size
