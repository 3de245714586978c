"""The monthly Attachment 2 table: 《YYYY年M月非法金融活动风险线索排查统计表》.

One row per flagged entity, pre-filled from the screening; the columns people fill
after verification (amount, people involved, case dates) are left empty.
"""

from __future__ import annotations

import json
import re
from copy import copy
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from .batch import ERROR_ACTION, results_columns
from .columns import ColumnMap
from .models import ACTIONABLE, CATEGORY_LABELS, Action, Category
from .readers import TableError, read_chunks
from .tables import neutralise_formula, output_file, release_zips, xlsx_safe
from .values import code_key, entity_name

REPORT_COLUMNS = (
    "序号",
    "风险主体名称/个人姓名",
    "所属行业领域",
    "集资方式",
    "线索来源",
    "发现时间（年月日）",
    "涉及地区",
    "涉及金额",
    "涉及人数",
    "是否涉及互联网",
    "是否属于非法集资",
    "拟采取/已采取处置路径（行政/刑事）",
    "立案时间（年月日）",
    "立案罪名",
    "备注",
)
# Attachment 2's notes as the seed prints them (固政办〔2025〕10号 附件2), in full.
NOTES = (
    '备注：1.本表为月报表，统计全县涉嫌新发非法金融活动的风险线索及处置情况，由各乡镇、各单位负责摸排上报，县财政局负责梳理汇总。',
    '2.所属行业是指进行非法金融活动的主体所属的行业，包括该行业内合法主体和打着本行业领域名义进行非法金融活动的情形。表中按照国家统计局发布的行业标准及非法金融活动高发领域对所属行业进行了列举。行业分类应考虑机构实质从事的业务类型，不单以注册名称为划分标准。具体可参照以下6个分类顺序依次填写：（1）虚拟货币、区块链、互联网金融、支付、征信等领域涉非风险；（2）民间投融资、P2P网贷、第三方财富管理公司、非法银行、非法保险等领域涉非风险；（3）私募基金、证券期货、股权众筹、“伪私募”“伪金交所”“产登公司”“拍卖公司”等领域涉非风险；（4）小额贷款、融资性担保、典当、融资租赁、商业保理等领域涉非风险；（5）教育、养老、涉农、商贸服务等其他领域涉非风险；（6）其他。',
    '3.集资方式是指非法集资利用的方式、手段、噱头或幌子等，表中列举了直接借货、委托理财、房屋销售（返本销售、售后包租、约定回购、份额销售）、托管造林、委托种植养殖、商品经销（回购、寄存代售）、发行股票、发行债券、投资入股（股权转让）、募集基金、发行信托、销售保险、社员分红、类传销、销售加盟积分返利、众筹、项目投资、以点击广告做任务为名收取保证金等18种方式。',
    '4.线索来源根据案件实际情况填写“行政机关移送”、“公安排查发现”“群众举报（包括集资参与人或案外人举报、推案、控告等）”、“集资人自首”、“有关部门或地方通据”及其他情形等。',
    '5.是否涉及互联网一项根据案件实际情况填写“线上”、“线下”，“线上线下相结合”或“其他”等情形。',
    '6.如先行政处置后刑事打击的，只需填报刑事立案时间。',
)
_ACTIONABLE_VALUES = frozenset(a.value for a in ACTIONABLE)
# 线索来源 of a clue found by screening the register: the unit's own check, not a hand-over
# (行政机关移送 only when the registry office handed the clues over); the ledger says the same.
SCREENING = "市场监管登记排查"
SOURCE = f"其他（{SCREENING}）"
PENDING = "待核查"
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_HEADER_ROW = 3  # title, unit line, then the column header
_UNIT_PREFIX = "填报单位："


class ReportError(Exception):
    """A report that cannot be built (bad month, results without the screening columns …)."""


@dataclass(frozen=True)
class ReportHeader:
    month: str  # YYYY-MM
    unit: str
    filler: str = ""
    filled_on: date | None = None
    preview: bool = False  # the screened rows of a file, not the table a unit sends (that comes from the ledger)

    @property
    def title(self) -> str:
        m = _MONTH.match(self.month)
        if not m or not 1 <= int(m[2]) <= 12:
            raise ReportError(f"--month 应为 YYYY-MM，如 2025-06，而非 '{self.month}'")
        return f"{int(m[1])}年{int(m[2])}月非法金融活动风险线索排查统计表" + ("（筛查结果预览，非报送表）" if self.preview else "")


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


