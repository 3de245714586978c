"""Reports from the ledger: Attachment 2 with the month's new clues (through report.py's
own writer), Attachment 3 (disposals) in the seed's layout, and the feedback list for
the local financial regulator (plan §7)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import select

from fangfei_screen.atomic import atomic_output
from fangfei_screen.models import CATEGORY_LABELS, Action, Category
from fangfei_screen.report import PlaceFinder, ReportError, clue_row, print_as_form, region_of, wrapped_lines

from .db import Ledger, LedgerError
from .decisions import UNLICENSED_BASIS
from .forms import PENALTY_TYPES
from .months import parse_month
from .queries import list_clues
from .schema import disposals, entities

ATT3_GROUPS = (  # (group header, its columns); a group of one column spans two header rows
    ("基本情况", ("序号", "风险主体名称（必填）", "行业领域（必填）", "风险情况描述（必填）", "负责处置的行政机关（必填）", "涉及地区\n（必填）")),
    ("调查认定", ("集资渠道（选填）", "集资金额（万元）（选填）", "未清退金额（万元）（选填）", "参与集资人数（人）（选填）", "未清退人数（人）（选填）")),
    ("移送公安（必填）", ("立案时间（必填）",)),
    # the seed's 处罚 group has an unnamed column after 行政认定: kept, so the form is the seed's
    ("处罚", ("行政认定（选填）", "", "作出处罚时间（选填）", "处罚类型（请直接在表格下拉框中选择）")),
    ("已清退资金金额（选填）万元", ()),
    ("备注", ()),
)
ATT3_COLUMNS = tuple(c for g, cols in ATT3_GROUPS for c in (cols or (g,)))
ATT3_WIDTHS = (6, 28, 20, 30, 16, 14, 12, 10, 10, 10, 10, 12, 12, 6, 12, 14, 12, 36)  # in characters, A–R
FEEDBACK_STATES = {"new": "本月新发", "recurring": "持续（此前已发现）"}
FEEDBACK_WIDTHS = (9, 22, 30, 12, 12, 14, 26, 34, 18, 22)  # in characters, A–J
FEEDBACK_COLUMNS = ("月份", "统一社会信用代码", "主体名称", "报送单位", "台账状态", "涉及字样", "所属行业领域", "字样位置", "清单及版本", "建议")


def _title(month: str, what: str) -> str:
    year, mon = parse_month(month).split("-")
    return f"{int(year)}年{int(mon)}月{what}"


def attachment2_rows(ledger: Ledger, *, month: str, unit: str | None = None) -> list[list[Any]]:
    """Attachment 2 rows for the clues new in ``month``: findings judged other-sense left out,
    clues with nothing else left out entirely."""
    return [row for _, row in attachment2_clues(ledger, month=month, unit=unit)]


def attachment2_clues(ledger: Ledger, *, month: str, unit: str | None = None) -> list[tuple[dict[str, Any], list[Any]]]:
    """(clue, Attachment 2 row) for the clues new in ``month``: hand-recorded ones with their
    facts as typed, screened ones with the unit's 线索来源 and the region of their address."""
    from .clues import SCREENING_ORIGINS

    places = PlaceFinder()
    rows = []
    for clue in list_clues(ledger, month=parse_month(month), unit=unit, state="new"):
        if clue.get("facts"):
            rows.append((clue, manual_row(clue)))
            continue
        hits = [f["hit"] for f in clue["findings"] if f["decision"] != "other_sense"]
        if not hits:
            continue
        source = clue.get("source") or next(iter(SCREENING_ORIGINS.values()))
        row = clue_row(name=clue["name"], hits=hits, action=clue["action"], screened_on=clue["screened_on"],
                       address=clue.get("address", ""), credit_code=clue["credit_code"] or "", places=places,
                       where="台账", source=source)
        if clue.get("licence") is not None and not clue["licence"]["licensed"]:
            row[-1] = f"{row[-1]}；{UNLICENSED_BASIS}"
        rows.append((clue, row))
    return rows


