"""A CSV range read in blocks: runs of plain lines in one piece, the rest record by record.

Most lines of a registry export are plain: no quote, no carriage return inside, valid
UTF-8, not huge. For those the csv module's answer is known without asking it: each
non-blank line is one record, its cells the line split at the delimiter. Such runs
come out whole (:class:`Lines`: the decoded text and its lines), so that a caller can
search a whole block at once instead of line by line. From the first line that is not
plain, the careful reader (csvrecords.records) takes over, up to a line before which
``span`` lines in a row are each a whole record alone: there the careful reader of the
whole file starts a record too (the reasoning of csvrecords._split), and plain reading
resumes. So every line ends up in exactly one row, as csvrecords reads it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .csvrecords import CELL_LIMIT, MAX_SPAN, Range, _complete_alone, records

_BLOCK = 1 << 20
# What makes a line not plain: a quote, a carriage return not ending the line, NUL, or
# a line long enough that a cell could pass the csv module's field limit (131,072).
_BARE_CR = re.compile(rb"\r(?!\n)")
_LONG_LINE = 131_072


def _first_not_plain(chunk: bytes, lo: int = 0, hi: int | None = None) -> int:
    """The offset of the first byte of ``chunk[lo:hi]`` that makes its line not plain,
    else ``hi`` (the chunk's end by default). bytes.find and count, not one regex: a
    regex search steps through every byte in Python's engine, ten times slower (0.7 s
    against 0.07 s on 31 MB)."""
    stop = len(chunk) if hi is None else hi
    for needle in (b'"', b"\x00"):
        at = chunk.find(needle, lo, stop)
        if at >= 0:
            stop = at
    if chunk.count(b"\r", lo, stop) != chunk.count(b"\r\n", lo, stop):
        bare = _BARE_CR.search(chunk, lo, stop)
        if bare is not None:
            stop = bare.start()
    if stop - lo > _LONG_LINE:
        at = lo
        for line in chunk[lo:stop].split(b"\n"):
            if len(line) >= _LONG_LINE:
                return at
            at += len(line) + 1
    return stop


@dataclass(frozen=True)
class Lines:
    """Plain lines of a range: ``lines[i]`` is physical line ``first + i``, without its
    line ending; ``text`` is the lines joined by \\n."""

    first: int
    text: str
    lines: list[str]


Record = tuple[list[str], str, int, str]  # as csvrecords.records yields them


def plain_row(line: str, number: int, width: int, delimiter: str) -> tuple[list[str], str] | None:
    """The row and problem of one plain line, as csvrecords.records reads it; None for
    a blank line (no record)."""
    if not line:
        return None
    row = line.split(delimiter)
    if len(row) == width:
        return row, ""
    problem = f"第{number}行有{len(row)}个字段，表头有{width}个 / line {number} has {len(row)} fields, header {width}"
    return [delimiter.join(row)[:CELL_LIMIT]] + [""] * (width - 1), problem


def blocks(
    path: Path,
    rng: Range,
    width: int,
    *,
    delimiter: str = ",",
    span: int = MAX_SPAN,
    header: Sequence[str] | None = None,
    block: int = _BLOCK,
) -> Iterator[Lines | Record]:
    """The range as runs of plain lines (:class:`Lines`) and, between them, the careful
    reader's records (tuples as csvrecords.records yields them), in file order. For
    UTF-8 files only: a line that is not valid UTF-8 is read by the careful reader."""
    with path.open("rb") as f:
        f.seek(rng.start)
        pos, line_no, end = rng.start, rng.line, rng.end
        # buf[off:] is the file from pos on, read ahead; the file stands at its end
        buf, off = b"", 0
        while pos < end:
            have = len(buf) - off
            if have < block and pos + have < end:
                buf, off = buf[off:] + f.read(min(block, end - pos - have)), 0
                have = len(buf)
            while pos + have < end and buf.find(b"\n", off) < 0:  # a line longer than the block
                buf, off = buf[off:] + f.read(min(block, end - pos - have)), 0
                have = len(buf)
            lim = len(buf) if pos + have >= end else buf.rfind(b"\n") + 1  # whole lines, but at the end
            stop = _first_not_plain(buf, off, lim)
            try:
                text = buf[off:stop].decode("utf-8")
            except UnicodeDecodeError as exc:
                stop, text = off + exc.start, ""
            if stop < lim:
                nl = buf.rfind(b"\n", off, stop)
                stop = nl + 1 if nl >= 0 else off  # the start of the first line that is not plain
                text = buf[off:stop].decode("utf-8")
            if stop > off:
                plain = text.replace("\r\n", "\n")
                if plain.endswith("\n"):
                    plain = plain[:-1]
                lines = plain.split("\n")
                yield Lines(line_no, plain, lines)
                line_no += len(lines) if text.endswith("\n") else len(lines) - 1
                pos += stop - off
                off = stop
            if stop < lim:
                # From here the careful reader, over a range ending at a cut it starts
                # records at too; but only for its first record: where the second starts,
                # the careful reader of the whole file starts a record, and plain reading
                # resumes (from the first line that is not plain, most lines of a file
                # whose cells are now and then quoted would otherwise go the careful way).
                careful_end = _one_record_end(f, pos, end, delimiter)
                if careful_end is None:
                    careful_end = _careful_end(f, pos, end, delimiter, span)
                careful = records(path, Range(pos, careful_end, line_no), "utf-8", width,
                                  delimiter=delimiter, span=span, header=header)
                first = next(careful, None)
                second = next(careful, None) if first is not None else None
                careful.close()
                if first is not None:
                    yield first
                f.seek(pos)
                if second is None:
                    line_no += _count(f, careful_end - pos)
                    moved = careful_end - pos
                else:
                    moved = _skip_lines(f, second[2] - line_no)
                    line_no = second[2]
                ahead = len(buf) - off  # what is read ahead stays, if the cut is within it
                f.seek(pos + ahead)
                if moved <= ahead:
                    off += moved
                else:
                    buf, off = b"", 0
                    f.seek(pos + moved)
                pos += moved


def _one_record_end(f: object, start: int, end: int, delimiter: str) -> int | None:
    """The end of the line at ``start`` when that line is a whole record alone (quoted
    cells, balanced): read from a record start, the careful reader takes it alone, and
    the next line starts a record. None when it may run on (an open quote, a bare CR …)."""
    f.seek(start)  # type: ignore[attr-defined]
    line = f.readline()  # type: ignore[attr-defined]
    if start + len(line) >= end or not line.endswith(b"\n") or not _complete_alone(line, delimiter):
        return None
    return start + len(line)


def _careful_end(f: object, start: int, end: int, delimiter: str, span: int) -> int:
    """The first position after ``start`` preceded by ``span`` lines that each are a
    whole record alone (and are plain), else ``end``."""
    f.seek(start)  # type: ignore[attr-defined]
    pos, run = start, 0
    for line in f:  # type: ignore[attr-defined]
        pos += len(line)
        if pos >= end or not line.endswith(b"\n"):
            return end
        run = run + 1 if _complete_alone(line, delimiter) else 0
        if run >= span:
            return pos
    return end


def _skip_lines(f: object, n: int) -> int:
    """The number of bytes of the next ``n`` lines of ``f`` (each ended by \\n)."""
    size = 0
    while n > 0:
        data = f.read(1 << 16)  # type: ignore[attr-defined]
        if not data:
            break
        at = -1
        while n > 0:
            at = data.find(b"\n", at + 1)
            if at < 0:
                break
            n -= 1
        if n == 0:
            return size + at + 1
        size += len(data)
    return size


def _count(f: object, size: int) -> int:
    n = 0
    while size > 0:
        data = f.read(min(_BLOCK, size))  # type: ignore[attr-defined]
        if not data:
            break
        n += data.count(b"\n")
        size -= len(data)
    return n
