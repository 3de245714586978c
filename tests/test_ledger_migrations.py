"""The ledger's schema is versioned: migrations build exactly the tables the code uses,
`ledger upgrade` migrates, and an older database is refused until it is upgraded."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from fangfei_screen.cli import main
from fangfei_screen.ledger import Ledger, LedgerError
from fangfei_screen.ledger.schema import metadata

from .ledger_db import db_url  # noqa: F401 - fixture


def test_migrations_build_the_schema_the_code_uses(db_url: str) -> None:  # noqa: F811
    led = Ledger.open(db_url, check=False)
    assert led.revisions()[0] is None
    before, after = led.upgrade()
    assert before is None and after == led.revisions()[1]
    with led.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    led.dispose()


def test_upgrade_command_and_an_older_database(db_url: str, capsys) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    assert main(["ledger", "upgrade", "--db", db_url]) == 0
    out = capsys.readouterr().out
    head = Ledger.open(db_url).revisions()[1]
    assert "空库" in out and f"→ {head}" in out
    assert main(["ledger", "upgrade", "--db", db_url]) == 0
    assert f"{head} → {head}" in capsys.readouterr().out
    led = Ledger.open(db_url)
    with led.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    led.dispose()
    with pytest.raises(LedgerError, match="ledger upgrade"):
        Ledger.open(db_url)
    assert main(["ledger", "list", "--db", db_url]) == 2
    assert "ledger upgrade" in capsys.readouterr().err
