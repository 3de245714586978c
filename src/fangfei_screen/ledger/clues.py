"""Clues from every source (plan §8, §9, §12): 录入线索 by hand, by ``ledger add-clue``
or from a sheet of such clues, all through one validator (``Clue.problems``).

A hand-recorded clue is a new clue of its month: an entity (or a person) in the
ledger with a ``clue_months`` row (state new) and its Attachment 2 facts in
``clue_facts``; review and disposal then treat it like a screened one.

线索来源: the seed's note 4 names 行政机关移送, 公安排查发现, 群众举报（…）, 集资人自首,
有关部门或地方通据 and 其他情形. The ways the plan finds clues map onto them (ORIGINS).
Screening the registry (市场监管登记排查) is the unit's own check of registrations: it is
行政机关移送 only when the registry office handed the clues over (a township screening
the extract the 市场监管局 sent it may choose that); otherwise it is 其他（市场监管登记排查）.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select

from fangfei_screen.models import CATEGORY_LABELS, FUNDRAISING_METHODS, Category
from fangfei_screen.report import NOTES, SCREENING
from fangfei_screen.report import SOURCE as SCREENING_SOURCE
from fangfei_screen.values import CodeState, code_state

from .db import Ledger, LedgerError
from .history import now, record
from .months import parse_month
from .schema import batches, clue_facts, clue_months, entities
from .source import entity_key

# Note 4's values, as the seed prints them (the parenthesis of 群众举报 included).
SOURCES = (
    "行政机关移送", "公安排查发现", "群众举报（包括集资参与人或案外人举报、推案、控告等）", "集资人自首", "有关部门或地方通据", "其他",
)
REPORT = SOURCES[2]
# How a clue was found → the value of note 4 it is reported as.
ORIGINS = {
    "网格排查": "其他（网格排查）",
    "群众举报": REPORT,
    "公安平台交办": "公安排查发现",
    "资金异动监测": "有关部门或地方通据",
    "扫楼清街": "其他（扫楼清街）",
    "上级或外地提示": "有关部门或地方通据",
    "行政机关移送": "行政机关移送",
    "集资人自首": "集资人自首",
    "其他": "其他",
}
# What a unit may say its screening was (the first is the default, as report's own).
SCREENING_ORIGINS = {SCREENING: SCREENING_SOURCE, "行政机关移送": "行政机关移送"}
# Note 2's six categories, in the seed's words: （1）虚拟货币、区块链、互联网金融、支付、征信等领域涉非风险 …
CATEGORIES = tuple(f"（{n}）{text}" for n, text in re.findall(r"（(\d)）([^；。]+)", NOTES[1]))
assert len(CATEGORIES) == len(Category), "Attachment 2's note 2 lists six categories"


def category_of(label: str) -> Category | None:
    """The category a stored label (（2）民间投融资…) stands for."""
    m = re.match(r"^（(\d)）", label or "")
    return Category(int(m[1])) if m else None
INTERNET = ("线上", "线下", "线上线下相结合", "其他")
YES_NO_PENDING = ("是", "否", "待核查")
PATHS = ("行政", "刑事")
SUBJECT_KINDS = {"entity": "单位", "person": "个人"}
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_COUNT = re.compile(r"^\d+$")
# The form's fields in Attachment 2's order: (name, label, required)
FIELDS = (
    ("name", "风险主体名称/个人姓名", True), ("subject_kind", "主体类型", True), ("credit_code", "统一社会信用代码", False),
    ("category", "所属行业领域", True), ("method", "集资方式", False), ("origin", "线索来源", True),
    ("found_on", "发现时间", True), ("region", "涉及地区", True), ("amount", "涉及金额（万元）", False),
    ("people", "涉及人数", False), ("internet", "是否涉及互联网", False), ("illegal", "是否属于非法集资", False),
    ("path", "拟采取/已采取处置路径", False), ("case_date", "立案时间", False), ("charge", "立案罪名", False),
    ("remark", "备注", False), ("address", "住所或地址", False),
)
LABELS = {n: label for n, label, _ in FIELDS}


def screening_origin(source: str) -> str:
    """The 线索来源 a unit's screening is reported with; LedgerError for an unknown one."""
    source = (source or "").strip() or SCREENING
    if source in SCREENING_ORIGINS:
        return SCREENING_ORIGINS[source]
    if source in SCREENING_ORIGINS.values():
        return source
    raise LedgerError(f"筛查的线索来源应为「{'」或「'.join(SCREENING_ORIGINS)}」，而非「{source}」")


def category_label(value: str) -> str:
    """One of note 2's six, from its full text, its number (1-6) or its list."""
    value = value.strip()
    for i, c in enumerate(CATEGORIES, start=1):
        if value in (c, str(i), c[3:], f"（{i}）", f"({i})", CATEGORY_LABELS[Category(i)]):
            return c
    return ""


