"""Which rows of a results file are one unit's.

A county-wide workbook holds several townships: one sheet per township, or a
所属乡镇/单位 column naming each row's unit. An ingest for a unit takes only its own
rows (the sheet named after it, or the rows whose unit column names it); a file with
several sheets or a unit column but none of the unit's rows is refused rather than
recorded as the unit's. A plain file (one sheet, no unit column) is the unit's own.
The same rule serves ``ledger ingest`` and the bulk page's 写入台账.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from fangfei_screen.batch import OUTPUT_COLUMNS, PEOPLE_COLUMNS
from fangfei_screen.columns import ColumnMap
from .fastread import read_chunks

from .db import LedgerError

_SUFFIX = re.compile(r"(街道办事处|街道|办事处|镇|乡|社区)$")
_COUNTY_HEAD = re.compile(r"^.*?(县|区|市)(?=.+(镇|乡|街道))")


def _plain(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


def _core(text: str) -> str:
    """A place without the county before it or its 镇/乡/街道 after: 固镇县王庄镇 → 王庄."""
    text = _COUNTY_HEAD.sub("", _plain(text))
    return _SUFFIX.sub("", text) or text


def names_unit(value: str, unit: str) -> bool:
    """Whether a sheet name or a unit cell names ``unit`` (王庄镇, 固镇县王庄镇 and 王庄 all name 王庄镇)."""
    value, unit = _plain(value), _plain(unit)
    if not value or not unit:
        return False
    if value == unit:
        return True
    core_v, core_u = _core(value), _core(unit)
    return len(core_u) >= 2 and core_v == core_u


@dataclass(frozen=True)
class Selection:
    """How an ingest picks a unit's rows: by sheet, by the unit column, or every row."""

    sheet: str | None = None  # rows of this sheet only
    column: str | None = None  # rows whose cell in this column names the unit
    unit: str = ""
    left_out: int = 0  # rows of other units

    @property
    def describe(self) -> str:
        if self.sheet is not None:
            return f"工作表「{self.sheet}」"
        if self.column is not None:
            return f"「{self.column}」列为{self.unit}的行"
        return ""

    def takes(self, sheet: str, unit_cell: str) -> bool:
        if self.sheet is not None:
            return sheet == self.sheet
        if self.column is not None:
            return names_unit(unit_cell, self.unit)
        return True


def sheets_of(path: str | Path) -> list[str]:
    """The sheets a results file's rows came from, in order (none for a CSV's results)."""
    seen: dict[str, None] = {}
    for chunk in read_chunks(path):
        if "sheet" not in chunk.frame.columns:
            return []
        seen.update(dict.fromkeys("" if v is None else str(v) for v in chunk.frame["sheet"].tolist()))
    return list(seen)


def select_rows(path: str | Path, unit: str, *, sheet: str | None = None) -> Selection:
    """The rows of ``unit`` in a results file; LedgerError when the file holds other units' rows only.

    ``sheet`` (an admin mapping a sheet to a unit) takes that sheet's rows whatever its name."""
    sheets: Counter[str] = Counter()
    cells: Counter[str] = Counter()
    column: str | None = None
    # small chunks: a plain file is told by its first chunk, and read no further
    for chunk in read_chunks(path, chunk_rows=10_000):
        frame = chunk.frame
        header = [c for c in frame.columns if c not in OUTPUT_COLUMNS and c not in PEOPLE_COLUMNS]
        if column is None:
            try:
                column = ColumnMap.find([str(c) for c in header]).unit
            except Exception:  # no name column: the ingest itself says what is wrong
                column = None
        if "sheet" not in frame.columns and column is None:
            return Selection(unit=unit)  # a plain file: the unit's own (no need to read on)
        if "sheet" in frame.columns:
            sheets.update("" if v is None else str(v) for v in frame["sheet"].tolist())
        if column is not None and column in frame.columns:
            cells.update("" if v is None else str(v) for v in frame[column].tolist())
    total = sum(sheets.values()) or sum(cells.values())
    if sheet is not None:
        if sheet not in sheets:
            raise LedgerError(f"文件中没有工作表「{sheet}」；有：{'、'.join(sheets) or '（无）'}")
        return Selection(sheet=sheet, unit=unit, left_out=total - sheets[sheet])
    own = [s for s in sheets if names_unit(s, unit)]
    if len(own) == 1:
        return Selection(sheet=own[0], unit=unit, left_out=total - sheets[own[0]])
    if column is not None:
        mine = sum(n for v, n in cells.items() if names_unit(v, unit))
        if mine:
            return Selection(column=column, unit=unit, left_out=total - mine)
        named = "、".join(v for v, _ in cells.most_common(8) if v)
        raise LedgerError(f"文件「{column}」列中没有{unit}的行（有：{named or '均为空'}），未录入；其他单位的行不能记为{unit}的线索")
    if len(sheets) > 1:
        raise LedgerError(
            f"文件有 {len(sheets)} 个工作表（{'、'.join(sheets)}），没有以「{unit}」命名的，也没有所属乡镇/单位列，未录入；"
            "请只上传本单位的表，或由管理员指定工作表所属单位"
        )
    return Selection(unit=unit)
