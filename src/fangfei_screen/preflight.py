"""Checks made before screening, so that a run that cannot succeed fails at once
instead of after an hour: an XLSX output cannot hold more rows than the input has.
"""

from __future__ import annotations

from pathlib import Path

from .atomic import OutputError

XLSX_MAX_ROWS = 1_048_575  # data rows under the header of one worksheet
_BLOCK = 1 << 22


def _count_lines(path: Path, stop: int) -> int:
    """Newlines in the file, counting stops once past ``stop``."""
    lines = 0
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            lines += block.count(b"\n")
            if lines > stop:
                break
    return lines


def _csv_records_over(path: Path, limit: int) -> bool:
    """Whether the CSV surely has more than ``limit`` records after its header: a
    newline ends a record only outside quotes (a stray quote makes this undercount,
    which at worst lets the writer refuse later)."""
    if _count_lines(path, limit + 1) <= limit + 1:
        return False
    records, quotes = 0, 0
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            i = 0
            while (nl := block.find(b"\n", i)) >= 0:
                quotes += block.count(b'"', i, nl)
                if quotes % 2 == 0:
                    records += 1
                    if records > limit + 1:
                        return True
                i = nl + 1
            quotes += block.count(b'"', i)
    return False


def input_rows_over(src: Path, limit: int) -> bool:
    """Whether ``src`` has more than ``limit`` data rows, where this is cheap to know."""
    suffix = src.suffix.lower()
    if suffix in (".csv", ".txt"):
        return _csv_records_over(src, limit)
    if suffix == ".jsonl":
        return _count_lines(src, limit) > limit
    if suffix == ".parquet":
        try:
            import pyarrow.parquet as pq

            return pq.ParquetFile(src).metadata.num_rows > limit
        except Exception:  # noqa: BLE001 - an unreadable file is refused by the reader, with its own message
            return False
    return False  # XLSX in, XLSX out: the input's own sheet holds no more


def check_fits(src: Path, dst: Path) -> None:
    """OutputError if every row of ``src`` cannot fit into ``dst``."""
    if dst.suffix.lower() == ".xlsx" and input_rows_over(src, XLSX_MAX_ROWS):
        raise OutputError(
            f"输入超过 {XLSX_MAX_ROWS:,} 行，Excel 工作表放不下；请改用 .csv 或 .parquet 输出 / too many rows for an XLSX output"
        )