@dataclass(frozen=True)
class Clue:
    """A hand-recorded clue, every field as typed (validated by ``problems``)."""

    name: str
    origin: str
    found_on: str
    category: str
    region: str
    subject_kind: str = "entity"
    credit_code: str = ""
    method: str = ""
    amount: str = ""
    people: str = ""
    internet: str = ""
    illegal: str = ""
    path: str = ""
    case_date: str = ""
    charge: str = ""
    remark: str = ""
    address: str = ""

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    @classmethod
    def of(cls, values: dict[str, Any]) -> Clue:
        """From a form, a command's options or a sheet's row: text, trimmed; 万元 etc. as typed."""
        got = {n: str(values.get(n) if values.get(n) is not None else "").strip() for n in cls.names()}
        got["subject_kind"] = {"单位": "entity", "个人": "person", "": "entity"}.get(got["subject_kind"], got["subject_kind"])
        got["category"] = category_label(got["category"]) or got["category"]
        got["credit_code"] = got["credit_code"].upper()
        for n in ("found_on", "case_date"):
            got[n] = iso_day(got[n])
        return cls(**got)

    def problems(self) -> dict[str, str]:
        """Field name → what is wrong, in Chinese (empty when valid): one check for the form,
        ``ledger add-clue`` and the import of a sheet of clues."""
        out: dict[str, str] = {}
        for n, label, required in FIELDS:
            if required and not getattr(self, n):
                out[n] = f"请填写{label}"
        if self.subject_kind not in SUBJECT_KINDS:
            out["subject_kind"] = "主体类型应为「单位」或「个人」"
        if self.origin and self.origin not in ORIGINS:
            out["origin"] = f"线索来源「{self.origin}」不在列表中（{'、'.join(ORIGINS)}）"
        if self.category and self.category not in CATEGORIES:
            out["category"] = f"所属行业领域「{self.category}」不是附件2备注2所列的六类之一（可填 1-6）"
        for m in _methods(self.method):
            if m not in FUNDRAISING_METHODS:
                out["method"] = f"集资方式「{m}」不是附件2备注3所列的18种之一"
                break
        for n in ("found_on", "case_date"):
            value = getattr(self, n)
            if value:
                try:
                    day = date.fromisoformat(value)
                except ValueError:
                    out[n] = f"{LABELS[n]}「{value}」应为“年-月-日”，例如 2025-06-20"
                else:
                    if day > date.today():
                        out[n] = f"{LABELS[n]}「{value}」晚于今天"
        if self.amount and not _NUMBER.match(self.amount):
            out["amount"] = f"涉及金额「{self.amount}」应为非负数（万元）"
        if self.people and not _COUNT.match(self.people):
            out["people"] = f"涉及人数「{self.people}」应为非负整数"
        if self.internet and self.internet not in INTERNET:
            out["internet"] = f"是否涉及互联网应为{'、'.join(INTERNET)}之一"
        if self.illegal and self.illegal not in YES_NO_PENDING:
            out["illegal"] = f"是否属于非法集资应为{'、'.join(YES_NO_PENDING)}之一"
        if self.path and self.path not in PATHS:
            out["path"] = "处置路径应为「行政」或「刑事」"
        if self.credit_code and self.subject_kind == "person":
            out["credit_code"] = "个人没有统一社会信用代码；请把身份信息写在备注中"
        if self.credit_code and code_state(self.credit_code) is CodeState.INVALID:  # the one validator (values)
            out["credit_code"] = f"统一社会信用代码「{self.credit_code}」应为18位数字或大写字母（不含 I、O、S、V、Z）"
        return out

    @property
    def source(self) -> str:
        return ORIGINS.get(self.origin, self.origin)


def iso_day(value: str) -> str:
    """年-月-日 as typed in Chinese or with slashes (2025年6月20日, 2025/6/20) → 2025-06-20; else as typed."""
    from fangfei_screen.values import parse_date

    try:
        day = parse_date(value) if value else None
    except ValueError:  # 2025年13月1日: left as typed, for the validator to name
        return value
    return day.isoformat() if day else value


def _methods(text: str) -> list[str]:
    return [m for m in re.split(r"[、，,；;\s]+", text) if m]


