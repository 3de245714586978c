"""CSV to CSV, the path for whole registries: rows straight from the csv module to
the output, no DataFrame in between, and ``--jobs N`` over byte ranges of the file.

Each worker reads its own range of the input and writes its own part; the parts are
joined in order, so the output is the same bytes for any number of jobs, and neither
the reading nor the writing funnels through one process. A newline ends a record
only where the count of double quotes before it is even (RFC 4180 doubles a quote
inside a quoted field), which is how ranges are cut without splitting a record; in
UTF-8 and GBK/GB18030 neither byte can occur inside another character.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .batch import FLAGGED_ACTIONS, OUTPUT_COLUMNS, ColumnMap, RowScreener, Summary, shared_screener
from .tables import TableError

_BLOCK = 1 << 22
# A cell that starts like a formula, or bytes the encoding could not decode, anywhere
# in a row joined by \x1f: one search per row instead of a look at every cell.
_NEEDS_ESCAPE = re.compile("(?:^|\x1f)[=+\\-@\t\r]|[\udc80-\udcff]")
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_SEP = "\x1f"
_MARK = "\x1e"  # ends a passing row in the write buffer until its output cells replace it


@dataclass(frozen=True)
class Range:
    """Bytes [start, end) of the input, holding whole records; ``line`` is the
    physical line number of its first byte."""

    start: int
    end: int
    line: int


def _record_end(f: io.BufferedReader, pos: int, quotes: int) -> tuple[int, int, int]:
    """From ``pos`` (with ``quotes`` seen before it), the offset just past the next
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