class PlaceFinder:
    """The administrative places a name or address begins with (安徽省蚌埠市固镇县…)."""

    def __init__(self) -> None:
        text = (resources.files("fangfei_screen") / "data" / "places.txt").read_text(encoding="utf-8")
        self._places = frozenset(line for line in text.splitlines() if line and not line.startswith("#"))
        self._longest = max(map(len, self._places))

    def leading(self, text: str, *, most: int = 3) -> str:
        found: list[str] = []
        pos = 0
        text = text.strip()
        while len(found) < most:
            for size in range(min(self._longest, len(text) - pos), 1, -1):
                if text[pos : pos + size] in self._places:
                    found.append(text[pos : pos + size])
                    pos += size
                    break
            else:
                break
        return "".join(found)


_TOWN = re.compile(r"^[\u4e00-\u9fff]{1,8}?(?:街道|镇|乡)")


def region_of(address: str, name: str, places: PlaceFinder) -> str:
    """涉及地区 as Attachment 2 wants it: the county and the township or town of the
    address (固镇县城关镇), else the places the address or the name begins with."""
    address = "".join(str(address or "").split())
    parts: list[str] = []
    rest = address
    while len(parts) < 4:
        one = places.leading(rest, most=1)
        if not one:
            break
        parts.append(one)
        rest = rest[len(one):]
    # the town after the longest run of places that leaves one (安徽省固镇县|连城镇, not 连城|镇)
    for k in range(len(parts), -1, -1):
        town = _TOWN.match(address[sum(map(len, parts[:k])):])
        # a town that is only the head of the next place is no town (蚌埠市|固镇县: not 固镇)
        if town and len(town.group(0)) > sum(map(len, parts[k:])):
            return (parts[k - 1] if k else "") + town.group(0)
    return "".join(parts[:3]) or places.leading(name)


def _hits(cell: str) -> list[dict[str, Any]]:
    try:
        value = json.loads(cell) if cell else []
    except (TypeError, ValueError):
        return []
    return value if isinstance(value, list) else []


def clue_row(
    *,
    name: str,
    hits: list[dict[str, Any]],
    action: str,
    screened_on: str,
    address: str = "",
    credit_code: str = "",
    places: PlaceFinder,
    where: str = "",
    source: str = SOURCE,
) -> list[Any]:
    """One Attachment 2 row (without 序号) for a flagged entity: from a results file or the ledger."""
    categories = sorted({int(h["category"]) for h in hits})
    methods = list(dict.fromkeys(m for h in hits for m in h.get("methods", [])))
    words = list(dict.fromkeys(h["keyword"] for h in hits))
    region = region_of(address, name, places)
    try:
        when = chinese_date(date.fromisoformat(screened_on) if screened_on else date.today())
    except ValueError:
        raise ReportError(f"{where}：{name} 的 screened_on「{screened_on}」不是 YYYY-MM-DD 日期") from None
    remark = f"建议：{Action(action).label}；涉及字样：{'、'.join(words)}"
    code = code_key(credit_code)  # a code Excel made a number of (9.13403E+17) is not quoted
    if code:
        remark += f"；统一社会信用代码：{code}"
    return [
        name,
        "；".join(CATEGORY_LABELS[Category(c)] for c in categories),
        "、".join(methods),
        source,
        when,
        region,
        "",
        "",
        "线上" if Category.VIRTUAL_CURRENCY in categories else PENDING,
        PENDING,
        "行政",
        "",
        "",
        remark,
    ]


def report_rows(results_path: str | Path) -> list[list[Any]]:
    """Attachment 2 rows (without 序号) for the flagged entities of a results file."""
    return reported_rows([results_path]).rows


@dataclass(frozen=True)
class Reported:
    """Attachment 2 rows from results files, each entity once, and what the clerk must know."""

    rows: list[list[Any]]
    warnings: list[str]