def _sha(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Added:
    key: str
    month: str
    recorded: bool  # False: the same clue was already recorded for this month


def add_clue(ledger: Ledger, clue: Clue, *, unit: str, by: str, month: str | None = None) -> Added:
    """Record a hand-found clue as a new clue of its month (default: the month of 发现时间)."""
    return add_clues(ledger, [clue], unit=unit, by=by, month=month)[0]


def add_clues(ledger: Ledger, clues: list[Clue], *, unit: str, by: str, month: str | None = None,
              file_name: str = "录入线索") -> list[Added]:
    """Record several clues in one transaction (all or none); each must be valid."""
    unit, by = unit.strip(), by.strip()
    if not unit or not by:
        raise LedgerError("单位和录入人不能为空 / unit and by are required")
    for i, c in enumerate(clues, start=1):
        problems = c.problems()
        if problems:
            where = f"第 {i} 条线索：" if len(clues) > 1 else ""
            raise LedgerError(where + "；".join(problems.values()))
        # a clue is new in the month it was found or a later one (recorded late), never an earlier one:
        # Attachment 2 would report it before anyone had found it
        if month and parse_month(month) < c.found_on[:7]:
            where = f"第 {i} 条线索：" if len(clues) > 1 else ""
            raise LedgerError(f"{where}发现时间 {c.found_on} 晚于记入月份 {parse_month(month)}：请记入 {c.found_on[:7]} 或之后的月份")
    return ledger.write(lambda conn: [_add(conn, c, unit=unit, by=by, month=month, file_name=file_name) for c in clues])


def _add(conn: Connection, clue: Clue, *, unit: str, by: str, month: str | None, file_name: str) -> Added:
    month = parse_month(month or clue.found_on[:7])
    key = entity_key(unit, clue.credit_code, clue.name)
    at = now()
    there = conn.execute(select(clue_months.c.state, clue_months.c.batch_id).where(
        clue_months.c.key == key, clue_months.c.month == month)).first()
    if there is not None:
        return Added(key=key, month=month, recorded=False)
    entity = conn.execute(select(entities.c.unit).where(entities.c.key == key)).first()
    if entity is None:
        conn.execute(insert(entities).values(key=key, unit=unit, credit_code=clue.credit_code or None, name=clue.name,
                                             scope="", address=clue.address or clue.region, first_month=month))
    elif entity.unit != unit:
        raise LedgerError(f"「{clue.name}」已在{entity.unit}的台账中；请由{entity.unit}录入，或在备注中说明")
    batch_id = conn.execute(insert(batches).values(
        unit=unit, month=month, sha256=_sha(asdict(clue)), file_name=file_name[:500], rows=1, flagged=1, complete=False,
        list_versions="", by=by, at=at, selection="", source=clue.source, kind="manual",
    )).inserted_primary_key[0]
    conn.execute(insert(clue_months).values(key=key, month=month, batch_id=batch_id, state="new", action="", name=clue.name,
                                            scope="", address=clue.address or clue.region, status="", screened_on=clue.found_on,
                                            seq=0))
    facts = {n: getattr(clue, n) for n in ("origin", "subject_kind", "category", "method", "found_on", "region", "amount",
                                            "people", "internet", "illegal", "path", "case_date", "charge", "remark")}
    conn.execute(insert(clue_facts).values(key=key, month=month, by=by, at=at, **facts))
    record(conn, by=by, subject="entity", action="clue_added", key=key, batch_id=batch_id, at=at,
           after={"month": month, "name": clue.name, **facts})
    return Added(key=key, month=month, recorded=True)


# -- a sheet of clues --------------------------------------------------------------

SHEET_HEADERS = {label: n for n, label, _ in FIELDS} | {"风险主体名称": "name", "个人姓名": "name", "主体名称": "name",
                                                      "发现时间（年月日）": "found_on", "立案时间（年月日）": "case_date",
                                                      "涉及金额": "amount", "拟采取/已采取处置路径（行政/刑事）": "path"}


def read_clue_sheet(path: str | Path) -> tuple[list[Clue], list[str]]:
    """The clues of a sheet (the form's labels as headers, in any order); problems name
    the cell (工作表 第N行「列」)."""
    from fangfei_screen.readers import TableError, read_chunks

    clues: list[Clue] = []
    problems: list[str] = []
    try:
        chunks = list(read_chunks(path, header_test=lambda cells: any(_header(c) == "name" for c in cells)))
    except TableError as exc:
        raise LedgerError(str(exc)) from None
    for chunk in chunks:
        columns = {c: _header(c) for c in chunk.frame.columns}
        if "name" not in columns.values():
            raise LedgerError(f"{path}：找不到「{LABELS['name']}」列")
        first = (chunk.part.header_row or 1) + 1
        for i, rec in enumerate(chunk.frame.to_dict("records")):
            values = {columns[c]: v for c, v in rec.items() if columns.get(c)}
            if not any(str(v or "").strip() for v in values.values()):
                continue
            clue = Clue.of(values)
            line = (chunk.rows[i] if chunk.rows is not None else first + i)
            where = f"{chunk.part.sheet + ' ' if chunk.part.sheet else ''}第{line}行"
            label_of = {n: next((c for c, k in columns.items() if k == n), LABELS[n]) for n in Clue.names()}
            for n, message in clue.problems().items():
                problems.append(f"{where}「{label_of.get(n, LABELS[n])}」：{message}")
            clues.append(clue)
    if not clues and not problems:
        problems.append(f"{path}：没有线索行")
    return clues, problems


def _header(cell: Any) -> str:
    text = "".join(str(cell).split()).replace("(", "（").replace(")", "）")
    return SHEET_HEADERS.get(text) or SHEET_HEADERS.get(re.sub(r"（[^）]*）$", "", text)) or ""
