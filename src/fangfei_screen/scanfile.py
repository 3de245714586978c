"""A registry file screened into a results file, one way through:
reader (readers) → column map (columns) → screening (batch) → writer (tables, or the
CSV fast path of csvscan). The summary says what was read, not only what was found."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import check_distinct
from .batch import CONTINUATION, UNCALCULATED_NAME, FLAGGED_ACTIONS, JSON_COLUMNS, OUTPUT_COLUMNS, Summary, for_people, input_columns_out, screen_rows
from .columns import ColumnMap, column_options, looks_like_header
from .models import Kind
from .readers import Chunk, ReadLimits, Source, TableError, open_source
from .screener import parse_options, shared_screener
from .preflight import check_fits
from .tables import check_output, open_writer
from .workers import die_with_parent, pool_initargs

if TYPE_CHECKING:
    import pandas as pd

SHEET_COLUMNS = ("sheet", "sheet_row")  # a workbook's rows say where they came from
FILE_COLUMN = "file"  # a .zip's rows: the member they came from


def scan_file(
    input_path: str,
    output_path: str,
    *,
    kind: Kind | str = Kind.EXISTING,
    as_of: date | str | None = None,
    encoding: str | None = None,
    lists: Sequence[str] = (),
    licences: str | Path | None = None,
    jobs: int = 1,
    only_flagged: bool = False,
    chunk_rows: int = 20_000,
    progress: bool | Callable[[int], None] = False,
    columns: Mapping[str, Any] | None = None,
    header_row: int | None = None,
    sheets: Sequence[str] = (),
    limits: ReadLimits | None = None,
) -> Summary:
    """Screen a registry file into an output file; returns the counts and what was read.

    CSV to CSV streams rows through the csv module, ``jobs`` processes each taking a
    byte range of the file (see csvscan). Other formats go in chunks of ``chunk_rows``
    rows, screened in ``jobs`` processes. Either way the output is in input order and
    the same for any ``jobs``, and memory stays flat. A file in which nothing can be
    screened (no sheet with a name column) is a TableError. ``progress`` is a terminal
    bar (True) or a function called with the number of rows each time some are done.
    """
    lists = tuple(str(p) for p in lists)
    register = str(licences) if licences else None
    shared_screener(lists, register)  # fails here, once, on a bad list or licence register
    defaults = parse_options({"kind": kind, "as_of": as_of})  # fails here on a bad option
    defaults["as_of"] = defaults["as_of"] or date.today()
    given = column_options({k: v for k, v in (columns or {}).items() if v})
    name = given.get("name")
    dst = check_output(output_path)
    check_distinct([input_path], dst)  # before anything is opened for writing
    if not only_flagged:
        check_fits(Path(input_path), dst)
    source = open_source(
        input_path, header_test=partial(looks_like_header, name=name if isinstance(name, str) else None),
        encoding=encoding, header_row=header_row, sheets=sheets, parts=jobs * 4 if jobs > 1 else 1, limits=limits,
    )
    with source:
        if not source.parts:
            reasons = "；".join(source.skipped) or "工作簿没有工作表"
            raise TableError(f"没有可筛查的工作表 / nothing to screen in {input_path}：{reasons}")
        maps = [ColumnMap.find(p.header, **given) for p in source.parts] if source.kind in ("text", "book") else []
        reading = _describe(source, maps)
        bar = _progress_bar(progress)
        try:
            if source.kind == "text" and dst.suffix.lower() == ".csv":
                from .csvscan import scan_csv

                summary = scan_csv(
                    source, dst, cols=maps[0], defaults=defaults, lists=lists, jobs=jobs, only_flagged=only_flagged,
                    licences=register, progress=bar.update if bar is not None else None, empty=nothing_read,
                )
            else:
                summary = _scan_frames(source, dst, maps, given, defaults, (lists, register), jobs, only_flagged, chunk_rows, bar)
        finally:
            if bar is not None:
                bar.close()
    summary.reading[:0] = reading
    summary.alarms[:0] = [*source.alarms, *dict.fromkeys(g for m in maps for g in m.gaps())]
    return summary


def nothing_read(source: Source) -> TableError:
    """The failure of a file with no data rows (no output is left): why, if known."""
    hint = f"；{source.alarms[0]}" if source.alarms else ""
    return TableError(f"文件没有数据行，没有筛查任何主体，未写出结果{hint} / no data rows in {source.path.name}")


def _describe(source: Source, maps: Sequence[ColumnMap]) -> list[str]:
    """Lines saying what was read: per table its header row and the columns used."""
    out = []
    for part, cols in zip(source.parts, maps):
        where = f"工作表「{part.sheet}」" if part.sheet is not None else "文件"
        if part.file is not None:
            where = f"「{part.file}」" + (where if part.sheet is not None else "")
        line = f"{where}：表头在第{part.header_row}行"
        if part.header_rows > 1:
            line += f"和第{part.header_row + part.header_rows - 1}行（两行表头，合为一行）"
        if part.skipped_above:
            line += f"（跳过其上 {part.skipped_above} 行标题）"
        out.append(f"{line}；使用的列 columns: {cols.describe()}")
        out += [f"  {n}" for n in part.notes]
    out += [f"跳过 skipped: {s}" for s in source.skipped]
    return out


def _screen_chunk(
    frame: pd.DataFrame, errors: dict[int, str], cols: ColumnMap, defaults: dict[str, Any],
    lists: tuple[tuple[str, ...], str | None], out_header: list[str] | None = None,
) -> pd.DataFrame:
    return screen_rows(frame, cols, shared_screener(*lists), defaults=defaults, read_errors=errors, out_header=out_header)


def _scan_frames(
    source: Source,
    dst: Any,
    maps: Sequence[ColumnMap],
    given: Mapping[str, Any],
    defaults: dict[str, Any],
    lists: tuple[tuple[str, ...], str | None],  # the list files and the licence register
    jobs: int,
    only_flagged: bool,
    chunk_rows: int,
    bar: Any,
) -> Summary:
    from concurrent.futures import ProcessPoolExecutor

    summary = Summary()
    by_part: dict[int, ColumnMap] = {id(p): m for p, m in zip(source.parts, maps)}
    book = source.kind == "book"
    # one set of output columns for every sheet: the sheets' headers in order of appearance
    union: list[str] = list(dict.fromkeys(h for p in source.parts for h in p.header)) if book else []
    files = book and any(p.file is not None for p in source.parts)
    out_header = _book_header(union, files=files) if book else None

    def cols_of(chunk: Chunk) -> ColumnMap:
        if id(chunk.part) not in by_part:  # Parquet and JSON Lines: the header is the first chunk's
            by_part[id(chunk.part)] = ColumnMap.find(list(chunk.frame.columns), **given)
            summary.reading.append(f"使用的列 columns: {by_part[id(chunk.part)].describe()}")
            summary.alarms.extend(by_part[id(chunk.part)].gaps())
        return by_part[id(chunk.part)]

    tasks = ((c, cols_of(c)) for c in source.chunks(chunk_rows=chunk_rows))
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=die_with_parent, initargs=pool_initargs()) if jobs > 1 else None
    people = str(dst).lower().endswith(".xlsx")  # a workbook is opened by a person: Chinese columns first
    with open_writer(dst, json_columns=JSON_COLUMNS) as writer:
        try:
            results: Iterable[tuple[Chunk, pd.DataFrame]]
            if pool is not None:
                results = _ordered(pool, tasks, defaults, lists, out_header, window=jobs * 2)
            else:
                results = ((c, _screen_chunk(c.frame, c.errors, m, defaults, lists, out_header)) for c, m in tasks)
            for chunk, screened in results:
                screened = _continuations_named(screened, chunk, formulas=chunk.part.sheet in source.uncalculated)
                summary.add_frame(screened)
                code_col = by_part[id(chunk.part)].credit_code
                if code_col:
                    summary.add_codes(chunk.frame[code_col].tolist())
                summary.not_entities.extend(chunk.not_entities)
                if book:
                    screened = _with_sheet(screened, chunk, union, files=files)
                if only_flagged:
                    keep = screened["action"].isin(FLAGGED_ACTIONS) | (screened["supervise"] == "yes")
                    screened = screened[keep]
                writer.write(for_people(screened) if people else screened)
                if bar is not None:
                    bar.update(len(chunk.frame))
            if summary.rows == 0:
                raise nothing_read(source)  # inside the writer: no output is left
            if hasattr(bar, "set_postfix_str"):
                bar.set_postfix_str("正在保存 saving…")  # zipping a large XLSX takes a while
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    return summary


def _continuations_named(screened: pd.DataFrame, chunk: Chunk, *, formulas: bool = False) -> pd.DataFrame:
    """A continuation's error names its row (the screening knows no rows). On a sheet whose
    formulas were never calculated an empty name is more likely a formula than a continuation."""
    if chunk.rows is None or "error" not in screened.columns:
        return screened
    mask = (screened["error"] == CONTINUATION).to_numpy()
    if not mask.any():
        return screened
    screened = screened.copy()
    at = screened.columns.get_loc("error")
    for i in mask.nonzero()[0]:
        screened.iat[i, at] = f"{chunk.part.where(chunk.rows[i])}{UNCALCULATED_NAME if formulas else CONTINUATION}"
    return screened


def _with_sheet(screened: pd.DataFrame, chunk: Chunk, union: list[str], *, files: bool = False) -> pd.DataFrame:
    """A sheet's screened rows in the workbook's output columns: where each came from
    (file of a .zip, sheet, row), the union of the sheets' headers, then the output columns."""
    width = len(chunk.part.header)
    ours = (FILE_COLUMN, *SHEET_COLUMNS) if files else SHEET_COLUMNS
    frame = screened.rename(columns={c: f"{c}_input" for c in screened.columns[:width] if c in ours})
    frame.insert(0, "sheet", chunk.part.sheet)
    frame.insert(1, "sheet_row", chunk.rows if chunk.rows is not None else "")
    if files:
        frame.insert(0, FILE_COLUMN, chunk.part.file or "")
    return frame.reindex(columns=_book_header(union, files=files), fill_value="")