class _Entities:
    """The entities of a report, found again by 统一社会信用代码, else by name where one of the
    two rows has no code (two codes under one name are two entities); one look-up a row."""

    def __init__(self) -> None:
        self.found: dict[str, dict[str, Any]] = {}
        self._by_name: dict[str, list[str]] = {}

    def key(self, code: str, name: str) -> str | None:
        if code and f"code:{code}" in self.found:
            return f"code:{code}"
        for key in self._by_name.get(name, ()):
            if not code or not key.startswith("code:"):
                return key
        return None

    def add(self, code: str, name: str, entity: dict[str, Any]) -> None:
        key = f"code:{code}" if code else f"name:{len(self.found)}"
        self.found[key] = entity
        self._by_name.setdefault(name, []).append(key)


def reported_rows(results_paths: list[str | Path]) -> Reported:
    """Attachment 2 rows (without 序号) for the flagged entities of results files. An entity
    found more than once (the same 统一社会信用代码, else the same name: two sheets or two
    files of one register) is one row holding every word found; rows that could not be
    screened are counted in a warning, since the form cannot show them."""
    places = PlaceFinder()
    entities = _Entities()
    repeated = unscreened = 0
    cache: dict[str, ColumnMap] = {}
    for results_path in results_paths:
        for chunk in read_chunks(results_path):
            frame = chunk.frame
            if "action" not in frame.columns or "hits" not in frame.columns:
                raise ReportError(f"{results_path} 不是 fangfei-screen scan 的结果文件（缺少 action、hits 列）")
            for rec in frame.to_dict("records"):
                if rec["action"] == ERROR_ACTION:
                    unscreened += 1
                if rec["action"] not in _ACTIONABLE_VALUES:
                    continue
                cols = results_columns(frame.columns, rec.get("columns", ""), cache=cache)
                name = entity_name(str(rec[cols.name] or ""), str(rec.get(cols.operator) or "") if cols.operator else "")
                code = str(rec.get(cols.credit_code) or "") if cols.credit_code else ""
                code, plain = code_key(code), "".join(name.split())
                key = entities.key(code, plain)
                if key is not None:
                    repeated += 1
                    entities.found[key]["hits"].extend(_hits(rec["hits"]))
                    continue
                entities.add(code, plain, {
                    "name": name, "hits": _hits(rec["hits"]), "action": rec["action"],
                    "screened_on": str(rec.get("screened_on") or ""),
                    "address": str(rec.get(cols.address, "") or "") if cols.address else "",
                    "credit_code": code, "where": str(results_path),
                })
    rows = [clue_row(places=places, **entity) for entity in entities.found.values()]
    warnings = []
    if repeated:
        warnings.append(f"{repeated} 行与前面的行是同一主体（统一社会信用代码或名称相同，如多个工作表），每个主体只列一行，字样合并")
    if unscreened:
        warnings.append(f"{unscreened} 行无法筛查（结果为 error），未列入报表：请按 scan 的错误说明改正后重新筛查，以免漏报")
    return Reported(rows, warnings)


_CODE_IN_REMARK = re.compile(r"统一社会信用代码：([0-9A-Za-z.+]+)")
_TITLE_MONTH = re.compile(r"^(\d{4})年(\d{1,2})月")


@dataclass(frozen=True)
class Merged:
    """Units' reports merged: the rows, each entity once, and what the clerk must check."""

    rows: list[list[Any]]
    warnings: list[str]


def form_rows(book: Any, *, header_rows: int, width: int) -> list[list[Any]]:
    """The data rows of a printed form (Attachment 2 or 3) as written: after the header rows,
    each numbered row's cells without its 序号, up to the signature line. ``book`` is a path
    or a file object (a form as sent, kept as bytes)."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(book, read_only=True)
    except Exception as exc:
        raise ReportError(f"无法读取报表: {exc}") from None
    try:
        rows = []
        for row in wb.worksheets[0].iter_rows(min_row=header_rows + 1, values_only=True):
            first = row[0] if row else None
            if not isinstance(first, int | float) and not str(first or "").strip().isdigit():
                break  # the signature line after the data
            rows.append(["" if v is None else v for v in row[1 : width + 1]])
        return rows
    finally:
        wb.close()


def code_in_remark(remark: Any) -> str:
    """The 统一社会信用代码 a form's 备注 names (as clue_row writes it), or ""."""
    found = _CODE_IN_REMARK.search(str(remark or ""))
    return code_key(found[1]) if found else ""


