"""Reading a results file for the ledger: the same chunks as ``readers.read_chunks``, faster
for the CSV files ``scan`` writes.

``scan`` quotes every flagged row's hits (JSON has quotes), so the plain-line path of
csvblocks rarely applies to its output, and the careful reader (csvrecords.records)
asks csv.reader for one physical line at a time from Python: some 25 µs a row. Here a
1 MB block of lines that starts where the careful reader starts a record is read at
once: a line without a quote is split at the delimiter (what csv.reader makes of it,
csvblocks.plain_row), the lines with quotes go to csv.reader in one call, and the
block is taken only when that gives one record per line, each with the header's number
of cells, no csv error, the block valid UTF-8 with no bare CR and no NUL, no line near
csv's field limit. Then every line was a whole record alone, read from a record's
start; csv.reader saw the very strings the careful reader would feed it (each line with
its ending, UTF-8 being tried first for these encodings), so its rows are the careful
reader's. Any other
block is read by the careful reader itself, up to a line before which ``MAX_SPAN``
lines in a row are each a whole record alone (where it starts a record too: the
reasoning of csvrecords._split and csvblocks). After that the rows go through what
``Source.chunks`` does to them: rows that are not entities skipped, cells unwrapped.
Every other kind of file is read by ``readers.read_chunks``.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fangfei_screen.csvblocks import _careful_end
from fangfei_screen.csvrecords import MAX_SPAN, Range, records
from fangfei_screen.readers import Chunk, open_source
from fangfei_screen.values import WRAP_START, unwrap_cells

_BLOCK = 1 << 20
_FIELD_LIMIT = 131_072  # csv.field_size_limit()'s default, which the careful reader keeps
# the encodings whose careful decoder tries UTF-8 first (csvrecords._decoder)
_UTF8_FIRST = frozenset({"utf-8", "utf-8-sig", "gb18030", "gbk", "gb2312"})


def read_chunks(path: str | Path, *, chunk_rows: int = 50_000) -> Iterator[Chunk]:
    """Every chunk of a results file whose header is its first row, as
    ``readers.read_chunks(path, chunk_rows=…)`` yields them."""
    with open_source(path, header_test=lambda _cells: True) as source:
        shape = source.csv_layout
        if (source.kind != "text" or shape is None or source.text_path is None
                or codecs.lookup(shape.encoding).name not in _UTF8_FIRST):
            yield from source.chunks(chunk_rows=chunk_rows)
            return
        yield from _text_chunks(source, source.text_path, chunk_rows)


def _text_chunks(source: Any, text_path: Path, chunk_rows: int) -> Iterator[Chunk]:
    import pandas as pd

    shape, part = source.csv_layout, source.parts[0]
    width = len(part.header)
    kinds = part.kinds()
    for rng in shape.ranges:
        rows: list[list[str]] = []
        lines: list[int] = []
        errors: dict[int, str] = {}
        skipped: list[str] = []
        for row, problem, line, plain in _records(text_path, rng, shape.encoding, width, shape.delimiter, part.header):
            kind = kinds.of(row)
            if kind is not None:
                skipped.append(f"{part.where(line)}（{kind}）")
                continue
            if not plain:
                row = unwrap_cells(row)  # Source.chunks' unwrap_frame, cell by cell (unwrap keeps any other cell)
            if problem:
                errors[len(rows)] = problem
            rows.append(row)
            lines.append(line)
            if len(rows) >= chunk_rows:
                yield Chunk(pd.DataFrame(rows, columns=part.header, dtype=object), part, errors, lines, skipped)
                rows, lines, errors, skipped = [], [], {}, []
        if rows or skipped:
            yield Chunk(pd.DataFrame(rows, columns=part.header, dtype=object), part, errors, lines, skipped)


def _no_wrapped(text: str, delimiter: str) -> bool:
    """Whether surely no cell of a block of whole lines starts with a character that
    values.unwrap drops: each such character is looked at where it stands, and only one
    at a line's start, after the delimiter or after a quote could start a cell (a cell
    starting with CR would span lines, so none is in such a block). str.find, not a regex:
    a regex with a leading alternation steps through every character in Python's engine."""
    starts = ("\n", '"', delimiter)
    for ch in WRAP_START:
        if ch == "\r":
            continue
        at = text.find(ch)
        while at >= 0:
            if at == 0 or text[at - 1] in starts:
                return False
            at = text.find(ch, at + 1)
    return True


def _whole_lines(data: bytes, width: int, delimiter: str) -> tuple[list[list[str]], bool] | None:
    """The rows of a block of lines (each ending in \\n) if every line is a whole record
    of ``width`` cells alone, as the careful reader reads it, and whether no cell of them
    needs unwrapping; else None."""
    if b"\x00" in data or data.count(b"\r") != data.count(b"\r\n"):
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.split("\n")
    lines.pop()  # the block ends with \n: nothing after it
    if max(map(len, lines), default=0) >= _FIELD_LIMIT:
        return None  # a cell there could pass csv's field limit: the careful reader's error row
    # A line without a quote (and no bare CR) is what csv.reader reads it as: its cells
    # split at the delimiter (csvblocks.plain_row). The others go to csv.reader together,
    # each with its ending: as many rows as lines means each was a whole record alone.
    rows: list[list[str]] = []
    quoted: list[int] = []
    for line in lines:
        if '"' in line:
            quoted.append(len(rows))
            rows.append([])
        else:
            rows.append(line.removesuffix("\r").split(delimiter))
    if quoted:
        try:
            parsed = list(csv.reader([lines[i] + "\n" for i in quoted], strict=True, delimiter=delimiter))
        except csv.Error:
            return None
        if len(parsed) != len(quoted):
            return None
        for i, row in zip(quoted, parsed):
            rows[i] = row
    if any(len(r) != width for r in rows):
        return None
    return rows, _no_wrapped(text, delimiter)


def _records(path: Path, rng: Range, encoding: str, width: int, delimiter: str,
             header: list[str]) -> Iterator[tuple[list[str], str, int, bool]]:
    """(cells, problem, line, surely no cell to unwrap) of every record in the range, in
    order, as csvrecords.records reads them."""
    with path.open("rb") as f:
        pos, line_no, end = rng.start, rng.line, rng.end
        f.seek(pos)
        while pos < end:
            data = f.read(min(_BLOCK, end - pos))
            while pos + len(data) < end and b"\n" not in data:  # a line longer than the block
                data += f.read(min(_BLOCK, end - pos - len(data)))
            if pos + len(data) < end or not data.endswith(b"\n"):
                data = data[: data.rfind(b"\n") + 1]  # a last line without an ending: the careful reader's
            found = _whole_lines(data, width, delimiter) if data else None
            if found is not None:
                rows, plain = found
                for i, row in enumerate(rows):
                    yield row, "", line_no + i, plain
                line_no += len(rows)
                pos += len(data)
                f.seek(pos)
                continue
            careful = _careful_end(f, pos, end, delimiter, MAX_SPAN)
            for row, problem, line, _joined in records(path, Range(pos, careful, line_no), encoding, width,
                                                      delimiter=delimiter, header=header):
                yield row, problem, line, False
            f.seek(pos)
            line_no += _newlines(f, careful - pos)
            pos = careful
            f.seek(pos)


def _newlines(f: Any, size: int) -> int:
    n = 0
    while size > 0:
        data = f.read(min(_BLOCK, size))
        if not data:
            break
        n += data.count(b"\n")
        size -= len(data)
    return n
