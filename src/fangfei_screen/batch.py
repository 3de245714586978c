"""Bulk screening of registry tables: columns found by their usual headers, one result
per row, in order, for pandas DataFrames, Dask and whole files."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from .models import ACTIONABLE, Action, EntityType, Kind, Result, Status
from .screener import Screener, ScreeningInputError, parse_options, shared_screener

if TYPE_CHECKING:
    import pandas as pd
# pandas is imported where a DataFrame is made, so that the CSV path and the check
# command start without it.

# Output columns: stable English names for the systems that read them.
OUTPUT_COLUMNS = (
    "action",
    "action_label",
    "keywords",
    "categories",
    "hits",
    "suppressed",
    "watch",
    "supervise",
    "list_version",
    "list_sha256",
    "screened_on",
    "error",
)
JSON_COLUMNS = ("hits", "suppressed", "watch")
ERROR_ACTION = "error"

# Header aliases, most specific first; matched after stripping white space, case-insensitively.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("企业名称", "主体名称", "市场主体名称", "经营主体名称", "单位名称", "名称", "name", "entity_name"),
    "scope": ("经营范围", "scope", "business_scope"),
    "credit_code": ("统一社会信用代码", "信用代码", "注册号", "credit_code", "uscc"),
    "entity_type": ("企业类型", "市场主体类型", "主体类型", "企业类别", "类型", "entity_type"),
    "established_on": ("成立日期", "成立时间", "注册日期", "established_on"),
    "status": ("登记状态", "经营状态", "企业状态", "状态", "status"),
    "suspended_since": ("停业日期", "停业时间", "suspended_since"),
    "address": ("住所", "地址", "经营场所", "注册地址", "address"),
    "licensed": ("持牌", "licensed"),
}

# 登记状态 values as registries spell them → the core's status. Values not here
# (注销, 吊销, 迁出 …) state no dormancy, and none is guessed.
STATUS_VALUES = {
    "未开业": Status.NOT_OPENED,
    "停业": Status.SUSPENDED,
    "歇业": Status.SUSPENSION_FILED,
    "存续": Status.OPERATING,
    "在业": Status.OPERATING,
    "开业": Status.OPERATING,
    "在营": Status.OPERATING,
    "正常": Status.OPERATING,
    "存续（在营、开业、在册）": Status.OPERATING,
}

_DATE = re.compile(r"^\s*(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*(?:[-/.月])\s*(\d{1,2})\s*日?(?:[ T].*)?$")
_COMPACT_DATE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_TRUE = {"1", "true", "yes", "y", "是", "持牌", "已批准"}


@dataclass(frozen=True)
class ColumnMap:
    """Which input column holds each field (None: the file does not state it)."""

    name: str
    scope: str | None = None
    credit_code: str | None = None
    entity_type: str | None = None
    established_on: str | None = None
    status: str | None = None
    suspended_since: str | None = None
    address: str | None = None
    licensed: str | None = None

    @classmethod
    def find(cls, columns: Sequence[str], **given: str | None) -> ColumnMap:
        """Resolve columns from explicit names (``given``) or the usual headers."""
        present = {str(c).strip().lower(): c for c in columns}
        found: dict[str, str | None] = {}
        for key, aliases in COLUMN_ALIASES.items():
            explicit = given.get(key)
            if explicit:
                if explicit not in columns:
                    raise ScreeningInputError(
                        f"找不到列 '{explicit}'；文件的列：{'、'.join(map(str, columns))} / no such column"
                    )
                found[key] = explicit
                continue
            found[key] = next((present[a.lower()] for a in aliases if a.lower() in present), None)
        if found["name"] is None:
            raise ScreeningInputError(
                f"找不到名称列（企业名称/主体名称/名称/name），请用 --name-col 指定；文件的列：{'、'.join(map(str, columns))}"
            )
        return cls(**found)  # type: ignore[arg-type]


def parse_date(text: Any) -> date | None:
    """A date in the usual registry spellings (2019-04-01, 2019/4/1, 2019年4月1日, 20190401)."""
    if text is None or isinstance(text, float) and math.isnan(text):
        return None
    if isinstance(text, date):
        return text
    text = str(text).strip()
    if not text:
        return None
    m = _DATE.match(text) or _COMPACT_DATE.match(text)
    if not m:
        raise ValueError(text)
    return date(int(m[1]), int(m[2]), int(m[3]))


def entity_type_of(text: str) -> EntityType | None:
    """企业类型 text → entity type; None when empty (then the name decides)."""
    text = text.strip()
    if not text:
        return None
    if "个体" in text:
        return EntityType.INDIVIDUAL
    if "合作社" in text:
        return EntityType.COOPERATIVE
    if "合伙" in text:
        return EntityType.PARTNERSHIP
    if "公司" in text:
        return EntityType.COMPANY
    try:
        return EntityType(text.lower())
    except ValueError:
        return EntityType.OTHER


def status_of(text: str) -> Status | None:
    text = text.strip()
    if not text:
        return None
    if text in STATUS_VALUES:
        return STATUS_VALUES[text]
    try:
        return Status(text.lower())
    except ValueError:
        return None


_COL = {name: i for i, name in enumerate(OUTPUT_COLUMNS)}


@dataclass
class Summary:
    """Counts over a bulk screening."""

    rows: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    keywords: Counter[str] = field(default_factory=Counter)
    categories: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def add(self, cells: Sequence[Any]) -> None:
        """Count one row by its output cells (in OUTPUT_COLUMNS order)."""
        self.rows += 1
        self.actions[cells[_COL["action"]]] += 1
        if cells[_COL["keywords"]]:
            self.keywords.update(cells[_COL["keywords"]].split("|"))
            self.categories.update(int(c) for c in cells[_COL["categories"]].split("|"))
        if cells[_COL["action"]] == ERROR_ACTION:
            self.errors.append(cells[_COL["error"]])

    def add_frame(self, frame: pd.DataFrame) -> None:
        for cells in zip(*(frame[c] for c in OUTPUT_COLUMNS)):
            self.add(cells)

    def merge(self, other: Summary) -> None:
        self.rows += other.rows
        self.actions.update(other.actions)
        self.keywords.update(other.keywords)
        self.categories.update(other.categories)
        self.errors.extend(other.errors)

    def lines(self) -> list[str]:
        out = [f"读取行数 rows: {self.rows}"]
        for action, n in self.actions.most_common():
            label = Action(action).label if action != ERROR_ACTION else "无法筛查"
            out.append(f"  {action}（{label}）: {n}")
        if self.keywords:
            out.append("按字样 by keyword: " + "，".join(f"{k} {n}" for k, n in self.keywords.most_common()))
        if self.categories:
            out.append("按类别 by category: " + "，".join(f"{c}类 {n}" for c, n in sorted(self.categories.items())))
        out.append(f"错误 errors: {len(self.errors)}")
        out += [f"  {e}" for e in self.errors[:20]]
        if len(self.errors) > 20:
            out.append(f"  …另有 {len(self.errors) - 20} 条")
        return out


def _result_cells(result: Result) -> tuple[Any, ...]:
    return (
        result.action.value,
        result.action.label,
        "|".join(result.keywords),
        "|".join(str(c) for c in result.categories),
        json.dumps([h.to_dict() for h in result.hits], ensure_ascii=False) if result.hits else "[]",
        json.dumps([h.to_dict() for h in result.suppressed], ensure_ascii=False) if result.suppressed else "[]",
        json.dumps([h.to_dict() for h in result.watch], ensure_ascii=False) if result.watch else "[]",
        "yes" if result.supervise else "",
        result.list_version,
        result.list_sha256,
    )


_MEMO_LIMIT = 4096  # distinct 企业类型/登记状态 values remembered per table


class RowScreener:
    """Screens the rows of one table (sequences of cells, in ``columns`` order).

    Rows whose name and scope hold no term and need no folding get one shared tuple
    of output cells without any per-row parsing; only rows with a match read the
    entity facts (type, status, dates) that the existing-entity rules need.
    """

    def __init__(self, screener: Screener, columns: Sequence[str], cols: ColumnMap, defaults: Mapping[str, Any]) -> None:
        at = {c: i for i, c in enumerate(columns)}
        self.screener = screener
        self.cols = cols
        self._name = at[cols.name]
        self._scope = at[cols.scope] if cols.scope else None
        self._facts = [
            (key, at[getattr(cols, key)], getattr(cols, key))
            for key in ("entity_type", "status", "established_on", "suspended_since", "licensed")
            if getattr(cols, key)
        ]
        self.defaults = parse_options({"kind": Kind.EXISTING, **defaults})
        self.defaults["as_of"] = self.defaults.get("as_of") or date.today()
        screened_on = self._screened_on = self.defaults["as_of"].isoformat()
        self._quick = self.defaults["kind"] is not Kind.CHANGE
        self.pass_cells = (*_result_cells(screener.screen("", "", **self.defaults)), screened_on, "")
        self._error_head = (ERROR_ACTION, "无法筛查", "", "", "[]", "[]", "[]", "",
                            screener.list_version, screener.list_sha256, screened_on)
        self._memo: dict[tuple[str, str], Any] = {}

    def error_cells(self, reason: str) -> tuple[Any, ...]:
        return (*self._error_head, reason)

    def cells(self, row: Sequence[Any]) -> tuple[Any, ...]:
        """The output cells for one row."""
        name = row[self._name]
        scope = row[self._scope] if self._scope is not None else ""
        if not isinstance(name, str):
            name = _text(name)
        if not isinstance(scope, str):
            scope = _text(scope)
        if not name.strip():
            return self.error_cells("名称为空 / the name is empty")
        if self._quick and self.screener.clean(name, scope):
            return self.pass_cells
        options = dict(self.defaults)
        notes = []
        for key, i, col in self._facts:
            value = _text(row[i])
            try:
                options[key] = self._parse(key, value)
            except ValueError:
                notes.append(f"{col}「{value}」不是可识别的日期，未用于判断")
        try:
            result = self.screener.screen(name, scope, **options)
        except ScreeningInputError as exc:
            return self.error_cells(str(exc))
        return (*_result_cells(result), self._screened_on, "；".join(notes))

    def _parse(self, key: str, value: str) -> Any:
        if key in ("established_on", "suspended_since"):
            return parse_date(value)
        memo_key = (key, value)
        if memo_key in self._memo:
            return self._memo[memo_key]
        if key == "entity_type":
            parsed: Any = entity_type_of(value)
        elif key == "status":
            parsed = status_of(value)
        else:
            parsed = value.strip().lower() in _TRUE
        if len(self._memo) < _MEMO_LIMIT:
            self._memo[memo_key] = parsed
        return parsed


def screen_rows(
    frame: pd.DataFrame,
    cols: ColumnMap,
    screener: Screener,
    *,
    defaults: Mapping[str, Any],
    read_errors: Mapping[int, str] | None = None,
) -> pd.DataFrame:
    """The frame with the output columns appended, one result per row, in order."""
    import pandas as pd

    read_errors = read_errors or {}
    rows = RowScreener(screener, [str(c) for c in frame.columns], cols, defaults)
    out = [
        rows.error_cells(read_errors[i]) if i in read_errors else rows.cells(row)
        for i, row in enumerate(frame.itertuples(index=False, name=None))
    ]
    result_frame = pd.DataFrame(out, columns=list(OUTPUT_COLUMNS), index=frame.index, dtype=object)
    base = frame.set_axis(input_columns_out(list(frame.columns)), axis=1)
    return pd.concat([base, result_frame], axis=1)


def input_columns_out(columns: Sequence[Any]) -> list[Any]:
    """The input's columns as the output names them: one that an output column would
    shadow gets the suffix _input."""
    return [f"{c}_input" if c in OUTPUT_COLUMNS else c for c in columns]


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value if isinstance(value, str) else str(value)


def screen_frame(
    df: pd.DataFrame,
    *,
    name_col: str | None = None,
    scope_col: str | None = None,
    kind: Kind | str = Kind.EXISTING,
    as_of: date | str | None = None,
    lists: Iterable[str] | None = None,
    screener: Screener | None = None,
    **columns: str | None,
) -> pd.DataFrame:
    """Screen every row of ``df``; returns ``df`` with the output columns appended.

    Usable with ``df.pipe(screen_frame)`` and as the function of
    ``dask.dataframe.map_partitions`` (see :func:`screen_dask`). Columns are found by
    their usual headers unless named (``name_col``, ``scope_col``, and e.g.
    ``status_col=...``). Rows that cannot be screened get action ``error``.
    """
    given = {k.removesuffix("_col"): v for k, v in columns.items()}
    unknown = set(given) - set(COLUMN_ALIASES)
    if unknown:
        raise TypeError(f"unknown column option(s): {', '.join(sorted(unknown))}")
    cols = ColumnMap.find(list(df.columns), name=name_col, scope=scope_col, **given)
    screener = screener or shared_screener(tuple(lists or ()))
    defaults = parse_options({"kind": kind, "as_of": as_of})
    return screen_rows(df, cols, screener, defaults=defaults)


def screen_dask(ddf: Any, **options: Any) -> Any:
    """Screen a Dask DataFrame partition by partition; options as for :func:`screen_frame`."""
    meta = screen_frame(ddf._meta, **options)
    return ddf.map_partitions(screen_frame, meta=meta, **options)


FLAGGED_ACTIONS = frozenset({*(a.value for a in ACTIONABLE), ERROR_ACTION})


def _screen_chunk(
    frame: pd.DataFrame, errors: dict[int, str], cols: ColumnMap, defaults: dict[str, Any], lists: tuple[str, ...]
) -> pd.DataFrame:
    return screen_rows(frame, cols, shared_screener(lists), defaults=defaults, read_errors=errors)


def scan_file(
    input_path: str,
    output_path: str,
    *,
    kind: Kind | str = Kind.EXISTING,
    as_of: date | str | None = None,
    encoding: str | None = None,
    lists: Sequence[str] = (),
    jobs: int = 1,
    only_flagged: bool = False,
    chunk_rows: int = 20_000,
    progress: bool = False,
    columns: Mapping[str, str | None] | None = None,
) -> Summary:
    """Screen a registry file into an output file; returns the counts.

    CSV to CSV streams rows through the csv module, ``jobs`` processes each taking a
    byte range of the file (see csvscan). Other formats go in chunks of ``chunk_rows``
    rows, screened in ``jobs`` processes. Either way the output is in input order and
    the same for any ``jobs``, and memory stays flat.
    """
    from .atomic import atomic_output, check_distinct
    from .preflight import check_fits
    from .tables import (
        TableWriter,
        check_input,
        check_output,
        detect_encoding,
        read_chunks,
    )

    lists = tuple(str(p) for p in lists)
    shared_screener(lists)  # fails here, once, on a bad list
    defaults = parse_options({"kind": kind, "as_of": as_of})  # fails here on a bad option
    defaults["as_of"] = defaults["as_of"] or date.today()
    src, dst = check_input(input_path), check_output(output_path)
    check_distinct([src], dst)
    if not only_flagged:
        check_fits(src, dst)
    bar = _progress_bar(progress)
    try:
        # Written whole to a temporary beside dst, renamed over it only when complete.
        with atomic_output(dst) as tmp:
            if src.suffix.lower() in (".csv", ".txt") and dst.suffix.lower() == ".csv":
                from .csvscan import scan_csv

                return scan_csv(
                    src, tmp, encoding=encoding or detect_encoding(src), columns=dict(columns or {}),
                    defaults=defaults, lists=lists, jobs=jobs, only_flagged=only_flagged,
                    progress=bar.update if bar is not None else None,
                )
            chunks = read_chunks(src, chunk_rows=chunk_rows, encoding=encoding)
            return _scan_frames(chunks, TableWriter(tmp, json_columns=JSON_COLUMNS), defaults, lists, jobs, only_flagged, columns, bar)
    finally:
        if bar is not None:
            bar.close()


def _scan_frames(
    chunks: Iterator[Any],
    writer: Any,
    defaults: dict[str, Any],
    lists: tuple[str, ...],
    jobs: int,
    only_flagged: bool,
    columns: Mapping[str, str | None] | None,
    bar: Any,
) -> Summary:
    from concurrent.futures import ProcessPoolExecutor

    from .workers import die_with_parent, pool_initargs

    summary = Summary()
    try:
        first = next(chunks, None)
        if first is None:
            return summary
        cols = ColumnMap.find(list(first.frame.columns), **dict(columns or {}))

        def all_chunks() -> Iterable[Any]:
            yield first
            yield from chunks

        pool = ProcessPoolExecutor(max_workers=jobs, initializer=die_with_parent, initargs=pool_initargs()) if jobs > 1 else None
        if pool is not None:
            results = _ordered(pool, all_chunks(), cols, defaults, lists, window=jobs * 2)
        else:
            results = (_screen_chunk(c.frame, c.errors, cols, defaults, lists) for c in all_chunks())
        try:
            for screened in results:
                summary.add_frame(screened)
                if only_flagged:
                    keep = screened["action"].isin(FLAGGED_ACTIONS) | (screened["supervise"] == "yes")
                    screened = screened[keep]
                writer.write(screened)
                if bar is not None:
                    bar.update(len(screened))
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    finally:
        writer.close()
    return summary


def _ordered(pool: Any, chunks: Iterable[Any], cols: ColumnMap, defaults: dict[str, Any], lists: tuple[str, ...], *, window: int) -> Iterable[pd.DataFrame]:
    """Results of chunks screened in the pool, in input order, with at most ``window`` in flight."""
    from collections import deque

    pending: deque[Any] = deque()
    for chunk in chunks:
        pending.append(pool.submit(_screen_chunk, chunk.frame, chunk.errors, cols, defaults, lists))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _progress_bar(enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(unit=" 行", unit_scale=True, desc="筛查", dynamic_ncols=True)
