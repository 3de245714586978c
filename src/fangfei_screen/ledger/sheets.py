"""The ledger in Excel: export the month's open clues with the Attachment 3 columns to
fill, and import the filled sheet — every cell checked first, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from fangfei_screen.atomic import atomic_output

from .db import Ledger, LedgerError
from .decisions import add_disposal
from .forms import MEASURES, PENALTY_TYPES, YES_NO, Disposal
from .months import parse_month
from .queries import list_clues
from .schema import entities

SHEET = "台账"
KEY_HEADER = "键（勿改）"
INFO_COLUMNS = ("统一社会信用代码", "主体名称", "报送单位", "月份", "台账状态", "涉及字样及位置", "清单版本")
# header → Disposal field; the order of the columns to fill
FILL_COLUMNS = (
    ("处置措施", "measure"),
    ("处置日期（YYYY-MM-DD）", "date"),
    ("风险情况描述", "description"),
    ("负责处置的行政机关", "authority"),
    ("涉及地区", "region"),
    ("集资渠道", "channel"),
    ("集资金额（万元）", "amount"),
    ("未清退金额（万元）", "unrefunded_amount"),
    ("参与集资人数（人）", "participants"),
    ("未清退人数（人）", "unrefunded_people"),
    ("是否移送公安", "police"),
    ("立案时间（YYYY-MM-DD）", "case_date"),
    ("行政认定", "admin_finding"),
    ("作出处罚时间（YYYY-MM-DD）", "penalty_date"),
    ("处罚类型", "penalty_type"),
    ("已清退资金金额（万元）", "refunded_amount"),
    ("备注", "remark"),
)
HEADERS = (KEY_HEADER, *INFO_COLUMNS, *(h for h, _ in FILL_COLUMNS))
_TEXT_FIELDS = frozenset({"description", "authority", "region", "channel", "admin_finding", "remark", "measure", "police", "penalty_type"})
_STATE_LABEL = {"new": "新发", "recurring": "持续", "missing": "缺失待核"}


def export_sheet(ledger: Ledger, *, month: str, output: str | Path, unit: str | None = None) -> int:
    """One row per open clue of ``month`` (new, recurring, missing; not other-sense); returns the count."""
    import openpyxl
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from fangfei_screen.tables import neutralise_formula

    month = parse_month(month)
    output = Path(output)
    if output.suffix.lower() != ".xlsx":
        raise LedgerError("台账表应为 .xlsx 文件 / the sheet is written as .xlsx")
    if not output.parent.exists():
        raise LedgerError(f"输出目录不存在 / no such directory: {output.parent}")
    clues = [c for c in list_clues(ledger, month=month, unit=unit) if c["state"] in _STATE_LABEL and not c["other_sense"]]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(list(HEADERS))
    for c in clues:
        counted = [f for f in c["findings"] if f["decision"] != "other_sense"]
        where = "；".join(f"{f['term']}：{'名称' if f['field'] == 'name' else '经营范围'}「{f['context']}」" for f in counted)
        versions = "；".join(sorted({f"{f['list']} {f['list_version']}" for f in counted}))
        info = [c["key"], c["credit_code"] or "", c["name"], c["unit"], c["month"], _STATE_LABEL[c["state"]], where, versions]
        sheet.append([neutralise_formula(v) for v in info] + [None] * len(FILL_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].hidden = True
    sheet.freeze_panes = "C2"
    last = max(len(clues) + 1, 2)
    for header, values in (("处置措施", MEASURES), ("是否移送公安", YES_NO), ("处罚类型", PENALTY_TYPES)):
        letter = get_column_letter(HEADERS.index(header) + 1)
        dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True, showErrorMessage=True)
        dv.error, dv.errorTitle = f"请从下拉框中选择{header}", header
        sheet.add_data_validation(dv)
        dv.add(f"{letter}2:{letter}{last}")
    for i, header in enumerate(HEADERS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = 40 if header == "涉及字样及位置" else max(12, len(header) * 2)
    with atomic_output(output) as tmp:  # complete or absent
        book.save(tmp)
    return len(clues)


@dataclass
class ImportReport:
    rows: int = 0
    recorded: int = 0
    already: int = 0
    problems: list[str] = field(default_factory=list)


def _cell_text(value: Any, name: str) -> tuple[str, str | None]:
    """A cell as the form's text, and what is wrong with its type (if anything)."""
    if value is None:
        return "", None
    if isinstance(value, datetime):
        return value.date().isoformat(), None if name in ("date", "case_date", "penalty_date") else "此处应为文字，而非日期"
    if isinstance(value, date):
        return value.isoformat(), None if name in ("date", "case_date", "penalty_date") else "此处应为文字，而非日期"
    if isinstance(value, bool):
        return str(value), "此处不应为逻辑值"
    if isinstance(value, int | float):
        text = str(int(value)) if float(value).is_integer() else str(value)
        if name in _TEXT_FIELDS:
            return text, f"此处应为文字，而非数字 {text}"
        if name in ("date", "case_date", "penalty_date"):
            return text, f"日期应为 YYYY-MM-DD，而非数字 {text}"
        if value < 0:
            return text, "不应为负数"
        return text, None
    return str(value).strip(), None