def merged_rows(report_paths: list[str], *, month: str | None = None) -> Merged:
    """The data rows of several units' reports: an entity listed by several units (the
    same 统一社会信用代码, else the same name) once, its 备注 naming every unit; a
    warning for each report of another month than ``month`` (or than the first)."""
    import openpyxl

    kept: dict[str, tuple[list[Any], list[str]]] = {}
    warnings: list[str] = []
    months: dict[str, str] = {}
    for path in report_paths:
        if not Path(path).is_file():
            raise TableError(f"找不到报表文件 / no such file: {path}")
        try:
            book = openpyxl.load_workbook(path, read_only=True)
        except Exception as exc:
            raise ReportError(f"无法读取报表 {path}: {exc}") from None
        sheet = book.worksheets[0]
        values = [list(r) for r in sheet.iter_rows(values_only=True)]
        book.close()
        if len(values) < _HEADER_ROW or tuple(values[_HEADER_ROW - 1][: len(REPORT_COLUMNS)]) != REPORT_COLUMNS:
            raise ReportError(f"{path} 不是附件2排查统计表（第{_HEADER_ROW}行不是表头）")
        m = _TITLE_MONTH.match(str(values[0][0] or ""))
        if m:
            months[path] = f"{int(m[1])}-{int(m[2]):02d}"
        unit_cell = str(values[1][0] or "")
        unit = unit_cell.removeprefix(_UNIT_PREFIX).split("（加盖单位公章）")[0].strip()
        for row in values[_HEADER_ROW:]:
            first = row[0]
            if not isinstance(first, int | float) and not str(first or "").strip().isdigit():
                break  # the signature line after the data
            data = ["" if v is None else v for v in row[1 : len(REPORT_COLUMNS)]]
            code = code_in_remark(data[-1])
            key = f"code:{code}" if code else f"name:{''.join(str(data[0]).split())}"
            if key in kept:
                units = kept[key][1]
                if unit and unit not in units:
                    units.append(unit)
                warnings.append(f"{data[0]} 由多个单位报送（{'、'.join(units)}），合并为一行 / listed by several units, merged")
            else:
                kept[key] = (data, [unit] if unit else [])
    wanted = _normal_month(month) if month else next(iter(months.values()), None)
    for path, got in months.items():
        if wanted and got != wanted:
            warnings.insert(0, f"{path} 是 {got} 的报表，不是 {wanted} / a report of another month")
    rows = []
    for data, units in kept.values():
        if units:
            note = f"报送单位：{'、'.join(units)}"
            data[-1] = f"{data[-1]}；{note}" if data[-1] else note
        rows.append(data)
    return Merged(rows, warnings)


def _normal_month(month: str) -> str | None:
    m = _MONTH.match(month)
    return f"{int(m[1])}-{int(m[2]):02d}" if m else None


COLUMN_WIDTHS = (6, 30, 24, 16, 12, 14, 16, 10, 10, 10, 10, 14, 12, 10, 40)  # in characters, A–O
_LINE_POINTS = 15.0  # one line of 11-point text, with leading
_FULL_WIDTH = 1.75  # a CJK character, in column-width units (measured on LibreOffice's rendering)


def _text_width(text: str) -> float:
    """Display width in column-width units: CJK and full-width forms count 1.75."""
    import unicodedata

    return sum(_FULL_WIDTH if unicodedata.east_asian_width(ch) in "WF" else 1.0 for ch in text)


def wrapped_lines(text: str, width: float) -> int:
    """Lines a wrapped cell of ``width`` characters needs for ``text``."""
    import math

    usable = max(1.0, width - 1.5)  # the cell's padding
    return sum(max(1, math.ceil(_text_width(part) / usable)) for part in str(text).split("\n"))


