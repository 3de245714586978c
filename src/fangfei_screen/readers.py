"""Registry files in: format, encoding, sheets and header row → tables of text cells,
each row remembering its sheet and its row in the file. Readers know nothing of
screening; what a header looks like is asked of the caller (``header_test``).

Formats, told by content, not suffix (see sniff): delimited text (CSV, TSV, ``;``,
Excel's "Unicode 文本" = UTF-16 with tabs; UTF-8, UTF-8 BOM, GBK/GB18030, detected),
workbooks (.xlsx, .xlsm, .xls, .ods; every visible sheet), HTML tables saved as .xls
(see htmltables), a .zip of such files (each member read the same way), Parquet and
JSON Lines. A header in two rows is read as one (see rowkinds); rows that are not
entities (a repeated header, 合计, 填表人：, a title) are skipped and named; a merged
cell's value belongs to every row it covers.

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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .csvrecords import CsvError, CsvLayout, layout, records
from .rowkinds import RowKinds, sub_header
from .sniff import BOOK_SUFFIX, BOOKS, FileKind, Sniffed, damaged, refusal, sniff
from .values import unwrap_frame

if TYPE_CHECKING:
    import pandas as pd

TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
BOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
READ_SUFFIXES = (*TEXT_SUFFIXES, *BOOK_SUFFIXES, ".parquet", ".jsonl", ".zip")
DELIMITERS = (",", "\t", ";")
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
    header_rows: int = 1  # 2: a group row over sub-headers, read as one header
    headers: tuple[tuple[str, ...], ...] = ()  # the header row(s) as written (to know a repeated one)
    file: str | None = None  # a member of a .zip: its name

    def where(self, row: int) -> str:
        at = f"工作表「{self.sheet}」第{row}行" if self.sheet is not None else f"第{row}行"
        return f"「{self.file}」{at}" if self.file is not None else at

    def kinds(self) -> RowKinds:
        """What tells this table's rows that are not entities."""
        return RowKinds(self.headers)


@dataclass
class Chunk:
    """Rows of one part as text; ``errors`` maps a row's position in the chunk to why it
    could not be read (the reason names its line)."""

    frame: pd.DataFrame
    part: Part
    errors: dict[int, str] = field(default_factory=dict)
    rows: list[int] | None = None  # workbooks: each row's number in its sheet
    not_entities: list[str] = field(default_factory=list)  # rows skipped as not entities: where and why


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
        found = sniff(path)
        if found.kind not in (*BOOKS, FileKind.HTML, FileKind.TEXT, FileKind.PARQUET, FileKind.ZIP):
            raise TableError(refusal(found, path.name))  # a PDF, an image …: say what it is
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


def _two_rows(rows: Sequence[Sequence[Any]], at: int, spans_of: Callable[[int], list[tuple[int, int]]]) -> tuple[int, list[str] | None]:
    """A header in two rows around the row found (``at``): its first row's index and
    the combined header; or (at, None). The group row may be the one found (市场主体名称
    over 名称) or the one above it (基本信息 over 企业名称); ``spans_of(row)`` gives a
    row's horizontal merges (none for text: the group cell is then followed by empty cells)."""
    for top in (at, at - 1):
        if top < 0 or top + 1 >= len(rows):
            continue
        spans = spans_of(top)
        cells, below = [cell_text(c) for c in rows[top]], [cell_text(c) for c in rows[top + 1]]
        combined = sub_header(cells, below, spans) if spans else sub_header(cells, below)
        if combined is not None:
            return top, combined
    return at, None


def _blank(row: Sequence[Any]) -> bool:
    return not any(cell_text(c).strip() for c in row)