def _book_header(union: list[str], *, files: bool = False) -> list[str]:
    ours = (FILE_COLUMN, *SHEET_COLUMNS) if files else SHEET_COLUMNS
    inputs = [f"{c}_input" if c in OUTPUT_COLUMNS or c in ours else c for c in union]
    return [*ours, *inputs, *OUTPUT_COLUMNS]


def _ordered(pool: Any, tasks: Iterator[tuple[Chunk, ColumnMap]], defaults: dict[str, Any], lists: tuple[tuple[str, ...], str | None],
             out_header: list[str] | None, *, window: int) -> Iterator[tuple[Chunk, pd.DataFrame]]:
    """Chunks screened in the pool, in input order, with at most ``window`` in flight."""
    pending: deque[Any] = deque()
    for chunk, cols in tasks:
        pending.append((chunk, pool.submit(_screen_chunk, chunk.frame, chunk.errors, cols, defaults, lists, out_header)))
        if len(pending) >= window:
            c, f = pending.popleft()
            yield c, f.result()
    while pending:
        c, f = pending.popleft()
        yield c, f.result()


class _Callback:
    """A progress function in the shape of a bar, for the web pages: ``update`` calls it,
    whatever else a bar is asked to do (close, set_postfix_str …) does nothing."""

    def __init__(self, update: Callable[[int], None]) -> None:
        self.update = update

    def set_postfix_str(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(enabled: bool | Callable[[int], None]) -> Any:
    if callable(enabled):
        return _Callback(enabled)
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(unit=" 行", unit_scale=True, desc="筛查", dynamic_ncols=True)


__all__ = ["SHEET_COLUMNS", "scan_file"]
