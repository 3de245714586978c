"""Registry files as government systems export them, round 2 (issue 17, items 3-6 and
8-11): hidden sheets, two-row headers, rows that are not entities, merged cells, ".xls"
files that are web pages or text, ';' text, a .zip of township files, password-protected
workbooks, formulas never calculated, and random bytes under every suffix. Each file is
made the way the real one is: by openpyxl, XlsxWriter, LibreOffice, msoffcrypto-tool or
by hand as the system writes its bytes. For every file: rows in = rows out (entities),
or the command fails in one Chinese line."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from fangfei_screen.cli import main
from tests.test_real_files import one_line_failure, read_csv_out
from tests.tools import require_tools, under_ci

# Scopes phrased as registrations since the 2021 scope standard write them.
GENERAL = "一般项目：日用百货销售；五金产品零售（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
INVEST = "一般项目：以自有资金从事投资活动（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
PERMIT_AUCTION = "许可项目：拍卖业务（依法须经批准的项目，经相关部门批准后方可开展经营活动）"
PERMIT_FOOD = "许可项目：食品销售（依法须经批准的项目，经相关部门批准后方可开展经营活动）"

ENTITIES = [  # code, name, general, permit, status
    ("91340323MA2N0A1B2C", "固镇县城关镇惠民百货店", GENERAL, PERMIT_FOOD, "存续"),
    ("91340323MA2N0A1B3D", "固镇县鑫源商贸有限公司", INVEST, "", "存续"),
    ("91340323MA2N0A1B4E", "固镇县聚宝文化传播有限公司", GENERAL, PERMIT_AUCTION, "存续"),
    ("91340323MA2N0A1B5F", "固镇县湖沟粮油店", GENERAL, "", "存续"),
]
FLAGGED = {"固镇县鑫源商贸有限公司", "固镇县聚宝文化传播有限公司"}  # 投资 in the general items, 拍卖 only in the permit items


def libreoffice_convert(src: Path, fmt: str, outdir: Path) -> Path:
    require_tools("soffice")
    soffice = "soffice"
    profile = outdir / "profile"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
                    "--outdir", str(outdir), str(src)], check=True, capture_output=True, timeout=240,
                   env={**os.environ, "HOME": str(outdir)})
    return outdir / f"{src.stem}.{fmt.split(':')[0]}"


def fails(args: list[str], cwd: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Run a command in this process: exit 2 and one line on stderr (an uncaught
    exception would fail the test)."""
    old = Path.cwd()
    os.chdir(cwd)
    try:
        assert main(args) == 2
    finally:
        os.chdir(old)
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