def read_sheet(path: str | Path) -> tuple[list[tuple[int, str, Disposal]], list[str], int]:
    """(row, key and form for each filled row, every problem as sheet!cell: problem, rows read)."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    path = Path(path)
    if not path.is_file():
        raise LedgerError(f"找不到文件 / no such file: {path}")
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise LedgerError(f"台账表应为 ledger export 导出的 .xlsx 文件，而非 {path.name}")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise LedgerError(f"无法读取 Excel 文件 / cannot read the workbook {path}: {exc}") from None
    try:
        if SHEET not in book.sheetnames:
            raise LedgerError(f"{path} 中没有工作表「{SHEET}」，不是 ledger export 导出的台账表")
        sheet = book[SHEET]
        it = sheet.iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(it, ())]
        missing = [h for h in HEADERS if h not in header]
        if missing:
            raise LedgerError(f"{SHEET}!1：缺少列 {'、'.join(missing)} / missing columns")
        at = {h: header.index(h) for h in HEADERS}
        forms: list[tuple[int, str, Disposal]] = []
        problems: list[str] = []
        rows = 0
        for r, values in enumerate(it, start=2):
            values = tuple(values) + (None,) * (len(header) - len(values))
            if not any(v not in (None, "") for v in values):
                continue
            rows += 1
            key = str(values[at[KEY_HEADER]] or "").strip()
            texts: dict[str, str] = {}
            for h, name in FILL_COLUMNS:
                ref = f"{SHEET}!{get_column_letter(at[h] + 1)}{r}"
                text, problem = _cell_text(values[at[h]], name)
                texts[name] = text
                if problem:
                    problems.append(f"{ref}: {problem}")
            if not any(texts.values()):
                continue  # nothing filled in: not a disposal
            if not key:
                problems.append(f"{SHEET}!{get_column_letter(at[KEY_HEADER] + 1)}{r}: 键为空 / the key is empty")
                continue
            form = Disposal(**texts).cleaned()
            if not form.date:
                problems.append(f"{SHEET}!{get_column_letter(at['处置日期（YYYY-MM-DD）'] + 1)}{r}: 处置日期为空 / the date is empty")
            for name, problem in form.problems().items():
                if name == "date" and not form.date:
                    continue
                h = next(h for h, n in FILL_COLUMNS if n == name)
                ref = f"{SHEET}!{get_column_letter(at[h] + 1)}{r}"
                if not any(p.startswith(f"{ref}:") for p in problems):
                    problems.append(f"{ref}: {problem}")
            forms.append((r, key, form))
        return forms, problems, rows
    finally:
        book.close()


def import_sheet(ledger: Ledger, path: str | Path, *, by: str) -> ImportReport:
    """Apply a filled export: nothing unless every cell is valid; the same sheet twice records nothing new."""
    if not by.strip():
        raise LedgerError("--by 不能为空 / --by is required")
    forms, problems, rows = read_sheet(path)
    report = ImportReport(rows=rows, problems=problems)

    def work(conn: Connection) -> ImportReport:
        from openpyxl.utils import get_column_letter

        known = _known_keys(conn, sorted({k for _, k, _ in forms}))
        key_col = get_column_letter(HEADERS.index(KEY_HEADER) + 1)
        for row, key, _ in forms:
            if key not in known:
                report.problems.append(f"{SHEET}!{key_col}{row}: 台账中没有键「{key}」/ unknown key")
        if report.problems:
            return report  # nothing applied: the transaction writes nothing
        for _, key, form in forms:
            if add_disposal(conn, key, form, by=by.strip()):
                report.recorded += 1
            else:
                report.already += 1
        return report

    if problems:
        return report
    return ledger.write(work)


def _known_keys(conn: Connection, keys: list[str]) -> set[str]:
    out: set[str] = set()
    for i in range(0, len(keys), 500):
        out.update(k for (k,) in conn.execute(select(entities.c.key).where(entities.c.key.in_(keys[i : i + 500]))))
    return out
