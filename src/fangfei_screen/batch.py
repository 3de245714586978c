"""Screening rows of registry tables: one result per row, in order, as output cells; for
pandas DataFrames, Dask and the file paths (scanfile, csvscan). Knows no file format:
rows come from readers, columns from the column map."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from .columns import ColumnMap, column_options
from .models import ACTIONABLE, FIELD_LABELS, Action, Kind, Result
from .screener import Screener, ScreeningInputError, parse_options, shared_screener
from .values import (
    NO_NAME, CodeState, code_notes, code_state, entity_name, entity_type_of, is_empty, is_true, parse_date, status_of,
)

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
    "licences",  # the licence register's file name and sha256, when one was given
    "licences_sha256",
    "screened_on",
    "error",
    "columns",  # the column map, where the output's own headers would not tell it (see columns_cell)
)
JSON_COLUMNS = ("hits", "suppressed", "watch")
# What a person reads in an XLSX of results: Chinese columns before the machine ones
# (which stay, under their stable names, for report, rescreen and the ledger).
PEOPLE_COLUMNS = ("处理建议", "命中字样", "类别", "依据", "清单版本", "需重点监管")


def for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` of screened rows with PEOPLE_COLUMNS inserted after the input's columns."""
    from .models import CATEGORY_LABELS, Category

    def categories(cell: Any) -> str:
        out = []
        for c in str(cell or "").split("|"):
            if c.strip().isdigit() and int(c) in Category._value2member_map_:
                out.append(f"{int(c)}类：{CATEGORY_LABELS[Category(int(c))]}")
        return "；".join(out)

    def basis(cell: Any) -> str:
        try:
            hits = json.loads(cell) if isinstance(cell, str) and cell else []
        except ValueError:
            return ""
        if not isinstance(hits, list):
            return ""
        return "；".join(
            f"{FIELD_LABELS.get(str(h.get('field')), '')}含“{h.get('text') or h.get('keyword')}”（字样 {h.get('keyword')}，"
            f"清单 {h.get('list', '')} {h.get('list_version', '')}）" for h in hits if isinstance(h, dict))

    if "action" not in frame.columns:
        return frame
    people = {
        "处理建议": frame["action_label"] if "action_label" in frame.columns else "",
        "命中字样": frame["keywords"].map(lambda v: str(v or "").replace("|", "、")) if "keywords" in frame.columns else "",
        "类别": frame["categories"].map(categories) if "categories" in frame.columns else "",
        "依据": frame["hits"].map(basis) if "hits" in frame.columns else "",
        "清单版本": frame["list_version"] if "list_version" in frame.columns else "",
        "需重点监管": frame["supervise"].map(lambda v: "是" if v == "yes" else "") if "supervise" in frame.columns else "",
    }
    at = list(frame.columns).index("action")
    out = frame.copy()
    for i, (name, values) in enumerate(people.items()):
        out.insert(at + i, name, values)
    return out
ERROR_ACTION = "error"
CONTINUATION = ("名称为空而有经营范围：可能是上一行的续行（一个经营范围写在了两行），请并入上一行后重新筛查"
                " / no name but a scope: a continuation of the row above?")
# the same row on a sheet a program wrote with formulas never calculated: the name is likely a formula
UNCALCULATED_NAME = ("名称为空而有经营范围：该工作表的公式从未计算过，名称可能是公式（读到的是空值）：请在 Excel 或 LibreOffice 中"
                     "打开并保存一次后重新筛查；若不是公式，则可能是上一行的续行 / no name: an uncalculated formula?")

_COL = {name: i for i, name in enumerate(OUTPUT_COLUMNS)}


