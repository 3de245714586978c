"""CSV to CSV, the path for whole registries: rows straight from the csv module to
the output, no DataFrame in between, and ``--jobs N`` over byte ranges of the file
(see csvrecords). Each worker reads its own range and writes its own part; the parts
are joined in order, so the output is the same bytes for any number of jobs, and
neither the reading nor the writing funnels through one process.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from itertools import accumulate
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from .atomic import scratch_dir
from .batch import CONTINUATION, FLAGGED_ACTIONS, OUTPUT_COLUMNS, SCOPE_JOINER, RowScreener, Summary, input_columns_out
from .columns import ColumnMap
from .csvblocks import Lines, blocks, plain_row
from .csvrecords import SEP, Range, records
from .readers import Part, Source, TableError
from .rowkinds import RowKinds
from .screener import shared_screener
from .tables import FORMULA_START, neutralise_formula, output_file
from .values import WRAP_START, CodeState, code_state, unwrap_cells
from .workers import die_with_parent, pool_initargs, starting_workers

_MARK = "\x1e"  # ends a passing row in the write buffer until its output cells replace it
_MARK_END = _MARK + "\r\n"
_WRAP_MARKS = "".join(WRAP_START)
_FORMULA_MARKS = "".join(FORMULA_START)
_QUOTED = ('"', ",", "\r", "\n")  # what csv.writer (QUOTE_MINIMAL, comma, \r\n) quotes a cell for


def _cell_starts_with(joined: str, marks: str) -> bool:
    """Whether a cell of a record joined by SEP starts with one of ``marks``: as the
    pattern (?:^|SEP)[marks], by a search for each character (in C) instead of the
    regular expression's step through every character."""
    for ch in marks:
        if ch in joined and (joined.startswith(ch) or SEP + ch in joined):
            return True
    return False


def _bare(joined: str) -> bool:
    """No cell of the record (joined by SEP) holds a character csv.writer quotes."""
    return not any(ch in joined for ch in _QUOTED)
_FLUSH_ROWS = 5_000
_COPY_BLOCK = 1 << 22


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
    licences: str | None = None,
    delimiter: str = ",",
    append: bool = False,
    progress: Callable[[int], None] | None = None,
    part: Part | None = None,
) -> Summary:
    """Screen the records of one range into ``out_path`` (UTF-8, no header); rows that
    are not entities (see rowkinds) are counted, not written."""
    rows = RowScreener(shared_screener(lists, licences), header, cols, defaults)
    kind_of = part.kinds().of if part is not None else None
    summary = Summary()
    width = len(header)
    flagged = FLAGGED_ACTIONS
    action_at = OUTPUT_COLUMNS.index("action")
    supervise_at = OUTPUT_COLUMNS.index("supervise")
    error_at = OUTPUT_COLUMNS.index("error")
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
    code_at = header.index(cols.credit_code) if cols.credit_code else None
    codes: Counter[CodeState] = Counter()

    def one(row: list[str], problem: str, joined: str, line: int) -> None:
        nonlocal passed
        if kind_of is not None and part is not None and not problem:
            kind = kind_of(row)
            if kind is not None:
                summary.not_entities.append(f"{part.where(line)}（{kind}）")
                return
        wrapped = _cell_starts_with(joined, _WRAP_MARKS)
        if wrapped:
            row = unwrap_cells(row)
        if code_at is not None:
            codes[code_state(row[code_at])] += 1
        cells = rows.error_cells(problem) if problem else rows.cells(row)
        changed = wrapped or _cell_starts_with(joined, _FORMULA_MARKS)
        if changed:
            # screened as read, written so that no spreadsheet runs it (reading the
            # output unwraps it again: the ledger gets the cells that were screened)
            row = [neutralise_formula(c) for c in row]
        if cells[error_at] is CONTINUATION:  # name the line of a continuation
            cells = rows.error_cells(f"{part.where(line) if part is not None else f'第{line}行'}{CONTINUATION}")
        if cells is pass_cells:
            passed += 1
            if not only_flagged:
                if _MARK in joined:
                    write([*row, *cells])
                elif changed or len(row) < 2 or not _bare(joined):
                    write_passing(row)
                else:  # no cell that csv.writer would quote: its output is the cells joined
                    buffer.write(",".join(row))
                    buffer.write(_MARK_END)
        else:
            summary.add(cells)
            if not only_flagged or cells[action_at] in flagged or cells[supervise_at]:
                row.extend(cells)
                write(row)

    def flush(out: Any) -> None:
        out.write(buffer.getvalue().replace(_MARK + "\r\n", passing_end))
        buffer.seek(0)
        buffer.truncate()

    plain = _plain_screen(rows, header, delimiter, part.kinds() if part is not None else None) if encoding == "utf-8" else None
    with out_path.open("a" if append else "w", encoding="utf-8", errors="backslashreplace", newline="") as out:
        if plain is None:
            items: Iterator[Any] = records(path, rng, encoding, width, delimiter=delimiter, header=header)
        else:
            items = blocks(path, rng, width, delimiter=delimiter, header=header)
        for item in items:
            if isinstance(item, Lines):
                assert plain is not None
                before = done
                lines, number = item.lines, item.first
                at = 0
                for i in [*plain(item.text, lines), len(lines)]:
                    if i > at:
                        if code_at is not None:  # passing lines are whole plain records
                            for text in lines[at:i]:
                                codes[code_state(text.split(delimiter, code_at + 1)[code_at])] += 1
                        if not only_flagged:
                            buffer.write(passing_end.join(lines[at:i]))
                            buffer.write(passing_end)
                        passed += i - at
                        done += i - at
                    at = i + 1
                    if i == len(lines):
                        break
                    got = plain_row(lines[i], number + i, width, delimiter)
                    if got is not None:
                        one(got[0], got[1], SEP.join(got[0]), number + i)
                        done += 1
                flush(out)
                if progress is not None:
                    progress(done - before)
                continue
            row, problem, line, joined = item
            one(row, problem, joined, line)
            done += 1
            if done % _FLUSH_ROWS == 0:
                flush(out)
                if progress is not None:
                    progress(_FLUSH_ROWS)
        flush(out)
        if progress is not None and plain is None:
            progress(done % _FLUSH_ROWS)
    summary.rows += passed
    summary.actions[pass_cells[action_at]] += passed
    summary.codes.update(codes)
    return summary


