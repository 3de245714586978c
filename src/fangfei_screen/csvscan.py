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
from collections import Counter
from collections.abc import Callable, Sequence
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from .atomic import scratch_dir
from .batch import FLAGGED_ACTIONS, OUTPUT_COLUMNS, RowScreener, Summary, input_columns_out
from .columns import ColumnMap
from .csvrecords import SEP, Range, records
from .readers import Source
from .screener import shared_screener
from .tables import FORMULA_START, neutralise_formula, output_file
from .values import WRAP_START, CodeState, code_state, unwrap_cells
from .workers import die_with_parent, pool_initargs, starting_workers

# A cell that starts like a formula, anywhere in a record joined by SEP: one search
# per record instead of a look at every cell.
_FORMULA = re.compile(f"(?:^|{SEP})[{re.escape(''.join(FORMULA_START))}]")
# A cell that an export wrapped (="…", a leading tab or apostrophe: values.unwrap).
_WRAPPED = re.compile(f"(?:^|{SEP})[{re.escape(''.join(WRAP_START))}]")
_MARK = "\x1e"  # ends a passing row in the write buffer until its output cells replace it
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
    delimiter: str = ",",
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
    code_at = header.index(cols.credit_code) if cols.credit_code else None
    codes: Counter[CodeState] = Counter()
    with out_path.open("a" if append else "w", encoding="utf-8", errors="backslashreplace", newline="") as out:
        for row, problem, _line, joined in records(path, rng, encoding, width, delimiter=delimiter, header=header):
            wrapped = _WRAPPED.search(joined)
            if wrapped:
                row = unwrap_cells(row)
            if code_at is not None:
                codes[code_state(row[code_at])] += 1
            cells = rows.error_cells(problem) if problem else rows.cells(row)
            if wrapped or _FORMULA.search(joined):
                # screened as read, written so that no spreadsheet runs it (reading the
                # output unwraps it again: the ledger gets the cells that were screened)
                row = [neutralise_formula(c) for c in row]
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
            if done % _FLUSH_ROWS == 0:
                out.write(buffer.getvalue().replace(_MARK + "\r\n", passing_end))
                buffer.seek(0)
                buffer.truncate()
                if progress is not None:
                    progress(_FLUSH_ROWS)
        out.write(buffer.getvalue().replace(_MARK + "\r\n", passing_end))
        if progress is not None:
            progress(done % _FLUSH_ROWS)
    summary.rows += passed
    summary.actions[pass_cells[action_at]] += passed
    summary.codes.update(codes)
    return summary


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
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Screen a delimited text file into a CSV file (UTF-8 with BOM, the input's columns first)."""
    shape = source.csv_layout
    assert shape is not None and source.text_path is not None
    input_path = source.text_path
    header, ranges = source.parts[0].header, shape.ranges
    out_header = [*input_columns_out(header), *OUTPUT_COLUMNS]
    kwargs: dict[str, Any] = dict(
        encoding=shape.encoding, header=header, cols=cols, defaults=defaults, lists=lists, only_flagged=only_flagged,
        delimiter=shape.delimiter,
    )
    summary = Summary()
    with output_file(output_path) as out_path:
        with out_path.open("w", encoding="utf-8-sig", newline="") as out:
            csv.writer(out).writerow([neutralise_formula(h) for h in out_header])
        if jobs <= 1 or len(ranges) == 1:
            for rng in ranges:
                summary.merge(screen_range(input_path, rng, out_path, append=True, progress=progress, **kwargs))
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
    return summary