@dataclass
class Summary:
    """Counts over a bulk screening."""

    rows: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    keywords: Counter[str] = field(default_factory=Counter)
    categories: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    warnings: int = 0  # rows screened with a status or date that was not understood
    reading: list[str] = field(default_factory=list)  # what was read: columns, sheets, gaps
    not_entities: list[str] = field(default_factory=list)  # rows skipped as not entities (repeated header, 合计 …): where, why
    alarms: list[str] = field(default_factory=list)  # what the user must not miss
    codes: Counter[CodeState] = field(default_factory=Counter)  # rows by what their credit code cell holds

    def add(self, cells: Sequence[Any]) -> None:
        """Count one row by its output cells (in OUTPUT_COLUMNS order)."""
        self.rows += 1
        self.actions[cells[_COL["action"]]] += 1
        if cells[_COL["keywords"]]:
            self.keywords.update(cells[_COL["keywords"]].split("|"))
            self.categories.update(int(c) for c in cells[_COL["categories"]].split("|"))
        if cells[_COL["action"]] == ERROR_ACTION:
            self.errors.append(cells[_COL["error"]])
        elif cells[_COL["error"]]:
            self.warnings += 1

    def add_frame(self, frame: pd.DataFrame) -> None:
        for cells in zip(*(frame[c] for c in OUTPUT_COLUMNS)):
            self.add(cells)

    def add_codes(self, values: Iterable[str]) -> None:
        """Count the credit code cells of some rows (see values.code_state)."""
        self.codes.update(code_state(v) for v in values)

    def merge(self, other: Summary) -> None:
        self.rows += other.rows
        self.actions.update(other.actions)
        self.keywords.update(other.keywords)
        self.categories.update(other.categories)
        self.errors.extend(other.errors)
        self.warnings += other.warnings
        self.codes.update(other.codes)
        self.not_entities.extend(other.not_entities)

    def lines(self) -> list[str]:
        out = [*self.reading, *(f"！注意 WARNING: {a}" for a in self.alarms)]
        out.append(f"读取行数 rows: {self.rows}")
        if self.not_entities:
            shown = "，".join(self.not_entities[:20]) + (f" …另有 {len(self.not_entities) - 20} 行" if len(self.not_entities) > 20 else "")
            out.append(f"跳过的非主体行 not entities: {len(self.not_entities)} 行（重复的表头、合计、表尾、标题），未筛查：{shown}")
        for action, n in self.actions.most_common():
            label = Action(action).label if action != ERROR_ACTION else "无法筛查"
            out.append(f"  {action}（{label}）: {n}")
        if self.keywords:
            out.append("按字样 by keyword: " + "，".join(f"{k} {n}" for k, n in self.keywords.most_common()))
        if self.categories:
            out.append("按类别 by category: " + "，".join(f"{c}类 {n}" for c, n in sorted(self.categories.items())))
        if self.warnings:
            out.append(f"！警告 warnings: {self.warnings} 行的登记状态或日期无法识别，未用于判断（见 error 列）")
        out += code_notes(self.codes[CodeState.INVALID], self.codes[CodeState.BAD_CHECK])
        out.append(f"错误 errors: {len(self.errors)}")
        out += [f"  {e}" for e in self.errors[:20]]
        if len(self.errors) > 20:
            out.append(f"  …另有 {len(self.errors) - 20} 条")
        return out


def _hits_json(hits: Sequence[Any], scopes: Sequence[tuple[int, str]] | None) -> str:
    if not hits:
        return "[]"
    dicts = [h.to_dict() for h in hits]
    if scopes:
        for d in dicts:
            if d["field"] == "scope":
                _to_column(d, scopes)
    return json.dumps(dicts, ensure_ascii=False)


def _to_column(hit: dict[str, Any], scopes: Sequence[tuple[int, str]]) -> None:
    """A hit in the joined scope → its offsets in the scope column it came from, which it names."""
    for start, column in reversed(scopes):
        if hit["start"] >= start:
            hit["start"] -= start
            hit["end"] -= start
            hit["column"] = column
            return


def _result_cells(result: Result, scopes: Sequence[tuple[int, str]] | None = None) -> tuple[Any, ...]:
    """The output cells of a result, up to licences_sha256; ``scopes`` (start in the joined
    scope, column) when the scope was joined from several columns."""
    return (
        result.action.value,
        result.action.label,
        "|".join(result.keywords),
        "|".join(str(c) for c in result.categories),
        _hits_json(result.hits, scopes),
        _hits_json(result.suppressed, scopes),
        _hits_json(result.watch, scopes),
        "yes" if result.supervise else "",
        result.list_version,
        result.list_sha256,
        result.licences_file,
        result.licences_sha256,
    )


SCOPE_JOINER = "；"  # between scope columns: ends a clause, so negation never runs across


_MEMO_LIMIT = 4096  # distinct 企业类型/登记状态 values remembered per table
_UNKNOWN = object()  # a 登记状态 that is not understood


