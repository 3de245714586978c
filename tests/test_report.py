"""The Attachment 2 table, checked cell by cell with openpyxl."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from fangfei_screen.cli import main
from fangfei_screen.report import NOTES, REPORT_COLUMNS

from .test_bulk import HEADER, ROWS, write_csv

CODE_COLUMN, NAME_COLUMN = HEADER[0], HEADER[1]


@pytest.fixture()
def results(tmp_path: Path) -> Path:
    src = write_csv(tmp_path / "in.csv", ROWS, "gbk")
    out = tmp_path / "screened.csv"
    assert main(["scan", str(src), "-o", str(out), "--as-of", "2025-06-30"]) == 0
    return out


def load(path: Path) -> list[list[object]]:
    return [list(r) for r in openpyxl.load_workbook(path).active.iter_rows(values_only=True)]


def test_report_header_rows_and_footer(tmp_path: Path, results: Path) -> None:
    out = tmp_path / "排查统计表.xlsx"
    assert main(["report", str(results), "--month", "2025-06", "--unit", "固镇县市场监督管理局", "--filler", "张三", "-o", str(out)]) == 0
    cells = load(out)
    today = date.today()
    assert cells[0][0] == "2025年6月非法金融活动风险线索排查统计表"
    assert cells[1][0] == "填报单位：固镇县市场监督管理局（加盖单位公章）"
    assert cells[1][8] == f"填报时间：{today.year}年{today.month}月{today.day}日"
    assert cells[1][12] == "填报人：张三"
    assert tuple(cells[2]) == REPORT_COLUMNS
    assert len(REPORT_COLUMNS) == 15
    data = cells[3:7]
    # flagged rows only: order_rename, propose_revocation, propose_revocation, order_rename
    assert [r[0] for r in data] == [1, 2, 3, 4]
    assert [r[1] for r in data] == [ROWS[0][1], ROWS[2][1], ROWS[3][1], ROWS[4][1]]
    first = data[0]
    assert first[2] == "民间投融资、P2P网贷、第三方财富管理、非法银行、非法保险"
    assert first[3] == "项目投资、投资入股"
    assert first[4] == "其他（市场监管登记排查）"  # the unit's own screening, as the ledger says (not a hand-over)
    assert first[5] == "2025年6月30日"
    assert first[6] == "安徽省蚌埠市固镇县"  # from 住所
    assert first[7] is None and first[8] is None and first[12] is None and first[13] is None
    assert first[9] == "待核查" and first[10] == "待核查" and first[11] == "行政"
    assert first[14] == "建议：督促限期注销或变更名称、经营范围；涉及字样：投资；统一社会信用代码：91340323MA0000001X"
    blockchain = data[2]
    assert blockchain[2] == "虚拟货币、区块链、互联网金融、支付、征信"
    assert blockchain[9] == "线上"  # category 1
    assert blockchain[6] == "蚌埠市"  # no address: the name's place prefix
    assert blockchain[14].startswith("建议：提请吊销营业执照")
    footer = cells[7]
    assert footer[0] == "负责人：" and footer[5] == "填表人：张三" and footer[10].startswith("日期：")
    assert [r[0] for r in cells[8:]] == list(NOTES)


def test_merge_numbers_rows_anew_removes_duplicates_and_warns_on_months(
    tmp_path: Path, results: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 湖沟镇 lists one entity of 城关镇 again (same credit code, name spelt with a space) and one of its own
    other = write_csv(tmp_path / "b.csv", [[ROWS[0][0], "固镇县鑫源投资管理 有限公司", *ROWS[0][2:]],
                                           ["91340323MA0000099X", "固镇县新起点众筹服务部", *ROWS[1][2:]]], "utf-8")
    other_out = tmp_path / "b-screened.csv"
    assert main(["scan", str(other), "-o", str(other_out), "--as-of", "2025-06-30"]) == 0
    a, b, may, county = (tmp_path / f"{n}.xlsx" for n in ("a", "b", "may", "county"))
    assert main(["report", str(results), "--month", "2025-06", "--unit", "城关镇", "-o", str(a)]) == 0
    assert main(["report", str(other_out), "--month", "2025-06", "--unit", "湖沟镇", "-o", str(b)]) == 0
    assert main(["report", str(other_out), "--month", "2025-05", "--unit", "新马桥镇", "-o", str(may)]) == 0
    capsys.readouterr()
    assert main(["report", "--merge", str(a), str(b), "--month", "2025-06", "--unit", "固镇县财政局", "-o", str(county)]) == 0
    assert "WARNING" in capsys.readouterr().out
    cells = load(county)
    data = cells[3:8]
    assert [r[0] for r in data] == [1, 2, 3, 4, 5]  # 4 of 城关镇 + 1 new of 湖沟镇; the shared one once
    assert data[0][1] == ROWS[0][1] and data[0][14].endswith("报送单位：城关镇、湖沟镇")
    assert all(r[14].endswith("报送单位：城关镇") for r in data[1:4])
    assert data[4][1] == "固镇县新起点众筹服务部" and data[4][14].endswith("报送单位：湖沟镇")
    assert cells[8][0] == "负责人："
    assert cells[1][0] == "填报单位：固镇县财政局（加盖单位公章）"
    assert main(["report", "--merge", str(a), str(may), "--month", "2025-06", "--unit", "固镇县财政局", "-o", str(county)]) == 0
    out = capsys.readouterr().out
    assert "是 2025-05 的报表，不是 2025-06" in out and str(may) in out


def test_report_date_and_print_setup(tmp_path: Path, results: Path) -> None:
    out = tmp_path / "r.xlsx"
    assert main(["report", str(results), "--month", "2025-06", "--unit", "u", "--date", "2025年7月3日", "-o", str(out)]) == 0
    sheet = openpyxl.load_workbook(out).active
    assert sheet["I2"].value == "填报时间：2025年7月3日"
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1
    assert sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows == "$3:$3"
    assert sheet.print_area in ("'排查统计表'!$A$1:$O$14", "排查统计表!$A$1:$O$14")  # the notes (rows 9–14) inside
    heights = [sheet.row_dimensions[r].height for r in range(4, 8)]
    assert all(h and h >= 30 for h in heights)  # wrapped text gets room
    assert main(["report", str(results), "--month", "2025-06", "--unit", "u", "--date", "someday", "-o", str(out)]) == 2


@pytest.mark.needs_tools("libreoffice", "pdftotext", "pdffonts")
def test_attachment2_prints_as_a_form(tmp_path: Path, results: Path) -> None:
    """Rendered by LibreOffice: A4 landscape, the title and all columns on page 1, the
    column header again on page 2, the notes printed."""
    import pandas as pd

    df = pd.read_csv(results, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    flagged = df[df["action"].isin(["order_rename", "propose_revocation"])]
    # 60 clues: more than one page (15 branches of each flagged entity: distinct names and codes,
    # since the report lists an entity found twice once)
    copies = []
    for i in range(15):
        copy = flagged.copy()
        copy[NAME_COLUMN] = copy[NAME_COLUMN] + f"第{i + 1}分公司"
        copy[CODE_COLUMN] = ""
        copies.append(copy)
    many = pd.concat(copies, ignore_index=True)
    big = tmp_path / "many.csv"
    many.to_csv(big, index=False)
    out = tmp_path / "r.xlsx"
    assert main(["report", str(big), "--month", "2025-06", "--unit", "固镇县市场监督管理局", "-o", str(out)]) == 0
    subprocess.run(["libreoffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(out)],
                   check=True, capture_output=True, timeout=180, env={**__import__("os").environ, "HOME": str(tmp_path)})
    pdf = tmp_path / "r.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info)[1])
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert w > h and abs(w - 841.9) < 2  # A4 landscape
    assert 2 <= pages <= 6
    page = [subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout for n in (1, 2, pages)]
    assert "2025年6月非法金融活动风险线索排查统计表" in page[0]
    assert "备注" in page[0] and "立案罪名" in page[0]  # the last columns fit on page 1
    assert "风险主体名称" in page[1]  # the header repeated
    assert "6.如先行政处置后刑事打击的" in page[2].replace(" ", "")  # the notes are printed
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "CJK" in fonts, fonts  # a real Chinese font, not boxes (fonts-noto-cjk, installed by .ci/run)


def test_report_refuses_a_file_that_is_not_results(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", ROWS, "utf-8")
    assert main(["report", str(src), "--month", "2025-06", "--unit", "u", "-o", str(tmp_path / "r.xlsx")]) == 2


def test_a_results_file_with_a_bad_date_is_refused_in_one_line(tmp_path: Path, results: Path) -> None:
    import pandas as pd

    df = pd.read_csv(results, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    df.loc[0, "screened_on"] = "2025-13-45"
    broken = tmp_path / "broken.csv"
    df.to_csv(broken, index=False)
    proc = subprocess.run(
        [sys.executable, "-m", "fangfei_screen", "report", str(broken), "--month", "2025-06", "--unit", "u",
         "-o", str(tmp_path / "r.xlsx")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "screened_on「2025-13-45」" in proc.stderr and "Traceback" not in proc.stderr


def test_an_entity_on_two_sheets_is_one_row_and_unscreened_rows_are_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a trial: a workbook with a sheet per month listed the same company twice, and a row scan could
    # not screen (an uncalculated formula where the name stands) vanished from the form without a word
    book = openpyxl.Workbook()
    header = ["统一社会信用代码", "企业名称", "经营范围", "登记状态"]
    first = book.active
    first.title = "五月"
    first.append(header)
    first.append(["91340323MA2N0XXX1X", "固镇县鑫源投资管理有限公司", "以自有资金从事投资活动", "存续"])
    first.append(["", "固镇县好运百货店", "日用百货销售", "存续"])
    second = book.create_sheet("六月")
    second.append(header)
    second.append(["91340323MA2N0XXX1X", "固镇县鑫源投资管理有限公司", "以自有资金从事投资活动；区块链技术服务", "存续"])
    second.append(["", "=B2&\"分公司\"", "非融资性担保", ""])
    second.append(["", "固镇县鑫源投资管理有限公司", "股权投资", "存续"])  # no code: the name is the key
    src = tmp_path / "months.xlsx"
    book.save(src)
    screened = tmp_path / "screened.csv"
    assert main(["scan", str(src), "-o", str(screened)]) == 0
    capsys.readouterr()
    out = tmp_path / "r.xlsx"
    assert main(["report", str(screened), "--month", "2025-06", "--unit", "城关镇", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    names = [r[1] for r in load(out)[3:] if isinstance(r[0], int)]
    assert names.count("固镇县鑫源投资管理有限公司") == 1
    remark = [r for r in load(out)[3:] if r[1] == "固镇县鑫源投资管理有限公司"][0][-1]
    assert "投资" in remark and "区块链" in remark  # the words of both sheets
    assert "2 行与前面的行是同一主体" in printed  # the second sheet's row and the row without a code
    assert "1 行无法筛查" in printed and "未列入报表" in printed