class Source:
    """An opened registry file: its parts (tables), the sheets skipped, and its rows."""

    def __init__(self, path: Path, kind: str, parts: list[Part], *, skipped: list[str] | None = None,
                 csv_layout: CsvLayout | None = None, text_path: Path | None = None, encoding: str = "",
                 book: Any = None, limits: ReadLimits | None = None, cleanup: Path | None = None,
                 alarms: list[str] | None = None, members: list[tuple[Source, dict[int, Part]]] | None = None) -> None:
        self.path = path
        self.kind = kind  # "text", "book", "parquet", "jsonl"
        self.parts = parts
        self.skipped = skipped or []
        self.alarms = alarms or []  # what the user must not miss (formulas never calculated …)
        self.uncalculated: frozenset[str] = frozenset()  # sheets whose formulas were never calculated
        self.csv_layout = csv_layout  # text files: the header and byte ranges of the records
        self.text_path = text_path  # text files: the file the ranges are of (UTF-16 is re-encoded)
        self.encoding = encoding
        self._book = book
        self._limits = limits or ReadLimits()
        self._cleanup = cleanup
        self._members = members  # a .zip: each member's source, its parts → the parts named by member

    def close(self) -> None:
        for member, _ in self._members or ():
            member.close()
        self._members = None
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
        if self._members is not None:
            return self._member_chunks(chunk_rows)
        if self.kind == "text":
            return self._text_chunks(chunk_rows)
        if self.kind == "book":
            return self._book_chunks(chunk_rows)
        if self.kind == "parquet":
            return _read_parquet(self.path, chunk_rows, self.parts[0])
        return _read_jsonl(self.path, chunk_rows)

    def _member_chunks(self, chunk_rows: int) -> Iterator[Chunk]:
        for member, named in self._members or ():
            for chunk in member.chunks(chunk_rows=chunk_rows):
                chunk.part = named.get(id(chunk.part), chunk.part)
                if chunk.part.file is not None:
                    chunk.not_entities = [f"「{chunk.part.file}」{w}" for w in chunk.not_entities]
                yield chunk

    def _text_chunks(self, chunk_rows: int) -> Iterator[Chunk]:
        import pandas as pd

        assert self.csv_layout is not None and self.text_path is not None
        shape, part = self.csv_layout, self.parts[0]
        width = len(part.header)
        kinds = part.kinds()
        for rng in shape.ranges:
            rows: list[list[str]] = []
            lines: list[int] = []
            errors: dict[int, str] = {}
            skipped: list[str] = []
            for row, problem, line, _joined in records(self.text_path, rng, shape.encoding, width, delimiter=shape.delimiter, header=part.header):
                kind = kinds.of(row)
                if kind is not None:
                    skipped.append(f"{part.where(line)}（{kind}）")
                    continue
                if problem:
                    errors[len(rows)] = problem
                rows.append(row)
                lines.append(line)
                if len(rows) >= chunk_rows:
                    yield Chunk(pd.DataFrame(rows, columns=part.header, dtype=object), part, errors, lines, skipped)
                    rows, lines, errors, skipped = [], [], {}, []
            if rows or skipped:
                yield Chunk(pd.DataFrame(rows, columns=part.header, dtype=object), part, errors, lines, skipped)

    def _book_chunks(self, chunk_rows: int) -> Iterator[Chunk]:
        import pandas as pd

        limit = self._limits.max_cell_chars
        for part in self.parts:
            width = len(part.header)
            kinds = part.kinds()
            rows: list[list[str]] = []
            numbers: list[int] = []
            skipped: list[str] = []
            first = part.header_row + part.header_rows - 1  # the last header row: records start below it
            for number, values in self._book.rows(part.sheet, after=first):
                row = [cell_text(v) for v in values]
                if not any(c.strip() for c in row):
                    continue
                kind = kinds.of(row)
                if kind is not None:
                    skipped.append(f"{part.where(number)}（{kind}）")
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
                    yield Chunk(pd.DataFrame(rows, columns=part.header, dtype=object), part, rows=numbers, not_entities=skipped)
                    rows, numbers, skipped = [], [], []
            if rows or skipped:
                yield Chunk(pd.DataFrame(rows, columns=part.header, dtype=object), part, rows=numbers, not_entities=skipped)


