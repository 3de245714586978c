"""`ledger ingest` reads scan's CSV results in blocks (ledger.fastread, issue 20 target 5):
the same chunks as the careful line-by-line reader (readers.read_chunks) on real scan output
and on every kind of damage, the same ledger contents on SQLite and PostgreSQL (a dump of
every table after month 1 and a month 2 with changes), and an ingest that fails late in the
file leaves the ledger as it was."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import DateTime, select

from fangfei_screen.ledger import Ledger, LedgerError
from fangfei_screen.ledger.fastread import read_chunks as fast_chunks
from fangfei_screen.ledger.ingest import ingest
from fangfei_screen.ledger.schema import metadata
from fangfei_screen.readers import read_chunks as careful_chunks
from fangfei_screen.scanfile import scan_file

from .ledger_db import db_url  # noqa: F401 - fixture
from .test_csvblocks import DAMAGE

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scan's results of 20,000 registry-shaped rows (about 7 % to act on, quoted hits)."""
    folder = tmp_path_factory.mktemp("fast")
    corpus, out = folder / "corpus.csv", folder / "screened.csv"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "corpus.py"), "--profile", "registry", "-n", "20000",
                    "-o", str(corpus)], check=True, capture_output=True)
    scan_file(str(corpus), str(out), as_of="2025-06-30")
    return out


def _chunks(reader: Any, path: Path, chunk_rows: int) -> list[tuple[Any, ...]]:
    return [(c.frame.columns.tolist(), c.frame.values.tolist(), c.errors, c.rows, c.not_entities)
            for c in reader(path, chunk_rows=chunk_rows)]


def _same(path: Path, chunk_rows: int = 700) -> list[tuple[Any, ...]]:
    fast, careful = _chunks(fast_chunks, path, chunk_rows), _chunks(careful_chunks, path, chunk_rows)
    assert [len(c[1]) for c in fast] == [len(c[1]) for c in careful]
    for a, b in zip(fast, careful):
        assert a == b
    return fast


