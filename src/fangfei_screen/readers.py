"""Registry files in: format, encoding, sheets and header row → tables of text cells,
each row remembering its sheet and its row in the file. Readers know nothing of
screening; what a header looks like is asked of the caller (``header_test``).

Formats: delimited text (CSV, TSV, Excel's "Unicode 文本" = UTF-16 with tabs; UTF-8,
UTF-8 BOM, GBK/GB18030, detected), workbooks (.xlsx, .xlsm, .xls, .ods; every sheet),
Parquet and JSON Lines.

Every row read comes out once: a line that cannot be parsed into the header's
columns, or that holds bytes the encoding cannot decode, is kept as a row with a read
error naming its line, never dropped. Blank rows are not records.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .csvrecords import CsvError, CsvLayout, layout, records
from .values import unwrap_frame

if TYPE_CHECKING:
    import pandas as pd

TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
BOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
READ_SUFFIXES = (*TEXT_SUFFIXES, *BOOK_SUFFIXES, ".parquet", ".jsonl")
HEADER_SEARCH_ROWS = 30  # the header is looked for among this many first rows
_SNIFF_BYTES = 1 << 20

HeaderTest = Callable[[Sequence[str]], bool]


class TableError(Exception):
    """A file that cannot be read or written at all (missing, unknown suffix, too large …)."""


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on what a workbook may expand to (a zip bomb is refused, not read)."""

    max_unzipped_bytes: int = 2 << 30  # all members of the zip together
    max_cell_chars: int = 32_767  # Excel's own limit for one cell

    @classmethod
    def from_env(cls) -> ReadLimits:
        """Defaults, or $FANGFEI_MAX_UNZIPPED_MB and $FANGFEI_MAX_CELL_CHARS."""
        mb = os.environ.get("FANGFEI_MAX_UNZIPPED_MB", "").strip()
        chars = os.environ.get("FANGFEI_MAX_CELL_CHARS", "").strip()
        default = cls()
        return cls(
            max_unzipped_bytes=int(mb) << 20 if mb.isdigit() else default.max_unzipped_bytes,
            max_cell_chars=int(chars) if chars.isdigit() else default.max_cell_chars,
        )


@dataclass(frozen=True)
class Part:
    """One table in a file: the whole of a text file, or one sheet of a workbook."""

    sheet: str | None
    header: list[str]
    header_row: int  # 1-based row (line) of the header in the file or sheet
    skipped_above: int = 0  # non-blank rows above the header (titles), not records
    notes: tuple[str, ...] = ()  # header cells renamed (empty, repeated)

    def where(self, row: int) -> str:
        return f"工作表「{self.sheet}」第{row}行" if self.sheet is not None else f"第{row}行"


@dataclass
class Chunk:
    """Rows of one part as text; ``errors`` maps a row's position in the chunk to why it
    could not be read (the reason names its line)."""

    frame: pd.DataFrame
    part: Part
    errors: dict[int, str] = field(default_factory=dict)
    rows: list[int] | None = None  # workbooks: each row's number in its sheet


def detect_encoding(path: Path) -> str:
    """UTF-16 or UTF-8 by their BOM; UTF-8 when the start of the file decodes as UTF-8;
    else GB18030 (a superset of GBK and GB2312, the usual encodings of registry exports)."""
    with path.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
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


def clean_header(cells: Sequence[Any], *, trim: bool = True) -> tuple[list[str], tuple[str, ...]]:
    """Header cells as text, trailing empty cells dropped (with ``trim``: a text file's
    records keep its header's width); an empty cell is named 列N and a repeated name
    gets _2, _3 …, each noted."""
    header = [cell_text(c).strip().lstrip("\ufeff") for c in cells]
    while trim and header and not header[-1]:
        header.pop()
    if not any(header):
        return [], ()
    notes = []
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        if not h:
            header[i] = h = f"列{i + 1}"
            notes.append(f"第{i + 1}列表头为空，命名为「{h}」")
        if h in seen:
            seen[h] += 1
            new = f"{h}_{seen[h]}"
            notes.append(f"表头「{h}」重复，第{i + 1}列改名为「{new}」")
            header[i] = new
        seen.setdefault(header[i], 1)
    return header, tuple(notes)