def open_source(
    path: str | Path,
    *,
    header_test: HeaderTest,
    encoding: str | None = None,
    header_row: int | None = None,
    sheets: Sequence[str] = (),
    parts: int = 1,
    limits: ReadLimits | None = None,
    name: str | None = None,
    in_archive: bool = False,
) -> Source:
    """Open a registry file: find its header row(s) and, for a workbook, the sheets
    that hold a table. ``parts`` splits a text file into that many byte ranges (at
    most) for parallel readers. The reader is chosen by the file's content (an ".xls"
    that is a web page or text is read as one); ``name`` is the file's name in
    messages; ``in_archive``: a member of a .zip (which may not be a zip itself).
    TableError if nothing can be read."""
    path = check_input(path)
    name = name or path.name
    limits = limits or ReadLimits.from_env()
    if header_row is not None and header_row < 1:
        raise TableError("--header-row 从 1 开始 / --header-row counts from 1")
    found = sniff(path)
    if found.kind not in (*BOOKS, FileKind.HTML, FileKind.TEXT, FileKind.PARQUET, FileKind.ZIP):
        raise TableError(refusal(found, name))
    if sheets and found.kind not in (*BOOKS, FileKind.HTML, FileKind.ZIP):
        raise TableError(f"--sheet 只适用于工作簿（.xlsx .xlsm .xls .ods），{name} 不是工作簿 / --sheet is for workbooks")
    if found.kind == FileKind.TEXT:
        if path.suffix.lower() == ".jsonl":
            return Source(path, "jsonl", [Part(None, [], 0)])
        return _open_text(path, encoding or detect_encoding(path), header_test, header_row, parts)
    if found.kind in BOOKS:
        return _open_book(path, found.kind, header_test, header_row, sheets, limits, name)
    if found.kind == FileKind.HTML:
        from .htmltables import read_tables

        try:
            tables = read_tables(path)
        except (ValueError, OSError, UnicodeError):
            raise TableError(f"{name} 是网页，但无法解析：请在 Excel 中打开后另存为 .xlsx 再筛查 / an unreadable web page") from None
        if not tables:
            raise TableError(f"{name} 是网页，但其中没有表格：请从系统中重新导出 Excel 或 CSV 文件 / a web page without a table")
        return _open_sheets(path, _HtmlSheets(tables), header_test, header_row, sheets, limits)
    if found.kind == FileKind.ZIP:
        if in_archive:
            raise TableError("压缩包中的压缩包，未读取（请先解压）/ an archive inside the archive")
        return _open_zip(path, header_test=header_test, encoding=encoding, header_row=header_row, sheets=sheets, limits=limits)
    return _open_parquet(path)


def _open_zip(path: Path, *, header_test: HeaderTest, encoding: str | None, header_row: int | None,
              sheets: Sequence[str], limits: ReadLimits) -> Source:
    """A .zip of files: each member opened as a file of its own; their parts, named by
    member, make the zip's parts; a member that cannot be read is named as skipped."""
    from .ziparchive import ArchiveError, unpack

    folder = Path(tempfile.mkdtemp(prefix="fangfei-zip-"))
    members: list[tuple[Source, dict[int, Part]]] = []
    try:
        found, skipped = unpack(path, folder, max_bytes=limits.max_unzipped_bytes,
                                suffixes=[s for s in READ_SUFFIXES if s not in (".zip", ".jsonl")])
        parts: list[Part] = []
        alarms: list[str] = []
        for name, target in found:
            try:
                member = open_source(target, header_test=header_test, encoding=encoding, header_row=header_row,
                                     sheets=sheets, limits=limits, name=name, in_archive=True)
            except TableError as exc:
                skipped.append(f"「{name}」：{exc}")
                continue
            if header_row is None and not any(header_test([str(c).strip() for c in p.header]) for p in member.parts):
                # a text member with no table in it (说明.txt): named, not read as a table without a name column
                member.close()
                skipped.append(f"「{name}」：找不到表头（没有名称列），未读取")
                continue
            named = {id(p): replace(p, file=name) for p in member.parts}
            members.append((member, named))
            parts.extend(named.values())
            skipped.extend(f"「{name}」{s}" for s in member.skipped)
            alarms.extend(f"「{name}」{a}" for a in member.alarms)
    except BaseException as exc:
        for member, _ in members:
            member.close()
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, ArchiveError):
            raise TableError(str(exc)) from None
        raise
    return Source(path, "book", parts, skipped=skipped, alarms=alarms, members=members, limits=limits, cleanup=folder)


