"""CSV records as registries send them, read so that none is lost.

A file is cut into byte ranges of whole records: a newline ends a record only where
the count of double quotes before it is even (RFC 4180 doubles a quote inside a quoted
field); in UTF-8 and GBK/GB18030 neither byte occurs inside another character. Each
range is read on its own, so that several processes can share one file.

Every record comes out once: a line with the wrong number of fields, one the csv
module cannot parse, or one holding bytes the encoding cannot decode is yielded with
the problem and its line, never dropped.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

_BLOCK = 1 << 22
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


def _record_end(f: BinaryIO, pos: int, quotes: int) -> tuple[int, int, int]:
    """From ``pos`` (with ``quotes`` seen before it): the offset just past the next
    newline that ends a record, the quotes before that offset and the newlines passed."""
    f.seek(pos)
    newlines = 0
    while True:
        block = f.read(_BLOCK)
        if not block:
            return pos, quotes, newlines
        i = 0
        while True:
            nl = block.find(b"\n", i)
            if nl < 0:
                quotes += block.count(b'"', i)
                break
            quotes += block.count(b'"', i, nl)
            newlines += 1
            if quotes % 2 == 0:
                return pos + nl + 1, quotes, newlines
            i = nl + 1
        pos += len(block)


def _split(path: Path, parts: int, header_row: int = 1) -> tuple[bytes, int, list[Range]]:
    """(the header record's bytes, its line, the ranges after it); the header is the
    ``header_row``-th record, the records above it (titles) are passed over."""
    size = path.stat().st_size
    with path.open("rb", buffering=0) as raw, io.BufferedReader(raw, _BLOCK) as f:
        header_start, header_end, quotes = 0, 0, 0
        for _ in range(header_row):
            header_start = header_end
            header_end, quotes, _n = _record_end(f, header_end, quotes)
        f.seek(0)
        above = f.read(header_start)
        header = f.read(header_end - header_start)
        header_line = 1 + above.count(b"\n")
        first_line = header_line + header.count(b"\n")
        cuts = [(header_end, first_line)]
        pos, line = header_end, first_line
        for k in range(1, parts):
            target = max(pos, header_end + (size - header_end) * k // parts)
            if target >= size:
                break
            f.seek(pos)
            remaining = target - pos
            while remaining > 0:
                block = f.read(min(_BLOCK, remaining))
                if not block:
                    break
                quotes += block.count(b'"')
                line += block.count(b"\n")
                remaining -= len(block)
            end, quotes, newlines = _record_end(f, target, quotes)
            line += newlines
            if end >= size or end <= cuts[-1][0]:
                break
            cuts.append((end, line))
            pos = end
    ranges = [Range(a, b, ln) for (a, ln), (b, _) in zip(cuts, [*cuts[1:], (size, 0)])]
    return header, header_line, [r for r in ranges if r.end > r.start]


def layout(path: Path, encoding: str, *, parts: int = 1, header_row: int = 1, delimiter: str = ",") -> CsvLayout:
    """The header (the ``header_row``-th record) and ``parts`` (at most) ranges of the
    records after it. Header cells come stripped; naming empty or repeated ones is the
    reader's business."""
    try:
        codec = codecs.lookup(encoding)
    except LookupError:
        raise CsvError(f"未知编码 / unknown encoding: {encoding}") from None
    head_bytes, header_line, ranges = _split(path, max(1, parts), header_row)
    try:
        head_text = head_bytes.decode(encoding)
    except UnicodeDecodeError:
        raise CsvError(f"表头无法按 {encoding} 解码；请用 --encoding 指定编码 / the header is not {encoding}") from None
    if header_line == 1:
        head_text = head_text.lstrip("\ufeff")
    try:
        parsed = next(csv.reader(io.StringIO(head_text, newline=""), delimiter=delimiter), None)
    except csv.Error as exc:
        raise CsvError(f"表头无法解析 / the header cannot be parsed: {exc}") from None
    if not parsed:
        if header_row > 1:
            raise CsvError(f"第{header_row}行为空或不存在，不是表头 / row {header_row} is not a header")
        raise CsvError(f"输入文件为空 / the file is empty: {path}")
    header = [h.strip().lstrip("\ufeff") for h in parsed]
    encoding = "utf-8" if codec.name == "utf-8" else encoding
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


def records(path: Path, rng: Range, encoding: str, width: int, *, delimiter: str = ",") -> Iterator[tuple[list[str], str, int, str]]:
    """(cells, problem, line, cells joined by SEP) for each record of the range. A
    record with a problem is still yielded, padded or cut to the header's width."""
    raw = _Bounded(path, rng.start, rng.end)
    text = io.TextIOWrapper(io.BufferedReader(raw, _BLOCK), encoding=encoding, errors="surrogateescape", newline="")
    with text:
        reader = csv.reader(text, delimiter=delimiter)
        line = rng.line - 1
        while True:
            try:
                row = next(reader)
                problem = ""
            except StopIteration:
                return
            except csv.Error as exc:
                row, problem = [], f"第{rng.line + reader.line_num - 1}行无法解析：{exc}"
            start_line, line = line + 1, rng.line - 1 + reader.line_num
            if not row and not problem:
                continue  # a blank line is no record
            if not problem and len(row) != width:
                problem = f"第{start_line}行有{len(row)}个字段，表头有{width}个 / line {start_line} has {len(row)} fields, header {width}"
                row = [",".join(row)[:32767]] + [""] * (width - 1)
            joined = SEP.join(row)
            if _UNDECODABLE.search(joined):
                if not problem:
                    problem = f"第{start_line}行含无法按 {encoding} 解码的字节 / line {start_line} has bytes that are not {encoding}"
                row = [escape_undecodable(c) for c in row]
                joined = SEP.join(row)
            if problem:
                row = (row + [""] * width)[:width]
            yield row, problem, start_line, joined