class RowScreener:
    """Screens the rows of one table (sequences of cells, in ``columns`` order).

    Rows whose name and scope hold no term and need no folding get one shared tuple
    of output cells without any per-row parsing; only rows with a match read the
    entity facts (type, status, dates) that the existing-entity rules need.
    """

    def __init__(self, screener: Screener, columns: Sequence[str], cols: ColumnMap, defaults: Mapping[str, Any],
                 *, out_header: Sequence[str] | None = None) -> None:
        at = {c: i for i, c in enumerate(columns)}
        self.screener = screener
        self.cols = cols
        self._name = at[cols.name]
        self._operator = at[cols.operator] if cols.operator else None
        self._scopes = [(at[c], c) for c in cols.scopes]
        self._facts = [
            (key, at[getattr(cols, key)], getattr(cols, key))
            for key in ("entity_type", "status", "established_on", "suspended_since", "licensed", "credit_code")
            if getattr(cols, key)
        ]
        self.defaults = parse_options({"kind": Kind.EXISTING, **defaults})
        self.defaults["as_of"] = self.defaults.get("as_of") or date.today()
        screened_on = self._screened_on = self.defaults["as_of"].isoformat()
        self._quick = self.defaults["kind"] is not Kind.CHANGE
        self.quick = self._quick  # a row whose name and scope are clean gets pass_cells
        self.name_index = self._name
        self.scope_indices = tuple(i for i, _ in self._scopes)
        self._columns = columns_cell(cols, out_header if out_header is not None else output_header(columns))
        self.pass_cells = (*_result_cells(screener.screen("", "", **self.defaults)), screened_on, "", self._columns)
        self._error_head = (ERROR_ACTION, "无法筛查", "", "", "[]", "[]", "[]", "",
                            screener.list_version, screener.list_sha256,
                            *((screener.licences.file_name, screener.licences.sha256) if screener.licences else ("", "")),
                            screened_on)
        self._memo: dict[tuple[str, str], Any] = {}

    def error_cells(self, reason: str) -> tuple[Any, ...]:
        return (*self._error_head, reason, self._columns)

    def cells(self, row: Sequence[Any]) -> tuple[Any, ...]:
        """The output cells for one row."""
        name = row[self._name]
        if not isinstance(name, str):
            name = _text(name)
        spans = None
        if len(self._scopes) == 1:
            scope = row[self._scopes[0][0]]
            if not isinstance(scope, str):
                scope = _text(scope)
        elif self._scopes:
            parts = [_text(row[i]) for i, _ in self._scopes]
            spans, at = [], 0
            for part, (_, column) in zip(parts, self._scopes):
                spans.append((at, column))
                at += len(part) + len(SCOPE_JOINER)
            scope = SCOPE_JOINER.join(parts)
        else:
            scope = ""
        if not name.strip() or name.strip() in NO_NAME:
            # a 个体工商户 without a 字号: named after its operator, its scope still screened
            name = entity_name(name, _text(row[self._operator]) if self._operator is not None else "")
            if not name:
                given = _text(row[self._name]).strip()
                if given:
                    return self.error_cells(
                        f"名称为「{given}」：无字号的个体工商户需有经营者（经营者姓名）列 / no name and no operator"
                    )
                if scope.strip():  # a scope spread over two rows, or merged cells copied as values
                    return self.error_cells(CONTINUATION)
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
                what = "登记状态" if key == "status" else "日期"
                notes.append(f"{col}「{value}」不是可识别的{what}，未用于判断")
        try:
            result = self.screener.screen(name, scope, **options)
        except ScreeningInputError as exc:
            return self.error_cells(str(exc))
        return (*_result_cells(result, spans), self._screened_on, "；".join(notes), self._columns)

    def _parse(self, key: str, value: str) -> Any:
        if key in ("established_on", "suspended_since"):
            return parse_date(value)
        if key == "credit_code":
            return value
        memo_key = (key, value)
        if memo_key in self._memo:
            parsed = self._memo[memo_key]
        else:
            if key == "entity_type":
                parsed = entity_type_of(value)
            elif key == "status":
                parsed = status_of(value)
                if parsed is None and not is_empty(value):
                    parsed = _UNKNOWN
            else:
                parsed = is_true(value)
            if len(self._memo) < _MEMO_LIMIT:
                self._memo[memo_key] = parsed
        if parsed is _UNKNOWN:
            raise ValueError(value)
        return parsed


def screen_rows(
    frame: pd.DataFrame,
    cols: ColumnMap,
    screener: Screener,
    *,
    defaults: Mapping[str, Any],
    read_errors: Mapping[int, str] | None = None,
    out_header: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The frame with the output columns appended, one result per row, in order
    (``out_header``: the header of the file it will be written to, when not its own)."""
    import pandas as pd

    read_errors = read_errors or {}
    rows = RowScreener(screener, [str(c) for c in frame.columns], cols, defaults, out_header=out_header)
    out = [
        rows.error_cells(read_errors[i]) if i in read_errors else rows.cells(row)
        for i, row in enumerate(frame.itertuples(index=False, name=None))
    ]
    result_frame = pd.DataFrame(out, columns=list(OUTPUT_COLUMNS), index=frame.index, dtype=object)
    base = frame.set_axis(input_columns_out(list(frame.columns)), axis=1)
    return pd.concat([base, result_frame], axis=1)


def output_header(columns: Sequence[Any]) -> list[Any]:
    """The header of the output of a table with these input columns."""
    return [*input_columns_out(columns), *OUTPUT_COLUMNS]


def columns_cell(cols: ColumnMap, out_header: Sequence[Any]) -> str:
    """What the ``columns`` cell carries: nothing when the output's header alone gives
    the same column map (the usual headers), else the map as JSON, so that report,
    rescreen and the ledger read any results file whatever the input's headers were."""
    try:
        if ColumnMap.find([str(c) for c in out_header]) == cols:
            return ""
    except ScreeningInputError:
        pass
    return cols.to_json()


def results_columns(header: Sequence[Any], cell: Any = "", *, cache: dict[str, ColumnMap] | None = None) -> ColumnMap:
    """The column map of a row of a results file: its ``columns`` cell, else its header."""
    cell = cell if isinstance(cell, str) else ""
    if cache is not None and cell in cache:
        return cache[cell]
    cols = ColumnMap.from_json(cell) if cell else None
    if cols is None:
        cols = ColumnMap.find([str(c) for c in header if c not in PEOPLE_COLUMNS])
    if cache is not None:
        cache[cell] = cols
    return cols


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
    scope_col: str | Sequence[str] | None = None,
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
    given = column_options(columns)
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
