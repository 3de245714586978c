"""Opening the ledger database: a URL from ``--db`` or ``FANGFEI_DB``, else the SQLite
file ``fangfei-ledger.db`` in the working folder (WAL). Writes run in one transaction
under a ledger-wide lock, retried when the database reports a conflict."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError

DEFAULT_DB = "fangfei-ledger.db"
ENV_VAR = "FANGFEI_DB"
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
LOCK_KEY = 0x66616E67  # pg_advisory_xact_lock key shared by every ledger writer
_RETRIES = 8
DEFAULT_BUSY_TIMEOUT = 120.0  # seconds a write waits for another writer's lock
T = TypeVar("T")


class LedgerError(Exception):
    """A ledger operation refused with a one-line reason (bad key, file already ingested …)."""


class LedgerBusy(LedgerError):
    """Another writer held the ledger's write lock for longer than this ledger waits."""

    def __init__(self) -> None:
        super().__init__("台账正忙，请稍后再试 / the ledger is busy, try again later")


def resolve_url(db: str | None = None) -> str:
    """The database URL: ``db``, else $FANGFEI_DB, else the SQLite default. A bare
    path is taken as an SQLite file."""
    value = (db or os.environ.get(ENV_VAR) or DEFAULT_DB).strip()
    if "://" not in value:
        return f"sqlite:///{value}"
    return value


def _sqlite_events(engine: Engine, busy_timeout: float) -> None:
    # pysqlite's own BEGIN comes too late (at the first write); taking the write lock
    # at the start makes each transaction serialisable against other processes.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):  # type: ignore[no-untyped-def]
        # readers take a snapshot (WAL) and never wait for, or hold up, a writer
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("ledger_read") else "BEGIN IMMEDIATE")


@dataclass(frozen=True)
class Ledger:
    """An open ledger database."""

    url: str
    engine: Engine
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT

    @property
    def display(self) -> str:
        """The URL as printed: no password."""
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @classmethod
    def open(cls, db: str | None = None, *, create: bool = True, check: bool = True,
             busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Ledger:
        """Open the ledger; a database without tables is created at the newest schema
        (``create``), one at an older schema is refused until ``ledger upgrade``
        (``check=False`` opens it as it is, for the upgrade). A write that waits longer
        than ``busy_timeout`` seconds for another writer raises :class:`LedgerBusy`."""
        url = resolve_url(db)
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise LedgerError(f"数据库地址无效 / not a database URL: {url}") from None
        if parsed.get_backend_name() == "sqlite":
            path = parsed.database or ""
            if path and path != ":memory:" and not Path(path).parent.exists():
                raise LedgerError(f"台账数据库目录不存在 / no such directory: {Path(path).parent}")
            engine = create_engine(parsed, connect_args={"timeout": busy_timeout})
            _sqlite_events(engine, busy_timeout)
        elif parsed.get_backend_name() == "postgresql":
            if parsed.get_driver_name() not in ("psycopg", "psycopg2"):
                parsed = parsed.set(drivername="postgresql+psycopg")
            engine = create_engine(parsed, pool_pre_ping=True)
        else:
            raise LedgerError(f"台账只支持 SQLite 与 PostgreSQL / only sqlite:// and postgresql:// URLs: {url}")
        ledger = cls(url=parsed.render_as_string(hide_password=False), engine=engine, busy_timeout=busy_timeout)
        if not check:
            return ledger
        try:
            current, head = ledger.revisions()
        except OperationalError as exc:
            raise LedgerError(f"无法连接台账数据库 {ledger.display}: {str(exc.orig).strip().splitlines()[0]}") from None
        if current is None and create:
            ledger.upgrade()
        elif current is None:
            raise LedgerError(f"台账数据库 {ledger.display} 里还没有台账（没有任何台账表）；请用 --db 或 FANGFEI_DB 指定已有的台账")
        elif current != head:
            raise LedgerError(
                f"台账数据库 {ledger.display} 的结构版本为 {current}，需先运行 fangfei-screen ledger upgrade（最新 {head}）"
            )
        return ledger

    @classmethod
    def open_existing(cls, db: str | None = None, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Ledger | None:
        """The ledger if its database exists (an SQLite file that is there, or any server
        URL), else None: serving pages and checks never creates one. An existing database
        that cannot be opened raises LedgerError as ``open`` does."""
        url = resolve_url(db)
        if url.startswith("sqlite:///"):
            path = url.removeprefix("sqlite:///")
            if path != ":memory:" and not Path(path).is_file():
                return None
        return cls.open(db, create=False, busy_timeout=busy_timeout)

    def _config(self, connection: Connection | None = None):  # type: ignore[no-untyped-def]
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(_MIGRATIONS))
        if connection is not None:
            cfg.attributes["connection"] = connection
        return cfg

    def revisions(self) -> tuple[str | None, str | None]:
        """(the database's schema revision, the newest this package knows)."""
        from alembic.migration import MigrationContext
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(self._config()).get_current_head()
        with self.reading() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        return current, head

    def upgrade(self) -> tuple[str | None, str | None]:
        """Migrate to the newest schema; returns (before, after)."""
        from alembic import command

        before, _ = self.revisions()
        with self.engine.begin() as conn:
            if not self.is_sqlite:
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")
            command.upgrade(self._config(conn), "head")
        return before, self.revisions()[0]

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A connection for reading: never takes the write lock."""
        with self.engine.connect().execution_options(ledger_read=True) as conn:
            yield conn

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run ``work`` in one transaction under the ledger-wide write lock; retried from
        the start when the database reports a serialisation failure, a deadlock or a
        lock timeout (nothing of a failed attempt stays)."""
        for attempt in range(_RETRIES):
            began = time.monotonic()
            try:
                with self.engine.begin() as conn:
                    if not self.is_sqlite:
                        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(self.busy_timeout * 1000)}")
                        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")
                    return work(conn)
            except IntegrityError:
                raise
            except (OperationalError, DBAPIError) as exc:
                if _lock_wait_over(exc) and time.monotonic() - began >= self.busy_timeout * 0.9:
                    # the database already waited busy_timeout for the other writer
                    raise LedgerBusy() from None
                if attempt + 1 == _RETRIES or not _retryable(exc):
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.engine.dispose()


def bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> int:
    """Insert many rows fast inside the current transaction: COPY on PostgreSQL, the
    driver's executemany on SQLite (SQLAlchemy's per-row parameter handling costs more
    than the database's own work at a month's scale)."""
    if not rows:
        return 0
    cols = list(rows[0])
    names = ", ".join(f'"{c}"' for c in cols)
    raw = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:  # type: ignore[union-attr]
            for r in rows:
                copy.write_row([r[c] for c in cols])
        return len(rows)
    procs = [table.c[c].type.bind_processor(conn.dialect) for c in cols]
    if any(procs):
        data = [tuple(p(r[c]) if p else r[c] for c, p in zip(cols, procs)) for r in rows]
    else:
        data = [tuple(r[c] for c in cols) for r in rows]
    cur = raw.cursor()  # type: ignore[union-attr]
    try:
        cur.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" * len(cols))})', data)
    finally:
        cur.close()
    return len(rows)


def _lock_wait_over(exc: DBAPIError) -> bool:
    """A lock wait that ran out: SQLite's busy timeout, PostgreSQL's lock_timeout."""
    if getattr(exc.orig, "sqlstate", None) == "55P03":
        return True
    text = str(exc.orig).lower()
    return "database is locked" in text or "database is busy" in text


def _retryable(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    if code in ("40001", "40P01", "55P03"):
        return True
    text = str(exc.orig).lower()
    return "database is locked" in text or "database is busy" in text