def manual_row(clue: dict[str, Any]) -> list[Any]:
    """The Attachment 2 row of a hand-recorded clue (without 序号)."""
    from datetime import date

    from fangfei_screen.report import chinese_date

    from .clues import ORIGINS, category_of

    f = clue["facts"]
    category = category_of(f["category"])

    def day(text: str) -> str:
        return chinese_date(date.fromisoformat(text)) if text else ""

    remark = "；".join(x for x in (f["remark"], f"统一社会信用代码：{clue['credit_code']}" if clue.get("credit_code") else "") if x)
    return [
        clue["name"], CATEGORY_LABELS[category] if category else f["category"], f["method"],
        ORIGINS.get(f["origin"], f["origin"]), day(f["found_on"]), f["region"], _number(f["amount"]), _number(f["people"]),
        f["internet"], f["illegal"], f["path"], day(f["case_date"]), f["charge"], remark,
    ]


def attachment3_rows(ledger: Ledger, *, month: str, unit: str | None = None) -> list[list[Any]]:
    """One row (without 序号) per clue with a disposal dated in ``month``."""
    month = parse_month(month)
    with ledger.reading() as conn:
        q = (
            select(disposals, entities.c.name, entities.c.unit, entities.c.address, entities.c.credit_code)
            .join(entities, entities.c.key == disposals.c.key)
            .where(disposals.c.month == month)
            .order_by(disposals.c.key, disposals.c.date, disposals.c.id)
        )
        if unit:
            q = q.where(entities.c.unit == unit)
        by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in conn.execute(q).mappings():
            by_key[r["key"]].append(dict(r))
    if not by_key:
        return []
    clues = {c["key"]: c for c in list_clues(ledger, unit=unit, upto=month)}  # as the clue stood that month
    places = PlaceFinder()
    rows = []
    for key, ds in by_key.items():
        def latest(name: str) -> str:
            return next((str(d[name]) for d in reversed(ds) if str(d[name] or "").strip()), "")

        first = ds[0]
        clue = clues.get(key, {})
        counted = [f for f in clue.get("findings", []) if f["decision"] != "other_sense"]
        words = list(dict.fromkeys(f["term"] for f in counted))
        categories = sorted({int(f["hit"]["category"]) for f in counted})
        description = latest("description") or (
            f"名称或经营范围含“{'、'.join(words)}”等可能涉及金融活动的字样" if words else "名称或经营范围含可能涉及金融活动的字样"
        )
        police = latest("police")
        case = latest("case_date") or ("已移送" if police == "是" else "未移送" if police == "否" else "")
        measures = "；".join(f"{d['date'].isoformat()} {d['measure']}（{d['by']}）" for d in ds)
        remark = "；".join(x for x in (f"处置措施：{measures}", latest("remark"),
                                       f"统一社会信用代码：{first['credit_code']}" if first["credit_code"] else "") if x)
        rows.append([
            clue.get("name") or first["name"],
            "；".join(CATEGORY_LABELS[Category(c)] for c in categories),
            description,
            latest("authority") or first["unit"],
            latest("region") or region_of(first["address"] or "", first["name"], places),
            latest("channel"),
            _number(latest("amount")),
            _number(latest("unrefunded_amount")),
            _number(latest("participants")),
            _number(latest("unrefunded_people")),
            case,
            latest("admin_finding"),
            "",  # the seed's unnamed column
            latest("penalty_date"),
            latest("penalty_type"),
            _number(latest("refunded_amount")),
            remark,
        ])
    return rows


def _number(text: str) -> Any:
    if not text:
        return ""
    value = float(text)
    return int(value) if value.is_integer() else value