_EXACT_DIGITS = 10**15  # Excel keeps 15 significant digits: a larger number is not exact


def cell_text(value: Any) -> str:
    """A cell as text: dates as YYYY-MM-DD, whole floats without .0. A number of more
    than 15 digits (a code Excel turned into a number) keeps its float form
    (9.134030212345679e+17): its last digits were lost, and it must not pass for a code."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < _EXACT_DIGITS else repr(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _EXACT_DIGITS:
        return repr(float(value))
    return str(value)


def _find_header(rows: Sequence[Sequence[Any]], header_test: HeaderTest, header_row: int | None) -> int | None:
    """0-based index of the header among ``rows``: the given one, or the first that passes the test."""
    if header_row is not None:
        return header_row - 1 if header_row - 1 < len(rows) else None
    for i, row in enumerate(rows):
        if header_test([cell_text(c).strip() for c in row]):
            return i
    return None


def _blank(row: Sequence[Any]) -> bool:
    return not any(cell_text(c).strip() for c in row)


class Source:
    """An opened registry file: its parts (tables), the sheets skipped, and its rows."""

    def __init__(self, path: Path, kind: str, parts: list[Part], *, skipped: list[str] | None = None,
                 csv_layout: CsvLayout | None = None, text_path: Path | None = None, encoding: str = "",
                 book: Any = None, limits: ReadLimits | None = None, cleanup: Path | None = None) -> None:
        self.path = path
        self.kind = kind  # "text", "book", "parquet", "jsonl"
        self.parts = parts
        self.skipped = skipped or []
        self.csv_layout = csv_layout  # text files: the header and byte ranges of the records
        self.text_path = text_path  # text files: the file the ranges are of (UTF-16 is re-encoded)
        self.encoding = encoding
        self._book = book
        self._limits = limits or ReadLimits()
        self._cleanup = cleanup

    def close(self) -> None:
        if self._book is not None:
            self._book.close()
            self._book = None
        if self._cleanup is not None:
            shutil.rmtree(self._cleanup, ignore_errors=True)
            self._cleanup = None

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def chunks(self, *, chunk_rows: int = 50_000) -> Iterator[Chunk]:
        """Every record of every part, in order, ``chunk_rows`` at most per chunk; each
        cell unwrapped (="…", a leading tab or apostrophe: see values.unwrap)."""
        for chunk in self._chunks(chunk_rows):
            unwrap_frame(chunk.frame)
            yield chunk

    def _chunks(self, chunk_rows: int) -> Iterator[Chunk]:
        if self.kind == "text":
            return self._text_chunks(chunk_rows)
        if self.kind == "book":
            return self._book_chunks(chunk_rows)
        if self.kind == "parquet":
            return _read_parquet(self.path, chunk_rows, self.parts[0])
        return _read_jsonl(self.path, chunk_rows)

    def _text_chunks(self, chunk_rows: int) -> Iterator[Chunk]:
        import pandas as pd

        assert self.csv_layout is not None and self.text_path is not None
        shape, part = self.csv_layout, self.parts[0]
        width = len(part.header)
        for rng in shape.ranges:
            rows: list[list[str]] = []
            errors: dict[int, str] = {}
            for row, problem, _line, _joined in records(self.text_path, rng, shape.encoding, width, delimiter=shape.delimiter, header=part.header):
                if problem:
                    errors[len(rows)] = problem
                rows.append(row)
                if len(rows) >= chunk_rows:
                    yield Chunk(pd.DataFrame(rows, columns=part.header, dtype=object), part, errors)
                    rows, errors = [], {}
            if rows:
                yield Chunk(pd.DataFrame(rows, columns=part.header, dtype=object), part, errors)

    def _book_chunks(self, chunk_rows: int) -> Iterator[Chunk]:
        import pandas as pd

        limit = self._limits.max_cell_chars
        for part in self.parts:
            sheet = self._book.get_sheet_by_name(part.sheet)
            width = len(part.header)
            rows: list[list[str]] = []
            numbers: list[int] = []
            for number, values in enumerate(sheet.iter_rows(), start=1):
                if number <= part.header_row:
                    continue
                row = [cell_text(v) for v in values]
                if not any(c.strip() for c in row):
                    continue
                extra = row[width:]
                if any(c.strip() for c in extra):
                    # cells right of the header are kept in the last column, not lost
                    row[width - 1] = "｜".join(c for c in row[width - 1 :] if c.strip())
                row = row[:width] + [""] * (width - len(row))
                if max(map(len, row)) > limit:
                    raise TableError(
                        f"{part.where(number)}有超过 {limit} 个字符的单元格，拒绝读取 / a cell longer than {limit} characters"
                        "（可用 FANGFEI_MAX_CELL_CHARS 调整）"
                    )
                rows.append(row)
                numbers.append(number)
                if len(rows) >= chunk_rows:
                    yield Chunk(pd.DataFrame(rows, columns=part.header, dtype=object), part, rows=numbers)
                    rows, numbers = [], []
            if rows:
                yield Chunk(pd.DataFrame(rows, columns=part.header, dtype=object), part, rows=numbers)


def open_source(
    path: str | Path,
    *,
    header_test: HeaderTest,
    encoding: str | None = None,
    header_row: int | None = None,
    sheets: Sequence[str] = (),
    parts: int = 1,
    limits: ReadLimits | None = None,
) -> Source:
    """Open a registry file: find its header row(s) and, for a workbook, the sheets
    that hold a table. ``parts`` splits a text file into that many byte ranges (at
    most) for parallel readers. TableError if nothing can be read."""
    path = check_input(path)
    suffix = path.suffix.lower()
    if header_row is not None and header_row < 1:
        raise TableError("--header-row 从 1 开始 / --header-row counts from 1")
    if sheets and suffix not in BOOK_SUFFIXES:
        raise TableError(f"--sheet 只适用于工作簿（.xlsx .xlsm .xls .ods），不适用于 {suffix} / --sheet is for workbooks")
    if suffix in TEXT_SUFFIXES:
        return _open_text(path, encoding or detect_encoding(path), header_test, header_row, parts)
    if suffix in BOOK_SUFFIXES:
        return _open_book(path, header_test, header_row, sheets, limits or ReadLimits.from_env())
    if suffix == ".parquet":
        return _open_parquet(path)
    return Source(path, "jsonl", [Part(None, [], 0)])


def _open_text(path: Path, encoding: str, header_test: HeaderTest, header_row: int | None, parts: int) -> Source:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise TableError(f"未知编码 / unknown encoding: {encoding}") from None
    cleanup = None
    text_path = path
    wide = codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))
    cr_only = _cr_only(path, encoding if wide else None)
    if wide or cr_only:
        # Byte ranges need an encoding where a newline byte is only ever a newline, and
        # lines that end in one (old Mac files end them in CR alone): re-encode the file
        # once, line for line, as UTF-8 with \n.
        cleanup = Path(tempfile.mkdtemp(prefix="fangfei-utf8-"))
        text_path = cleanup / "input.csv"
        try:
            with path.open("r", encoding=encoding, errors="strict" if wide else "surrogateescape",
                           newline=None if cr_only else "") as src, \
                    text_path.open("w", encoding="utf-8", errors="surrogateescape", newline="") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        except UnicodeError as exc:
            shutil.rmtree(cleanup, ignore_errors=True)
            raise TableError(f"文件无法按 {encoding} 解码 / the file is not {encoding}: {exc}") from None
        encoding = "utf-8"
    try:
        head = _first_records(text_path, encoding)
        delimiter = "\t" if head and head[0].count("\t") > head[0].count(",") else ","
        rows = list(csv.reader(head, delimiter=delimiter))
        at = _find_header(rows, header_test, header_row)
        if at is None:
            at = 0 if header_row is None else header_row - 1
        shape = layout(text_path, encoding, parts=parts, header_row=at + 1, delimiter=delimiter)
    except CsvError as exc:
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)
        raise TableError(str(exc)) from None
    header, notes = clean_header(shape.header, trim=False)
    if not header:
        raise TableError(f"输入文件为空或表头为空 / the file or its header is empty: {path}")
    skipped = sum(1 for r in rows[:at] if not _blank(r))
    part = Part(None, header, shape.header_line, skipped, notes)
    return Source(path, "text", [part], csv_layout=shape, text_path=text_path, encoding=shape.encoding, cleanup=cleanup)


def _cr_only(path: Path, encoding: str | None = None) -> bool:
    """Whether the file's lines end in CR alone (no LF in its first megabyte, but CR)."""
    with path.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    if encoding:
        head = head.decode(encoding, errors="replace").encode("utf-8")
    return b"\n" not in head and b"\r" in head