def _print_setup(sheet: Any, *, table: list[list[Any]], last_col: str, last_row: int) -> None:
    """Print as the form it is: A4 landscape, one page wide, the column header repeated
    on every page, rows tall enough for their wrapped text, the notes inside the print
    area. LibreOffice and Excel do not grow rows for wrapped text in a file they did
    not lay out, so the heights are computed here, from ``table`` (the header row and
    the data rows as written): asking the sheet for a row makes openpyxl look over
    every cell of the sheet, which made a report of 9,432 rows take minutes."""
    header_row, last_data = _HEADER_ROW, _HEADER_ROW + len(table) - 1
    total = sum(COLUMN_WIDTHS)
    for r, values in enumerate(table, start=header_row):
        lines = max(wrapped_lines("" if v is None else v, w) for v, w in zip(values, COLUMN_WIDTHS))
        sheet.row_dimensions[r].height = lines * _LINE_POINTS + 4
    sheet.row_dimensions[1].height = 28  # the 16-point title
    for r in range(last_data + 2, last_row + 1):  # the notes, each merged over the full width
        sheet.row_dimensions[r].height = wrapped_lines(sheet.cell(r, 1).value or "", total) * _LINE_POINTS + 2
    print_as_form(sheet, title_rows=f"{header_row}:{header_row}", area=f"A1:{last_col}{last_row}")
    sheet.page_margins.header = sheet.page_margins.footer = 0.3


def print_as_form(sheet: Any, *, title_rows: str, area: str) -> None:
    """The page set-up every printed form shares (Attachments 2 and 3, the feedback list):
    A4 landscape, one page wide and as many down as the rows need, ``title_rows`` repeated
    on every page, centred, pages numbered in Chinese."""
    from openpyxl.worksheet.properties import PageSetupProperties

    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.print_title_rows = title_rows
    sheet.print_area = area
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"


def write_report(rows: list[list[Any]], header: ReportHeader, output: str | Path) -> int:
    """Write the table; returns the number of data rows."""
    import openpyxl
    from openpyxl.styles import Alignment, Border, Font, Side

    title = header.title
    output = Path(output)
    if output.suffix.lower() != ".xlsx":
        raise ReportError("报表输出应为 .xlsx 文件 / the report is written as .xlsx")
    filled_on = header.filled_on or date.today()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "排查统计表"
    width = len(REPORT_COLUMNS)
    last_col = openpyxl.utils.get_column_letter(width)
    sheet.append([title])
    sheet.merge_cells(f"A1:{last_col}1")
    sheet["A1"].font = Font(size=16, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center")
    unit_line = [""] * width
    unit_line[0] = f"{_UNIT_PREFIX}{header.unit}（加盖单位公章）"
    unit_line[8] = f"填报时间：{chinese_date(filled_on)}"
    unit_line[12] = f"填报人：{header.filler}"
    sheet.append([xlsx_safe(v) for v in unit_line])
    sheet.merge_cells("A2:H2")
    sheet.merge_cells("I2:L2")
    sheet.merge_cells(f"M2:{last_col}2")
    sheet.append(list(REPORT_COLUMNS))
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    bold = Font(bold=True)
    for c in range(1, width + 1):
        cell = sheet.cell(_HEADER_ROW, c)
        cell.border, cell.alignment, cell.font = border, wrap, bold
    table: list[list[Any]] = [list(REPORT_COLUMNS)]
    template = None  # every data cell has the same style: set once, then its index copied
    for i, row in enumerate(rows, start=1):
        values = [i, *[neutralise_formula(xlsx_safe(v)) for v in row]]
        sheet.append(values)
        table.append(values)
        r = _HEADER_ROW + i
        for c in range(1, width + 1):
            cell = sheet.cell(r, c)
            if template is None:
                cell.border, cell.alignment = border, wrap
            else:
                cell._style = copy(template)
        if template is None:
            template = sheet.cell(r, 1)._style
    signature = [""] * width
    signature[0] = "负责人："
    signature[5] = f"填表人：{header.filler}"
    signature[10] = f"日期：{chinese_date(filled_on)}"
    sheet.append([xlsx_safe(v) for v in signature])
    last_row = _HEADER_ROW + len(rows) + 1  # the signature line (sheet.max_row looks at every cell)
    for note in NOTES:
        sheet.append([note])
        last_row += 1
        sheet.merge_cells(f"A{last_row}:{last_col}{last_row}")
        sheet.cell(last_row, 1).alignment = Alignment(wrap_text=True, vertical="top")
    for col, w in zip("ABCDEFGHIJKLMNO", COLUMN_WIDTHS):
        sheet.column_dimensions[col].width = w
    _print_setup(sheet, table=table, last_col=last_col, last_row=last_row)
    with output_file(output) as tmp:  # complete or absent, never a half-written table
        try:
            book.save(tmp)
        except OSError as exc:  # a full disk: the zip half-written must not be finished later
            release_zips(exc)
            raise
    return len(rows)