def write_attachment3(rows: list[list[Any]], *, month: str, unit: str, output: str | Path, filler: str = "") -> int:
    """《YYYY年M月非法金融活动打击处置情况统计表》 in the seed's layout; returns the number of rows."""
    import openpyxl
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from fangfei_screen.tables import neutralise_formula

    output = Path(output)
    if output.suffix.lower() != ".xlsx":
        raise ReportError("报表输出应为 .xlsx 文件 / the report is written as .xlsx")
    if not output.parent.exists():
        raise LedgerError(f"输出目录不存在 / no such directory: {output.parent}")
    title = _title(month, "非法金融活动打击处置情况统计表")
    width = len(ATT3_COLUMNS)
    last = get_column_letter(width)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "处置情况统计表"
    sheet.append([title])
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"].font = Font(size=16, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center")
    unit_line = [""] * width
    unit_line[0] = f"填报单位：{unit}（加盖单位公章）"
    sheet.append(unit_line)
    sheet.merge_cells(f"A2:{get_column_letter(width - 4)}2")
    # rows 3 and 4: the grouped header; a group of one column spans both rows
    col = 1
    for group, cols in ATT3_GROUPS:
        span = len(cols) or 1
        sheet.cell(row=3, column=col, value=group)
        if cols:
            if span > 1:
                sheet.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + span - 1)
            for i, name in enumerate(cols):
                sheet.cell(row=4, column=col + i, value=name)
        else:
            sheet.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
        col += span
    for i, row in enumerate(rows, start=1):
        sheet.append([i, *[neutralise_formula(v) for v in row]])
    thin = Side(style="thin")
    end = 4 + max(len(rows), 1)
    for r in sheet.iter_rows(min_row=3, max_row=end, max_col=width):
        for cell in r:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center" if cell.row <= 4 else None)
            if cell.row <= 4:
                cell.font = Font(bold=True)
    penalty_col = get_column_letter(ATT3_COLUMNS.index("处罚类型（请直接在表格下拉框中选择）") + 1)
    dv = DataValidation(type="list", formula1='"' + ",".join(PENALTY_TYPES) + '"', allow_blank=True)
    dv.error, dv.errorTitle = "请从下拉框中选择《行政处罚法》第九条所列的处罚种类", "处罚类型"
    sheet.add_data_validation(dv)
    dv.add(f"{penalty_col}5:{penalty_col}{max(end, 4 + 200)}")
    signature = [""] * width
    signature[0] = "负责人："
    signature[5] = f"填表人：{filler}"
    signature[11] = "日期："
    sheet.append(signature)
    for letter, w in zip((get_column_letter(i) for i in range(1, width + 1)),
                         ATT3_WIDTHS):
        sheet.column_dimensions[letter].width = w
    # LibreOffice and Excel do not grow rows for wrapped text in a file they did not lay
    # out: each row's height is computed from its longest cell, as for Attachment 2
    sheet.row_dimensions[1].height = 28
    widths = dict(zip(range(1, width + 1), ATT3_WIDTHS))
    spans = {(rng.min_row, rng.min_col): sum(widths[c] for c in range(rng.min_col, rng.max_col + 1))
             for rng in sheet.merged_cells.ranges if rng.min_row == rng.max_row}
    tall = {(rng.min_row, rng.min_col) for rng in sheet.merged_cells.ranges if rng.min_row == 3 and rng.max_row == 4}
    heights: dict[int, int] = {}
    for r in range(3, sheet.max_row + 1):
        cells = [c for c in sheet[r] if c.column <= width and (r, c.column) not in tall]
        heights[r] = max([1] + [wrapped_lines(c.value or "", spans.get((r, c.column), widths[c.column])) for c in cells])
    # a group of one column spans rows 3 and 4: the two rows together hold its text
    need = max([1] + [wrapped_lines(sheet.cell(3, col).value or "", widths[col]) for _, col in tall])
    heights[4] = max(heights[4], need - heights[3])
    for r, lines in heights.items():
        sheet.row_dimensions[r].height = lines * 15.0 + 4
    print_as_form(sheet, title_rows="3:4", area=f"A1:{last}{sheet.max_row}")
    with atomic_output(output) as tmp:  # complete or absent
        book.save(tmp)
    return len(rows)