def _delimiter(head: list[str], header_test: HeaderTest) -> str:
    """The delimiter of a text file: the one with which a row reads as a header (with
    the most cells), else the one the first non-blank line holds most of."""
    best, cells = "", 0
    for d in DELIMITERS:
        for row in _sniff_rows(head, d):
            if len(row) > cells and header_test([c.strip() for c in row]):
                best, cells = d, len(row)
                break
    if best:
        return best
    first = next((line for line in head if line.strip()), "")
    return max(DELIMITERS, key=lambda d: (first.count(d), d == ","))


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
        except UnicodeError:
            shutil.rmtree(cleanup, ignore_errors=True)
            raise TableError(f"文件无法按 {encoding} 解码：请用 --encoding 指定编码 / the file is not {encoding}") from None
        encoding = "utf-8"
    try:
        head = _first_records(text_path, encoding)
        delimiter = _delimiter(head, header_test)
        rows = _sniff_rows(head, delimiter)
        at = _find_header(rows, header_test, header_row)
        if at is None:
            at = 0 if header_row is None else header_row - 1
        top, combined = _two_rows(rows, at, lambda _row: []) if header_row is None else (at, None)
        header_rows = 2 if combined is not None else 1
        shape = layout(text_path, encoding, parts=parts, header_row=top + header_rows, delimiter=delimiter)
    except CsvError as exc:
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)
        # the message names the user's file, never the re-encoded copy
        raise TableError(str(exc).replace(str(text_path), str(path))) from None
    if combined is not None:
        width = max(len(combined), len(shape.header))
        header, notes = clean_header(combined + [""] * (width - len(combined)), trim=False)
        headers = (tuple(rows[top]), tuple(rows[top + 1]))
        at = top
    else:
        header, notes = clean_header(shape.header, trim=False)
        headers = (tuple(shape.header),)
    if not header:
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)
        raise TableError(f"输入文件为空或表头为空 / the file or its header is empty: {path.name}")
    skipped = sum(1 for r in rows[:at] if not _blank(r))
    header_line = shape.header_line - (header_rows - 1)
    part = Part(None, header, header_line, skipped, notes, header_rows, headers)
    return Source(path, "text", [part], csv_layout=shape, text_path=text_path, encoding=shape.encoding, cleanup=cleanup)


def _sniff_rows(head: list[str], delimiter: str) -> list[list[str]]:
    """The first records, up to the first that is not CSV (a bare CR inside a field,
    random bytes): the header is looked for among those before it, and the records
    reader reports that one, as a row in error or as an unreadable header."""
    reader = csv.reader(head, delimiter=delimiter)
    rows: list[list[str]] = []
    while True:
        try:
            rows.append(next(reader))
        except StopIteration:
            return rows
        except csv.Error:
            return rows


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
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError):
        raise TableError(damaged(path.name)) from None


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
    except expat.ExpatError:
        raise TableError("工作簿的共享字符串已损坏，无法读取：请在 Excel 或 LibreOffice 中打开后另存为 .xlsx 再筛查 / broken shared strings") from None


