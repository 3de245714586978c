"""CSV records as registries send them, read so that none is lost.

Records are read line by line: the csv module asks for another physical line only
while a quoted field is open. A record that would span more than ``MAX_SPAN`` lines,
run to the end of the file, or span lines and still not have the header's number of
fields is a broken record — usually one stray quote — and would swallow the records
after it: its first line becomes an error row of its own (with the cells that could
be read) and reading resumes at the next line. So every line ends up in exactly one
row, with its true line number.

Each line is decoded on its own: as UTF-8 where it is valid UTF-8 (an ASCII-compatible
registry file in GBK may hold a UTF-8 line, and the other way round), else in the
file's encoding; a line neither decodes is an error row naming its line.

A file is cut into byte ranges for several processes only before a line that the
whole-file reader surely starts a record at: one preceded by ``MAX_SPAN`` lines that
each are a complete record on their own (see ``_split``). So a range's reader yields
the same rows as the whole-file reader does for those lines, for any number of ranges.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

_BLOCK = 1 << 22
MAX_SPAN = 100  # physical lines one record may span (a quoted field with line breaks)
CELL_LIMIT = 32_767  # what a spreadsheet cell holds; also csv's own field limit is above it
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # bytes kept by surrogateescape
SEP = "\x1f"  # joins a record's cells for one search over the whole record


class CsvError(Exception):
    """A CSV file that cannot be read at all (unknown encoding, empty, bad header)."""


@dataclass(frozen=True)
class Range:
    """Bytes [start, end) of a file, holding whole records; ``line`` is the physical
    line number of its first byte."""

    start: int
    end: int
    line: int


@dataclass(frozen=True)
class CsvLayout:
    header: list[str]
    encoding: str  # for the ranges: without a BOM, which only the header holds
    ranges: list[Range]
    delimiter: str = ","
    header_line: int = 1  # physical line of the header's first byte


def _decoder(encoding: str) -> Callable[[bytes], tuple[str, bool]]:
    """bytes → (text, decoded cleanly). UTF-8 first where the file is UTF-8 or of the GB
    family (one never reads as the other by accident in Chinese text); what fails
    every encoding keeps its bytes as surrogates (see escape_undecodable)."""
    name = codecs.lookup(encoding).name
    if name in ("utf-8", "utf-8-sig"):
        order: tuple[str, ...] = ("utf-8", "gb18030")
    elif name in ("gb18030", "gbk", "gb2312"):
        order = ("utf-8", name)
    else:
        order = (name,)

    def decode(raw: bytes) -> tuple[str, bool]:
        for enc in order:
            try:
                return raw.decode(enc), True
            except UnicodeDecodeError:
                continue
        return raw.decode("utf-8", "surrogateescape"), False

    return decode


class _NeedsMore(Exception):
    """Raised into csv.reader when a line alone does not complete a record."""


def _whole_line(text: str, delimiter: str) -> list[str] | None:
    """The cells of ``text`` read leniently (csv's default), if it is one whole record."""

    def once() -> Iterator[str]:
        yield text
        raise _NeedsMore

    try:
        return next(csv.reader(once(), delimiter=delimiter))
    except (_NeedsMore, csv.Error, StopIteration):
        return None


def _complete_alone(line: bytes, delimiter: str) -> bool:
    """Whether ``line`` read from a record's start is one whole, parsable record."""
    if b'"' not in line:
        return b"\r" not in line.rstrip(b"\r\n")
    # quotes, commas and newlines are ASCII in every encoding read here
    return _whole_line(line.decode("latin-1"), delimiter) is not None


def _header_bytes(f: BinaryIO, header_row: int, span: int, delimiter: str) -> tuple[int, int]:
    """Offsets of the ``header_row``-th record (each at most ``span`` lines; a blank
    line counts as a record, as the header search counts it)."""
    f.seek(0)
    end = 0
    taken = 0

    def lines() -> Iterator[str]:
        nonlocal end, taken
        for line in f:
            if taken >= span:
                raise CsvError(f"表头引号未闭合 / the header runs over {span} lines")
            end += len(line)
            taken += 1
            yield line.decode("latin-1")  # quotes, delimiters and newlines are ASCII here

    reader = csv.reader(lines(), delimiter=delimiter)
    start = 0
    for _ in range(header_row):
        start, taken = end, 0
        try:
            if next(reader, None) is None:
                break
        except csv.Error as exc:
            raise CsvError(f"表头无法解析 / the header cannot be parsed: {exc}") from None
    return start, end


def _count_newlines(f: BinaryIO, start: int, end: int) -> int:
    f.seek(start)
    left, count = end - start, 0
    while left > 0:
        block = f.read(min(_BLOCK, left))
        if not block:
            break
        count += block.count(b"\n")
        left -= len(block)
    return count


def _split(path: Path, parts: int, span: int, header_row: int, delimiter: str) -> tuple[bytes, int, list[Range]]:
    """(the header record's bytes, its line, the ranges after it); the header is the
    ``header_row``-th record, the records above it (titles) are passed over."""
    size = path.stat().st_size
    with path.open("rb", buffering=0) as raw, io.BufferedReader(raw, _BLOCK) as f:
        header_start, header_end = _header_bytes(f, header_row, span, delimiter)
        f.seek(0)
        above = f.read(header_start)
        header = f.read(header_end - header_start)
        header_line = 1 + above.count(b"\n")
        first_line = header_line + header.count(b"\n")
        cuts = [(header_end, first_line)]
        for k in range(1, parts):
            target = header_end + (size - header_end) * k // parts
            if target <= cuts[-1][0]:
                continue
            # From the first line start after target: a cut goes after `span` lines in a
            # row that each are a record alone. No record, broken or not, can reach
            # across them, so the whole-file reader starts a record there too.
            f.seek(target - 1)
            pos = target if f.read(1) == b"\n" else target - 1 + len(f.readline())
            run, cut = 0, None
            f.seek(pos)
            for line in f:
                pos += len(line)
                if not line.endswith(b"\n"):
                    break
                run = run + 1 if _complete_alone(line, delimiter) else 0
                if run >= span:
                    cut = pos
                    break
            if cut is None or cut >= size:
                break
            prev, line_no = cuts[-1]
            cuts.append((cut, line_no + _count_newlines(f, prev, cut)))
    ranges = [Range(a, b, ln) for (a, ln), (b, _) in zip(cuts, [*cuts[1:], (size, 0)])]
    return header, header_line, [r for r in ranges if r.end > r.start]


def layout(
    path: Path, encoding: str, *, parts: int = 1, header_row: int = 1, delimiter: str = ",", span: int = MAX_SPAN
) -> CsvLayout:
    """The header (the ``header_row``-th record) and ``parts`` (at most) ranges of the
    records after it. Header cells come stripped; naming empty or repeated ones is the
    reader's business."""
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise CsvError(f"未知编码 / unknown encoding: {encoding}") from None
    head_bytes, header_line, ranges = _split(path, max(1, parts), span, header_row, delimiter)
    head_text, clean = _decoder(encoding)(head_bytes)
    if not clean:
        raise CsvError(f"表头无法按 {encoding} 解码；请用 --encoding 指定编码 / the header is not {encoding}")
    if header_line == 1:
        head_text = head_text.lstrip("\ufeff")
    try:
        parsed = next(csv.reader(io.StringIO(head_text, newline=""), delimiter=delimiter), None)
    except csv.Error as exc:
        raise CsvError(f"表头无法解析 / the header cannot be parsed: {exc}") from None
    if not parsed:
        if header_row > 1:
            raise CsvError(f"第{header_row}行为空或不存在，不是表头 / row {header_row} is not a header")
        if Path(path).stat().st_size > len(head_bytes):
            raise CsvError("第 1 行为空，找不到表头；请指定表头所在的行（--header-row）/ row 1 is empty: no header found")
        raise CsvError(f"输入文件为空 / the file is empty: {path}")
    header = [h.strip().lstrip("\ufeff") for h in parsed]
    encoding = "utf-8" if codec.name in ("utf-8", "utf-8-sig") else encoding
    return CsvLayout(header, encoding, ranges, delimiter, header_line)


class _Bounded(io.RawIOBase):
    """A raw file restricted to bytes [start, end)."""

    def __init__(self, path: Path, start: int, end: int) -> None:
        self._f = path.open("rb", buffering=0)
        self._f.seek(start)
        self._left = end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            return 0
        view = memoryview(buffer)[: self._left]
        n = self._f.readinto(view) or 0
        self._left -= n
        return n

    def close(self) -> None:
        self._f.close()
        super().close()


def escape_undecodable(cell: str) -> str:
    """Show undecodable bytes as \\xNN so that the cell can be written."""
    if not _UNDECODABLE.search(cell):
        return cell
    return cell.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class _TooLong(Exception):
    """Raised into csv.reader when a record would span more than the allowed lines."""


class _Lines:
    """The physical lines of a range as csv.reader takes them, one at a time. It keeps
    the lines of the record being read, so that after a broken record the lines after
    its first can be read again."""

    def __init__(self, source: Iterator[bytes], first_line: int, decode: Callable[[bytes], tuple[str, bool]], span: int) -> None:
        self._source = source
        self._next_line = first_line
        self._decode = decode
        self._span = span
        self._again: list[tuple[int, str, bool]] = []  # lines to read again, last first
        self.taken: list[tuple[int, str, bool]] = []  # (line number, text, decoded cleanly)
        self.at_end = False  # asked for a line past the last one

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if len(self.taken) >= self._span:
            raise _TooLong
        if self._again:
            item = self._again.pop()
        else:
            raw = next(self._source, None)
            if raw is None:
                self.at_end = True
                raise StopIteration
            item = (self._next_line, *self._decode(raw))
            self._next_line += 1
        self.taken.append(item)
        return item[1]

    def start_record(self) -> None:
        self.taken.clear()
        self.at_end = False

    def read_again(self, items: list[tuple[int, str, bool]]) -> None:
        self._again.extend(reversed(items))


def _salvage(text: str, width: int, delimiter: str) -> list[str]:
    """The cells of a line csv could not take (a huge field, a stray quote), as well as
    they can be told apart: by RFC 4180, else by commas alone; else the whole line in
    the first cell."""
    text = text.rstrip("\r\n")
    d = re.escape(delimiter)
    quoted = re.compile(f'"([^"]*(?:""[^"]*)*)"(?={d}|$)|([^{d}]*)')
    cells = []
    pos = 0
    while True:
        m = quoted.match(text, pos)
        if m is None:
            break
        cells.append(m.group(1).replace('""', '"') if m.group(1) is not None else m.group(2).strip('"'))
        pos = m.end()
        if pos >= len(text) or text[pos] != delimiter:
            break
        pos += 1
    if pos >= len(text) and len(cells) == width:
        return cells
    loose = [c.strip('"') for c in text.split(delimiter)]
    if len(loose) == width:
        return loose
    return [text[:CELL_LIMIT]] + [""] * (width - 1)


def _too_long_cells(row: list[str], header: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """Cells over CELL_LIMIT are blanked: the rest still names the entity."""
    long = [i for i, c in enumerate(row) if len(c) > CELL_LIMIT]
    if not long:
        return row, []
    names = [(header[i] if header and i < len(header) else f"第{i + 1}列") + f"（{len(row[i]):,}字）" for i in long]
    return [("" if i in long else c) for i, c in enumerate(row)], names


def records(
    path: Path,
    rng: Range,
    encoding: str,
    width: int,
    *,
    delimiter: str = ",",
    span: int = MAX_SPAN,
    header: Sequence[str] | None = None,
) -> Iterator[tuple[list[str], str, int, str]]:
    """(cells, problem, line, cells joined by SEP) for each record of the range. A
    record with a problem is still yielded, padded or cut to the header's width."""
    raw = _Bounded(path, rng.start, rng.end)
    with io.BufferedReader(raw, _BLOCK) as f:
        lines = _Lines(iter(f), rng.line, _decoder(encoding), span)
        reader = csv.reader(lines, strict=True, delimiter=delimiter)
        while True:
            lines.start_record()
            problem = ""
            try:
                row = next(reader)
            except StopIteration:
                if not lines.taken:
                    return
                row, problem = [], "end"
            except _TooLong:
                row, problem = [], f"超过{span}行"
            except csv.Error as exc:
                row, problem = [], str(exc)
            taken = lines.taken
            first, text, clean = taken[0] if taken else (lines._next_line, "", True)
            if row == [] and problem and len(taken) == 1:
                # strict on quotes, so that two stray quotes cannot pass for a field with
                # line breaks; a sloppy quote within one whole line is read as before
                sloppy = _whole_line(text, delimiter)
                if sloppy is not None:
                    row, problem = sloppy, ""
            if not problem and len(taken) > 1 and (lines.at_end or len(row) != width):
                problem = "end" if lines.at_end else f"{len(row)}个字段"
            if problem:
                if problem == "end":
                    problem = "直到文件末尾"
                if len(taken) > 1:
                    # A broken record: its first line stands alone, the others are read again.
                    lines.read_again(taken[1:])
                    reader = csv.reader(lines, strict=True, delimiter=delimiter)
                    problem = (
                        f"第{first}行引号未闭合或无法解析（{problem}），本行单独作为错误行，从第{first + 1}行继续读取"
                        f" / line {first}: unbalanced quote or unparsable record; kept alone, reading resumes at line {first + 1}"
                    )
                else:
                    reader = csv.reader(lines, strict=True, delimiter=delimiter)
                    problem = f"第{first}行无法按 CSV 解析（{problem}） / line {first} cannot be parsed as CSV"
                row, names = _too_long_cells(_salvage(text, width, delimiter), header)
                if names:
                    problem += f"；字段过长已置空 / over-long field blanked: {'、'.join(names)}"
            elif not row:
                continue  # a blank line is no record
            elif len(row) != width:
                problem = f"第{first}行有{len(row)}个字段，表头有{width}个 / line {first} has {len(row)} fields, header {width}"
                row = [delimiter.join(row)[:CELL_LIMIT]] + [""] * (width - 1)
            if not all(c for _, _, c in taken) and not problem:
                problem = f"第{first}行含无法按 {encoding} 或 UTF-8 解码的字节 / line {first} has bytes that are neither {encoding} nor UTF-8"
            joined = SEP.join(row)
            if _UNDECODABLE.search(joined):
                row = [escape_undecodable(c) for c in row]
                joined = SEP.join(row)
            yield row, problem, first, joined