def _first_records(path: Path, encoding: str) -> list[str]:
    """The first lines of a text file, decoded, for finding the header and delimiter."""
    with path.open("rb") as f:
        head = f.read(_SNIFF_BYTES)
    text = head.decode(encoding, errors="replace")
    # split at \n only, as the byte ranges do (splitlines also splits at \x1c, \u2028 …)
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    if len(head) == _SNIFF_BYTES and lines:
        lines.pop()  # may be cut in the middle
    return lines[: HEADER_SEARCH_ROWS * 4]


def _check_zip(path: Path, limits: ReadLimits) -> None:
    """Refuse a workbook whose members would expand past the limits (a zip bomb), and
    one whose shared strings hold a cell longer than the cell limit."""
    if not zipfile.is_zipfile(path):
        return  # .xls (OLE) is not a zip; its size is its size
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            total = sum(i.file_size for i in infos)
            if total > limits.max_unzipped_bytes:
                raise TableError(
                    f"工作簿解压后 {total >> 20} MB，超过上限 {limits.max_unzipped_bytes >> 20} MB，拒绝读取"
                    f"（可用 FANGFEI_MAX_UNZIPPED_MB 调整）/ the workbook expands past the limit"
                )
            shared = next((i for i in infos if i.filename.lower() == "xl/sharedstrings.xml"), None)
            if shared is not None:
                with z.open(shared) as f:
                    _check_strings(f, limits.max_cell_chars)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise TableError(f"无法读取工作簿 / cannot read the workbook: {exc}") from None