def scan(src: Path, out: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[pd.DataFrame, str]:
    assert main(["scan", str(src), "-o", str(out), "--as-of", "2025-06-30", *args]) == 0
    return read_csv_out(out), capsys.readouterr().out


# ---- 3. hidden sheets ---------------------------------------------------------------

def hidden_sheets_workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "城关镇"
    sheet.append(["统一社会信用代码", "企业名称", "经营范围", "登记状态"])
    for code, name, general, _permit, status in ENTITIES:
        sheet.append([code, name, general, status])
    copy = book.create_sheet("备份")  # a hidden copy of the first rows, as clerks keep one
    copy.append(["统一社会信用代码", "企业名称", "经营范围", "登记状态"])
    for code, name, general, _permit, status in ENTITIES[:2]:
        copy.append([code, name, general, status])
    copy.sheet_state = "hidden"
    codes = book.create_sheet("字典")  # a lookup sheet for a drop-down: 代码 | 名称, no scope
    codes.append(["代码", "名称"])
    codes.append(["1", "存续"])
    codes.sheet_state = "veryHidden"
    book.save(path)
    return path


def test_hidden_sheets_are_skipped_and_named_unless_chosen(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = hidden_sheets_workbook(tmp_path / "名录.xlsx")
    df, text = scan(src, tmp_path / "out.csv", capsys)
    assert list(df["企业名称"]) == [e[1] for e in ENTITIES]  # nothing twice
    assert "工作表「备份」：隐藏的工作表" in text and "工作表「字典」：深度隐藏" in text
    assert "只筛查了名称" not in text  # the hidden 字典 is no table to screen
    df, text = scan(src, tmp_path / "out.csv", capsys, "--sheet", "备份")
    assert list(df["企业名称"]) == [e[1] for e in ENTITIES[:2]] and set(df["sheet"]) == {"备份"}


def test_hidden_sheets_in_xls_and_ods_saved_by_libreoffice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = hidden_sheets_workbook(tmp_path / "名录.xlsx")
    for fmt in ("xls", "ods"):
        converted = libreoffice_convert(src, fmt, tmp_path / fmt)
        df, text = scan(converted, tmp_path / f"out-{fmt}.csv", capsys)
        assert list(df["企业名称"]) == [e[1] for e in ENTITIES], fmt
        assert "工作表「备份」：" in text and "隐藏" in text, fmt


# ---- 4. two-row headers -------------------------------------------------------------

TWO_ROW_TOP = ["序号", "市场主体名称", None, "经营范围", None, "登记状态"]
TWO_ROW_SUB = [None, "名称", "统一社会信用代码", "一般项目", "许可项目", None]


def two_row_header_workbook(path: Path) -> Path:
    """Attachment 3's way: group cells merged across their sub-headers, the other
    header cells merged down over both rows."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "城关镇"
    sheet.append(["固镇县市场主体经营范围排查表（2025年6月）"])
    sheet.merge_cells("A1:F1")
    sheet.append(TWO_ROW_TOP)
    sheet.append(TWO_ROW_SUB)
    sheet.merge_cells("B2:C2")
    sheet.merge_cells("D2:E2")
    for col in "AF":
        sheet.merge_cells(f"{col}2:{col}3")
    for i, (code, name, general, permit, status) in enumerate(ENTITIES, start=1):
        sheet.append([i, name, code, general, permit, status])
    book.save(path)
    return path


def check_two_row_result(df: pd.DataFrame, text: str) -> None:
    assert list(df["市场主体名称（名称）"]) == [e[1] for e in ENTITIES]  # the sub-header row is no record
    assert "经营范围（许可项目）" in df.columns and "error" not in set(df["action"])
    flagged = set(df.loc[df["action"] != "pass", "市场主体名称（名称）"])
    assert flagged == FLAGGED  # 拍卖 stands only in the permit column
    auction = df[df["市场主体名称（名称）"] == "固镇县聚宝文化传播有限公司"].iloc[0]
    assert "经营范围（许可项目）" in auction["hits"]  # the hit names its column
    assert "两行表头" in text and "经营范围=经营范围（一般项目）+经营范围（许可项目）" in text
    assert "统一社会信用代码=市场主体名称（统一社会信用代码）" in text


def test_two_row_header_with_real_merges(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = two_row_header_workbook(tmp_path / "排查表.xlsx")
    df, text = scan(src, tmp_path / "out.csv", capsys)
    check_two_row_result(df, text)
    assert list(df["sheet_row"]) == ["4", "5", "6", "7"]


def test_two_row_header_saved_by_libreoffice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = two_row_header_workbook(tmp_path / "排查表.xlsx")
    ods = libreoffice_convert(src, "ods", tmp_path / "ods")
    resaved = libreoffice_convert(ods, "xlsx", tmp_path / "xlsx")  # LibreOffice's own merge list
    for path in (ods, resaved):
        df, text = scan(path, tmp_path / "out.csv", capsys)
        check_two_row_result(df, text)


def test_two_row_header_in_csv_with_the_group_written_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [",".join(c or "" for c in TWO_ROW_TOP), ",".join(c or "" for c in TWO_ROW_SUB)]
    lines += [f"{i},{n},{c},{g},{p},{s}" for i, (c, n, g, p, s) in enumerate(ENTITIES, start=1)]
    (tmp_path / "排查表.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))  # as Excel saves CSV in China
    df, text = scan(tmp_path / "排查表.csv", tmp_path / "out.csv", capsys)
    check_two_row_result(df, text)
    assert "表头在第1行和第2行" in text


def test_a_full_first_record_is_not_taken_for_a_sub_header(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A header with empty trailing cells over a record: the record stays a record."""
    lines = ["企业名称,经营范围,,", f"{ENTITIES[1][1]},{INVEST},甲,乙", f"{ENTITIES[0][1]},{GENERAL},,"]
    (tmp_path / "in.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    df, _ = scan(tmp_path / "in.csv", tmp_path / "out.csv", capsys)
    assert list(df["企业名称"]) == [ENTITIES[1][1], ENTITIES[0][1]]


# ---- 5. rows that are not entities --------------------------------------------------

HEADER = ["序号", "统一社会信用代码", "企业名称", "经营范围", "登记状态"]


def pasted_blocks() -> tuple[list[list[str]], list[int]]:
    """Two townships' blocks pasted one under the other, each with its title and
    header, a total and the signature lines under them; and the lines (1-based) of the
    rows that are not entities."""
    rows: list[list[str]] = [["固镇县市场主体名录（城关镇）", "", "", "", ""], HEADER]
    rows += [[str(i), c, n, g, s] for i, (c, n, g, _p, s) in enumerate(ENTITIES[:2], start=1)]
    rows += [["固镇县市场主体名录（湖沟镇）", "", "", "", ""], HEADER]
    rows += [[str(i), c, n, g, s] for i, (c, n, g, _p, s) in enumerate(ENTITIES[2:], start=1)]
    rows += [["合计", "", "150户", "", ""], ["填表人：张三", "", "审核人：李四", "", "制表：2025年6月30日"],
             ["说明：1.本表由各乡镇填报；2.名称须与营业执照一致。", "", "", "", ""]]
    skipped = [5, 6, 9, 10, 11]
    return rows, skipped


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8"])  # without a BOM, clean lines take the block fast path
def test_repeated_headers_titles_and_footers_are_skipped_and_counted_in_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str
) -> None:
    rows, skipped = pasted_blocks()
    import csv

    with (tmp_path / "名录.csv").open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    for out in ("out.csv", "out.xlsx"):  # the CSV path and the chunked path
        assert main(["scan", str(tmp_path / "名录.csv"), "-o", str(tmp_path / out), "--as-of", "2025-06-30"]) == 0
        text = capsys.readouterr().out
        df = read_csv_out(tmp_path / out) if out.endswith(".csv") else pd.read_excel(tmp_path / out, dtype=str, engine="openpyxl").fillna("")
        assert list(df["企业名称"]) == [e[1] for e in ENTITIES]  # rows in = rows out, for entities
        assert "error" not in set(df["action"]) and "企业名称" not in set(df["企业名称"]) and "150户" not in set(df["企业名称"])
        assert f"跳过的非主体行 not entities: {len(skipped)} 行" in text
        for line in skipped:
            assert f"第{line}行" in text


def test_repeated_headers_titles_and_footers_are_skipped_in_a_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows, skipped = pasted_blocks()
    book = openpyxl.Workbook()
    for r in rows:
        book.active.append(r)
    book.active.merge_cells("A5:E5")  # the second title, merged across as typed
    book.save(tmp_path / "名录.xlsx")
    df, text = scan(tmp_path / "名录.xlsx", tmp_path / "out.csv", capsys)
    assert list(df["企业名称"]) == [e[1] for e in ENTITIES]
    assert list(df["sheet_row"]) == ["3", "4", "7", "8"]
    assert f"跳过的非主体行 not entities: {len(skipped)} 行" in text and "工作表「Sheet」第9行（合计行）" in text


def test_entities_that_look_like_footers_are_still_entities(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Names and first cells that begin like a footer word but are records."""
    names = ["固镇县合计商贸有限公司", "固镇县说明书印刷厂", "审核（固镇）会计服务有限公司"]
    lines = ["企业名称,经营范围"] + [f"{n},{GENERAL}" for n in names] + ["固镇县城关镇名录文具店,文具销售"]
    (tmp_path / "in.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    df, text = scan(tmp_path / "in.csv", tmp_path / "out.csv", capsys)
    assert len(df) == 4 and "跳过的非主体行" not in text


# ---- 6. merged data cells -----------------------------------------------------------

def test_a_township_merged_over_its_rows_belongs_to_each_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["所属乡镇", "企业名称", "经营范围", "登记状态"])
    towns = ["城关镇", "城关镇", "湖沟镇", "湖沟镇"]
    for town, (_c, name, general, _p, status) in zip(towns, ENTITIES):
        sheet.append([town, name, general, status])
    sheet.merge_cells("A2:A3")
    sheet.merge_cells("A4:A5")
    for cell in ("A3", "A5"):
        assert sheet[cell].value is None  # what a merge leaves in the covered cells
    book.save(tmp_path / "in.xlsx")
    df, _ = scan(tmp_path / "in.xlsx", tmp_path / "out.csv", capsys)
    assert list(df["所属乡镇"]) == towns and list(df["企业名称"]) == [e[1] for e in ENTITIES]


def test_merged_townships_in_xls_and_ods_saved_by_libreoffice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The file's own merge list: an .xls's (BIFF MERGEDCELLS, which calamine reads) and
    an .ods's (spanned cells in content.xml, which calamine does not give: odsmerges)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["所属乡镇", "企业名称", "经营范围", "登记状态"])
    for town, (_c, name, general, _p, status) in zip(["城关镇", None, None, "湖沟镇"], ENTITIES):
        sheet.append([town, name, general, status])
    sheet.merge_cells("A2:A4")
    book.save(tmp_path / "in.xlsx")
    for fmt in ("xls", "ods"):
        converted = libreoffice_convert(tmp_path / "in.xlsx", fmt, tmp_path / fmt)
        df, _ = scan(converted, tmp_path / "out.csv", capsys)
        assert list(df["所属乡镇"]) == ["城关镇", "城关镇", "城关镇", "湖沟镇"], fmt


# ---- 8. ".xls" that is a web page or text -------------------------------------------

def html_export(rows: list[tuple[str, ...]], *, charset: str) -> str:
    """The page a registration system's "导出Excel" sends as 名录.xls: Excel's HTML
    namespaces, a title row spanning the table, a township cell spanning its rows."""
    out = ['<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">',
           f'<head><meta http-equiv="Content-Type" content="text/html; charset={charset}"></head><body>',
           '<table border="1">', '<tr><td colspan="5" align="center"><b>固镇县市场主体名录</b></td></tr>',
           '<tr><td colspan="5">导出时间：2025-06-30 09:12:44</td></tr>',
           "<tr><th>所属乡镇</th><th>统一社会信用代码</th><th>企业名称</th><th>经营范围</th><th>登记状态</th></tr>"]
    for i, (code, name, general, _permit, status) in enumerate(rows):
        town = '<td rowspan="2">城关镇</td>' if i == 0 else "" if i == 1 else "<td>湖沟镇</td>"
        out.append(f'<tr>{town}<td style="mso-number-format:\'\\@\'">{code}</td><td>{name}</td><td>{general}</td><td>{status}</td></tr>')
    out.append("</table></body></html>")
    return "\r\n".join(out)


@pytest.mark.parametrize("charset,encoding", [("gb2312", "gbk"), ("utf-8", "utf-8")])
def test_an_xls_that_is_an_html_table(tmp_path: Path, capsys: pytest.CaptureFixture[str], charset: str, encoding: str) -> None:
    (tmp_path / "名录.xls").write_bytes(html_export(ENTITIES, charset=charset).encode(encoding))
    df, text = scan(tmp_path / "名录.xls", tmp_path / "out.csv", capsys)
    assert list(df["企业名称"]) == [e[1] for e in ENTITIES]
    assert list(df["统一社会信用代码"]) == [e[0] for e in ENTITIES]  # text, never a number
    assert list(df["所属乡镇"]) == ["城关镇", "城关镇", "湖沟镇", "湖沟镇"]  # rowspan: every row it covers
    assert set(df.loc[df["action"] != "pass", "企业名称"]) == {"固镇县鑫源商贸有限公司"}
    assert "表头在第3行（跳过其上 2 行标题）" in text


def test_line_breaks_in_an_html_cell_separate_its_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = ("<html><body><table><tr><td>企业名称</td><td>经营范围</td></tr>"
            "<tr><td>固镇县城关镇惠民百货店</td><td>日用百货销售；五金零售<br>家具销售</td></tr></table></body></html>")
    (tmp_path / "名录.xls").write_text(page, encoding="utf-8")
    df, _ = scan(tmp_path / "名录.xls", tmp_path / "out.csv", capsys)
    assert list(df["经营范围"]) == ["日用百货销售；五金零售 家具销售"]


def test_an_xls_that_is_tab_separated_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = ["固镇县市场主体名录", "\t".join(HEADER)]
    lines += ["\t".join([str(i), c, n, g, s]) for i, (c, n, g, _p, s) in enumerate(ENTITIES, start=1)]
    (tmp_path / "名录.xls").write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    df, _ = scan(tmp_path / "名录.xls", tmp_path / "out.csv", capsys)
    assert list(df["企业名称"]) == [e[1] for e in ENTITIES]


def test_a_workbook_under_the_wrong_suffix_is_read_by_content(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hidden_sheets_workbook(tmp_path / "real.xlsx")
    shutil.copy(tmp_path / "real.xlsx", tmp_path / "名录.xls")
    df, _ = scan(tmp_path / "名录.xls", tmp_path / "out.csv", capsys)
    assert list(df["企业名称"]) == [e[1] for e in ENTITIES]


NOT_TABLES = {
    "scan.pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "PDF"),
    "photo.xlsx": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "图片（PNG）"),
    "名录.xls": (b"Rar!\x1a\x07\x01\x00" + bytes(64), "RAR 压缩包"),
    "名录.csv": (b"\x1f\x8b\x08\x00" + bytes(64), "gzip 压缩包"),
    "报告.xls": (b"{\\rtf1\\ansi\\deff0 {\\fonttbl}}", "Word 文档"),
    "空.xlsx": (b"", "空文件"),
}


@pytest.mark.parametrize("name", sorted(NOT_TABLES))
def test_a_file_that_is_no_table_says_what_it_is(tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    body, what = NOT_TABLES[name]
    (tmp_path / name).write_bytes(body)
    err = fails(["scan", name, "-o", "out.csv"], tmp_path, capsys)
    assert what in err and "请" in err
    assert not (tmp_path / "out.csv").exists()


def test_a_word_document_renamed_xlsx_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A .docx (the parts Word writes: content types, word/document.xml) renamed .xlsx."""
    with zipfile.ZipFile(tmp_path / "名录.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                   'wordprocessingml.document.main+xml"/></Types>')
        z.writestr("word/document.xml", '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                   "<w:body><w:p><w:r><w:t>固镇县市场主体名录</w:t></w:r></w:p></w:body></w:document>")
    assert "Word 文档" in fails(["scan", "名录.xlsx", "-o", "out.csv"], tmp_path, capsys)


# ---- 9. ';' text and a .zip of township files ---------------------------------------

def test_semicolon_delimited_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [";".join(HEADER)] + [";".join([str(i), c, n, g.replace("；", "，"), s]) for i, (c, n, g, _p, s) in enumerate(ENTITIES, 1)]
    (tmp_path / "名录.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    df, _ = scan(tmp_path / "名录.csv", tmp_path / "out.csv", capsys)
    assert list(df["企业名称"]) == [e[1] for e in ENTITIES] and "error" not in set(df["action"])
    # a comma file whose scopes hold ASCII semicolons stays a comma file
    lines = [",".join(HEADER)] + [",".join([str(i), c, n, g.replace("；", ";"), s]) for i, (c, n, g, _p, s) in enumerate(ENTITIES, 1)]
    (tmp_path / "逗号.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    df, _ = scan(tmp_path / "逗号.csv", tmp_path / "out.csv", capsys)
    assert list(df["企业名称"]) == [e[1] for e in ENTITIES]


def test_a_zip_of_township_files_is_read_member_by_member(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = openpyxl.Workbook()
    book.active.title = "湖沟镇"
    book.active.append(["统一社会信用代码", "企业名称", "经营范围", "登记状态"])
    for code, name, general, _p, status in ENTITIES[2:]:
        book.active.append([code, name, general, status])
    book.save(tmp_path / "湖沟镇.xlsx")
    with zipfile.ZipFile(tmp_path / "inner.zip", "w") as inner:
        inner.write(tmp_path / "湖沟镇.xlsx", "湖沟镇.xlsx")
    csv_text = "统一社会信用代码,企业名称,经营范围,登记状态\r\n" + "".join(
        f"{c},{n},{g},{s}\r\n" for c, n, g, _p, s in ENTITIES[:2])
    with zipfile.ZipFile(tmp_path / "各乡镇.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("城关镇.csv", csv_text.encode("gbk"))
        z.write(tmp_path / "湖沟镇.xlsx", "湖沟镇.xlsx")
        z.writestr("说明.docx", b"PK\x03\x04")
        z.writestr("readme.txt", "hi\r\nthe townships' files, one a town\r\n")  # text, but no table
        z.writestr("旧名录.xls", (tmp_path / "inner.zip").read_bytes())  # a zip named .xls: not opened
        z.writestr("__MACOSX/._城关镇.csv", b"\x00\x05\x16\x07")
    df, text = scan(tmp_path / "各乡镇.zip", tmp_path / "out.csv", capsys)
    assert list(df["企业名称"]) == [e[1] for e in ENTITIES]
    assert list(df["file"]) == ["城关镇.csv", "城关镇.csv", "湖沟镇.xlsx", "湖沟镇.xlsx"]
    assert list(df["sheet"]) == ["", "", "湖沟镇", "湖沟镇"]
    assert "「城关镇.csv」：表头在第1行" in text and "「湖沟镇.xlsx」工作表「湖沟镇」" in text
    assert "「说明.docx」：不支持的文件类型" in text and "__MACOSX" not in text
    assert "「readme.txt」：找不到表头（没有名称列），未读取" in text
    assert "「旧名录.xls」：压缩包中的压缩包" in text


def test_a_zip_bomb_is_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("城关镇.csv", "企业名称\n" + "固镇县某店\n" * 400_000)  # 6 MB in, a few kB packed
    err = one_line_failure(["scan", "bomb.zip", "-o", "out.csv"], tmp_path, env={"FANGFEI_MAX_UNZIPPED_MB": "2"})
    assert "超过上限" in err and not (tmp_path / "out.csv").exists()


# ---- 10. password-protected workbooks -------------------------------------------------

def test_a_password_protected_workbook_is_refused_in_one_line(tmp_path: Path) -> None:
    msoffcrypto = __import__("msoffcrypto") if under_ci() else pytest.importorskip("msoffcrypto")  # a test dependency
    from msoffcrypto.format.ooxml import OOXMLFile

    hidden_sheets_workbook(tmp_path / "plain.xlsx")
    with (tmp_path / "plain.xlsx").open("rb") as plain, (tmp_path / "名录.xlsx").open("wb") as locked:
        OOXMLFile(plain).encrypt("gzx2025", locked)
    assert msoffcrypto.OfficeFile((tmp_path / "名录.xlsx").open("rb")).is_encrypted()
    err = one_line_failure(["scan", "名录.xlsx", "-o", "out.csv"], tmp_path)
    assert "工作簿有密码保护：请在 Excel 中另存为无密码的文件" in err
    assert not (tmp_path / "out.csv").exists()


# ---- 11. formulas never calculated --------------------------------------------------

def test_formulas_never_calculated_are_named_and_no_empty_output_is_left(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = openpyxl.Workbook()  # a script's workbook: the names built by formulas, no cached values
    book.active.append(["企业名称", "经营范围"])
    for i, (_c, name, general, _p, _s) in enumerate(ENTITIES, start=2):
        book.active.append([f'="{name[:3]}"&"{name[3:]}"', f'="{general}"'])
    book.save(tmp_path / "公式.xlsx")
    (tmp_path / "out.csv").write_text("上次的结果\n", encoding="utf-8")
    err = one_line_failure(["scan", "公式.xlsx", "-o", "out.csv"], tmp_path)
    assert "8 个公式单元格从未计算过" in err and "在 Excel 或 LibreOffice 中打开并保存一次" in err
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == "上次的结果\n"  # the previous output as it was
    # the same workbook opened and saved once by LibreOffice: calculated, screened, no warning
    saved = libreoffice_convert(tmp_path / "公式.xlsx", "xlsx", tmp_path / "saved")
    df, text = scan(saved, tmp_path / "out.csv", capsys)
    assert list(df["企业名称"]) == [e[1] for e in ENTITIES] and "从未计算" not in text


def test_a_name_that_is_an_uncalculated_formula_is_not_called_a_continuation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a trial: one name built by a formula in a script's workbook read as empty, and its row was
    # explained as "a continuation of the row above"; the sheet-level warning stood far above it
    book = openpyxl.Workbook()
    book.active.append(["企业名称", "经营范围"])
    (_c, first, general, _p, _s), (_c2, second, general2, _p2, _s2) = ENTITIES[:2]
    book.active.append([first, general])
    book.active.append([f'="{second[:3]}"&"{second[3:]}"', general2])
    book.save(tmp_path / "one-formula.xlsx")
    df, text = scan(tmp_path / "one-formula.xlsx", tmp_path / "out.csv", capsys)
    error = df["error"].iloc[1]
    assert "第3行" in error and "名称可能是公式" in error and "打开并保存一次" in error
    # the same row in a workbook saved by a person (a truly empty name) is still a continuation
    plain = openpyxl.Workbook()
    plain.active.append(["企业名称", "经营范围"])
    plain.active.append([first, general])
    plain.active.append(["", general2])
    libre = libreoffice_convert(_saved(plain, tmp_path / "plain.xlsx"), "xlsx", tmp_path / "saved")
    df2, _ = scan(libre, tmp_path / "out2.csv", capsys)
    assert "上一行的续行" in df2["error"].iloc[1] and "公式" not in df2["error"].iloc[1]


def _saved(book: openpyxl.Workbook, path: Path) -> Path:
    book.save(path)
    return path


def test_formulas_written_by_xlsxwriter_are_named_in_the_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(tmp_path / "in.xlsx")
    sheet = book.add_worksheet("城关镇")
    sheet.write_row(0, 0, ["企业名称", "经营范围", "注册资本（万元）"])
    for i, (_c, name, general, _p, _s) in enumerate(ENTITIES, start=1):
        sheet.write_row(i, 0, [name, general])
        sheet.write_formula(i, 2, f"=A{i + 1}&\"\"")  # XlsxWriter stores 0 as the value
    book.close()
    df, text = scan(tmp_path / "in.xlsx", tmp_path / "out.csv", capsys)
    assert len(df) == len(ENTITIES)
    assert "工作表「城关镇」有 4 个公式单元格从未计算过" in text


# ---- random bytes under every suffix ------------------------------------------------

SUFFIXES = (".csv", ".txt", ".tsv", ".xls", ".xlsx", ".xlsm", ".ods", ".zip", ".parquet", ".jsonl")


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_random_bytes_under_every_suffix_fail_in_one_chinese_line(tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(suffix)
    bodies = [bytes(rng.randrange(256) for _ in range(4096)),
              b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(4096)),  # a zip's magic, then noise
              b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(rng.randrange(256) for _ in range(4096)),  # OLE2's
              b"PAR1" + bytes(rng.randrange(256) for _ in range(4096))]
    for n, body in enumerate(bodies):
        (tmp_path / f"in{n}{suffix}").write_bytes(body)
        err = fails(["scan", f"in{n}{suffix}", "-o", "out.csv"], tmp_path, capsys)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in err), err
        for foreign in ("Error", "error:", "Cfb", "Invalid", "zip file", "Errno"):
            assert foreign not in err, err
        assert not (tmp_path / "out.csv").exists()


def test_a_scope_spread_over_two_rows_is_reported_as_a_continuation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One entity's scope typed over two rows (the second without a name): the second
    row is an error row that says so, in the CSV and the workbook path alike."""
    code, name, general, _p, status = ENTITIES[0]
    rows = [["统一社会信用代码", "企业名称", "经营范围", "登记状态"], [code, name, general, status],
            ["", "", "许可项目：拍卖业务（依法须经批准的项目，经相关部门批准后方可开展经营活动）", ""],
            [ENTITIES[3][0], ENTITIES[3][1], ENTITIES[3][2], ENTITIES[3][4]]]
    book = openpyxl.Workbook()
    for r in rows:
        book.active.append(r)
    book.save(tmp_path / "in.xlsx")
    (tmp_path / "in.csv").write_text("".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    for src in ("in.xlsx", "in.csv"):
        df, text = scan(tmp_path / src, tmp_path / "out.csv", capsys)
        assert len(df) == 3 and list(df["action"])[1] == "error", src  # rows in = rows out
        assert "续行" in df.loc[1, "error"] and "第3行名称为空而有经营范围" in text, src


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_zip_member_names_in_gbk_as_windows_writes_them(tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str) -> None:
    """Windows' "发送到压缩文件夹" writes Chinese names in GBK without the UTF-8 flag, and
    Info-ZIP's zip on Linux in UTF-8 without it: made here by writing an ASCII name of
    the same length and putting the name's bytes in its place (in the local header and
    the central directory)."""
    gbk = "城关镇.csv".encode(encoding)
    placeholder = b"A" * (len(gbk) - 4) + b".csv"
    body = "企业名称,经营范围\r\n" + "".join(f"{n},{g}\r\n" for _c, n, g, _p, _s in ENTITIES)
    with zipfile.ZipFile(tmp_path / "w.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(placeholder.decode("ascii"), body.encode("gbk"))
    raw = (tmp_path / "w.zip").read_bytes()
    assert raw.count(placeholder) == 2
    (tmp_path / "各乡镇.zip").write_bytes(raw.replace(placeholder, gbk))
    df, text = scan(tmp_path / "各乡镇.zip", tmp_path / "out.csv", capsys)
    assert set(df["file"]) == {"城关镇.csv"} and len(df) == len(ENTITIES)


def test_a_group_row_above_the_name_header(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """基本信息 over 企业名称 | 统一社会信用代码: the row found holds the name, the group
    row is above it; 登记状态, merged down over both rows, keeps its name."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["基本信息", None, "经营范围", None, "登记状态"])
    sheet.append(["企业名称", "统一社会信用代码", "一般项目", "许可项目", None])
    sheet.merge_cells("A1:B1")
    sheet.merge_cells("C1:D1")
    sheet.merge_cells("E1:E2")
    for code, name, general, permit, status in ENTITIES:
        sheet.append([name, code, general, permit, status])
    book.save(tmp_path / "in.xlsx")
    df, text = scan(tmp_path / "in.xlsx", tmp_path / "out.csv", capsys)
    assert list(df["基本信息（企业名称）"]) == [e[1] for e in ENTITIES]
    assert set(df.loc[df["action"] != "pass", "基本信息（企业名称）"]) == FLAGGED
    assert "登记状态=登记状态" in text and "表头在第1行和第2行" in text


def test_a_title_right_above_the_header_is_no_group(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A title merged across every column right above the header (no blank row), in a
    workbook and as a CSV writes it (the title, then empty cells)."""
    book = openpyxl.Workbook()
    book.active.append(["固镇县市场主体名录（2025年6月）"])
    book.active.merge_cells("A1:D1")
    book.active.append(["统一社会信用代码", "企业名称", "经营范围", "登记状态"])
    for code, name, general, _p, status in ENTITIES:
        book.active.append([code, name, general, status])
    book.save(tmp_path / "in.xlsx")
    lines = ["固镇县市场主体名录（2025年6月）,,,", "统一社会信用代码,企业名称,经营范围,登记状态"]
    lines += [f"{c},{n},{g},{s}" for c, n, g, _p, s in ENTITIES]
    (tmp_path / "in.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for src in ("in.xlsx", "in.csv"):
        df, text = scan(tmp_path / src, tmp_path / "out.csv", capsys)
        assert list(df["企业名称"]) == [e[1] for e in ENTITIES], src
        assert "表头在第2行（跳过其上 1 行标题）" in text and "两行表头" not in text, src
