"""Tables out: one writer per format (CSV, XLSX, Parquet, JSON Lines), chosen by the
output's suffix. Every writer opens its output through :func:`output_file`, the one
door to the file system for results."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import atomic_output
from .readers import TableError, read_chunks  # noqa: F401 - read_chunks: for callers of the old tables module

if TYPE_CHECKING:
    import pandas as pd

WRITE_SUFFIXES = (".csv", ".xlsx", ".parquet", ".jsonl")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula
XLSX_MAX_ROWS = 1_048_575  # data rows below the header

__all__ = [
    "FORMULA_START", "TableError", "TableWriter", "WRITE_SUFFIXES", "check_output", "neutralise_formula",
    "open_writer", "output_file", "release_zips",
]


def check_output(path: str | Path) -> Path:
    """The output path, if its kind can be written and its directory exists; else TableError."""
    path = Path(path)
    if path.suffix.lower() not in WRITE_SUFFIXES:
        raise TableError(f"不支持的输出文件类型 '{path.suffix.lower()}'，支持：{'、'.join(WRITE_SUFFIXES)} / unknown output suffix")
    if not path.parent.exists():
        raise TableError(f"输出目录不存在 / no such directory: {path.parent}")
    return path


def output_file(target: str | Path) -> contextlib.AbstractContextManager[Path]:
    """The path to write the whole of ``target`` to: a temporary beside it, renamed over
    it only when the block ends normally (see atomic). Every output goes through here."""
    return atomic_output(target)


def neutralise_formula(value: Any) -> Any:
    """A cell a spreadsheet would run as a formula is prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def xlsx_safe(value: Any) -> Any:
    """A cell XML can hold: control characters and lone surrogates become U+FFFD."""
    if isinstance(value, str):
        value = "".join(
            ch if (ch >= " " or ch in "\t\n") and not ("\ud800" <= ch <= "\udfff") else "\ufffd" for ch in value
        )
    return value


class TableWriter:
    """Writes frames, chunk by chunk, to one output; use as a context manager (an
    exception leaves the output to :func:`output_file` to discard). ``TableWriter(path)``
    gives the writer of the path's format."""

    def __new__(cls, target: str | Path, **_options: Any) -> TableWriter:
        if cls is TableWriter:
            cls = _WRITERS[check_output(target).suffix.lower()]
        return super().__new__(cls)

    def __init__(self, target: str | Path, *, json_columns: tuple[str, ...] = (), sheet_name: str = "筛查结果") -> None:
        self.target = check_output(target)
        self._json_columns = json_columns
        self._sheet_name = sheet_name  # a workbook's sheet, in Chinese: people open it
        self._stack = contextlib.ExitStack()
        self.path = self._stack.enter_context(output_file(self.target))
        self.rows = 0
        self._started = False

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            with contextlib.suppress(Exception):  # closing a file on a full disk fails again
                self._abort()
            self._stack.__exit__(exc_type, exc, tb)

    def write(self, frame: pd.DataFrame) -> None:
        self._write(frame)
        self._started = True
        self.rows += len(frame)

    def close(self) -> None:
        try:
            self._finish()
        except BaseException as exc:
            # the temporary goes, and a full disk becomes atomic's one line
            if not self._stack.__exit__(type(exc), exc, exc.__traceback__):
                raise
            return
        self._stack.close()

    # one per format
    def _write(self, frame: pd.DataFrame) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError

    def _abort(self) -> None:
        """Release what the format holds open, without finishing the file."""


class CsvTableWriter(TableWriter):
    _handle: Any = None

    def _write(self, frame: pd.DataFrame) -> None:
        if not self._started:
            # UTF-8 with BOM: what Excel on a regulator's desk opens without garbling.
            self._handle = self.path.open("w", encoding="utf-8-sig", errors="backslashreplace", newline="")
            self._csv = csv.writer(self._handle)
            self._csv.writerow([neutralise_formula(c) for c in frame.columns])
        if not frame.shape[1]:
            self._csv.writerows([] for _ in range(len(frame)))
            return
        # column by column, a call only for a cell that is not a str (a call per cell cost a
        # third of writing): the same cells as neutralise_formula gives
        columns = [[(("'" + v) if v.startswith(FORMULA_START) else v) if v.__class__ is str else neutralise_formula(v)
                    for v in frame.iloc[:, i].tolist()] for i in range(frame.shape[1])]
        self._csv.writerows(zip(*columns))

    def _finish(self) -> None:
        if self._handle is None:
            self.path.write_text("", encoding="utf-8")  # no rows at all: still a valid, empty file
        else:
            self._handle.close()

    _abort = _finish