def feedback_rows(ledger: Ledger, *, month: str, unit: str | None = None) -> list[list[Any]]:
    """The entities put under key supervision in ``month`` (open clues not judged other-sense)."""
    month = parse_month(month)
    out = []
    for c in list_clues(ledger, month=month, unit=unit):
        if c["state"] not in ("new", "recurring") or c["other_sense"]:
            continue
        counted = [f for f in c["findings"] if f["decision"] != "other_sense"]
        categories = sorted({int(f["hit"]["category"]) for f in counted})
        if c.get("facts"):  # a hand-recorded clue: its category and how it was found
            from .clues import category_of

            found = category_of(c["facts"]["category"])
            out.append([month, c["credit_code"] or "", c["name"], c["unit"], FEEDBACK_STATES.get(c["state"], c["state"]), "",
                        CATEGORY_LABELS[found] if found else c["facts"]["category"], f"线索来源：{c['facts']['origin']}", "", ""])
            continue
        out.append([
            month, c["credit_code"] or "", c["name"], c["unit"], FEEDBACK_STATES.get(c["state"], c["state"]), "、".join(c["terms"]),
            "；".join(CATEGORY_LABELS[Category(x)] for x in categories),
            "；".join(f"{'名称' if f['field'] == 'name' else '经营范围'}「{f['context']}」" for f in counted),
            "；".join(sorted({f"{f['list']} {f['list_version']}" for f in counted})),
            Action(c["action"]).label if c["action"] in Action._value2member_map_ else "",
        ])
    return out


def write_feedback(rows: list[list[Any]], *, month: str, output: str | Path, unit: str = "") -> int:
    """重点监管对象反馈名单 for the local financial regulator (plan §7): as .xlsx a titled,
    printable form (the month, the unit, A4 landscape, rows tall enough for their text);
    as .csv, .parquet or .jsonl the plain table."""
    output = Path(output)
    if output.suffix.lower() != ".xlsx":
        import pandas as pd

        from fangfei_screen.tables import TableWriter

        writer = TableWriter(output)
        writer.write(pd.DataFrame(rows, columns=list(FEEDBACK_COLUMNS), dtype=object))
        writer.close()
        return len(rows)
    import openpyxl
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    from fangfei_screen.tables import neutralise_formula

    if not output.parent.exists():
        raise LedgerError(f"输出目录不存在 / no such directory: {output.parent}")
    width = len(FEEDBACK_COLUMNS)
    last = get_column_letter(width)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "重点监管对象反馈名单"
    sheet.append([_title(month, "重点监管对象反馈名单")])
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"].font = Font(size=16, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center")
    line = [""] * width
    line[0] = f"报送单位：{unit or '全县各单位'}"
    line[6] = "报送对象：地方金融管理部门（工作方案第七条）"
    sheet.append(line)
    sheet.merge_cells("A2:F2")
    sheet.merge_cells(f"G2:{last}2")
    sheet.append(list(FEEDBACK_COLUMNS))
    for row in rows:
        sheet.append([neutralise_formula(v) for v in row])
    thin = Side(style="thin")
    end = 3 + max(len(rows), 1)
    widths = dict(zip(range(1, width + 1), FEEDBACK_WIDTHS))
    for r in sheet.iter_rows(min_row=3, max_row=end, max_col=width):
        for cell in r:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center" if cell.row == 3 else None)
            if cell.row == 3:
                cell.font = Font(bold=True)
    sheet.append([])
    sheet.append(["填表人：", "", "", "", "", "", "日期："])
    for i, w in widths.items():
        sheet.column_dimensions[get_column_letter(i)].width = w
    sheet.row_dimensions[1].height = 28
    for r in range(3, end + 1):
        sheet.row_dimensions[r].height = max(wrapped_lines(c.value or "", widths[c.column]) for c in sheet[r] if c.column <= width) * 15.0 + 4
    print_as_form(sheet, title_rows="3:3", area=f"A1:{last}{sheet.max_row}")
    with atomic_output(output) as tmp:  # complete or absent
        book.save(tmp)
    return len(rows)


__all__ = ["ATT3_COLUMNS", "FEEDBACK_COLUMNS", "attachment2_rows", "attachment3_rows", "feedback_rows", "write_attachment3", "write_feedback"]
