"""Re-screening when the list changes: which entities are now affected, or no longer
are — the feedback to the local financial regulator that the plan (section 7) asks for."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from .atomic import check_distinct
from .batch import results_columns, screen_rows
from .columns import ColumnMap, column_options, looks_like_header
from .models import Action, Kind
from .readers import read_chunks
from .screener import parse_options, shared_screener
from .tables import open_writer

CHANGE_COLUMNS = (
    "change",
    "old_action",
    "new_action",
    "old_keywords",
    "new_keywords",
    "old_list_version",
    "new_list_version",
    "new_action_label",
    "hits",
    "watch",
    "supervise",
)


# A workbook is opened by a person: the change in Chinese first, the machine's columns after
# (ledger ingest reads those, whatever the format).
PEOPLE_COLUMNS = ("变化", "原结论", "新结论", "原字样", "新字样", "原清单版本", "新清单版本")


def _for_people(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def label(action: str) -> str:
        try:
            return Action(action).label
        except ValueError:
            return action

    return [{"变化": r["change"], "原结论": label(r["old_action"]) if r["old_action"] else "（上次没有）",
             "新结论": r["new_action_label"], "原字样": r["old_keywords"], "新字样": r["new_keywords"],
             "原清单版本": r["old_list_version"], "新清单版本": r["new_list_version"], **r} for r in rows]


class RescreenError(Exception):
    """Previous results that cannot be compared (not a results file …)."""


@dataclass
class RescreenSummary:
    rows: int = 0
    changed: Counter[str] = field(default_factory=Counter)
    previous_unmatched: int = 0

    def lines(self) -> list[str]:
        out = [f"重新筛查行数 rows: {self.rows}", f"结果变化的主体 changed: {sum(self.changed.values())}"]
        out += [f"  {kind}: {n}" for kind, n in self.changed.most_common()]
        if self.previous_unmatched:
            out.append(f"上次结果中未在本次输入出现的主体 previous rows not in the input: {self.previous_unmatched}")
        return out


def _key(rec: Mapping[Any, Any], cols: ColumnMap) -> str:
    code = str(rec.get(cols.credit_code) or "").strip() if cols.credit_code else ""
    return f"code:{code}" if code else f"name:{str(rec.get(cols.name) or '').strip()}"


def _describe(old: tuple[str, str] | None, new_action: str, new_words: str) -> str:
    if old is None:
        return "新出现且命中" if new_action != Action.PASS.value else ""
    old_action, old_words = old
    if old_action == new_action and old_words == new_words:
        return ""
    if old_action == Action.PASS.value and new_action != Action.PASS.value:
        return "新命中"
    if new_action == Action.PASS.value and old_action != Action.PASS.value:
        return "不再命中"
    if old_action != new_action:
        return "处置变化"
    return "字样变化"


def rescreen(
    previous: str | Path,
    new_input: str | Path,
    output: str | Path,
    *,
    lists: Sequence[str] = (),
    licences: str | Path | None = None,
    kind: Kind | str = Kind.EXISTING,
    as_of: date | str | None = None,
    encoding: str | None = None,
    columns: Mapping[str, str | None] | None = None,
) -> RescreenSummary:
    """Screen ``new_input`` with ``lists`` and write only the entities whose action or
    terms differ from ``previous`` (a results file of ``scan``), old and new side by side.

    Entities are matched by 统一社会信用代码 where both files have it, else by name.
    """
    import pandas as pd

    check_distinct([previous, new_input], output)
    before: dict[str, deque[tuple[str, str, str]]] = {}
    for chunk in read_chunks(previous):
        frame = chunk.frame
        missing = {"action", "keywords", "list_version"} - set(frame.columns)
        if missing:
            raise RescreenError(f"{previous} 不是 scan 的结果文件（缺少 {'、'.join(sorted(missing))} 列）")
        cache: dict[str, ColumnMap] = {}
        for rec in frame.to_dict("records"):
            cols = results_columns(frame.columns, rec.get("columns", ""), cache=cache)
            before.setdefault(_key(rec, cols), deque()).append(
                (str(rec["action"]), str(rec["keywords"] or ""), str(rec["list_version"]))
            )
    screener = shared_screener(tuple(str(p) for p in lists), str(licences) if licences else None)
    defaults = parse_options({"kind": kind, "as_of": as_of})
    given = column_options({k: v for k, v in (columns or {}).items() if v})
    name = given.get("name")
    header_test = partial(looks_like_header, name=name if isinstance(name, str) else None)
    summary = RescreenSummary()
    people = str(output).lower().endswith(".xlsx")
    with open_writer(output, json_columns=("hits", "watch")) as writer:
        for chunk in read_chunks(new_input, encoding=encoding, header_test=header_test):
            cols = ColumnMap.find(list(chunk.frame.columns), **given)
            screened = screen_rows(chunk.frame, cols, screener, defaults=defaults, read_errors=chunk.errors)
            keep = []
            for rec in screened.to_dict("records"):
                summary.rows += 1
                queue = before.get(_key(rec, cols))
                old = queue.popleft() if queue else None
                change = _describe(old[:2] if old else None, rec["action"], rec["keywords"])
                if not change:
                    continue
                summary.changed[change] += 1
                out = {c: rec[c] for c in (cols.credit_code, cols.name) if c}
                out.update(
                    change=change,
                    old_action=old[0] if old else "",
                    new_action=rec["action"],
                    old_keywords=old[1] if old else "",
                    new_keywords=rec["keywords"],
                    old_list_version=old[2] if old else "",
                    new_list_version=rec["list_version"],
                    new_action_label=rec["action_label"],
                    hits=rec["hits"],
                    watch=rec["watch"],
                    supervise=rec["supervise"],
                )
                keep.append(out)
            if keep:
                writer.write(pd.DataFrame(_for_people(keep) if people else keep, dtype=object))
        summary.previous_unmatched = sum(len(q) for q in before.values())
        if summary.changed.total() == 0:
            # an empty feedback file still says what its columns are
            writer.write(pd.DataFrame(columns=[*(PEOPLE_COLUMNS if people else ()), "统一社会信用代码", "企业名称",
                                               *CHANGE_COLUMNS], dtype=object))
    return summary