def split_ranges(path: Path, parts: int) -> tuple[bytes, list[Range]]:
    """The header record's bytes and ``parts`` ranges of whole records after it."""
    size = path.stat().st_size
    with path.open("rb", buffering=0) as raw, io.BufferedReader(raw, _BLOCK) as f:
        header_end, quotes, _ = _record_end(f, 0, 0)
        f.seek(0)
        header = f.read(header_end)
        first_line = 1 + header.count(b"\n")
        cuts = [(header_end, first_line)]
        pos, line = header_end, first_line
        for k in range(1, parts):
            target = max(pos, header_end + (size - header_end) * k // parts)
            if target >= size:
                break
            # count quotes and newlines up to the target, then find the next record end
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
    return header, [r for r in ranges if r.end > r.start] or [Range(header_end, size, first_line)]


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


def _rows(path: Path, rng: Range, encoding: str, width: int) -> Iterator[tuple[list[str], str, int]]:
    """(row, problem, line) for each record of the range; a problem row is padded to
    the header's width so that it can still be written."""
    raw = _Bounded(path, rng.start, rng.end)
    text = io.TextIOWrapper(io.BufferedReader(raw, _BLOCK), encoding=encoding, errors="surrogateescape", newline="")
    with text:
        reader = csv.reader(text)
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
                continue
            if not problem and len(row) != width:
                problem = f"第{start_line}行有{len(row)}个字段，表头有{width}个 / line {start_line} has {len(row)} fields, header {width}"
                row = [",".join(row)[:32767]] + [""] * (width - 1)
            if problem:
                row = (row + [""] * width)[:width]
            yield row, problem, start_line


def _escape(cell: str) -> str:
    if _UNDECODABLE.search(cell):
        cell = cell.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def screen_range(
    path: Path,
    rng: Range,
    out_path: Path,
    *,
    encoding: str,
    header: Sequence[str],
    cols: ColumnMap,
    defaults: dict[str, Any],
    lists: tuple[str, ...],
    only_flagged: bool,
    append: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Screen the records of one range into ``out_path`` (UTF-8, no header)."""
    rows = RowScreener(shared_screener(lists), header, cols, defaults)
    summary = Summary()
    width = len(header)
    flagged = FLAGGED_ACTIONS
    action_at = OUTPUT_COLUMNS.index("action")
    supervise_at = OUTPUT_COLUMNS.index("supervise")
    pass_cells = rows.pass_cells
    passed = 0  # rows that share pass_cells, counted in one go at the end
    # The output cells of a passing row never change: rendered once as CSV text, they
    # replace a marker line ending, so a passing row costs the writing of its input
    # cells alone. A row holding the marker character itself is written in full.
    rendered = io.StringIO()
    csv.writer(rendered, lineterminator="\r\n").writerow(["", *pass_cells])
    passing_end = rendered.getvalue()
    buffer = io.StringIO()
    write = csv.writer(buffer).writerow
    write_passing = csv.writer(buffer, lineterminator=_MARK + "\r\n").writerow
    done = 0
    with out_path.open("a" if append else "w", encoding="utf-8", errors="backslashreplace", newline="") as out:
        for row, problem, line in _rows(path, rng, encoding, width):
            joined = _SEP.join(row)
            if _NEEDS_ESCAPE.search(joined):
                if not problem and _UNDECODABLE.search(joined):
                    problem = f"第{line}行含无法按 {encoding} 解码的字节 / line {line} has bytes that are not {encoding}"
                row = [_escape(c) for c in row]
            cells = rows.error_cells(problem) if problem else rows.cells(row)
            if cells is pass_cells:
                passed += 1
                if not only_flagged:
                    if _MARK in joined:
                        write([*row, *cells])
                    else:
                        write_passing(row)
            else:
                summary.add(cells)
                if not only_flagged or cells[action_at] in flagged or cells[supervise_at]:
                    row.extend(cells)
                    write(row)
            done += 1
            if done % 5_000 == 0:
                out.write(buffer.getvalue().replace(_MARK + "\r\n", passing_end))
                buffer.seek(0)
                buffer.truncate()
                if progress is not None:
                    progress(5_000)
        out.write(buffer.getvalue().replace(_MARK + "\r\n", passing_end))
        if progress is not None:
            progress(done % 5_000)
    summary.rows += passed
    summary.actions[pass_cells[action_at]] += passed
    return summary


def _worker(args: tuple[Any, ...]) -> tuple[int, Summary]:
    index, path, rng, part, kwargs = args
    return index, screen_range(path, rng, part, **kwargs)


def scan_csv(
    input_path: Path,
    output_path: Path,
    *,
    encoding: str,
    columns: dict[str, str | None],
    defaults: dict[str, Any],
    lists: tuple[str, ...],
    jobs: int,
    only_flagged: bool,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Screen a CSV file into a CSV file (UTF-8 with BOM, the input's columns first)."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise TableError(f"未知编码 / unknown encoding: {encoding}") from None
    work_encoding = "utf-8" if codecs.lookup(encoding).name == "utf-8" else encoding  # the BOM is in the header
    head_bytes, ranges = split_ranges(input_path, max(1, jobs) * 4 if jobs > 1 else 1)
    try:
        head_text = head_bytes.decode(encoding)
    except UnicodeDecodeError:
        raise TableError(f"表头无法按 {encoding} 解码；请用 --encoding 指定编码 / the header is not {encoding}") from None
    parsed = next(csv.reader(io.StringIO(head_text)), None)
    if not parsed:
        raise TableError(f"输入文件为空 / the file is empty: {input_path}")
    header = [h.strip().lstrip("\ufeff") for h in parsed]
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise TableError(f"表头有重复列名 / duplicate header: {'、'.join(dupes)}")
    cols = ColumnMap.find(header, **columns)
    clash = {c for c in OUTPUT_COLUMNS if c in header}
    out_header = [f"{h}_input" if h in clash else h for h in header] + list(OUTPUT_COLUMNS)
    with output_path.open("w", encoding="utf-8-sig", newline="") as out:
        csv.writer(out).writerow([_escape(h) for h in out_header])
    kwargs = dict(encoding=work_encoding, header=header, cols=cols, defaults=defaults, lists=lists, only_flagged=only_flagged)
    summary = Summary()
    if jobs <= 1 or len(ranges) == 1:
        for rng in ranges:
            summary.merge(screen_range(input_path, rng, output_path, append=True, progress=progress, **kwargs))
        return summary
    parts_dir = Path(tempfile.mkdtemp(prefix=".fangfei-parts-", dir=output_path.parent))
    try:
        tasks = [(i, input_path, rng, parts_dir / f"{i:05d}.csv", kwargs) for i, rng in enumerate(ranges)]
        done: dict[int, Summary] = {}
        next_part = 0
        with ProcessPoolExecutor(max_workers=jobs) as pool, output_path.open("ab") as out:
            for index, part_summary in pool.map(_worker, tasks):
                done[index] = part_summary
                while next_part in done:
                    part = parts_dir / f"{next_part:05d}.csv"
                    with part.open("rb") as src:
                        shutil.copyfileobj(src, out, _BLOCK)
                    os.unlink(part)
                    part_summary = done.pop(next_part)
                    summary.merge(part_summary)
                    if progress is not None:
                        progress(part_summary.rows)
                    next_part += 1
    finally:
        shutil.rmtree(parts_dir, ignore_errors=True)
    return summary
