"""Registry files shaped the way real systems export them: titles above the header, a
填表说明 sheet, one sheet per township, two scope columns, GBK from Excel, Excel's
"Unicode 文本", numbers for dates, stale workbook dimensions, zip bombs, odd line ends.
For every file: rows in = rows out, or the command fails in one line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from fangfei_screen.cli import main

HEADER = ["统一社会信用代码", "企业名称", "企业类型", "成立日期", "登记状态", "住所", "经营范围"]
TOWNS = {
    "城关镇": [
        ["91340323MA0000001X", "固镇县鑫源投资管理有限公司", "有限责任公司", "2019-04-01", "存续", "固镇县城关镇", "日用百货销售"],
        ["91340323MA0000002X", "固镇县惠民商贸有限公司", "有限责任公司", "2019-04-01", "存续", "固镇县城关镇", "日用百货销售"],
        ["91340323MA0000003X", "固镇县聚宝寄卖行", "个体工商户", "2021-03-15", "存续", "固镇县城关镇", "寄卖服务"],
    ],
    "湖沟镇": [
        ["91340323MA0000011X", "固镇县湖沟粮油店", "个体工商户", "2018-01-01", "存续", "固镇县湖沟镇", "粮油零售"],
        ["91340323MA0000012X", "固镇县湖沟众筹服务部", "个体工商户", "2018-01-01", "存续", "固镇县湖沟镇", "众筹服务"],
    ],
}
TITLE = "固镇县市场主体名录（2025年6月）"


def read_csv_out(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def one_line_failure(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    import os

    proc = subprocess.run(
        [sys.executable, "-m", "fangfei_screen", *args], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={**os.environ, **(env or {})},
    )
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    return proc.stderr


def titled_sheet(sheet: object, rows: list[list[str]], header: list[str] = HEADER) -> None:
    """A title merged across the columns, a blank row, then the header and the rows."""
    sheet.append([TITLE])  # type: ignore[attr-defined]
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))  # type: ignore[attr-defined]
    sheet.append([])  # type: ignore[attr-defined]
    sheet.append(header)  # type: ignore[attr-defined]
    for r in rows:
        sheet.append(r)  # type: ignore[attr-defined]


def township_workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "填表说明"
    notes.append(["填表说明"])
    notes.append(["1. 每个乡镇一个工作表；2. 名称须与营业执照一致。"])
    for town, rows in TOWNS.items():
        titled_sheet(book.create_sheet(town), rows)
    book.save(path)
    return path


def test_workbook_with_titles_notes_sheet_and_one_sheet_per_township(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = township_workbook(tmp_path / "名录.xlsx")
    out = tmp_path / "out.csv"
    assert main(["scan", str(src), "-o", str(out), "--as-of", "2025-06-30"]) == 0
    df = read_csv_out(out)
    expected = [r for rows in TOWNS.values() for r in rows]
    assert len(df) == len(expected)  # rows in = rows out
    assert list(df["企业名称"]) == [r[1] for r in expected]
    assert list(df["sheet"]) == [t for t, rows in TOWNS.items() for _ in rows]
    assert list(df["sheet_row"]) == ["4", "5", "6", "4", "5"]  # title, blank, header above
    assert list(df["action"]) == ["order_rename", "pass", "order_rename", "pass", "order_rename"]
    text = capsys.readouterr().out
    assert "工作表「城关镇」：表头在第3行（跳过其上 1 行标题）" in text
    assert "跳过 skipped: 工作表「填表说明」" in text
    assert "名称=企业名称" in text and "经营范围=经营范围" in text
    # --sheet chooses
    assert main(["scan", str(src), "-o", str(out), "--sheet", "湖沟镇"]) == 0
    assert list(read_csv_out(out)["sheet"]) == ["湖沟镇", "湖沟镇"]
    assert "未选择" in capsys.readouterr().out
    one_line_failure(["scan", str(src), "-o", "x.csv", "--sheet", "新马桥镇"], tmp_path)


def test_a_workbook_with_nothing_to_screen_fails(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "填表说明"
    book.active.append(["本表由各乡镇填写"])
    book.save(tmp_path / "empty.xlsx")
    err = one_line_failure(["scan", "empty.xlsx", "-o", "x.csv"], tmp_path)
    assert "没有可筛查的工作表" in err and "填表说明" in err
    assert not (tmp_path / "x.csv").exists()


def test_name_col_finds_the_header_below_a_title(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    titled_sheet(book.active, [["固镇县某投资有限公司", "投资咨询"]], header=["字号全称", "范围"])
    book.save(tmp_path / "in.xlsx")
    out = tmp_path / "out.csv"
    assert main(["scan", str(tmp_path / "in.xlsx"), "-o", str(out), "--name-col", "字号全称", "--scope-col", "范围"]) == 0
    df = read_csv_out(out)
    assert list(df["字号全称"]) == ["固镇县某投资有限公司"] and df.loc[0, "keywords"] == "投资"
    # --header-row for a header no alias knows
    assert main(["scan", str(tmp_path / "in.xlsx"), "-o", str(out), "--header-row", "3", "--name-col", "字号全称"]) == 0
    assert len(read_csv_out(out)) == 1


def test_gbk_csv_from_excel_with_a_title_and_blank_row(tmp_path: Path) -> None:
    width = len(HEADER)
    lines = [TITLE + "," * (width - 1), "," * (width - 1), ",".join(HEADER)]
    rows = TOWNS["城关镇"] + TOWNS["湖沟镇"]
    lines += [",".join(r) for r in rows]
    src = tmp_path / "名录.csv"
    src.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.csv"
        assert main(["scan", str(src), "-o", str(out), "--jobs", jobs, "--as-of", "2025-06-30"]) == 0
        df = read_csv_out(out)
        assert list(df.columns[:width]) == HEADER
        assert list(df["企业名称"]) == [r[1] for r in rows]
        assert list(df["action"]) == ["order_rename", "pass", "order_rename", "pass", "order_rename"]
    assert (tmp_path / "out1.csv").read_bytes() == (tmp_path / "out2.csv").read_bytes()


def test_two_scope_columns_are_screened_together_and_each_hit_names_its_column(tmp_path: Path) -> None:
    header = ["企业名称", "经营范围（一般项目）", "经营范围（许可项目）", "登记状态"]
    rows = [
        ["固镇县甲商贸有限公司", "日用百货销售", "寄卖服务", "存续"],
        ["固镇县乙商贸有限公司", "以自有资金从事投资活动", "", "存续"],
        ["固镇县丙商贸有限公司", "五金产品零售（不含拍卖）", "食品经营", "存续"],
    ]
    src = tmp_path / "in.csv"
    pd.DataFrame(rows, columns=header).to_csv(src, index=False)
    for suffix in (".csv", ".jsonl"):
        out = tmp_path / f"out{suffix}"
        assert main(["scan", str(src), "-o", str(out), "--as-of", "2025-06-30"]) == 0
        if suffix == ".csv":
            df = read_csv_out(out)
            hits = [json.loads(h) for h in df["hits"]]
        else:
            df = pd.DataFrame([json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()])
            hits = list(df["hits"])
        assert list(df["action"]) == ["order_rename", "order_rename", "pass"], suffix
        assert hits[0][0]["column"] == "经营范围（许可项目）" and hits[0][0]["keyword"] == "寄卖"
        assert rows[0][2][hits[0][0]["start"] : hits[0][0]["end"]] == hits[0][0]["text"]
        assert hits[1][0]["column"] == "经营范围（一般项目）"
        assert rows[1][1][hits[1][0]["start"] : hits[1][0]["end"]] == "投资"
    # the same with the columns named, and a scope-less file warns loudly
    assert main(["scan", str(src), "-o", str(tmp_path / "n.csv"), "--scope-col", "经营范围（许可项目）"]) == 0
    assert list(read_csv_out(tmp_path / "n.csv")["action"]) == ["order_rename", "pass", "pass"]


def test_summary_warns_when_only_names_are_screened(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    pd.DataFrame({"企业名称": ["某投资有限公司"], "成立日期": ["某天"]}).to_csv(src, index=False)
    assert main(["scan", str(src), "-o", str(tmp_path / "o.csv")]) == 0
    text = capsys.readouterr().out
    assert "WARNING" in text and "只筛查了名称" in text and "没有登记状态列" in text
    src2 = tmp_path / "in2.csv"
    pd.DataFrame({"企业名称": ["某投资有限公司", "某寄卖行"], "经营范围": ["", ""], "登记状态": ["吊儿郎当", "存续"],
                  "成立日期": ["某天", "2020-01-01"]}).to_csv(src2, index=False)
    assert main(["scan", str(src2), "-o", str(tmp_path / "o2.csv")]) == 0
    text = capsys.readouterr().out
    assert "warnings: 1 行" in text
    assert "登记状态「吊儿郎当」不是可识别的登记状态" in read_csv_out(tmp_path / "o2.csv").loc[0, "error"]


def test_unicode_text_and_tab_separated_utf8(tmp_path: Path) -> None:
    rows = TOWNS["城关镇"]
    text = "\r\n".join("\t".join(r) for r in [HEADER, *rows]) + "\r\n"
    utf16, tsv = tmp_path / "Unicode文本.txt", tmp_path / "名录.tsv"
    utf16.write_bytes(text.encode("utf-16"))  # with BOM, as Excel saves it
    tsv.write_text(text, encoding="utf-8")
    for src in (utf16, tsv):
        out = tmp_path / f"{src.stem}.csv"
        assert main(["scan", str(src), "-o", str(out), "--as-of", "2025-06-30"]) == 0
        df = read_csv_out(out)
        assert list(df["企业名称"]) == [r[1] for r in rows], src
        assert list(df["action"]) == ["order_rename", "pass", "order_rename"]
        assert list(df.columns[: len(HEADER)]) == HEADER


def test_cr_only_lines_are_read(tmp_path: Path) -> None:
    src = tmp_path / "mac.csv"
    src.write_bytes("\r".join(",".join(r) for r in [HEADER, *TOWNS["城关镇"]]).encode("utf-8") + b"\r")
    out = tmp_path / "out.csv"
    assert main(["scan", str(src), "-o", str(out), "--as-of", "2025-06-30"]) == 0
    assert list(read_csv_out(out)["企业名称"]) == [r[1] for r in TOWNS["城关镇"]]


def test_jsonl_nested_too_deep_is_an_error_row(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    lines = [json.dumps({"企业名称": "某投资有限公司", "经营范围": ""}, ensure_ascii=False), "[" * 100_000 + "]" * 100_000,
             '{"企业名称": "某商贸有限公司", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"]
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["scan", str(src), "-o", str(out), "--kind", "new"]) == 0
    df = read_csv_out(out)
    assert list(df["action"]) == ["block", "error", "error"]
    assert "第2行" in df.loc[1, "error"] and "第3行" in df.loc[2, "error"]


def test_dates_as_excel_serials_and_compact_digits(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    pd.DataFrame({
        "企业名称": ["固镇县甲投资有限公司", "固镇县乙投资有限公司", "固镇县丙投资有限公司"],
        "登记状态": ["未开业", "未开业", "未开业"],
        "成立日期": ["43497", "20190401", "2025-01-01"],  # 2019-02-01, 2019-04-01, recent
    }).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    assert main(["scan", str(src), "-o", str(out), "--as-of", "2025-06-30"]) == 0
    df = read_csv_out(out)
    assert list(df["action"]) == ["propose_revocation", "propose_revocation", "order_rename"]
    assert set(df["error"]) == {""}


def test_xlsx_rows_past_a_stale_dimension_are_read(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["企业名称", "经营范围"])
    for i in range(10):
        book.active.append([f"某投资公司{i}", "投资"])
    book.save(tmp_path / "ok.xlsx")
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(tmp_path / "ok.xlsx") as zin, zipfile.ZipFile(stale, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert b'ref="A1:B11"' in data
                data = data.replace(b'ref="A1:B11"', b'ref="A1:B3"')
            zout.writestr(info, data)
    out = tmp_path / "out.csv"
    assert main(["scan", str(stale), "-o", str(out)]) == 0
    assert len(read_csv_out(out)) == 10


def _bomb(path: Path, chars: int, writer: str) -> Path:
    """A small workbook whose one string (shared: XlsxWriter; inline: openpyxl) expands to ``chars`` characters."""
    if writer == "openpyxl":
        book = openpyxl.Workbook()
        book.active.append(["企业名称", "经营范围"])
        book.active.append(["某公司", "PLACEHOLDER"])
        book.save(path.with_suffix(".tmp.xlsx"))
    else:
        import xlsxwriter

        wb = xlsxwriter.Workbook(str(path.with_suffix(".tmp.xlsx")))
        ws = wb.add_worksheet()
        ws.write_row(0, 0, ["企业名称", "经营范围"])
        ws.write_row(1, 0, ["某公司", "PLACEHOLDER"])
        wb.close()
    with zipfile.ZipFile(path.with_suffix(".tmp.xlsx")) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            data = data.replace(b"PLACEHOLDER", b"A" * chars)  # a shared or an inline string
            zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


@pytest.mark.parametrize("writer", ["xlsxwriter", "openpyxl"])
def test_zip_bombs_are_refused_in_one_line(tmp_path: Path, writer: str) -> None:
    bomb = _bomb(tmp_path / "bomb.xlsx", 3_000_000, writer)
    assert bomb.stat().st_size < 30_000
    err = one_line_failure(["scan", "bomb.xlsx", "-o", "x.csv"], tmp_path)
    assert "32767" in err and "FANGFEI_MAX_CELL_CHARS" in err
    err = one_line_failure(["scan", "bomb.xlsx", "-o", "x.csv"], tmp_path, env={"FANGFEI_MAX_UNZIPPED_MB": "1"})
    assert "超过上限 1 MB" in err
    # within raised limits the same file is read
    proc = subprocess.run(
        [sys.executable, "-m", "fangfei_screen", "scan", "bomb.xlsx", "-o", "y.csv"], cwd=tmp_path, capture_output=True,
        text=True, timeout=120, env={**__import__("os").environ, "FANGFEI_MAX_CELL_CHARS": "4000000"},
    )
    assert proc.returncode == 0, proc.stderr
    assert len(read_csv_out(tmp_path / "y.csv")) == 1


def test_a_damaged_xls_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0not really an xls")
    err = one_line_failure(["scan", "old.xls", "-o", "x.csv"], tmp_path)
    assert "无法读取" in err and "Cfb" not in err  # our words, not calamine's


def test_report_reads_results_whatever_the_input_headers(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    pd.DataFrame({"字号全称": ["固镇县某投资有限公司", "固镇县某商贸有限公司"], "范围": ["", "寄卖"],
                  "社会代码": ["91340323MA0000001X", "91340323MA0000002X"]}).to_csv(src, index=False)
    for suffix in (".csv", ".xlsx", ".parquet", ".jsonl"):
        out = tmp_path / f"out{suffix}"
        assert main(["scan", str(src), "-o", str(out), "--name-col", "字号全称", "--scope-col", "范围",
                     "--credit-code-col", "社会代码"]) == 0
        report = tmp_path / f"r{suffix}.xlsx"
        assert main(["report", str(out), "--month", "2025-06", "--unit", "固镇县市场监督管理局", "-o", str(report)]) == 0
        values = [[c for c in r] for r in openpyxl.load_workbook(report).active.iter_rows(values_only=True)]
        names = [r[1] for r in values[3:] if isinstance(r[0], int)]
        assert names == ["固镇县某投资有限公司", "固镇县某商贸有限公司"], suffix
        assert any("91340323MA0000001X" in str(r[14]) for r in values[3:5])
    # a results file with the usual headers carries no map: the header says it all
    std = tmp_path / "std.csv"
    pd.DataFrame({"企业名称": ["某投资有限公司"], "经营范围": [""]}).to_csv(std, index=False)
    assert main(["scan", str(std), "-o", str(tmp_path / "std-out.csv")]) == 0
    assert set(read_csv_out(tmp_path / "std-out.csv")["columns"]) == {""}
    assert re.search(r'"name":"字号全称"', read_csv_out(tmp_path / "out.csv").loc[0, "columns"])


def test_sheets_with_different_headers_share_one_output_and_report_reads_it(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "城关镇"
    titled_sheet(book.active, TOWNS["城关镇"])
    other = book.create_sheet("新马桥镇")  # another clerk's columns: other names, other order, one more
    other.append(["序号", "名称", "范围", "状态", "联系电话"])
    other.append(["1", "固镇县新马桥投资咨询部", "", "存续", "0552-1234567"])
    other.append(["2", "固镇县新马桥粮店", "粮油零售", "存续", ""])
    book.save(tmp_path / "mixed.xlsx")
    out = tmp_path / "out.csv"
    assert main(["scan", str(tmp_path / "mixed.xlsx"), "-o", str(out), "--as-of", "2025-06-30"]) == 0
    df = read_csv_out(out)
    assert len(df) == 5  # 3 + 2 rows in, 5 out
    assert list(df.columns[:2]) == ["sheet", "sheet_row"] and "名称" in df.columns and "联系电话" in df.columns
    assert list(df["名称"]) == ["", "", "", "固镇县新马桥投资咨询部", "固镇县新马桥粮店"]
    assert list(df["action"]) == ["order_rename", "pass", "order_rename", "order_rename", "pass"]
    assert json.loads(df.loc[3, "columns"])["name"] == "名称"
    report = tmp_path / "r.xlsx"
    assert main(["report", str(out), "--month", "2025-06", "--unit", "固镇县", "-o", str(report)]) == 0
    names = [r[1] for r in openpyxl.load_workbook(report).active.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    assert names == ["固镇县鑫源投资管理有限公司", "固镇县聚宝寄卖行", "固镇县新马桥投资咨询部"]


def test_empty_and_repeated_header_cells_are_named_not_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.csv"
    src.write_text("企业名称,备注,,备注\n某投资有限公司,a,b,c\n某商贸有限公司,,,\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["scan", str(src), "-o", str(out), "--kind", "new"]) == 0
    df = read_csv_out(out)
    assert list(df.columns[:4]) == ["企业名称", "备注", "列3", "备注_2"] and list(df["备注_2"]) == ["c", ""]
    assert list(df["action"]) == ["block", "pass"]
    text = capsys.readouterr().out
    assert "第3列表头为空" in text and "表头「备注」重复" in text


@pytest.mark.parametrize("args,message", [
    (["--sheet", "城关镇"], "--sheet 只适用于工作簿"),
    (["--header-row", "99"], "第99行为空或不存在"),
    (["--header-row", "0"], "从 1 开始"),
])
def test_reading_options_that_do_not_fit_the_file(tmp_path: Path, args: list[str], message: str) -> None:
    src = tmp_path / "in.csv"
    src.write_text("企业名称\n某公司\n", encoding="utf-8")
    assert message in one_line_failure(["scan", "in.csv", "-o", "x.csv", *args], tmp_path)


@pytest.mark.needs_tools("libreoffice")
@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_legacy_xls_and_ods_saved_by_an_office_suite(tmp_path: Path, fmt: str) -> None:
    import os

    src = township_workbook(tmp_path / "名录.xlsx")
    subprocess.run(["libreoffice", "--headless", "--convert-to", fmt, "--outdir", str(tmp_path / fmt), str(src)],
                   check=True, capture_output=True, timeout=180, env={**os.environ, "HOME": str(tmp_path)})
    converted = tmp_path / fmt / f"名录.{fmt}"
    out = tmp_path / "out.csv"
    assert main(["scan", str(converted), "-o", str(out), "--as-of", "2025-06-30"]) == 0
    df = read_csv_out(out)
    expected = [r for rows in TOWNS.values() for r in rows]
    assert list(df["企业名称"]) == [r[1] for r in expected]
    assert list(df["sheet"]) == [t for t, rows in TOWNS.items() for _ in rows]
    assert list(df["成立日期"])[:2] == ["2019-04-01", "2019-04-01"]


@pytest.mark.parametrize("body", ["", "91340323MA0000001X,\n91340323MA0000002X,\n"])
def test_a_file_in_which_nothing_is_screened_exits_2(tmp_path: Path, body: str) -> None:
    (tmp_path / "in.csv").write_text("统一社会信用代码,企业名称\n" + body, encoding="utf-8")
    err = one_line_failure(["scan", "in.csv", "-o", "out.csv"], tmp_path)
    assert "没有筛查任何主体" in err
    if not body:  # nothing read: no output at all (complete or absent), never an empty file
        assert not (tmp_path / "out.csv").exists()
        return
    rows = read_csv_out(tmp_path / "out.csv")  # what was read is still written, errors marked
    assert len(rows) == body.count("\n") and set(rows["action"]) <= {"error"}
