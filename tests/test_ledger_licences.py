"""The ledger keeps names of a licensed kind of institution (verify_licence) in their own
state, 待核实牌照, until a reviewer records the licence (exempt) or its absence (a clue of
Attachment 2 like any other, the basis saying 经核实无金融牌照). On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from fangfei_screen.cli import main
from fangfei_screen.ledger import Ledger, LedgerError
from fangfei_screen.ledger.decisions import review_licence
from fangfei_screen.ledger.ingest import ingest
from fangfei_screen.ledger.queries import history_of, list_clues, show
from fangfei_screen.ledger.reports import attachment2_rows

from .ledger_db import db_url, ledger, screened_file  # noqa: F401 - fixtures

BANK = ("91340323MA0000011A", "中国工商银行股份有限公司固镇支行", "存续", "固镇县谷阳路",
        "吸收公众存款；发放短期、中期和长期贷款；办理票据承兑与贴现；代理国外信用卡付款；提供信用证服务及担保")
UNION = ("91340323MA0000012B", "固镇县农村信用合作联社湖沟分社", "存续", "固镇县湖沟镇",
         "吸收公众存款；发放贷款；办理国内结算；办理票据承兑与贴现")
AGENCY = ("91340323MA0000013C", "安徽某某保险代理有限公司", "存续", "固镇县城关镇", "代理销售保险产品；信用保险代理")
GENERAL = ("91340323MA0000014D", "固镇县鑫源投资管理有限公司", "存续", "固镇县城关镇", "投资咨询")


def states(ledger: Ledger, month: str) -> dict[str, str]:
    return {c["name"]: c["state"] for c in list_clues(ledger, month=month)}


def test_verify_licence_waits_in_its_own_state_and_is_not_in_attachment_2(ledger: Ledger, tmp_path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    f = screened_file(tmp_path, "m1", [BANK, UNION, AGENCY, GENERAL])
    s = ingest(ledger, f, month="2025-06", unit="城关镇", by="李四")
    assert s.states["licence_pending"] == 3 and s.states["new"] == 1
    assert states(ledger, "2025-06") == {BANK[1]: "licence_pending", UNION[1]: "licence_pending",
                                         AGENCY[1]: "licence_pending", GENERAL[1]: "new"}
    assert [r[0] for r in attachment2_rows(ledger, month="2025-06")] == [GENERAL[1]]
    assert {c["name"] for c in list_clues(ledger, state="licence_pending")} == {BANK[1], UNION[1], AGENCY[1]}

    licensed = review_licence(ledger, BANK[0], licensed=True, licence_no="B0001B234030002", issuer="国家金融监督管理总局蚌埠监管分局", by="王五")
    assert licensed["state"] == "licensed"
    missing = review_licence(ledger, AGENCY[1], licensed=False, by="王五")
    assert missing["state"] == "new" and "经核实无金融牌照" in missing["basis"]
    assert states(ledger, "2025-06")[BANK[1]] == "licensed" and states(ledger, "2025-06")[AGENCY[1]] == "new"
    rows = {r[0]: r for r in attachment2_rows(ledger, month="2025-06")}
    assert set(rows) == {GENERAL[1], AGENCY[1]}
    assert "经核实无金融牌照" in rows[AGENCY[1]][-1] and "督促限期注销或变更名称" in rows[AGENCY[1]][-1]
    assert "经核实无金融牌照" not in rows[GENERAL[1]][-1]
    entity = show(ledger, BANK[0])
    assert entity["licence"]["licence_no"] == "B0001B234030002" and entity["licence"]["licensed"] is True
    _, history = history_of(ledger, BANK[0])
    assert history[-1]["action"] == "licence_verified" and history[-1]["by"] == "王五"
    from fangfei_screen.ledger.history import sentence

    # as the clerk reads it (a trial saw "王五 licence_verified" and "李四 licence_pending")
    said = [sentence(h) for h in history]
    assert "待核实牌照" in said[0] and "licence" not in " ".join(said)
    assert "持有金融牌照（许可证编号 B0001B234030002，发证机关 国家金融监督管理总局蚌埠监管分局）" in said[-1]
    _, agency = history_of(ledger, AGENCY[1])
    assert "无金融牌照" in sentence(agency[-1])

    # next month the same file: the licensed stays licensed, the unlicensed is a recurring clue,
    # the unreviewed still waits
    f2 = screened_file(tmp_path, "m2", [BANK, UNION, AGENCY, GENERAL], as_of="2025-07-31")
    ingest(ledger, f2, month="2025-07", unit="城关镇", by="李四")
    assert states(ledger, "2025-07") == {BANK[1]: "licensed", UNION[1]: "licence_pending",
                                         AGENCY[1]: "recurring", GENERAL[1]: "recurring"}
    assert attachment2_rows(ledger, month="2025-07") == []
    # a finding can be corrected: the agency's licence turns up after all
    review_licence(ledger, AGENCY[0], licensed=True, licence_no="2103340300000800", issuer="国家金融监督管理总局安徽监管局", by="王五")
    assert states(ledger, "2025-07")[AGENCY[1]] == "licensed"
    assert show(ledger, AGENCY[0])["licence"]["licensed"] is True


def test_a_licence_needs_its_number_and_issuer_and_an_ordinary_clue_has_none(ledger: Ledger, tmp_path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    ingest(ledger, screened_file(tmp_path, "m1", [BANK, GENERAL]), month="2025-06", unit="城关镇", by="李四")
    with pytest.raises(LedgerError, match="许可证编号"):
        review_licence(ledger, BANK[0], licensed=True, licence_no="", issuer="国家金融监督管理总局", by="王五")
    with pytest.raises(LedgerError, match="不是待核实牌照"):
        review_licence(ledger, GENERAL[0], licensed=False, by="王五")
    with pytest.raises(LedgerError, match="--by"):
        review_licence(ledger, BANK[0], licensed=False, by=" ")
    assert states(ledger, "2025-06")[BANK[1]] == "licence_pending"


def test_the_review_command(ledger: Ledger, db_url: str, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    f = screened_file(tmp_path, "m1", [BANK, UNION])
    assert main(["ledger", "ingest", str(f), "--month", "2025-06", "--unit", "城关镇", "--by", "李四", "--db", db_url]) == 0
    assert "待核实牌照" in capsys.readouterr().out
    base = ["ledger", "review", BANK[0], "--by", "王五", "--db", db_url]
    assert main([*base, "--licensed", "--licence-no", "B0001B234030002"]) == 2
    assert "发证机关" in capsys.readouterr().err
    assert main([*base, "--licensed", "--licence-no", "B0001B234030002", "--issuer", "国家金融监督管理总局蚌埠监管分局"]) == 0
    assert "核实持牌" in capsys.readouterr().out
    assert main(["ledger", "review", UNION[1], "--unlicensed", "--term", "票据", "--by", "王五", "--db", db_url]) == 2
    assert main(["ledger", "review", UNION[1], "--unlicensed", "--by", "王五", "--db", db_url]) == 0
    assert "无金融牌照" in capsys.readouterr().out
    assert main(["ledger", "list", "--month", "2025-06", "--state", "licensed", "--db", db_url, "--json"]) == 0
    assert BANK[1] in capsys.readouterr().out