def _plain_screen(
    rows: RowScreener, header: Sequence[str], delimiter: str, kinds: RowKinds | None = None
) -> Callable[[str, list[str]], list[int]] | None:
    """For a block of plain lines (csvblocks.Lines): the sorted indices of the lines
    that must be read and screened one by one; every other line is a whole record that
    passes, and is written as it stands followed by the passing cells. None where that
    shortcut does not hold (a change screening, which compares every row, or a
    delimiter other than the output's comma).

    A line is taken one by one when anything in it might matter: a number of cells
    other than the header's, a name that is empty or white space, a name or scope that
    is not clean (Screener.clean, exactly as RowScreener.cells asks), a cell that starts
    like a formula or the write buffer's marker, a line that may not be an entity
    (``kinds``: every line that rowkinds' ``suspects`` pattern matches — a first cell
    empty or starting with a total or footer word, at most one filled cell, a cell of
    the header — is taken).

    The tests are made on the cells each line is split into anyway, and the block is
    searched only for the few characters a formula starts with: one regular expression
    over the block (the earlier way) stepped through every character in Python's engine
    and cost as much as the screening of the clean lines.
    """
    if delimiter != "," or not rows.quick:
        return None
    clean = rows.screener.clean
    width, k = len(header), rows.name_index
    scopes = rows.scope_indices
    j = scopes[0] if len(scopes) == 1 else -1
    marks = tuple(dict.fromkeys((*FORMULA_START, *WRAP_START)))
    starts: frozenset[str] = frozenset()
    cells: frozenset[str] = frozenset()
    spanning = None  # header cells holding the delimiter or a line break: the pattern's way
    if kinds is not None:
        starts = kinds.first_chars | {""}  # "" : an empty first cell
        cells = frozenset(c for c in kinds.cells if delimiter not in c and "\n" not in c and "\r" not in c)
        odd = sorted(kinds.cells - cells, key=len, reverse=True)
        if odd:
            spanning = re.compile("(?:^|,)(?:" + "|".join(re.escape(c) for c in odd) + ")(?=,|$)", re.M)
    alone = width - 1  # the length of a line beyond its name when no other cell is filled

    def flagged(text: str, lines: list[str]) -> list[int]:
        out = []
        for i, line in enumerate(lines):
            c = line.split(",")
            if (
                len(c) != width
                or not c[k].strip()
                or not clean(c[k], c[j] if j >= 0 else SCOPE_JOINER.join(c[x] for x in scopes))
            ):
                out.append(i)
            elif kinds is not None and (
                c[0][:1] in starts or len(line) == len(c[k]) + alone or not cells.isdisjoint(c)
            ):
                out.append(i)
        at = _cell_starts(text, marks)
        if spanning is not None:
            at.extend(m.start() for m in spanning.finditer(text))
        if at:
            bounds = [0, *accumulate(len(line) + 1 for line in lines)]
            out.extend(bisect_right(bounds, a) - 1 for a in at)
            out = sorted(set(out))
        return out

    return flagged


