"""Three months of one township's ledger, end to end, with the reports checked cell by cell."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest

from fangfei_screen.ledger import Ledger
from fangfei_screen.ledger.decisions import dispose, review
from fangfei_screen.ledger.forms import PENALTY_TYPES, Disposal
from fangfei_screen.ledger.ingest import ingest
from fangfei_screen.ledger.queries import list_clues
from fangfei_screen.ledger.reports import (
    ATT3_COLUMNS,
    FEEDBACK_COLUMNS,
    attachment2_rows,
    attachment3_rows,
    feedback_rows,
    write_attachment3,
    write_feedback,
)
from fangfei_screen.ledger.sheets import HEADERS, export_sheet, import_sheet
from fangfei_screen.report import REPORT_COLUMNS, ReportHeader, write_report

from .ledger_db import db_url, ledger, screened_file  # noqa: F401 - fixtures
from .test_ledger import A, B, C, D, E

UNIT = "城关镇"


def cells(path: Path) -> list[list[object]]:
    return [list(r) for r in openpyxl.load_workbook(path).active.iter_rows(values_only=True)]


def att2(ledger: Ledger, month: str, out: Path) -> list[list[object]]:
    write_report(attachment2_rows(ledger, month=month, unit=UNIT), ReportHeader(month=month, unit=UNIT, filler="张三"), out)
    rows = cells(out)
    assert rows[2][: len(REPORT_COLUMNS)] == list(REPORT_COLUMNS)
    return [r for r in rows[3:] if isinstance(r[0], int)]


def att3(ledger: Ledger, month: str, out: Path) -> list[list[object]]:
    write_attachment3(attachment3_rows(ledger, month=month, unit=UNIT), month=month, unit=UNIT, output=out)
    book = openpyxl.load_workbook(out)
    sheet = book.active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    y, m = month.split("-")
    assert rows[0][0] == f"{int(y)}年{int(m)}月非法金融活动打击处置情况统计表"
    assert rows[1][0] == f"填报单位：{UNIT}（加盖单位公章）"
    assert [rows[2][i] for i in (0, 6, 11, 12, 16, 17)] == ["基本情况", "调查认定", "移送公安（必填）", "处罚", "已清退资金金额（选填）万元", "备注"]
    assert tuple(v or "" for v in rows[3][:16]) == ATT3_COLUMNS[:16]
    assert rows[3][12:14] == ["行政认定（选填）", None]  # the seed's unnamed column after 行政认定, kept
    assert {str(r) for r in sheet.merged_cells.ranges} >= {"A3:F3", "G3:K3", "M3:P3", "Q3:Q4", "R3:R4"}
    assert (sheet.page_setup.orientation, sheet.print_title_rows, sheet.page_setup.fitToWidth) == ("landscape", "$3:$4", 1)
    (dv,) = sheet.data_validations.dataValidation
    assert dv.formula1.strip('"').split(",") == list(PENALTY_TYPES) and str(dv.sqref).startswith("P5:")
    return [r for r in rows[4:] if isinstance(r[0], int)]


def fill_export(path: Path, filled: dict[str, dict[str, object]]) -> None:
    book = openpyxl.load_workbook(path)
    sheet = book["台账"]
    for row in sheet.iter_rows(min_row=2):
        values = filled.get(str(row[0].value))
        for header, value in (values or {}).items():
            row[HEADERS.index(header)].value = value
    book.save(path)


def test_three_months(ledger: Ledger, tmp_path: Path) -> None:
    # Month 1: three clues; the reviewer finds 积分 in B is membership points, not finance.
    m1 = ingest(ledger, screened_file(tmp_path, "m1", [A, B, C, D]), month="2025-06", unit=UNIT, by="李四")
    assert dict(m1.states) == {"new": 3}
    review(ledger, B[0], term="积分", decision="other_sense", reason="会员积分，非金融", by="赵审")
    rows = att2(ledger, "2025-06", tmp_path / "a2-06.xlsx")
    assert [r[1] for r in rows] == [A[1], C[1]]  # B left the report
    assert rows[0] == [1, A[1], "民间投融资、P2P网贷、第三方财富管理、非法银行、非法保险", "项目投资、投资入股", "其他（市场监管登记排查）",
                       "2025年6月30日", "固镇县城关镇", None, None, "待核查", "待核查", "行政", None, None,
                       f"建议：督促限期注销或变更名称、经营范围；涉及字样：投资；统一社会信用代码：{A[0]}"]
    assert rows[1][:6] == [2, C[1], "小额贷款、融资性担保、典当、融资租赁、商业保理", "商品经销、直接借贷", "其他（市场监管登记排查）", "2025年6月30日"]
    assert rows[1][6] == "固镇县"
    # the office fills the exported sheet: A was interviewed and fined
    sheet = tmp_path / "台账-06.xlsx"
    assert export_sheet(ledger, month="2025-06", output=sheet) == 2
    fill_export(sheet, {A[0]: {"处置措施": "约谈", "处置日期（YYYY-MM-DD）": date(2025, 6, 20), "负责处置的行政机关": "固镇县市场监督管理局",
                               "是否移送公安": "否", "处罚类型": "罚款", "作出处罚时间（YYYY-MM-DD）": "2025-06-25", "集资金额（万元）": 12.5,
                               "参与集资人数（人）": 30}})
    first = import_sheet(ledger, sheet, by="李四")
    assert (first.problems, first.recorded) == ([], 1)
    assert import_sheet(ledger, sheet, by="李四").recorded == 0  # re-import: nothing new
    rows3 = att3(ledger, "2025-06", tmp_path / "a3-06.xlsx")
    assert rows3 == [[1, A[1], "民间投融资、P2P网贷、第三方财富管理、非法银行、非法保险", "名称或经营范围含“投资”等可能涉及金融活动的字样",
                      "固镇县市场监督管理局", "固镇县城关镇", None, 12.5, None, 30, None, "未移送", None, None, "2025-06-25", "罚款", None,
                      f"处置措施：2025-06-20 约谈（李四）；统一社会信用代码：{A[0]}"]]

    # Month 2: A renamed (resolved), E new, C unchanged (recurring), B unchanged (still other-sense).
    renamed = (A[0], "固镇县鑫源商贸有限公司", "存续", A[3], "日用百货销售")
    m2 = ingest(ledger, screened_file(tmp_path, "m2", [renamed, B, C, D, E], as_of="2025-07-31"), month="2025-07", unit=UNIT, by="李四")
    assert dict(m2.states) == {"resolved": 1, "new": 1, "recurring": 2}
    july = {c["key"]: c for c in list_clues(ledger, month="2025-07")}
    assert july[A[0]]["state"] == "resolved" and july[A[0]]["name"] == "固镇县鑫源商贸有限公司"
    assert july[B[0]]["other_sense"] and july[C[0]]["state"] == "recurring"
    rows = att2(ledger, "2025-07", tmp_path / "a2-07.xlsx")
    assert [r[1:6] for r in rows] == [[E[1], "虚拟货币、区块链、互联网金融、支付、征信", "项目投资", "其他（市场监管登记排查）", "2025年7月31日"]]
    assert rows[0][9] == "线上"
    dispose(ledger, C[0], Disposal(measure="责令整改", date="2025-07-10", police="是", case_date="2025-07-15",
                                   description="寄卖行吸收公众资金", refunded_amount="3"), by="王五")
    rows3 = att3(ledger, "2025-07", tmp_path / "a3-07.xlsx")
    assert [(r[1], r[3], r[11], r[16]) for r in rows3] == [(C[1], "寄卖行吸收公众资金", "2025-07-15", 3)]
    assert att3(ledger, "2025-06", tmp_path / "a3-06b.xlsx")[0][1] == A[1]  # June's table unchanged by July
    # the feedback list for the financial regulator: July's supervised entities, with words and list version
    fb = tmp_path / "feedback-07.xlsx"
    assert write_feedback(feedback_rows(ledger, month="2025-07", unit=UNIT), month="2025-07", output=fb, unit=UNIT) == 2
    got = cells(fb)
    assert got[0][0] == "2025年7月重点监管对象反馈名单" and got[1][0] == f"报送单位：{UNIT}"
    assert got[2] == list(FEEDBACK_COLUMNS)
    assert [(r[1], r[2], r[4], r[5], r[8]) for r in got[3:5]] == [
        (C[0], C[1], "持续（此前已发现）", "寄卖", "attachment1 2025-05-30"), (None, E[1], "本月新发", "区块链", "attachment1 2025-05-30"),
    ]
    assert openpyxl.load_workbook(fb).active.page_setup.orientation == "landscape"

    # Month 3: C deregistered (closed); B's scope changed, so the decision reopens.
    closed_c = (C[0], C[1], "注销", C[3], C[4])
    changed_b = (*B[:4], "日用百货销售；积分兑换服务")
    m3 = ingest(ledger, screened_file(tmp_path, "m3", [changed_b, closed_c, D, E], as_of="2025-08-31"), month="2025-08", unit=UNIT, by="李四")
    assert dict(m3.states) == {"closed": 1, "recurring": 2} and m3.reopened == 1
    aug = {c["key"]: c for c in list_clues(ledger, month="2025-08")}
    assert aug[C[0]]["state"] == "closed" and not aug[B[0]]["other_sense"]
    assert att2(ledger, "2025-08", tmp_path / "a2-08.xlsx") == []  # nothing new in August
    assert att3(ledger, "2025-08", tmp_path / "a3-08.xlsx") == []


def test_import_problems_name_their_cells_and_apply_nothing(ledger: Ledger, tmp_path: Path) -> None:
    ingest(ledger, screened_file(tmp_path, "m1", [A, C]), month="2025-06", unit=UNIT, by="李四")
    sheet = tmp_path / "t.xlsx"
    export_sheet(ledger, month="2025-06", output=sheet)
    fill_export(sheet, {
        A[0]: {"处置措施": "约谈", "处置日期（YYYY-MM-DD）": "2025-06-20"},  # valid, yet not applied
        C[0]: {"处置措施": "喝茶", "处置日期（YYYY-MM-DD）": "2025/6/31", "负责处置的行政机关": 42, "是否移送公安": "也许",
               "处罚类型": "打板子", "参与集资人数（人）": 2.5, "立案时间（YYYY-MM-DD）": "2025年13月1日"},
    })
    book = openpyxl.load_workbook(sheet)
    book["台账"].append(["91340323NOSUCHKEY0", None, None, None, None, None, None, None, "约谈", "2025-06-01"])
    book.save(sheet)
    report = import_sheet(ledger, sheet, by="李四")
    col = {h: openpyxl.utils.get_column_letter(i + 1) for i, h in enumerate(HEADERS)}
    assert sorted(p.split(":")[0] for p in report.problems) == sorted([
        f"台账!{col['处置措施']}3", f"台账!{col['处置日期（YYYY-MM-DD）']}3", f"台账!{col['负责处置的行政机关']}3",
        f"台账!{col['是否移送公安']}3", f"台账!{col['处罚类型']}3", f"台账!{col['参与集资人数（人）']}3",
        f"台账!{col['立案时间（YYYY-MM-DD）']}3",
    ])
    assert report.recorded == 0 and list_clues(ledger, month="2025-06", state="disposed") == []
    # fixed except the unknown key: still nothing applied, and the key's cell is named
    fill_export(sheet, {C[0]: {"处置措施": "约谈", "处置日期（YYYY-MM-DD）": "2025-06-01", "负责处置的行政机关": "镇政府", "是否移送公安": "否",
                               "处罚类型": None, "参与集资人数（人）": 2, "立案时间（YYYY-MM-DD）": None}})
    report = import_sheet(ledger, sheet, by="李四")
    assert report.problems == ["台账!A4: 台账中没有键「91340323NOSUCHKEY0」/ unknown key"]
    assert list_clues(ledger, month="2025-06", state="disposed") == []


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_other_result_formats_ingest_alike(tmp_path: Path, suffix: str) -> None:
    led_csv = Ledger.open(f"sqlite:///{tmp_path / 'a.db'}")
    led_other = Ledger.open(f"sqlite:///{tmp_path / 'b.db'}")
    ingest(led_csv, screened_file(tmp_path, "c", [A, B, C, D, E]), month="2025-06", unit=UNIT, by="x")
    ingest(led_other, screened_file(tmp_path, "o", [A, B, C, D, E], suffix=suffix), month="2025-06", unit=UNIT, by="x")
    strip = lambda cs: [{k: v for k, v in c.items() if k != "findings"} for c in cs]  # noqa: E731
    assert strip(list_clues(led_csv)) == strip(list_clues(led_other)) and len(list_clues(led_csv)) == 4
