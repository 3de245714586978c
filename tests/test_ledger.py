"""The ledger on SQLite and PostgreSQL: ingest states, idempotence, review, disposal, history."""

from __future__ import annotations

import functools
import json
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from fangfei_screen.ledger import Ledger, LedgerError
from fangfei_screen.ledger.decisions import dispose, review
from fangfei_screen.ledger.forms import Disposal
from fangfei_screen.ledger.ingest import ingest
from fangfei_screen.ledger.queries import history_of, list_clues, show
from fangfei_screen.ledger.schema import metadata

from .ledger_db import db_url, ledger, screened_file  # noqa: F401 - fixtures

A = ("91340323MA0000001A", "固镇县鑫源投资管理有限公司", "存续", "安徽省蚌埠市固镇县城关镇", "投资咨询")
B = ("91340323MA0000002B", "固镇县百家汇商贸有限公司", "存续", "固镇县城关镇", "日用百货销售；会员积分管理服务")
C = ("91340323MA0000003C", "固镇县聚宝寄卖行", "存续", "", "寄卖服务")
D = ("91340323MA0000004D", "固镇县平安五金店", "存续", "", "五金销售")
E = ("", "固镇县链上数字科技有限公司", "存续", "", "区块链技术服务")


def counts(ledger: Ledger) -> dict[str, int]:
    with ledger.reading() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in metadata.sorted_tables}


def states(ledger: Ledger, month: str) -> dict[str, str]:
    return {c["name"]: c["state"] for c in list_clues(ledger, month=month)}


