"""The monthly cycle in the ledger (issue 18): a unit's own rows of a county workbook,
clues from every source through one validator, sending the month, its state."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from fangfei_screen.ledger import Ledger, LedgerError
from fangfei_screen.ledger.clues import REPORT, Clue, add_clue, read_clue_sheet
from fangfei_screen.ledger.decisions import dispose
from fangfei_screen.ledger.forms import Disposal
from fangfei_screen.ledger.ingest import ingest
from fangfei_screen.ledger.queries import list_clues
from fangfei_screen.ledger.reports import attachment2_rows
from fangfei_screen.ledger.sending import SendState, month_state, send_month
from fangfei_screen.scanfile import scan_file

from .ledger_db import db_url, ledger  # noqa: F401 - fixtures

HEADER = ("统一社会信用代码", "企业名称", "登记状态", "住所", "经营范围")
# Registrations as the county's townships hold them (固镇县: 王庄镇, 城关镇 …)
WANGZHUANG = [
    ("91340323MA2W000011", "固镇县王庄镇鑫隆农资经营部", "存续", "安徽省蚌埠市固镇县王庄镇王庄村", "化肥销售；农业投资咨询"),
    ("91340323MA2W000022", "固镇县王庄镇惠民百货超市", "存续", "固镇县王庄镇振兴路", "日用百货销售"),
]
CHENGGUAN = [
    ("91340323MA2C000011", "固镇县城关镇聚宝寄卖行", "存续", "安徽省蚌埠市固镇县城关镇谷阳路18号", "寄卖服务"),
    ("91340323MA2C000022", "固镇县百家汇商贸有限公司", "存续", "固镇县城关镇", "日用百货销售；会员积分管理服务"),
]


def _scan(path: Path) -> Path:
    out = path.with_name(path.stem + "-screened.csv")
    scan_file(str(path), str(out), as_of="2025-06-30")
    return out


def two_sheet_workbook(folder: Path) -> Path:
    """A county workbook with one sheet per township, saved by openpyxl as an office would."""
    book = openpyxl.Workbook()
    for i, (sheet, rows) in enumerate((("王庄镇", WANGZHUANG), ("城关镇", CHENGGUAN))):
        ws = book.active if i == 0 else book.create_sheet()
        ws.title = sheet
        ws.append(HEADER)
        for r in rows:
            ws.append(r)
    path = folder / "全县登记主体.xlsx"
    book.save(path)
    return _scan(path)


def unit_column_workbook(folder: Path) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "全县"
    ws.append(("所属乡镇", *HEADER))
    for r in WANGZHUANG:
        ws.append(("固镇县王庄镇", *r))
    for r in CHENGGUAN:
        ws.append(("城关镇", *r))
    path = folder / "全县登记主体-乡镇列.xlsx"
    book.save(path)
    return _scan(path)


def names(ledger: Ledger, month: str, unit: str | None = None) -> set[str]:
    return {c["name"] for c in list_clues(ledger, month=month, unit=unit)}


def test_a_clerk_ingests_only_the_sheet_of_the_unit(ledger: Ledger, tmp_path: Path) -> None:
    screened = two_sheet_workbook(tmp_path)
    s = ingest(ledger, screened, month="2025-06", unit="王庄镇", by="王城关")
    assert names(ledger, "2025-06") == {"固镇县王庄镇鑫隆农资经营部"}
    assert (s.rows, s.left_out) == (2, 2) and "王庄镇" in s.selection
    assert any("其他单位的 2 行未录入" in line for line in s.lines())
    # the same file for the other township takes that township's sheet, not a refusal
    c = ingest(ledger, screened, month="2025-06", unit="城关镇", by="李城关")
    assert c.rows == 2 and names(ledger, "2025-06", "城关镇") == {"固镇县城关镇聚宝寄卖行", "固镇县百家汇商贸有限公司"}
    assert names(ledger, "2025-06", "王庄镇") == {"固镇县王庄镇鑫隆农资经营部"}
    # idempotent for each unit
    assert ingest(ledger, screened, month="2025-06", unit="王庄镇", by="王城关").unchanged
    # a third township has no sheet here: refused, nothing recorded as its own
    with pytest.raises(LedgerError, match="没有以「湖沟镇」命名"):
        ingest(ledger, screened, month="2025-06", unit="湖沟镇", by="张湖沟")
    assert names(ledger, "2025-06", "湖沟镇") == set()


def test_rows_whose_township_column_names_the_unit(ledger: Ledger, tmp_path: Path) -> None:
    screened = unit_column_workbook(tmp_path)
    ingest(ledger, screened, month="2025-06", unit="王庄镇", by="王城关")
    assert names(ledger, "2025-06") == {"固镇县王庄镇鑫隆农资经营部"}
    with pytest.raises(LedgerError, match="所属乡镇.*没有湖沟镇的行"):
        ingest(ledger, screened, month="2025-06", unit="湖沟镇", by="张湖沟")


def test_cli_ingest_of_a_two_township_workbook(tmp_path: Path) -> None:
    screened = two_sheet_workbook(tmp_path)
    db = f"sqlite:///{tmp_path / 'l.db'}"
    run = [sys.executable, "-m", "fangfei_screen", "ledger", "ingest", str(screened), "--month", "2025-06", "--db", db, "--by", "王城关"]
    ok = subprocess.run([*run, "--unit", "王庄镇"], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "只录入工作表「王庄镇」" in ok.stdout and "其他单位的 2 行未录入" in ok.stdout
    bad = subprocess.run([*run, "--unit", "湖沟镇"], capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "湖沟镇" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    mapped = subprocess.run([*run, "--unit", "湖沟镇", "--sheet", "城关镇", "--source", "行政机关移送"], capture_output=True, text=True)
    assert mapped.returncode == 0, mapped.stderr
    led = Ledger.open(db)
    try:
        assert names(led, "2025-06", "湖沟镇") == {"固镇县城关镇聚宝寄卖行", "固镇县百家汇商贸有限公司"}
        assert {r[3] for r in attachment2_rows(led, month="2025-06", unit="湖沟镇")} == {"行政机关移送"}
    finally:
        led.dispose()
    hist = subprocess.run([sys.executable, "-m", "fangfei_screen", "ledger", "history", "91340323MA2C000011", "--db", db],
                          capture_output=True, text=True)
    assert re.search(r"^\d{4}-\d{2}-\d{2} 王城关 2025-06 筛查：新发，字样 寄卖$", hist.stdout, re.M), hist.stdout


def _report_clue(**changes: str) -> Clue:
    values = {"name": "张某某", "subject_kind": "个人", "origin": "群众举报", "found_on": "2025-06-20",
              "category": "2", "method": "直接借贷", "region": "固镇县王庄镇", "amount": "35", "people": "12",
              "internet": "线下", "illegal": "待核查", "path": "行政", "remark": "村民举报以高息为名吸收存款"}
    return Clue.of({**values, **changes})


def test_one_validator_names_each_field() -> None:
    assert _report_clue().problems() == {}
    bad = _report_clue(category="7", method="高息揽储", found_on="2025年13月1日", amount="三十万", origin="电话", name="")
    assert set(bad.problems()) == {"category", "method", "found_on", "amount", "origin", "name"}
    assert "六类" in bad.problems()["category"] and "18种" in bad.problems()["method"]
    assert _report_clue(found_on="2025年6月20日").found_on == "2025-06-20"


def test_a_reported_clue_is_a_new_clue_and_a_row_of_attachment2(ledger: Ledger, tmp_path: Path) -> None:
    ingest(ledger, two_sheet_workbook(tmp_path), month="2025-06", unit="王庄镇", by="王城关")
    added = add_clue(ledger, _report_clue(), unit="王庄镇", by="王城关")
    assert added.recorded and added.month == "2025-06"
    assert not add_clue(ledger, _report_clue(), unit="王庄镇", by="王城关").recorded  # the same clue twice: once
    # recorded late is fine; recorded in a month before it was found is not (Attachment 2 would report it early)
    assert add_clue(ledger, _report_clue(name="李某某"), unit="王庄镇", by="王城关", month="2025-07").month == "2025-07"
    with pytest.raises(LedgerError, match="发现时间 2025-06-20 晚于记入月份 2025-05"):
        add_clue(ledger, _report_clue(name="赵某某"), unit="王庄镇", by="王城关", month="2025-05")
    rows = {r[0]: r for r in attachment2_rows(ledger, month="2025-06", unit="王庄镇")}
    assert set(rows) == {"固镇县王庄镇鑫隆农资经营部", "张某某"}
    person = rows["张某某"]
    assert person[3] == REPORT and person[3].startswith("群众举报（") and person[4] == "2025年6月20日"
    assert person[1].startswith("民间投融资") and person[5] == "固镇县王庄镇" and person[6] == 35
    screened = rows["固镇县王庄镇鑫隆农资经营部"]
    assert screened[3] == "其他（市场监管登记排查）" and screened[5] == "固镇县王庄镇"  # the township, not the county
    # a later screening that does not flag the person does not resolve the reported clue
    july = two_sheet_workbook(tmp_path / "x") if (tmp_path / "x").mkdir() is None else None
    assert july is not None
    ingest(ledger, july, month="2025-07", unit="王庄镇", by="王城关")
    assert {c["name"]: c["state"] for c in list_clues(ledger, unit="王庄镇")}["张某某"] == "new"


def test_a_sheet_of_clues_names_the_cell_of_each_problem(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "线索"
    ws.append(("风险主体名称/个人姓名", "线索来源", "发现时间", "所属行业领域", "涉及地区", "集资方式", "涉及人数"))
    ws.append(("固镇县某某养老服务中心", "扫楼清街", "2025-06-03", "5", "固镇县城关镇", "社员分红", "30"))
    ws.append(("李某", "公安平台交办", "2025/6/9", "9", "固镇县王庄镇", "", "十几"))
    path = tmp_path / "线索.xlsx"
    book.save(path)
    clues, problems = read_clue_sheet(path)
    assert len(clues) == 2
    assert problems == [
        "线索 第3行「所属行业领域」：所属行业领域「9」不是附件2备注2所列的六类之一（可填 1-6）",
        "线索 第3行「涉及人数」：涉及人数「十几」应为非负整数",
    ]
    db = f"sqlite:///{tmp_path / 'l.db'}"
    cmd = [sys.executable, "-m", "fangfei_screen", "ledger", "import-clues", str(path), "--unit", "城关镇", "--by", "李城关", "--db", db]
    bad = subprocess.run(cmd, capture_output=True, text=True)
    assert bad.returncode == 2 and "第3行「涉及人数」" in bad.stderr and "未录入任何线索" in bad.stderr
    ws.delete_rows(3)
    book.save(path)
    ok = subprocess.run(cmd, capture_output=True, text=True)
    assert ok.returncode == 0 and "新录入 1 条" in ok.stdout, ok.stderr
    one = subprocess.run([sys.executable, "-m", "fangfei_screen", "ledger", "add-clue", "--name", "王某", "--subject-kind", "个人",
                          "--origin", "资金异动监测", "--found-on", "2025-06-11", "--category", "（7）", "--region", "固镇县城关镇",
                          "--unit", "城关镇", "--by", "李城关", "--db", db], capture_output=True, text=True)
    assert one.returncode == 2 and "--category（所属行业领域）" in one.stderr and "Traceback" not in one.stderr
    odd = subprocess.run([sys.executable, "-m", "fangfei_screen", "ledger", "add-clue", "--name", "王某", "--origin", "邻居说",
                          "--found-on", "2025-06-11", "--category", "2", "--region", "固镇县城关镇",
                          "--unit", "城关镇", "--by", "李城关", "--db", db], capture_output=True, text=True)
    assert odd.returncode == 2 and "线索来源「邻居说」不在列表中" in odd.stderr


def test_sending_the_month_and_changes_after_it(ledger: Ledger, tmp_path: Path) -> None:
    ingest(ledger, two_sheet_workbook(tmp_path), month="2025-06", unit="王庄镇", by="王城关")
    assert month_state(ledger, unit="王庄镇", month="2025-06", today=date(2025, 6, 20)).state is SendState.NOT_SENT
    assert month_state(ledger, unit="王庄镇", month="2025-06", today=date(2025, 6, 26)).state is SendState.OVERDUE
    sent = send_month(ledger, unit="王庄镇", month="2025-06", by="王城关")
    assert (sent.rows2, sent.rows3) == (1, 0) and len(sent.attachment2_sha) == 64
    assert month_state(ledger, unit="王庄镇", month="2025-06").state is SendState.SENT
    dispose(ledger, "91340323MA2W000011", Disposal(measure="约谈", date="2025-06-22", authority="固镇县市场监督管理局"), by="王城关")
    assert month_state(ledger, unit="王庄镇", month="2025-06").state is SendState.CHANGED
    send_month(ledger, unit="王庄镇", month="2025-06", by="王城关")
    assert month_state(ledger, unit="王庄镇", month="2025-06").state is SendState.SENT
    # another unit's month is not touched by this one's sending
    assert month_state(ledger, unit="城关镇", month="2025-06", today=date(2025, 6, 1)).state is SendState.NOT_SENT


def test_the_county_month_merges_units_and_follows_key_cases(ledger: Ledger, tmp_path: Path) -> None:
    from fangfei_screen.ledger.county import county_month, list_key_cases, mark_key_case, twelve_months

    screened = two_sheet_workbook(tmp_path)
    ingest(ledger, screened, month="2025-06", unit="王庄镇", by="王城关")
    ingest(ledger, screened, month="2025-06", unit="城关镇", by="李城关")
    add_clue(ledger, _report_clue(), unit="王庄镇", by="王城关")
    send_month(ledger, unit="王庄镇", month="2025-06", by="王城关")
    county = county_month(ledger, month="2025-06", today=date(2025, 6, 20))
    states = {u.unit: u.state for u in county.units}
    assert states == {"王庄镇": SendState.SENT, "城关镇": SendState.NOT_SENT}
    # the roll-up is of the tables as sent: 城关镇 has not sent, so none of its rows are in it
    sent_by_wang = {r[0] for r in county.attachment2}
    assert "张某某" in sent_by_wang and county.by_unit == {"王庄镇": 2} and len(county.attachment2) == 2
    assert all(str(r[-1]).endswith("报送单位：王庄镇") for r in county.attachment2)
    send_month(ledger, unit="城关镇", month="2025-06", by="李城关")
    county = county_month(ledger, month="2025-06", today=date(2025, 6, 20))
    remarks = {r[0]: r[-1] for r in county.attachment2}
    assert remarks["张某某"].endswith("报送单位：王庄镇") and remarks["固镇县城关镇聚宝寄卖行"].endswith("报送单位：城关镇")
    assert len(county.attachment2) == len({r[0] for r in county.attachment2}) == 4  # one row per entity
    assert county.by_unit == {"王庄镇": 2, "城关镇": 2}
    assert sum(county.by_category.values()) >= 4
    # the bureau's roll-up on the command line: the same rows as the page's
    from fangfei_screen.cli import main

    out = tmp_path / "全县.xlsx"
    assert main(["report", "--ledger", "--county", "--month", "2025-06", "--unit", "固镇县财政局", "--db", ledger.url,
                 "-o", str(out)]) == 0
    rows = [r for r in openpyxl.load_workbook(out).active.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    assert [r[1] for r in rows] == [r[0] for r in county.attachment2]
    # a change after sending leaves the roll-up as sent, and the unit's state says so
    dispose(ledger, "91340323MA2C000011", Disposal(measure="约谈", date="2025-06-21", authority="固镇县公安局"), by="李城关")
    again = county_month(ledger, month="2025-06", today=date(2025, 6, 20))
    assert {u.unit: u.state for u in again.units}["城关镇"] is SendState.CHANGED
    assert again.attachment3 == county.attachment3
    series = twelve_months(ledger, month="2025-07")
    assert [s["month"] for s in series][-2:] == ["2025-06", "2025-07"] and len(series) == 12
    assert (series[-2]["new"], series[-1]["new"]) == (4, 0)
    # key old cases (plan §18): over five years, or over 1亿元; neither is refused
    with pytest.raises(LedgerError, match="两者都不是"):
        mark_key_case(ledger, "91340323MA2C000011", since="2024-01-01", amount="500", leader="县政府副县长 陈某", supervised=False,
                      by="赵财政", today=date(2025, 6, 20))
    case = mark_key_case(ledger, "91340323MA2C000011", since="2018-03-01", amount="", leader="县政府副县长 陈某", supervised=True,
                         by="赵财政", today=date(2025, 6, 20))
    assert (case.reason, case.age_years, case.supervised) == ("案发超过5年", 7.3, True)
    big = mark_key_case(ledger, "张某某", since="2024-05-01", amount="12000", leader="县财政局局长 周某", supervised=False,
                        by="赵财政", today=date(2025, 6, 20))
    assert big.reason == "涉案金额超过1亿元"
    listed = {c.name: c for c in list_key_cases(ledger, today=date(2025, 6, 20))}
    assert listed["固镇县城关镇聚宝寄卖行"].last_disposal == "2025-06-21 约谈（李城关）" and listed["张某某"].last_disposal == ""


def test_a_screened_workbook_reads_in_chinese_and_still_feeds_the_ledger(ledger: Ledger, tmp_path: Path) -> None:
    """A person opens the XLSX: sheet 筛查结果, Chinese columns (处理建议, 命中字样, 类别, 依据, 清单版本) before
    the machine ones, which `report` and the ledger still read."""
    from fangfei_screen.cli import main

    src = tmp_path / "王庄镇.xlsx"
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    for r in WANGZHUANG:
        book.active.append(r)
    book.save(src)
    out = tmp_path / "筛查结果.xlsx"
    assert main(["scan", str(src), "-o", str(out), "--as-of", "2025-06-30"]) == 0
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames == ["筛查结果"]
    header = [c.value for c in next(wb.active.iter_rows(max_row=1))]
    rows = {r[header.index("企业名称")]: dict(zip(header, r)) for r in wb.active.iter_rows(min_row=2, values_only=True)}
    wb.close()
    people = header.index("处理建议")
    assert header[people:people + 6] == ["处理建议", "命中字样", "类别", "依据", "清单版本", "需重点监管"]
    assert header.index("action") > people + 5 and header.index("hits") > people  # the machine columns after them
    first = rows["固镇县王庄镇鑫隆农资经营部"]
    assert first["命中字样"] == "投资" and first["类别"].startswith("2类：民间投融资")
    assert "经营范围含“投资”" in first["依据"] and "attachment1" in first["依据"]
    s = ingest(ledger, out, month="2025-06", unit="王庄镇", by="王城关")
    assert s.flagged == 1 and names(ledger, "2025-06") == {"固镇县王庄镇鑫隆农资经营部"}
    report = tmp_path / "a2.xlsx"
    assert main(["report", str(out), "--month", "2025-06", "--unit", "王庄镇", "-o", str(report)]) == 0