class XlsxTableWriter(TableWriter):
    """XlsxWriter in constant-memory mode: rows go to disk as they come (1.7× faster than
    openpyxl's write-only mode on 200,000 rows, see benchmarks/RESULTS.md)."""

    _book: Any = None

    def _open(self) -> None:
        import xlsxwriter

        self._book = xlsxwriter.Workbook(
            str(self.path),
            {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
        )
        self._sheet = self._book.add_worksheet(self._sheet_name)

    def _write(self, frame: pd.DataFrame) -> None:
        if not self._started:
            self._open()
            self._sheet.write_row(0, 0, [neutralise_formula(xlsx_safe(str(c))) for c in frame.columns])
        if self.rows + len(frame) > XLSX_MAX_ROWS:
            raise TableError("Excel 工作表最多 1,048,576 行；请改用 .csv 或 .parquet 输出 / too many rows for XLSX")
        write_row = self._sheet.write_row
        for i, row in enumerate(frame.itertuples(index=False, name=None), start=self.rows + 1):
            write_row(i, 0, [neutralise_formula(xlsx_safe(v)) for v in row])

    def _finish(self) -> None:
        from xlsxwriter.exceptions import FileCreateError

        if self._book is None:
            self._open()
        try:
            self._book.close()
        except FileCreateError as exc:
            # XlsxWriter wraps the OSError (a full disk); hand on the OSError itself
            cause = exc.__context__ if isinstance(exc.__context__, OSError) else OSError(str(exc))
            release_zips(exc)
            raise cause from None

    def _abort(self) -> None:
        if self._book is not None:
            try:
                self._book.close()
            except Exception as exc:  # noqa: BLE001 - the file is discarded anyway
                release_zips(exc)


def release_zips(exc: BaseException) -> None:
    """Close the half-written zip archives a failed XlsxWriter close leaves in the
    exception's frames, so that their finalizers do not try (and fail, printing a
    traceback) to finish them again later."""
    import zipfile

    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        todo += [e.__context__, e.__cause__]
        tb = e.__traceback__
        while tb is not None:
            for value in list(tb.tb_frame.f_locals.values()):
                if isinstance(value, zipfile.ZipFile) and value.fp is not None:
                    fp, value.fp = value.fp, None
                    with contextlib.suppress(Exception):
                        fp.close()
            tb = tb.tb_next


class ParquetTableWriter(TableWriter):
    _handle: Any = None

    def _write(self, frame: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame.astype(str), preserve_index=False)
        if not self._started:
            self._handle = pq.ParquetWriter(self.path, table.schema)
        self._handle.write_table(table)

    def _finish(self) -> None:
        if self._handle is None:
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.table({}), self.path)
        else:
            self._handle.close()

    _abort = _finish


class JsonlTableWriter(TableWriter):
    _handle: Any = None

    def _write(self, frame: pd.DataFrame) -> None:
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

    def _finish(self) -> None:
        if self._handle is None:
            self.path.write_text("", encoding="utf-8")
        else:
            self._handle.close()

    _abort = _finish


_WRITERS: dict[str, type[TableWriter]] = {
    ".csv": CsvTableWriter,
    ".xlsx": XlsxTableWriter,
    ".parquet": ParquetTableWriter,
    ".jsonl": JsonlTableWriter,
}


def open_writer(target: str | Path, *, json_columns: tuple[str, ...] = (), sheet_name: str = "筛查结果") -> TableWriter:
    """The writer for ``target``'s format."""
    return TableWriter(target, json_columns=json_columns, sheet_name=sheet_name)