def _cell_starts(text: str, marks: Sequence[str]) -> list[int]:
    """Where in ``text`` (lines joined by \\n, cells by commas) a cell starts with one of
    ``marks``, or the write buffer's marker stands: first a search for the character
    alone (a fast scan in C), then for it after a comma or a line break only if present."""
    out = []
    at = text.find(_MARK)
    while at >= 0:
        out.append(at)
        at = text.find(_MARK, at + 1)
    for ch in marks:
        if text.find(ch) < 0:
            continue
        if text.startswith(ch):
            out.append(0)
        for before in (",", "\n"):
            needle = before + ch
            at = text.find(needle)
            while at >= 0:
                out.append(at + 1)
                at = text.find(needle, at + 1)
    return out


def _append(part: Path, out_fd: int) -> None:
    """Append a part to the output at the descriptor's offset, in the kernel where it
    can (copy_file_range), else through a buffer; both move the same descriptors."""
    with part.open("rb", buffering=0) as src:
        src_fd = src.fileno()
        left = os.fstat(src_fd).st_size
        try:
            while left > 0:
                copied = os.copy_file_range(src_fd, out_fd, left)
                if copied == 0:
                    break
                left -= copied
        except (AttributeError, OSError):
            pass  # not Linux, or a file system that will not: copy the rest by hand
        while chunk := os.read(src_fd, _COPY_BLOCK):
            view = memoryview(chunk)
            while view:
                view = view[os.write(out_fd, view) :]


def _worker(args: tuple[Any, ...]) -> Summary:
    path, rng, part, kwargs = args
    return screen_range(path, rng, part, **kwargs)


def scan_csv(
    source: Source,
    output_path: Path,
    *,
    cols: ColumnMap,
    defaults: dict[str, Any],
    lists: tuple[str, ...],
    jobs: int,
    only_flagged: bool,
    licences: str | None = None,
    progress: Callable[[int], None] | None = None,
    empty: Callable[[Source], TableError] | None = None,
) -> Summary:
    """Screen a delimited text file into a CSV file (UTF-8 with BOM, the input's columns
    first). A file with no data rows raises ``empty(source)`` and leaves no output."""
    shape = source.csv_layout
    assert shape is not None and source.text_path is not None
    input_path = source.text_path
    header, ranges = source.parts[0].header, shape.ranges
    out_header = [*input_columns_out(header), *OUTPUT_COLUMNS]
    kwargs: dict[str, Any] = dict(
        encoding=shape.encoding, header=header, cols=cols, defaults=defaults, lists=lists, only_flagged=only_flagged,
        licences=licences, delimiter=shape.delimiter, part=source.parts[0],
    )
    summary = Summary()
    with output_file(output_path) as out_path:
        with out_path.open("w", encoding="utf-8-sig", newline="") as out:
            csv.writer(out).writerow([neutralise_formula(h) for h in out_header])
        if jobs <= 1 or len(ranges) == 1:
            for rng in ranges:
                summary.merge(screen_range(input_path, rng, out_path, append=True, progress=progress, **kwargs))
            if summary.rows == 0 and empty is not None:
                raise empty(source)  # inside output_file: no output is left
            return summary
        # Named after the output, so that the next run onto it removes it if this one is killed.
        parts_dir = scratch_dir(out_path)
        try:
            tasks = [(input_path, rng, parts_dir / f"{i:05d}.csv", kwargs) for i, rng in enumerate(ranges)]
            out_fd = os.open(out_path, os.O_WRONLY)
            try:
                os.lseek(out_fd, 0, os.SEEK_END)
                # Pool (not ProcessPoolExecutor): leaving the block on an error or Ctrl-C
                # terminates the workers instead of waiting for their ranges to finish.
                # The workers are forked with the screener built (scan_file) and jieba
                # imported: its 0.3 s is paid once here, not in each worker at its first hit.
                import jieba  # noqa: F401

                with starting_workers():
                    pool = Pool(jobs, initializer=die_with_parent, initargs=pool_initargs())
                with pool:
                    # imap yields in task order: each part is appended as soon as those before it are
                    for task, part_summary in zip(tasks, pool.imap(_worker, tasks)):
                        part = task[2]
                        _append(part, out_fd)
                        os.unlink(part)
                        summary.merge(part_summary)
                        if progress is not None:
                            progress(part_summary.rows)
            finally:
                os.close(out_fd)
        finally:
            shutil.rmtree(parts_dir, ignore_errors=True)
        if summary.rows == 0 and empty is not None:
            raise empty(source)
    return summary