class _CalamineSheets:
    """A workbook read by calamine, as the sheet reader sees it: names, hidden sheets,
    rows (1-based numbers) and merged ranges (0-based, in the rows' own columns)."""

    def __init__(self, book: Any, *, ods: Path | None = None) -> None:
        self._book = book
        self._ods = ods  # an OpenDocument file: calamine gives no merge list, content.xml does
        self.names = list(book.sheet_names)
        self._merges: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = {}  # small: kept per sheet
        self.hidden: dict[str, str] = {}
        try:
            for meta in book.sheets_metadata:
                state = str(getattr(meta.visible, "name", meta.visible)).lower()
                if "very" in state:
                    self.hidden[meta.name] = "深度隐藏（veryHidden）的工作表"
                elif "hidden" in state:
                    self.hidden[meta.name] = "隐藏的工作表"
        except Exception:  # an old reader without metadata: every sheet is visible
            self.hidden = {}

    def _sheet(self, name: str) -> Any:
        return self._book.get_sheet_by_name(name)  # calamine reads the whole sheet here: once per pass

    def head(self, name: str, count: int) -> list[list[Any]]:
        sheet = self._sheet(name)
        self._merges[name] = self._merge_list(sheet, name)
        out: list[list[Any]] = []
        for values in sheet.iter_rows():
            out.append(list(values))
            if len(out) >= count:
                break
        return out

    def merges(self, name: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        if name not in self._merges:
            self._merges[name] = self._merge_list(self._sheet(name), name)
        return self._merges[name]

    def _merge_list(self, sheet: Any, name: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        try:
            ranges = sheet.merged_cell_ranges
        except Exception:  # a reader that does not know them
            ranges = None
        if ranges is None and self._ods is not None:
            from .odsmerges import ods_merges

            ranges = ods_merges(self._ods, name)
        ranges = ranges or []
        left = sheet.start[1] if sheet.start else 0  # iter_rows starts at the first used column
        return [((r0, c0 - left), (r1, c1 - left)) for (r0, c0), (r1, c1) in ranges]

    def rows(self, name: str, *, after: int) -> Iterator[tuple[int, list[Any]]]:
        sheet = self._sheet(name)
        merges = self._merges.get(name)
        if merges is None:
            merges = self._merges[name] = self._merge_list(sheet, name)
        return _filled_down((list(v) for v in sheet.iter_rows()), merges, after=after)

    def close(self) -> None:
        self._book.close()


class _HtmlSheets:
    """The tables of a web page as sheets (表1, 表2 …)."""

    def __init__(self, tables: Sequence[Any]) -> None:
        self._tables = {t.name: t for t in tables}
        self.names = list(self._tables)
        self.hidden: dict[str, str] = {}

    def head(self, name: str, count: int) -> list[list[Any]]:
        return [list(r) for r in self._tables[name].rows[:count]]

    def merges(self, name: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        return list(self._tables[name].merges)

    def rows(self, name: str, *, after: int) -> Iterator[tuple[int, list[Any]]]:
        table = self._tables[name]
        return _filled_down((list(r) for r in table.rows), list(table.merges), after=after)

    def close(self) -> None:
        self._tables = {}


def _filled_down(rows: Iterator[list[Any]], merges: Sequence[tuple[tuple[int, int], tuple[int, int]]], *,
                 after: int) -> Iterator[tuple[int, list[Any]]]:
    """(1-based number, cells) of each row below row ``after``; a cell merged down over
    several records (a township written once over its rows) gives its value to each
    row it covers, in its first column."""
    starts: dict[int, list[tuple[int, int]]] = {}
    for (r0, c0), (r1, _c1) in merges:
        if r1 > r0 and r0 >= after and c0 >= 0:
            starts.setdefault(r0, []).append((c0, r1))
    active: dict[int, tuple[int, Any]] = {}  # column → (last row, value)
    for index, row in enumerate(rows):
        for c0, r1 in starts.get(index, ()):
            if c0 < len(row):
                active[c0] = (r1, row[c0])
        if index < after:
            continue
        if active:
            for c0, (r1, value) in list(active.items()):
                if index > r1:
                    del active[c0]
                elif c0 < len(row) and cell_text(row[c0]) == "":
                    row[c0] = value
        yield index + 1, row


def _open_book(path: Path, kind: FileKind, header_test: HeaderTest, header_row: int | None, wanted: Sequence[str],
               limits: ReadLimits, name: str) -> Source:
    from python_calamine import CalamineWorkbook

    _check_zip(path, limits)
    cleanup = None
    real = path
    if path.suffix.lower() not in (".xlsm", BOOK_SUFFIX[kind]):
        # calamine chooses its parser by suffix: a workbook named for another format is linked under its own
        cleanup = Path(tempfile.mkdtemp(prefix="fangfei-book-"))
        real = cleanup / f"input{BOOK_SUFFIX[kind]}"
        os.symlink(path.resolve(), real)
    try:
        book = CalamineWorkbook.from_path(str(real))
    except Exception as exc:  # calamine raises its own types for a damaged file
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)
        if type(exc).__name__ == "PasswordError" or "password" in str(exc).lower():
            raise TableError(refusal(Sniffed(FileKind.ENCRYPTED), name)) from None
        raise TableError(damaged(name)) from None
    try:
        sheets = _CalamineSheets(book, ods=path if kind == FileKind.ODS else None)
        source = _open_sheets(path, sheets, header_test, header_row, wanted, limits)
    except BaseException:
        if cleanup:
            shutil.rmtree(cleanup, ignore_errors=True)
        raise
    source._cleanup = cleanup
    if kind == FileKind.XLSX:
        alarms = _formula_alarms(path, [p.sheet for p in source.parts if p.sheet is not None])
        source.alarms.extend(alarms.values())
        source.uncalculated = frozenset(alarms)
    return source


def _open_sheets(path: Path, book: Any, header_test: HeaderTest, header_row: int | None, wanted: Sequence[str],
                 limits: ReadLimits) -> Source:
    """The tables of a workbook (or a page's tables): per visible or chosen sheet, its
    header row(s); the other sheets are named as skipped."""
    names = book.names
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
            if not wanted and name in book.hidden:
                skipped.append(f"工作表「{name}」：{book.hidden[name]}，未筛查（要筛查请用 --sheet 指定）")
                continue
            head = book.head(name, max(HEADER_SEARCH_ROWS, header_row or 0) + 1)
            at = _find_header(head[:max(HEADER_SEARCH_ROWS, header_row or 0)], header_test, header_row)
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
            merges = book.merges(name)
            at, combined = _two_rows(head, at, lambda r: [(c0, c1) for (r0, c0), (_r1, c1) in merges if r0 == r and c1 > c0])
            cells = [cell_text(c) for c in head[at]]
            if combined is not None:
                header, notes = clean_header(combined)
                headers: tuple[tuple[str, ...], ...] = (tuple(cells), tuple(cell_text(c) for c in head[at + 1]))
            else:
                header, notes = clean_header(cells)
                headers = (tuple(cells),)
            if not header:
                skipped.append(f"工作表「{name}」：表头为空，未读取")
                continue
            parts.append(Part(name, header, at + 1, sum(1 for r in head[:at] if not _blank(r)), notes,
                              2 if combined is not None else 1, headers))
    except Exception as exc:
        book.close()
        if isinstance(exc, TableError):
            raise
        raise TableError(damaged(path.name)) from None
    return Source(path, "book", parts, skipped=skipped, book=book, limits=limits)


def _formula_alarms(path: Path, sheets: Sequence[str]) -> dict[str, str]:
    """Sheets of a workbook written by a program (openpyxl, XlsxWriter) whose formulas
    were never calculated: their cells read as empty or 0, not as Excel would show them."""
    import re

    try:
        with zipfile.ZipFile(path) as z:
            workbook = z.read("xl/workbook.xml")
            if not re.search(rb"<(?:\w+:)?calcPr[^>]*fullCalcOnLoad=\"(?:1|true)\"", workbook):
                return {}  # calculated by Excel or LibreOffice when last saved
            rels = z.read("xl/_rels/workbook.xml.rels") if "xl/_rels/workbook.xml.rels" in z.namelist() else b""
            targets = dict(re.findall(rb"<Relationship[^>]*?Id=\"([^\"]+)\"[^>]*?Target=\"([^\"]+)\"", rels))
            targets.update({k: v for v, k in re.findall(rb"<Relationship[^>]*?Target=\"([^\"]+)\"[^>]*?Id=\"([^\"]+)\"", rels)})
            out = {}
            for sheet_name, rid in re.findall(rb"<(?:\w+:)?sheet [^>]*?name=\"([^\"]*)\"[^>]*?r:id=\"([^\"]+)\"", workbook):
                title = _xml_text(sheet_name)
                if title not in sheets or rid not in targets:
                    continue
                target = targets[rid].decode("utf-8").lstrip("/")
                member = target if target.startswith("xl/") else f"xl/{target}"
                count = _count_formulas(z, member)
                if count:
                    out[title] = (
                        f"工作表「{title}」有 {count} 个公式单元格从未计算过（文件由程序生成），读到的值是空或 0，"
                        "不是 Excel 显示的值：请在 Excel 或 LibreOffice 中打开并保存一次后再筛查"
                    )
            return out
    except (zipfile.BadZipFile, KeyError, OSError, UnicodeError):
        return {}


def _xml_text(raw: bytes) -> str:
    import html

    return html.unescape(raw.decode("utf-8", errors="replace"))


def _count_formulas(z: zipfile.ZipFile, member: str) -> int:
    """Formula cells (``<f>`` elements) of one sheet's XML, streamed."""
    count, tail = 0, b""
    try:
        with z.open(member) as f:
            while block := f.read(1 << 20):
                data = tail + block
                count += data.count(b"<f>") + data.count(b"<f ") - tail.count(b"<f>") - tail.count(b"<f ")
                tail = data[-3:]
    except KeyError:
        return 0
    return count


def _open_parquet(path: Path) -> Source:
    import pyarrow.parquet as pq

    try:
        schema = pq.ParquetFile(path).schema_arrow
    except Exception:
        raise TableError(f"{path.name} 是已损坏的 Parquet 文件，无法读取：请重新导出 / a damaged Parquet file") from None
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