def _check_strings(stream: Any, limit: int) -> None:
    """Stream the shared strings (constant memory) and refuse one longer than ``limit``."""
    from xml.parsers import expat

    parser = expat.ParserCreate()
    parser.buffer_text = False
    length = 0

    def start(name: str, _attrs: Any) -> None:
        nonlocal length
        if name == "si":
            length = 0

    def text(data: str) -> None:
        nonlocal length
        length += len(data)
        if length > limit:
            raise TableError(
                f"工作簿含超过 {limit} 个字符的单元格，拒绝读取（可用 FANGFEI_MAX_CELL_CHARS 调整）/ a cell longer than {limit} characters"
            )

    parser.StartElementHandler = start
    parser.CharacterDataHandler = text
    try:
        while block := stream.read(1 << 20):
            parser.Parse(block, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise TableError(f"工作簿的共享字符串无法解析 / broken shared strings: {exc}") from None


def _open_book(path: Path, header_test: HeaderTest, header_row: int | None, wanted: Sequence[str], limits: ReadLimits) -> Source:
    from python_calamine import CalamineWorkbook

    _check_zip(path, limits)
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types for a damaged file
        raise TableError(f"无法读取工作簿 / cannot read the workbook: {exc}") from None
    names = list(book.sheet_names)
    missing = [w for w in wanted if w not in names]
    if missing:
        book.close()
        raise TableError(f"找不到工作表 {'、'.join(missing)}；工作簿的工作表：{'、'.join(names)} / no such sheet")
    parts: list[Part] = []
    skipped: list[str] = []
    try:
        for name in names:
            if wanted and name not in wanted:
                skipped.append(f"工作表「{name}」：未选择（--sheet）")
                continue
            head: list[list[Any]] = []
            for values in book.get_sheet_by_name(name).iter_rows():
                head.append(list(values))
                if len(head) >= max(HEADER_SEARCH_ROWS, header_row or 0):
                    break
            at = _find_header(head, header_test, header_row)
            if at is not None and _blank(head[at]):
                at = None
            if at is None:
                if all(_blank(r) for r in head):
                    what = "空表"
                elif header_row is not None:
                    what = f"第{header_row}行不是表头（为空或不存在）"
                else:
                    what = f"前{HEADER_SEARCH_ROWS}行中没有可识别的表头（名称列）"
                skipped.append(f"工作表「{name}」：{what}，未读取")
                continue
            header, notes = clean_header(head[at])
            if not header:
                skipped.append(f"工作表「{name}」：表头为空，未读取")
                continue
            parts.append(Part(name, header, at + 1, sum(1 for r in head[:at] if not _blank(r)), notes))
    except Exception as exc:
        book.close()
        if isinstance(exc, TableError):
            raise
        raise TableError(f"无法读取工作簿 / cannot read the workbook: {exc}") from None
    return Source(path, "book", parts, skipped=skipped, book=book, limits=limits)


def _open_parquet(path: Path) -> Source:
    import pyarrow.parquet as pq

    try:
        schema = pq.ParquetFile(path).schema_arrow
    except Exception as exc:
        raise TableError(f"无法读取 Parquet 文件 / cannot read the Parquet file: {exc}") from None
    return Source(path, "parquet", [Part(None, [str(n) for n in schema.names], 0)])


def _read_parquet(path: Path, chunk_rows: int, part: Part) -> Iterator[Chunk]:
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
        frame = batch.to_pandas()
        frame = frame.astype(object).where(frame.notna(), "")
        frame = frame.map(cell_text)
        yield Chunk(frame.reset_index(drop=True), part)


def _read_jsonl(path: Path, chunk_rows: int) -> Iterator[Chunk]:
    import pandas as pd

    rows: list[dict[str, str]] = []
    errors: dict[int, str] = {}
    columns: list[str] = []
    part = Part(None, columns, 0)
    with path.open("r", encoding="utf-8", errors="surrogateescape") as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError("not an object")
            except (ValueError, RecursionError) as exc:
                reason = "嵌套过深 / nested too deep" if isinstance(exc, RecursionError) else str(exc)
                errors[len(rows)] = f"第{number}行不是 JSON 对象 / line {number} is not a JSON object: {reason}"
                record = {}
            row = {}
            for key, value in record.items():
                if key not in columns:
                    columns.append(key)
                try:
                    row[key] = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else cell_text(value)
                except RecursionError:
                    row[key] = ""
                    errors[len(rows)] = f"第{number}行嵌套过深 / line {number} is nested too deep"
            rows.append(row)
            if len(rows) >= chunk_rows:
                yield Chunk(pd.DataFrame(rows, columns=columns, dtype=object).fillna(""), part, errors)
                rows, errors = [], {}
    if rows:
        yield Chunk(pd.DataFrame(rows, columns=columns, dtype=object).fillna(""), part, errors)


def read_chunks(path: str | Path, *, chunk_rows: int = 50_000, encoding: str | None = None,
                header_test: HeaderTest | None = None) -> Iterator[Chunk]:
    """Every chunk of a file whose header is its first row (or found by ``header_test``)."""
    with open_source(path, header_test=header_test or (lambda _cells: True), encoding=encoding) as source:
        yield from source.chunks(chunk_rows=chunk_rows)


__all__ = [
    "BOOK_SUFFIXES", "Chunk", "HeaderTest", "Part", "READ_SUFFIXES", "ReadLimits", "Source", "TableError",
    "cell_text", "check_input", "clean_header", "detect_encoding", "open_source", "read_chunks",
]
