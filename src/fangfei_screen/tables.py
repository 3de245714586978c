"""Reading and writing registry tables in chunks: CSV (any usual encoding), XLSX,
Parquet in; CSV, XLSX, Parquet, JSON Lines out.

Every row read comes out once: a CSV line that cannot be parsed into the header's
columns, or that holds bytes the encoding cannot decode, is kept as a row with a
read error naming its line, never dropped.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .csvrecords import CsvError, layout, records

READ_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".parquet", ".jsonl")
WRITE_SUFFIXES = (".csv", ".xlsx", ".parquet", ".jsonl")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula
_SNIFF_BYTES = 1 << 20


if TYPE_CHECKING:
    import pandas as pd


class TableError(Exception):
    """A file that cannot be read or written at all (missing, unknown suffix …)."""


@dataclass
class Chunk:
    """Rows of a table as text; ``errors`` maps a row's position in the chunk to why
    it could not be read (the reason names its line)."""

    frame: pd.DataFrame
    errors: dict[int, str] = field(default_factory=dict)


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the start of the file decodes as UTF-8, else GB18030
    (a superset of GBK and GB2312, the usual encodings of registry exports)."""
    with path.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def check_input(path: str | Path) -> Path:
    """The input path, if it is a file of a kind that can be read; else TableError."""
    path = Path(path)
    if not path.is_file():
        raise TableError(f"找不到输入文件 / no such file: {path}")
    if path.suffix.lower() not in READ_SUFFIXES:
        raise TableError(f"不支持的输入文件类型 '{path.suffix.lower()}'，支持：{'、'.join(READ_SUFFIXES)} / unknown input suffix")
    return path


def check_output(path: str | Path) -> Path:
    """The output path, if its kind can be written and its directory exists; else TableError."""
    path = Path(path)
    if path.suffix.lower() not in WRITE_SUFFIXES:
        raise TableError(f"不支持的输出文件类型 '{path.suffix.lower()}'，支持：{'、'.join(WRITE_SUFFIXES)} / unknown output suffix")
    if not path.parent.exists():
        raise TableError(f"输出目录不存在 / no such directory: {path.parent}")
    return path


def read_chunks(path: str | Path, *, chunk_rows: int = 50_000, encoding: str | None = None) -> Iterator[Chunk]:
    """The table at ``path`` in chunks of at most ``chunk_rows`` rows, every cell as text."""
    path = check_input(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return _read_csv(path, chunk_rows, encoding or detect_encoding(path))
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, chunk_rows)
    if suffix == ".parquet":
        return _read_parquet(path, chunk_rows)
    return _read_jsonl(path, chunk_rows)


def _read_csv(path: Path, chunk_rows: int, encoding: str) -> Iterator[Chunk]:
    import pandas as pd

    try:
        shape = layout(path, encoding)
    except CsvError as exc:
        raise TableError(str(exc)) from None
    width = len(shape.header)
    for rng in shape.ranges:
        rows: list[list[str]] = []
        errors: dict[int, str] = {}
        for row, problem, _line, _joined in records(path, rng, shape.encoding, width, header=shape.header):
            if problem:
                errors[len(rows)] = problem
            rows.append(row)
            if len(rows) >= chunk_rows:
                yield Chunk(pd.DataFrame(rows, columns=shape.header, dtype=object), errors)
                rows, errors = [], {}
        if rows:
            yield Chunk(pd.DataFrame(rows, columns=shape.header, dtype=object), errors)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat") and not isinstance(value, str):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    import openpyxl
    import pandas as pd

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise TableError(f"无法读取 Excel 文件 / cannot read the workbook: {exc}") from None
    try:
        sheet = book.worksheets[0]
        it = sheet.iter_rows(values_only=True)
        header_row = next(it, None)
        if header_row is None:
            raise TableError(f"输入文件为空 / the workbook is empty: {path}")
        header = [_cell_text(h).strip() for h in header_row]
        while header and not header[-1]:
            header.pop()
        width = len(header)
        rows = []
        for values in it:
            row = [_cell_text(v) for v in values[:width]]
            if not any(row):
                continue
            rows.append(row + [""] * (width - len(row)))
            if len(rows) >= chunk_rows:
                yield Chunk(pd.DataFrame(rows, columns=header, dtype=object))
                rows = []
        if rows:
            yield Chunk(pd.DataFrame(rows, columns=header, dtype=object))
    finally:
        book.close()


