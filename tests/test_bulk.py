"""Bulk screening of real files: encodings, formats, broken rows, formulas, jobs, Dask."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from fangfei_screen.batch import OUTPUT_COLUMNS, screen_frame
from fangfei_screen.cli import main

HEADER = ["统一社会信用代码", "企业名称", "企业类型", "成立日期", "登记状态", "停业日期", "住所", "经营范围"]
ROWS = [
    ["91340323MA0000001X", "固镇县鑫源投资管理有限公司", "有限责任公司", "2019-04-01", "存续", "", "安徽省蚌埠市固镇县谷阳路88号", "以自有资金从事投资活动"],
    ["91340323MA0000002X", "固镇县惠民商贸有限公司", "有限责任公司", "2019/4/1", "存续", "", "安徽省蚌埠市固镇县", "日用百货销售（不含拍卖）"],
    ["91340323MA0000003X", "固镇县乐龄养老服务有限公司", "有限责任公司", "2020年6月18日", "停业", "2024年11月20日", "安徽省蚌埠市固镇县湖沟镇", "养老服务"],
    ["91340323MA0000004X", "蚌埠市云牧科技有限公司", "有限责任公司", "2023-02-10", "未开业", "", "", "区块链技术相关软件和服务"],
    ["91340323MA0000005X", "固镇县聚宝寄卖行", "个体工商户", "2021-03-15", "未开业", "", "安徽省蚌埠市固镇县城关镇", "寄卖服务"],
    ["91340323MA0000006X", "固镇县万家福超市", "个体工商户", "2014-03-03", "歇业", "", "", "食品销售"],
]
EXPECTED_ACTIONS = ["order_rename", "pass", "propose_revocation", "propose_revocation", "order_rename", "pass"]


def write_csv(path: Path, rows: list[list[str]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def read_out(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8", "gb18030"])
def test_csv_encodings_with_chinese_headers(tmp_path: Path, encoding: str) -> None:
    src = write_csv(tmp_path / "in.csv", ROWS, encoding)
    out = tmp_path / "out.csv"
    assert main(["scan", str(src), "-o", str(out), "--as-of", "2025-06-30"]) == 0
    df = read_out(out)
    assert list(df.columns) == HEADER + list(OUTPUT_COLUMNS)
    assert list(df["企业名称"]) == [r[1] for r in ROWS]
    assert list(df["action"]) == EXPECTED_ACTIONS
    assert df.loc[0, "keywords"] == "投资" and df.loc[0, "categories"] == "2"
    hit = json.loads(df.loc[0, "hits"])[0]
    assert ROWS[0][1][hit["start"] : hit["end"]] == "投资" and hit["field"] == "name"
    assert json.loads(df.loc[1, "suppressed"])[0]["reason"] == "negated"
    assert set(df["list_version"]) == {"2025-05-30"} and len(df.loc[0, "list_sha256"]) == 64


def test_xlsx_parquet_and_jsonl_round_trips(tmp_path: Path) -> None:
    frame = pd.DataFrame(ROWS, columns=HEADER)
    xlsx, parquet = tmp_path / "in.xlsx", tmp_path / "in.parquet"
    frame.to_excel(xlsx, index=False)
    frame.to_parquet(parquet, index=False)
    for src in (xlsx, parquet):
        for suffix in (".csv", ".xlsx", ".parquet", ".jsonl"):
            out = tmp_path / f"out-{src.suffix[1:]}{suffix}"
            assert main(["scan", str(src), "-o", str(out), "--as-of", "2025-06-30"]) == 0
            if suffix == ".csv":
                got = read_out(out)
            elif suffix == ".xlsx":
                got = pd.read_excel(out, dtype=str).fillna("")
            elif suffix == ".parquet":
                got = pd.read_parquet(out)
            else:
                records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
                assert isinstance(records[0]["hits"], list)
                got = pd.DataFrame(records)
            assert list(got["action"]) == EXPECTED_ACTIONS, (src, suffix)
            assert list(got["企业名称"]) == [r[1] for r in ROWS]


def test_broken_lines_empty_names_and_bad_bytes_are_kept_as_errors(tmp_path: Path) -> None:
    src = tmp_path / "broken.csv"
    lines = [",".join(HEADER)]
    lines.append(",".join(ROWS[0]))
    lines.append("91340323MA0000009X,某公司,有限责任公司,2020-01-01,存续,,地址,投资,多出来的字段")  # too many fields
    lines.append("91340323MA0000010X,,有限责任公司,2020-01-01,存续,,地址,投资咨询")  # empty name
    lines.append("91340323MA0000011X,只有两列")  # too few fields
    lines.append('91340323MA0000012X,"带引号的名称,含逗号",有限责任公司,2020-01-01,存续,,"多行\n地址",众筹')
    lines.append(",".join(ROWS[1]))
    data = "\n".join(lines).encode("gbk") + b"\n"
    data += "91340323MA0000013X,坏字节".encode("gbk") + b"\xff\xfe" + ",有限责任公司,2020-01-01,存续,,,投资\n".encode("gbk")
    data += ",".join(ROWS[4]).encode("gbk") + b"\n"
    src.write_bytes(data)
    out = tmp_path / "out.csv"
    assert main(["scan", str(src), "-o", str(out), "--as-of", "2025-06-30", "--encoding", "gbk"]) == 0
    df = read_out(out)
    assert len(df) == 8  # every row in comes out once
    assert list(df["action"]) == ["order_rename", "error", "error", "error", "order_rename", "pass", "error", "order_rename"]
    errors = list(df.loc[df["action"] == "error", "error"])
    assert "第3行有9个字段" in errors[0]
    assert "名称为空" in errors[1]
    assert "第5行有2个字段" in errors[2]
    assert "第9行" in errors[3] and "解码" in errors[3]
    assert df.loc[4, "企业名称"] == "带引号的名称,含逗号" and df.loc[4, "keywords"] == "众筹"


def test_formula_cells_are_neutralised(tmp_path: Path) -> None:
    rows = [["=1+1", "=HYPERLINK(\"http://x\")投资有限公司", "+有限责任公司", "2020-01-01", "@SUM(A1)", "", "-地址", "投资"]]
    src = write_csv(tmp_path / "in.csv", rows, "utf-8")
    for suffix in (".csv", ".xlsx"):
        out = tmp_path / f"out{suffix}"
        assert main(["scan", str(src), "-o", str(out)]) == 0
        if suffix == ".csv":
            row = next(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()[1:]))
        else:
            import openpyxl

            row = [c.value for c in list(openpyxl.load_workbook(out).active.iter_rows(min_row=2))[0]]
        assert row[0] == "'=1+1" and row[1].startswith("'=HYPERLINK") and row[2] == "'+有限责任公司"
        assert row[4] == "'@SUM(A1)" and row[6] == "'-地址"
        assert not any(isinstance(v, str) and v[:1] in ("=", "+", "-", "@") for v in row)


def test_jobs_2_equals_jobs_1(tmp_path: Path, root: Path) -> None:
    src = root / "data" / "samples" / "entities.csv"
    one, two = tmp_path / "one.csv", tmp_path / "two.csv"
    assert main(["scan", str(src), "-o", str(one), "--as-of", "2025-06-30", "--jobs", "1", "--chunk-rows", "7"]) == 0
    assert main(["scan", str(src), "-o", str(two), "--as-of", "2025-06-30", "--jobs", "2", "--chunk-rows", "7"]) == 0
    assert one.read_bytes() == two.read_bytes()
    assert len(read_out(one)) == 50


def test_only_flagged_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_csv(tmp_path / "in.csv", ROWS, "utf-8")
    out = tmp_path / "out.csv"
    assert main(["scan", str(src), "-o", str(out), "--as-of", "2025-06-30", "--only-flagged"]) == 0
    df = read_out(out)
    assert list(df["action"]) == [a for a in EXPECTED_ACTIONS if a != "pass"]
    text = capsys.readouterr().out
    assert "读取行数 rows: 6" in text and "pass（通过）: 2" in text and "propose_revocation" in text
    assert "投资 1" in text and "错误 errors: 0" in text


def test_named_columns_and_english_headers(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    pd.DataFrame({"name": ["某投资有限公司", "某贸易有限公司"], "scope": ["", "拍卖"]}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    assert main(["scan", str(src), "-o", str(out), "--kind", "new"]) == 0
    assert list(read_out(out)["action"]) == ["block", "block"]
    src2 = tmp_path / "in2.csv"
    pd.DataFrame({"主体": ["某投资有限公司"], "范围": ["拍卖"]}).to_csv(src2, index=False)
    assert main(["scan", str(src2), "-o", str(out), "--name-col", "主体", "--scope-col", "范围", "--kind", "new"]) == 0
    assert read_out(out).loc[0, "keywords"] == "投资|拍卖"


@pytest.mark.parametrize(
    "args,message",
    [
        (["scan", "missing.csv", "-o", "out.csv"], "no such file"),
        (["scan", "{src}", "-o", "out.docx"], "unknown output suffix"),
        (["scan", "{nonames}", "-o", "out.csv"], "找不到名称列"),
        (["scan", "{src}", "-o", "out.csv", "--as-of", "yesterday"], "--as-of「yesterday」不是可识别的日期"),
        (["scan", "{src}", "-o", "out.csv", "--jobs", "0"], "--jobs 至少为 1"),
        (["scan", "{src}", "-o", "nowhere/out.csv"], "no such directory"),
        (["scan", "{src}", "-o", "out.csv", "--list", "nolist.yaml"], "cannot read"),
        (["report", "{src}", "--month", "2025-13", "--unit", "u", "-o", "r.xlsx"], "--month"),
    ],
)
def test_bad_invocations_fail_with_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    src = write_csv(tmp_path / "in.csv", ROWS, "utf-8")
    nonames = tmp_path / "nonames.csv"
    nonames.write_text("a,b\n1,2\n", encoding="utf-8")
    argv = [a.format(src=src, nonames=nonames) for a in args]
    proc = subprocess.run(
        [sys.executable, "-m", "fangfei_screen", *argv], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_screen_frame_with_pipe() -> None:
    df = pd.DataFrame(ROWS, columns=HEADER)
    out = df.pipe(screen_frame, as_of="2025-06-30")
    assert list(out["action"]) == EXPECTED_ACTIONS
    assert list(out.columns[: len(HEADER)]) == HEADER


def test_screen_frame_on_a_dask_local_cluster_with_process_workers() -> None:
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    df = pd.DataFrame(ROWS * 20, columns=HEADER)
    expected = screen_frame(df, as_of="2025-06-30")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            assert len(client.scheduler_info()["workers"]) == 2
            from fangfei_screen.batch import screen_dask

            ddf = dd.from_pandas(df, npartitions=4)
            got = screen_dask(ddf, as_of="2025-06-30").compute()
    # Dask keeps text as Arrow strings; the values must be the same, row for row.
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert list(got["action"]) == EXPECTED_ACTIONS * 20


def test_byte_ranges_never_split_a_quoted_record(tmp_path: Path) -> None:
    """Records with quoted newlines and doubled quotes, cut into many ranges."""
    rows = []
    for i in range(3000):
        name = f"某{'投资' if i % 7 == 0 else '贸易'}有限公司{i}"
        scope = f'日用百货销售\n"第{i}项"，含逗号,与换行\r\n；寄卖' if i % 5 == 0 else "五金产品零售"
        rows.append([f"91340323MA{i:08d}", name, "有限责任公司", "2020-01-01", "存续", "", "地址\x1e标记" if i == 9 else "", scope])
    src = write_csv(tmp_path / "in.csv", rows, "gbk")
    one, four = tmp_path / "one.csv", tmp_path / "four.csv"
    assert main(["scan", str(src), "-o", str(one), "--as-of", "2025-06-30"]) == 0
    assert main(["scan", str(src), "-o", str(four), "--as-of", "2025-06-30", "--jobs", "4"]) == 0
    assert one.read_bytes() == four.read_bytes()
    df = read_out(one)
    assert len(df) == 3000 and list(df["统一社会信用代码"]) == [r[0] for r in rows]
    assert df.loc[5, "经营范围"] == rows[5][7].replace("\r\n", "\n") or df.loc[5, "经营范围"] == rows[5][7]
    assert df.loc[5, "keywords"] == "寄卖" and df.loc[7, "keywords"] == "投资"
    assert df.loc[9, "住所"] == "地址\x1e标记" and df.loc[9, "action"] == "pass"
    assert set(df["error"]) == {""}


def test_the_csv_fast_path_and_the_dataframe_path_agree(tmp_path: Path, root: Path) -> None:
    """CSV to CSV (no DataFrames) and CSV to JSON Lines (DataFrames) give the same rows."""
    src = root / "data" / "samples" / "entities.csv"
    fast, frames = tmp_path / "fast.csv", tmp_path / "frames.jsonl"
    assert main(["scan", str(src), "-o", str(fast), "--as-of", "2025-06-30"]) == 0
    assert main(["scan", str(src), "-o", str(frames), "--as-of", "2025-06-30"]) == 0
    a = read_out(fast)
    b = pd.DataFrame([json.loads(line) for line in frames.read_text(encoding="utf-8").splitlines()])
    for col in ("action", "keywords", "categories", "supervise", "list_sha256", "screened_on", "error"):
        assert list(a[col]) == list(b[col]), col
    assert [json.loads(h) for h in a["hits"]] == list(b["hits"])
    assert [json.loads(h) for h in a["suppressed"]] == list(b["suppressed"])


def test_the_bulk_modules_import_one_way() -> None:
    """values → readers → columns → batch → csvscan/tables → scanfile: no module imports one
    above it (values, the cell parsers and unwrapping, imports only the core's models)."""
    import ast

    order = ["csvrecords", "values", "readers", "columns", "batch", "tables", "csvscan", "scanfile"]
    src = Path(__file__).resolve().parent.parent / "src" / "fangfei_screen"
    for i, module in enumerate(order):
        tree = ast.parse((src / f"{module}.py").read_text(encoding="utf-8"))
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 1 and n.module}
        above = imported & set(order[i + 1 :])
        assert not above, f"{module} imports {above}, which come after it"


@pytest.mark.parametrize("written", ["2025年6月30日", "2025-6-30", "2025/06/30"])
def test_scan_reads_as_of_as_check_does(tmp_path: Path, written: str) -> None:
    """--as-of goes through the one date parser of cells and `check` (a clerk types 2025年6月30日)."""
    src = write_csv(tmp_path / "in.csv", ROWS, "utf-8")
    out = tmp_path / "out.csv"
    proc = subprocess.run([sys.executable, "-m", "fangfei_screen", "scan", str(src), "-o", str(out), "--as-of", written],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    with out.open(encoding="utf-8-sig", newline="") as f:
        assert {row["screened_on"] for row in csv.DictReader(f)} == {"2025-06-30"}