def test_first_month_new_clues_and_idempotent_reingest(ledger: Ledger, tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = screened_file(tmp_path, "m1", [A, B, C, D])
    s = ingest(ledger, f, month="2025-06", unit="城关镇", by="李四")
    assert (s.rows, s.flagged, s.states["new"]) == (4, 3, 3)
    assert states(ledger, "2025-06") == {A[1]: "new", B[1]: "new", C[1]: "new"}
    before = counts(ledger)
    again = ingest(ledger, f, month="2025-6", unit="城关镇", by="王五")
    assert again.unchanged and counts(ledger) == before
    # another file for the same unit and month is refused, and changes nothing
    g = screened_file(tmp_path, "m1b", [A, B])
    with pytest.raises(LedgerError, match="--replace"):
        ingest(ledger, g, month="2025-06", unit="城关镇", by="李四")
    with pytest.raises(LedgerError, match="另一|another unit"):
        ingest(ledger, f, month="2025-06", unit="湖沟镇", by="李四")
    assert counts(ledger) == before
    r = ingest(ledger, g, month="2025-06", unit="城关镇", by="李四", replace=True)
    assert r.replaced == s.batch_id and r.states["new"] == 2
    assert states(ledger, "2025-06") == {A[1]: "new", B[1]: "new"}
    key, rows = history_of(ledger, C[0])
    assert [x["action"] for x in rows] == ["new", "withdrawn"]


def test_month_two_resolved_new_recurring_missing_closed(ledger: Ledger, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ingest(ledger, screened_file(tmp_path, "m1", [A, B, C, D]), month="2025-06", unit="城关镇", by="李四")
    renamed = ("91340323MA0000001A", "固镇县鑫源商贸有限公司", "存续", "", "日用百货销售")
    closed_c = (*C[:2], "注销", *C[3:])
    f2 = screened_file(tmp_path, "m2", [renamed, B, closed_c, D, E], as_of="2025-07-31")
    s = ingest(ledger, f2, month="2025-07", unit="城关镇", by="李四")
    assert dict(s.states) == {"resolved": 1, "recurring": 1, "closed": 1, "new": 1}
    got = {c["key"]: (c["state"], c["name"]) for c in list_clues(ledger, month="2025-07")}
    assert got[A[0]] == ("resolved", "固镇县鑫源商贸有限公司")  # evidence: the new name
    # the entity as it stands now (a trial saw the old name and scope, and 投资 still 待复核)
    shown = show(ledger, A[0])
    assert (shown["name"], shown["scope"]) == ("固镇县鑫源商贸有限公司", "日用百货销售")
    invest = next(f for f in shown["findings"] if f["term"] == "投资")
    assert not invest["current"] and invest["months"] == ["2025-06"]
    assert next(f for f in show(ledger, B[0])["findings"] if f["term"] == "积分")["current"]
    assert got[B[0]][0] == "recurring" and got[C[0]][0] == "closed"
    assert got["城关镇/固镇县链上数字科技有限公司"][0] == "new"
    # month 3, whole register: B absent → missing (not resolved); resolved A stays quiet
    f3 = screened_file(tmp_path, "m3", [E, D], as_of="2025-08-31")
    s3 = ingest(ledger, f3, month="2025-08", unit="城关镇", by="李四", complete=True)
    assert dict(s3.states) == {"recurring": 1, "missing": 1}
    assert states(ledger, "2025-08")[B[1]] == "missing"
    assert [c["key"] for c in list_clues(ledger, month="2025-08", state="missing")] == [B[0]]


def test_every_change_has_its_history_row(ledger: Ledger, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ingest(ledger, screened_file(tmp_path, "m1", [A, B]), month="2025-06", unit="城关镇", by="李四")
    review(ledger, B[0], term="积分", decision="other_sense", reason="会员积分，非金融", by="赵审")
    dispose(ledger, A[0], Disposal(measure="约谈", date="2025-06-20", description="名称含投资"), by="李四")
    _, rows = history_of(ledger, B[1])  # by name
    assert [(r["subject"], r["action"], r["by"]) for r in rows] == [("entity", "new", "李四"), ("finding", "review_other_sense", "赵审")]
    assert rows[1]["before"]["decision"] is None and rows[1]["after"]["decision"] == "other_sense"
    _, rows_a = history_of(ledger, A[0])
    assert rows_a[-1]["action"] == "disposed" and rows_a[-1]["after"]["measure"] == "约谈"
    info = show(ledger, A[0])
    assert info["disposals"][0]["date"] == "2025-06-20" and info["findings"][0]["term"] == "投资"


def test_other_sense_not_raised_again_until_the_text_changes(ledger: Ledger, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ingest(ledger, screened_file(tmp_path, "m1", [A, B]), month="2025-06", unit="城关镇", by="李四")
    review(ledger, B[0], term="积分", decision="other_sense", reason="会员积分", by="赵审")
    assert [c["name"] for c in list_clues(ledger, month="2025-06", state="other_sense")] == [B[1]]
    ingest(ledger, screened_file(tmp_path, "m2", [A, B], as_of="2025-07-31"), month="2025-07", unit="城关镇", by="李四")
    july = {c["key"]: c for c in list_clues(ledger, month="2025-07")}
    assert july[B[0]]["other_sense"] and july[B[0]]["terms"] == []
    changed = (*B[:4], "日用百货销售；积分兑换服务")
    s = ingest(ledger, screened_file(tmp_path, "m3", [A, changed], as_of="2025-08-31"), month="2025-08", unit="城关镇", by="李四")
    assert s.reopened == 1
    aug = {c["key"]: c for c in list_clues(ledger, month="2025-08")}
    assert not aug[B[0]]["other_sense"] and aug[B[0]]["terms"] == ["积分"]
    assert history_of(ledger, B[0])[1][-2]["action"] == "reopened"


def test_refusals_are_one_line_errors(ledger: Ledger, tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = screened_file(tmp_path, "m1", [A])
    with pytest.raises(LedgerError, match="YYYY-MM"):
        ingest(ledger, f, month="2025-13", unit="城关镇", by="李四")
    with pytest.raises(LedgerError, match="--by"):
        ingest(ledger, f, month="2025-06", unit="城关镇", by=" ")
    registry = tmp_path / "m1-registry.csv"
    with pytest.raises(LedgerError, match="不是 fangfei-screen scan 的结果文件"):
        ingest(ledger, registry, month="2025-06", unit="城关镇", by="李四")
    ingest(ledger, f, month="2025-06", unit="城关镇", by="李四")
    with pytest.raises(LedgerError, match="没有主体"):
        review(ledger, "nobody", term="投资", decision="confirmed", by="赵审")
    with pytest.raises(LedgerError, match="没有字样"):
        review(ledger, A[0], term="积分", decision="confirmed", by="赵审")
    with pytest.raises(LedgerError, match="reason"):
        review(ledger, A[0], term="投资", decision="other_sense", by="赵审")
    with pytest.raises(LedgerError, match="不在列表中"):
        dispose(ledger, A[0], Disposal(measure="喝茶", date=""), by="李四")
    with pytest.raises(LedgerError, match="YYYY-MM-DD"):
        dispose(ledger, A[0], Disposal(measure="约谈", date="2025-02-30"), by="李四")
    # 是否移送公安 agrees with the measure and with a 立案时间 (the form's 移送公安 group holds 立案时间)
    with pytest.raises(LedgerError, match="不能填「否」"):
        dispose(ledger, A[0], Disposal(measure="移送公安", date="2025-06-01", police="否"), by="李四")
    with pytest.raises(LedgerError, match="立案时间"):
        dispose(ledger, A[0], Disposal(measure="约谈", date="2025-06-01", police="否", case_date="2025-06-03"), by="李四")
    assert Disposal(measure="移送公安", date="2025-06-01").cleaned().police == "是"
    # dates as clerks type them (the spellings scan and report accept), but not in the future
    assert Disposal(measure="约谈", date="2025/07/21", case_date="2025年7月3日").cleaned().problems() == {}
    assert Disposal(measure="约谈", date="2025/07/21").cleaned().date == "2025-07-21"
    with pytest.raises(LedgerError, match="晚于今天"):
        dispose(ledger, A[0], Disposal(measure="约谈", date="2030-01-01"), by="李四")
    key, first = dispose(ledger, A[0], Disposal(measure="约谈", date="2025-06-01"), by="李四")
    assert first and not dispose(ledger, A[0], Disposal(measure="约谈", date="2025-06-01"), by="李四")[1]


def _run(capsys, *args: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    """The command in this process (as main() runs it), with its exit code and output."""
    from fangfei_screen.cli import main

    code = main(list(args))
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out.out, out.err)


def test_commands_name_the_database_and_answer_in_json(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    _cli = functools.partial(_run, capsys)
    f = screened_file(tmp_path, "m1", [A, B, C, D], suffix=".xlsx")
    db = tmp_path / "x.db"
    # the first as a person runs it: a process of its own
    done = subprocess.run([sys.executable, "-m", "fangfei_screen", "ledger", "ingest", str(f), "--month", "2025-06", "--unit", "城关镇",
                           "--by", "李四", "--db", str(db)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"sqlite:///{db}" in done.stdout and "新发 new: 3" in done.stdout
    listed = _cli("ledger", "list", "--month", "2025-06", "--json", "--db", str(db))
    items = json.loads(listed.stdout)
    assert sorted(i["name"] for i in items) == sorted([A[1], B[1], C[1]]) and {i["state"] for i in items} == {"new"}
    rv = _cli("ledger", "review", B[0], "--term", "积分", "--other-sense", "--reason", "会员积分", "--by", "赵审", "--db", str(db))
    assert rv.returncode == 0, rv.stderr
    # the clerk's words: the field by its Chinese name (a trial printed "积分（scope）：…")
    assert "经营范围中的“积分”：其他含义" in rv.stdout and "scope" not in rv.stdout
    shown = json.loads(_cli("ledger", "show", B[0], "--json", "--db", str(db)).stdout)
    assert shown["findings"][0]["decision"] == "other_sense" and shown["months"][0]["state"] == "new"
    hist = json.loads(_cli("ledger", "history", B[0], "--json", "--db", str(db)).stdout)
    assert [h["action"] for h in hist["history"]] == ["new", "review_other_sense"]
    for bad, msg in (
        (["ledger", "show", "nobody", "--db", str(db)], "没有主体"),
        (["ledger", "ingest", str(tmp_path / "none.csv"), "--month", "2025-06", "--unit", "u", "--by", "b", "--db", str(db)], "no such file"),
        (["ledger", "list", "--month", "June", "--db", str(db)], "YYYY-MM"),
        (["ledger", "dispose", A[0], "--measure", "约谈", "--date", "2025-6-31", "--by", "李四", "--db", str(db)], "YYYY-MM-DD"),
        (["ledger", "list", "--db", str(tmp_path / "no" / "such.db")], "目录不存在"),
        (["ledger", "list", "--db", "mysql://x/y"], "只支持"),
        (["ledger", "list", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/none"], "无法连接"),
    ):
        r = _cli(*bad)
        assert r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr, (bad, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1


def test_rescreen_output_ingests_with_its_list_version(ledger: Ledger, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fangfei_screen.rescreen import rescreen

    first = screened_file(tmp_path, "m1", [A, B, C])
    ingest(ledger, first, month="2025-06", unit="城关镇", by="李四")
    review(ledger, C[0], term="寄卖", decision="other_sense", reason="二手寄卖", by="赵审")
    with open(_bundled(), encoding="utf-8") as f:
        text = f.read()
    new_list = tmp_path / "list-2025-07.yaml"
    new_list.write_text(
        text.replace('version: "2025-05-30"', 'version: "2025-07-01"').replace(
            "  - term: 积分\n    category: 5\n    methods: [销售加盟积分返利]\n    exclusions:\n      - {pattern: 微积分, reason: exclusion}\n", ""
        ),
        encoding="utf-8",
    )
    changes = tmp_path / "changes.jsonl"
    rescreen(first, tmp_path / "m1-registry.csv", changes, lists=[str(new_list)], as_of="2025-07-01")
    # the same changes as a workbook, for a person: the change in Chinese first, then what ingest reads
    book = tmp_path / "changes.xlsx"
    rescreen(first, tmp_path / "m1-registry.csv", book, lists=[str(new_list)], as_of="2025-07-01")
    import openpyxl

    rows = list(openpyxl.load_workbook(book).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("变化", "原结论", "新结论") and "change" in rows[0] and len(rows) == 2
    assert rows[1][:3] == ("不再命中", "督促限期注销或变更名称、经营范围", "通过")
    s = ingest(ledger, changes, month="2025-07", unit="城关镇", by="李四")
    assert dict(s.states) == {"resolved": 1}  # B no longer has a counted term under the new list
    info = show(ledger, B[0])
    assert [m["state"] for m in info["months"]] == ["new", "resolved"] and info["scope"] == B[4]
    assert show(ledger, C[0])["findings"][0]["decision"] == "other_sense"  # C is not among the changes: untouched


def _bundled() -> str:
    from fangfei_screen import bundled_list_path

    return str(bundled_list_path())


def test_two_scope_columns_give_context_from_the_hit_s_own_column(ledger: Ledger, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import csv

    from fangfei_screen.scanfile import scan_file

    registry = tmp_path / "two.csv"
    with registry.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["统一社会信用代码", "企业名称", "经营范围(一般项目)", "经营范围(许可项目)"])
        w.writerow(["91340323MA0000009X", "固镇县某某商贸有限公司", "日用百货销售", "会员积分管理服务"])
    out = tmp_path / "two-screened.csv"
    scan_file(str(registry), str(out), as_of="2025-06-30")
    ingest(ledger, out, month="2025-06", unit="城关镇", by="李四")
    (finding,) = show(ledger, "91340323MA0000009X")["findings"]
    assert finding["term"] == "积分" and finding["context"] == "会员积分管理服务"


def test_an_entity_on_several_rows_in_several_chunks_is_one_clue(ledger: Ledger, tmp_path) -> None:  # type: ignore[no-untyped-def]
    b_again = (B[0], B[1], "存续", "", "品牌加盟")  # the same credit code, another term
    f = screened_file(tmp_path, "dup", [A, B, D, C, b_again, D])
    ingest(ledger, f, month="2025-06", unit="城关镇", by="李四")
    one = {c["key"]: c for c in list_clues(ledger, month="2025-06")}
    other = Ledger.open(f"sqlite:///{tmp_path / 'chunked.db'}")
    s = ingest(other, f, month="2025-06", unit="城关镇", by="李四", chunk_rows=2)  # B's rows fall in different chunks
    two = {c["key"]: c for c in list_clues(other, month="2025-06")}
    assert s.flagged == 3 and sorted(two) == sorted(one) == sorted([A[0], B[0], C[0]])
    assert sorted(two[B[0]]["terms"]) == sorted(one[B[0]]["terms"]) == ["加盟", "积分"]


def test_a_report_for_a_unit_the_ledger_does_not_know_is_refused_or_read_as_its_unit(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """An empty Attachment 2 for a misspelt unit would look like a month without clues."""
    db = f"sqlite:///{tmp_path / 'l.db'}"
    ingest(Ledger.open(db), screened_file(tmp_path, "m1", [A, B, C, D]), month="2025-06", unit="城关镇", by="李四")
    out = tmp_path / "r.xlsx"
    wrong = _run(capsys, "report", "--ledger", "--month", "2025-06", "--unit", "不存在镇", "--db", db, "-o", str(out))
    assert wrong.returncode == 2 and "台账中没有单位「不存在镇」；已有的单位：城关镇" in wrong.stderr
    assert not out.exists()
    short = _run(capsys, "report", "--ledger", "--month", "2025-06", "--unit", "城关", "--db", db, "-o", str(out))
    assert short.returncode == 0 and "按台账中的「城关镇」报送" in short.stderr
    full = _run(capsys, "report", "--ledger", "--month", "2025-06", "--unit", "城关镇", "--db", db, "-o", str(tmp_path / "f.xlsx"))
    assert full.stdout.split("：")[-1] == short.stdout.split("：")[-1].replace("r.xlsx", "f.xlsx")


def test_a_month_whose_codes_excel_mangled_finds_its_entities_by_name(ledger: Ledger, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # a trial: month 2's 统一社会信用代码 column saved by Excel as 9.13403E+17 made every clue "new"
    # again under a name key, marked the coded ones missing and lost their reviews
    ingest(ledger, screened_file(tmp_path, "m1", [A, B, C]), month="2025-06", unit="城关镇", by="李四")
    review(ledger, B[0], term="积分", decision="other_sense", reason="会员积分", by="赵审")
    mangled = [("9.13403E+17", *row[1:]) for row in (A, B, C)]
    s = ingest(ledger, screened_file(tmp_path, "m2", mangled, as_of="2025-07-31"), month="2025-07", unit="城关镇", by="李四",
               complete=True)
    assert s.states["new"] == 0 and s.states["missing"] == 0
    got = {c["key"]: c["state"] for c in list_clues(ledger, month="2025-07")}
    assert set(got) <= {A[0], B[0], C[0]} and got[A[0]] == "recurring", got
    assert show(ledger, B[0])["findings"][0]["decision"] == "other_sense"  # the review kept
    # two entities of one name: no guess, the row keeps its own name key
    twin = ("91340323MA0000009X", C[1], "存续", "", "寄卖服务")
    ingest(ledger, screened_file(tmp_path, "m3", [A, B, C, twin], as_of="2025-08-31"), month="2025-08", unit="城关镇", by="李四")
    s4 = ingest(ledger, screened_file(tmp_path, "m4", [("9.13403E+17", *C[1:])], as_of="2025-09-30"), month="2025-09",
                unit="城关镇", by="李四")
    assert s4.states["new"] == 1 and f"城关镇/{C[1]}" in {c["key"] for c in list_clues(ledger, month="2025-09")}


def test_one_township_typed_two_ways_is_one_unit(ledger: Ledger, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ingest(ledger, screened_file(tmp_path, "m1", [A, B]), month="2025-06", unit="新马桥镇", by="孙五")
    s = ingest(ledger, screened_file(tmp_path, "m2", [A, B], as_of="2025-07-31"), month="2025-07", unit="新马桥", by="孙五")
    assert s.unit == "新马桥镇" and s.states["recurring"] == 2
    with ledger.reading() as conn:
        assert {u for (u,) in conn.execute(select(metadata.tables["batches"].c.unit).distinct())} == {"新马桥镇"}