def _read_parquet(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:
        raise TableError(f"无法读取 Parquet 文件 / cannot read the Parquet file: {exc}") from None
    for batch in pf.iter_batches(batch_size=chunk_rows):
        frame = batch.to_pandas()
        frame = frame.astype(object).where(frame.notna(), "")
        frame = frame.map(_cell_text)
        yield Chunk(frame.reset_index(drop=True))


def _read_jsonl(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    import pandas as pd

    rows: list[dict[str, str]] = []
    errors: dict[int, str] = {}
    columns: list[str] = []
    with path.open("r", encoding="utf-8", errors="surrogateescape") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError("not an object")
            except ValueError as exc:
                errors[len(rows)] = f"第{number}行不是 JSON 对象 / line {number} is not a JSON object: {exc}"
                record = {}
            row = {}
            for key, value in record.items():
                if key not in columns:
                    columns.append(key)
                row[key] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else _cell_text(value)
            rows.append(row)
            if len(rows) >= chunk_rows:
                yield Chunk(pd.DataFrame(rows, columns=columns, dtype=object).fillna(""), errors)
                rows, errors = [], {}
    if rows:
        yield Chunk(pd.DataFrame(rows, columns=columns, dtype=object).fillna(""), errors)


def neutralise_formula(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class TableWriter:
    """Writes chunks of a frame to CSV, XLSX, Parquet or JSON Lines, by suffix."""

    def __init__(self, path: str | Path, *, json_columns: tuple[str, ...] = ()) -> None:
        self.path = check_output(path)
        self.suffix = self.path.suffix.lower()
        self._json_columns = json_columns
        self._started = False
        self._handle: Any = None
        self._rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        if self.suffix == ".csv":
            self._write_csv(frame)
        elif self.suffix == ".xlsx":
            self._write_xlsx(frame)
        elif self.suffix == ".parquet":
            self._write_parquet(frame)
        else:
            self._write_jsonl(frame)
        self._started = True
        self._rows += len(frame)

    def _write_csv(self, frame: pd.DataFrame) -> None:
        if not self._started:
            # UTF-8 with BOM: what Excel on a regulator's desk opens without garbling.
            self._handle = self.path.open("w", encoding="utf-8-sig", errors="backslashreplace", newline="")
            self._csv = csv.writer(self._handle)
            self._csv.writerow([neutralise_formula(c) for c in frame.columns])
        self._csv.writerows([neutralise_formula(v) for v in row] for row in frame.itertuples(index=False, name=None))

    def _write_xlsx(self, frame: pd.DataFrame) -> None:
        import openpyxl

        if not self._started:
            self._handle = openpyxl.Workbook(write_only=True)
            self._sheet = self._handle.create_sheet("screened")
            self._sheet.append([neutralise_formula(str(c)) for c in frame.columns])
        if self._rows + len(frame) > 1_048_575:
            raise TableError("Excel 工作表最多 1,048,576 行；请改用 .csv 或 .parquet 输出 / too many rows for XLSX")
        for row in frame.itertuples(index=False, name=None):
            self._sheet.append([neutralise_formula(xlsx_safe(v)) for v in row])

    def _write_parquet(self, frame: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame.astype(str), preserve_index=False)
        if not self._started:
            self._handle = pq.ParquetWriter(self.path, table.schema)
        self._handle.write_table(table)

    def _write_jsonl(self, frame: pd.DataFrame) -> None:
        if not self._started:
            self._handle = self.path.open("w", encoding="utf-8", errors="backslashreplace")
        columns = list(frame.columns)
        out = io.StringIO()
        for row in frame.itertuples(index=False, name=None):
            record = {}
            for col, value in zip(columns, row):
                record[col] = json.loads(value) if col in self._json_columns and value else value
            out.write(json.dumps(record, ensure_ascii=False))
            out.write("\n")
        self._handle.write(out.getvalue())

    def close(self) -> None:
        if self._handle is None:
            # No rows at all: still leave a valid, empty file behind.
            if self.suffix in (".csv", ".jsonl"):
                self.path.write_text("", encoding="utf-8")
            return
        if self.suffix == ".xlsx":
            self._handle.save(self.path)
        else:
            self._handle.close()


def xlsx_safe(value: Any) -> Any:
    """The value with what openpyxl refuses in a cell (control characters, lone
    surrogates) shown as U+FFFD."""
    if isinstance(value, str):
        value = "".join(
            ch if (ch >= " " or ch in "\t\n") and not ("\ud800" <= ch <= "\udfff") else "\ufffd" for ch in value
        )
    return value
