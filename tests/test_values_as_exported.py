"""Values as registries export them (issue 17, items 7, 12, 13 and 14): 个体工商户 without a
字号, status spellings, empty markers and dates, more column names; each on a workbook
written the way exports are written, rows in = rows out."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import select

from fangfei_screen import Screener
from fangfei_screen.cli import main
from fangfei_screen.ledger import Ledger
from fangfei_screen.ledger.ingest import ingest
from fangfei_screen.ledger.schema import entities
from fangfei_screen.models import Action, Status
from fangfei_screen.values import STATUS_VALUES, parse_date, status_of

from .ledger_db import db_url, ledger  # noqa: F401 - fixtures

CODES = ("91510100350611266D", "91350500676532779B", "91510100MA6BKY6U36", "91370100780603055K",
         "91330101589882738D", "91310110666007217T", "91350100M000100Y43")


def workbook(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "个体工商户"
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    book.save(path)
    return path


def read_out(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def scan(capsys, src: Path, out: Path) -> str:  # type: ignore[no-untyped-def]
    assert main(["scan", str(src), "-o", str(out), "--as-of", "2025-06-30"]) == 0
    return capsys.readouterr().out


# --- item 7: 个体工商户 without a 字号 ------------------------------------------------

HEADER_GT = ["统一社会信用代码", "名称", "经营者姓名", "企业类型", "登记状态", "成立日期", "经营场所", "经营范围"]
SOLE = [
    [CODES[0], "*", "张三", "个体工商户", "存续", date(2019, 4, 1), "固镇县城关镇", "日用百货零售；会员积分管理"],
    [CODES[1], None, "李秀英", "个体工商户", "存续", date(2020, 5, 6), "固镇县湖沟镇", "寄卖服务"],
    [CODES[2], "无字号", "王建国", "个体工商户", "存续", date(2021, 7, 8), "固镇县连城镇", "五金产品零售"],
    [CODES[3], "固镇县城关镇聚宝寄卖行", "赵六", "个体工商户", "存续", date(2018, 1, 2), "固镇县城关镇", "寄卖服务"],
]


def test_a_sole_trader_without_a_trade_name_is_named_after_its_operator(ledger: Ledger, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    src = workbook(tmp_path / "个体户.xlsx", HEADER_GT, SOLE)
    out = tmp_path / "screened.csv"
    summary = scan(capsys, src, out)
    assert "经营者=经营者姓名" in summary
    df = read_out(out)
    assert len(df) == len(SOLE)  # every row in comes out once
    assert list(df["action"]) == ["order_rename", "order_rename", "pass", "order_rename"]  # the scope is screened
    assert "error" not in set(df["action"])
    report = tmp_path / "附件2.xlsx"
    assert main(["report", str(out), "-o", str(report), "--month", "2025-06", "--unit", "城关镇"]) == 0
    sheet = openpyxl.load_workbook(report).worksheets[0]
    listed = [r[1] for r in sheet.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    assert listed == ["张三（个体工商户）", "李秀英（个体工商户）", "固镇县城关镇聚宝寄卖行"]
    ingest(ledger, out, month="2025-06", unit="城关镇", by="李四")
    with ledger.reading() as conn:
        named = {r.key: r.name for r in conn.execute(select(entities.c.key, entities.c.name))}
    assert named == {CODES[0]: "张三（个体工商户）", CODES[1]: "李秀英（个体工商户）", CODES[3]: "固镇县城关镇聚宝寄卖行"}


def test_a_star_without_an_operator_column_is_an_error_row_not_a_listed_star(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    src = workbook(tmp_path / "x.xlsx", ["统一社会信用代码", "名称", "经营范围"], [[CODES[0], "*", "寄卖服务"], [CODES[1], "固镇县聚宝寄卖行", "寄卖服务"]])
    out = tmp_path / "s.csv"
    scan(capsys, src, out)
    assert list(read_out(out)["action"]) == ["error", "order_rename"]
    report = tmp_path / "r.xlsx"
    assert main(["report", str(out), "-o", str(report), "--month", "2025-06", "--unit", "城关镇"]) == 0
    sheet = openpyxl.load_workbook(report).worksheets[0]
    assert [r[1] for r in sheet.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)] == ["固镇县聚宝寄卖行"]


# --- item 12: statuses --------------------------------------------------------------

STATUS_READINGS = {
    "吊销企业": Status.REVOKED, "迁出企业": Status.MOVED_OUT, "撤销": Status.CANCELLED, "撤销企业": Status.CANCELLED,
    "撤销登记": Status.CANCELLED, "清算": Status.OPERATING, "清算中": Status.OPERATING,
    "存续（在营、开业、在册）": Status.OPERATING, "在营（开业）企业": Status.OPERATING, "在业": Status.OPERATING,
    "开业": Status.OPERATING, "存续(在营、开业、在册)": Status.OPERATING, "吊销，未注销": Status.REVOKED,
}


def test_status_spellings_of_real_exports() -> None:
    for text, status in STATUS_READINGS.items():
        assert status_of(text) is status, text
    assert Status.CANCELLED.closed and not Status.OPERATING.closed


def test_cancelled_is_its_own_reason() -> None:
    result = Screener().screen("固镇县鑫源投资管理有限公司", "投资咨询", kind="existing", status=status_of("撤销登记"))
    assert result.action is Action.CLOSED and "撤销" in result.basis
    revoked = Screener().screen("固镇县鑫源投资管理有限公司", "投资咨询", kind="existing", status=status_of("吊销企业"))
    assert revoked.action is Action.CLOSED and "吊销" in revoked.basis and revoked.basis != result.basis


def test_statuses_in_a_workbook_close_or_keep_open(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    header = ["统一社会信用代码", "企业名称", "企业类型", "登记状态", "成立日期", "经营范围"]
    statuses = list(STATUS_READINGS)
    rows = [[CODES[i % len(CODES)], f"固镇县第{i}投资管理有限公司", "有限责任公司", s, datetime(2019, 4, 1), "投资咨询"]
            for i, s in enumerate(statuses)]
    out = tmp_path / "s.csv"
    scan(capsys, workbook(tmp_path / "st.xlsx", header, rows), out)
    df = read_out(out)
    assert len(df) == len(rows) and not any(df["error"])  # every status understood
    for status_text, action in zip(df["登记状态"], df["action"]):
        # 清算 is not dormancy: an entity in liquidation is not proposed for revocation
        want = "closed" if STATUS_READINGS[status_text].closed else "order_rename"
        assert action == want, status_text


# --- item 13: empty markers and dates --------------------------------------------


@pytest.mark.parametrize("text", ["2019-04-01 00:00:00", "2019.4.1", "2019.04.01", "二〇一九年四月一日", "2019年04月01日", "20190401"])
def test_dates_as_exports_write_them(text: str) -> None:
    assert parse_date(text) == date(2019, 4, 1)


@pytest.mark.parametrize("text", ["-", "--", "N/A", "无", "/", " - "])
def test_empty_markers_are_empty(text: str) -> None:
    assert parse_date(text) is None and status_of(text) is None


def test_empty_markers_and_dates_in_a_file_are_not_warnings(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    header = ["统一社会信用代码", "企业名称", "企业类型", "登记状态", "成立日期", "停业日期", "经营范围"]
    rows = [
        [CODES[0], "固镇县甲投资管理有限公司", "-", "-", "-", "--", "投资咨询"],
        [CODES[1], "固镇县乙投资管理有限公司", "N/A", "无", "/", "N/A", "投资咨询"],
        # 未开业 since a date written four ways: each is read, so the revocation rule applies
        [CODES[2], "固镇县丙投资管理有限公司", "有限责任公司", "未开业", "2019.4.1", "", "投资咨询"],
        [CODES[3], "固镇县丁投资管理有限公司", "有限责任公司", "未开业", "二〇一九年四月一日", "", "投资咨询"],
        [CODES[4], "固镇县戊投资管理有限公司", "有限责任公司", "未开业", "2019-04-01 00:00:00", "", "投资咨询"],
        [CODES[5], "固镇县己投资管理有限公司", "有限责任公司", "未开业", "2019.04.01", "", "投资咨询"],
    ]
    out = tmp_path / "s.csv"
    summary = scan(capsys, workbook(tmp_path / "m.xlsx", header, rows), out)
    df = read_out(out)
    assert len(df) == len(rows)
    assert list(df["error"]) == [""] * len(rows) and "无法识别" not in summary
    assert list(df["action"]) == ["order_rename", "order_rename"] + ["propose_revocation"] * 4


# --- item 14: more column names -------------------------------------------------


def test_more_column_names_and_headers_with_line_breaks(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    header = ["统一社会\n信用代码", "企业名称", "企业（机构）\n类型", "登记状态", "注册日期", "核准日期", "住所（经营\n场所）", "经营 范围"]
    rows = [[CODES[0], "固镇县鑫源投资管理有限公司", "有限责任公司", "未开业", "2019-04-01", "2025-05-20", "固镇县城关镇", "投资咨询"]]
    out = tmp_path / "s.csv"
    summary = scan(capsys, workbook(tmp_path / "h.xlsx", header, rows), out)
    used = [line for line in summary.splitlines() if "使用的列" in line]
    assert len(used) == 1, summary  # one line per table, though the headers hold line breaks
    line = used[0]
    for part in ("统一社会信用代码=统一社会 信用代码", "企业类型=企业（机构） 类型", "成立日期=注册日期", "核准日期=核准日期",
                 "住所=住所（经营 场所）", "经营范围=经营 范围"):
        assert part in line, (part, line)
    # 核准日期 (the latest change's approval) is not the establishment date: 未开业 counts from 注册日期
    assert list(read_out(out)["action"]) == ["propose_revocation"]
    for alias in ("企业(机构)类型", "公司类型", "主体类型"):
        src = workbook(tmp_path / f"{alias}.xlsx", ["企业名称", alias, "经营范围"], [["固镇县鑫源投资管理有限公司", "有限责任公司", "投资咨询"]])
        assert "企业类型=" + alias in scan(capsys, src, tmp_path / f"{alias}.csv")
    for alias in ("企业地址", "注册地址", "经营场所", "住所（经营场所）"):
        src = workbook(tmp_path / f"{alias}.xlsx", ["企业名称", alias, "经营范围"], [["固镇县鑫源投资管理有限公司", "固镇县", "投资咨询"]])
        assert "住所=" + alias in scan(capsys, src, tmp_path / f"{alias}.csv")


def test_every_status_value_of_the_table_is_read() -> None:
    # the README's table is STATUS_VALUES: each spelling is read as listed
    for spelling, status in STATUS_VALUES.items():
        assert status_of(spelling) is status
    assert json.dumps({k: v.value for k, v in STATUS_VALUES.items()}, ensure_ascii=False)