def _variants(screened: Path, folder: Path) -> dict[str, Path]:
    """Results files with damage: between clean rows, so that reading goes careful and back."""
    lines = screened.read_bytes().split(b"\n")
    head, body = lines[0] + b"\n", [x + b"\n" for x in lines[1:-1]]
    n = len(body)
    width = len(next(csv.reader([head.decode("utf-8-sig")])))
    filler = ",".join([""] * (width - 6))
    wrapped = [f'91340323MA0000ZZ{i:02d},="固镇县某某商贸有限公司",x,y,存续,\'日用百货销售,{filler}\n'.encode() for i in range(3)]
    header_again = head.removeprefix(b"\xef\xbb\xbf")
    total = ("合计" + "," * (width - 1) + "\n").encode()
    out = {}
    damage = [d.encode("utf-8") for d in DAMAGE] + [b"\xff\xfe broken bytes,\n", "固镇,某某".encode("gbk") + b"\n"]
    for name, extra in {
        "damage": damage,
        "wrapped": wrapped,
        "not_entities": [header_again, total, b"\n", b",,,\n"],
        "quote_open": [b'X,"open quote never closed\n'],
    }.items():
        path = folder / f"{name}.csv"
        path.write_bytes(head + b"".join(body[: n // 3]) + b"".join(extra) + b"".join(body[n // 3 : n // 2])
                         + b"".join(extra[::-1]) + b"".join(body[n // 2 :]))
        out[name] = path
    lf = folder / "lf.csv"  # scan writes CRLF
    lf.write_bytes(screened.read_bytes().replace(b"\r\n", b"\n"))
    out["lf"] = lf
    no_end = folder / "no_final_newline.csv"
    no_end.write_bytes(screened.read_bytes().rstrip(b"\n"))
    out["no_final_newline"] = no_end
    gbk = folder / "gbk.csv"
    gbk.write_bytes(screened.read_bytes().decode("utf-8-sig").encode("gb18030"))
    out["gbk"] = gbk
    return out


def test_scan_results_read_as_the_careful_reader_reads_them(screened: Path) -> None:
    chunks = _same(screened)
    assert sum(len(c[1]) for c in chunks) == 20_000


@pytest.mark.parametrize("variant", ["damage", "wrapped", "not_entities", "quote_open", "lf", "no_final_newline", "gbk"])
def test_damaged_results_read_as_the_careful_reader_reads_them(screened: Path, tmp_path: Path, variant: str) -> None:
    path = _variants(screened, tmp_path)[variant]
    chunks = _same(path)
    if variant == "wrapped":  # unwrapped as Source.chunks does: ="…" and a leading apostrophe gone
        cells = [cell for c in chunks for row in c[1] for cell in row]
        assert "固镇县某某商贸有限公司" in cells and "日用百货销售" in cells
        assert not any(str(x).startswith(("=\"", "'")) for x in cells)
    if variant == "not_entities":
        assert any(c[4] for c in chunks)  # the repeated header and the total were skipped
    if variant == "damage":
        assert any(c[2] for c in chunks)  # error rows kept, with their reasons


def _dump(led: Ledger) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, sorted, without the times of day the two runs differ in."""
    out = {}
    with led.reading() as conn:
        for table in metadata.sorted_tables:
            cols = [c for c in table.columns if not isinstance(c.type, DateTime)]
            rows = conn.execute(select(*cols)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def _month2(screened: Path, folder: Path) -> Path:
    """Next month's file: most rows as they were; some flagged rows gone clean, some names
    changed (text changed: reopened findings need a decision first, which this omits)."""
    text = screened.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    rows = list(csv.reader(text))
    header = rows[0]
    a, h = header.index("action"), header.index("hits")
    flagged = [i for i, r in enumerate(rows[1:], 1) if r[a] not in ("pass", "")]
    for i in flagged[::5]:
        rows[i][a], rows[i][h] = "pass", "[]"
    out = folder / "month2.csv"
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows(rows)
    return out


def test_ingest_gives_the_same_ledger_as_the_careful_reader(db_url: str, screened: Path, tmp_path: Path) -> None:  # noqa: F811
    month2 = _month2(screened, tmp_path)
    part = tmp_path / "part.csv"
    part.write_bytes(b"".join(screened.read_bytes().splitlines(keepends=True)[:3001]))
    dumps = []
    for reader in (None, careful_chunks):
        url = db_url if reader is None else _second(db_url, tmp_path)
        led = Ledger.open(url)
        try:
            first = ingest(led, screened, month="2025-06", unit="城关镇", by="测试", reader=reader)
            second = ingest(led, month2, month="2025-07", unit="城关镇", by="测试", complete=True, reader=reader)
            # another unit's file with the same entities (credit codes) in month 1: theirs stand
            other = ingest(led, part, month="2025-06", unit="王庄镇", by="测试", reader=reader)
            assert other.flagged == 0 and other.skipped > 0
            dumps.append((_dump(led), first.lines(), second.lines(), other.lines()))
        finally:
            led.dispose()
    (fast, *fast_lines), (careful, *careful_lines) = dumps
    assert fast_lines == careful_lines
    assert fast["entities"] and fast["finding_months"] and fast["history"]
    assert {r[3] for r in fast["clue_months"]} >= {"new", "recurring", "resolved"}
    for name in careful:
        assert fast[name] == careful[name], name


def _second(db_url: str, tmp_path: Path) -> str:  # noqa: F811
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'careful.db'}"
    from .ledger_db import new_pg_database

    url = new_pg_database()
    _made.append(url)
    return url


_made: list[str] = []


@pytest.fixture(autouse=True)
def _drop_made() -> Any:
    yield
    from .ledger_db import drop_pg_database

    while _made:
        drop_pg_database(_made.pop())


def test_a_failure_late_in_the_file_leaves_the_ledger_as_it_was(db_url: str, screened: Path, tmp_path: Path) -> None:  # noqa: F811
    led = Ledger.open(db_url)
    try:
        ingest(led, screened, month="2025-06", unit="城关镇", by="测试")
        before = _dump(led)
        rows = list(csv.reader(screened.read_text(encoding="utf-8-sig").splitlines(keepends=True)))
        a, h = rows[0].index("action"), rows[0].index("hits")
        last = max(i for i, r in enumerate(rows) if r[a] not in ("pass", "", "action"))
        rows[last][h] = "[{not json"  # written after every earlier chunk's rows went in
        broken = tmp_path / "broken.csv"
        with broken.open("w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows(rows)
        with pytest.raises(LedgerError, match="hits 列不是 JSON"):
            ingest(led, broken, month="2025-07", unit="城关镇", by="测试", chunk_rows=2_000)
        assert _dump(led) == before
    finally:
        led.dispose()


def test_a_locked_sqlite_ledger_gives_the_one_line_busy_message(screened: Path, tmp_path: Path) -> None:
    import sqlite3

    from fangfei_screen.ledger.db import LedgerBusy

    path = tmp_path / "locked.db"
    Ledger.open(f"sqlite:///{path}").dispose()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's write lock
    led = Ledger.open(f"sqlite:///{path}", busy_timeout=1.0)
    try:
        with pytest.raises(LedgerBusy) as caught:
            ingest(led, screened, month="2025-06", unit="城关镇", by="测试")
        assert str(caught.value).startswith("台账正忙，请稍后再试") and "\n" not in str(caught.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        led.dispose()
    led = Ledger.open(f"sqlite:///{path}")
    try:
        assert _dump(led)["clue_months"] == []  # nothing of the refused ingest
    finally:
        led.dispose()
