"""The action: new, change and existing registrations, dormancy at its edges, licences."""

from __future__ import annotations

from datetime import date

import pytest

from fangfei_screen import Action, Screener
from fangfei_screen.policy import add_months


@pytest.mark.parametrize(
    "name,scope,action",
    [("某投资有限公司", "", Action.BLOCK), ("某贸易有限公司", "日用百货销售", Action.PASS), ("某贸易有限公司", "寄卖服务", Action.BLOCK)],
)
def test_new(screener: Screener, name: str, scope: str, action: Action) -> None:
    r = screener.screen(name, scope, kind="new")
    assert r.action is action and r.basis


@pytest.mark.parametrize(
    "before_name,before_scope,name,scope,action",
    [
        ("某贸易有限公司", "日用百货销售", "某商贸有限公司", "日用百货销售", Action.PASS),
        ("某贸易有限公司", "日用百货销售", "某投资有限公司", "日用百货销售", Action.BLOCK),  # adds
        ("某投资有限公司", "寄卖服务", "某贸易有限公司", "寄卖服务", Action.ALLOW_REMOVAL),  # removes part
        ("某投资有限公司", "寄卖服务", "某贸易有限公司", "日用百货销售", Action.ALLOW_REMOVAL),  # removes all
        ("某投资有限公司", "寄卖服务", "某投资有限公司", "寄卖服务；五金销售", Action.BLOCK),  # equal, not empty
        ("某投资有限公司", "", "某贸易有限公司", "众筹平台", Action.BLOCK),  # removes one, adds another
        ("某投资有限公司", "", "某投资贸易有限公司", "", Action.BLOCK),  # same set
        ("某ＮＦＴ有限公司", "", "某数字藏品有限公司", "", Action.BLOCK),  # synonym of the same term
    ],
)
def test_change(
    screener: Screener, before_name: str, before_scope: str, name: str, scope: str, action: Action
) -> None:
    r = screener.screen(name, scope, kind="change", before_name=before_name, before_scope=before_scope)
    assert r.action is action, r.to_dict()


def test_change_without_before_fields_treats_them_as_unchanged(screener: Screener) -> None:
    assert screener.screen("某投资有限公司", "日用百货", kind="change").action is Action.BLOCK
    r = screener.screen("某贸易有限公司", "日用百货", kind="change", before_name="某投资有限公司")
    assert r.action is Action.ALLOW_REMOVAL and r.before_keywords == ("投资",)


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)
    assert add_months(date(2025, 1, 15), 6) == date(2025, 7, 15)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)


EXISTING = dict(kind="existing", entity_type="company")


@pytest.mark.parametrize(
    "established,as_of,action",
    [
        ("2025-01-15", "2025-07-15", Action.ORDER_RENAME),  # exactly six months: not MORE than six
        ("2025-01-15", "2025-07-16", Action.PROPOSE_REVOCATION),
        ("2025-08-31", "2026-02-28", Action.ORDER_RENAME),  # six months end on 28 Feb
        ("2025-08-31", "2026-03-01", Action.PROPOSE_REVOCATION),
    ],
)
def test_not_opened_for_more_than_six_months(screener: Screener, established: str, as_of: str, action: Action) -> None:
    r = screener.screen("某投资有限公司", status="not_opened", established_on=established, as_of=as_of, **EXISTING)
    assert r.action is action
    if action is Action.PROPOSE_REVOCATION:
        assert "第二百六十条第一款" in r.basis


@pytest.mark.parametrize(
    "since,as_of,action",
    [
        ("2025-01-15", "2025-07-14", Action.ORDER_RENAME),
        ("2025-01-15", "2025-07-15", Action.PROPOSE_REVOCATION),  # six months or more
        ("2025-08-31", "2026-02-27", Action.ORDER_RENAME),
        ("2025-08-31", "2026-02-28", Action.PROPOSE_REVOCATION),
    ],
)
def test_suspended_six_months_or_more(screener: Screener, since: str, as_of: str, action: Action) -> None:
    r = screener.screen("某投资有限公司", status="suspended", suspended_since=since, as_of=as_of, **EXISTING)
    assert r.action is action


@pytest.mark.parametrize(
    "options",
    [
        dict(status="suspension_filed", suspended_since="2020-01-01"),  # 依法办理歇业: never revoked
        dict(status=None, established_on="2000-01-01"),
        dict(status="operating", established_on="2000-01-01"),
        dict(status="not_opened"),  # no date: nothing guessed
        dict(status="suspended"),
    ],
)
def test_no_revocation_without_known_dormancy(screener: Screener, options: dict) -> None:
    r = screener.screen("某投资有限公司", as_of="2026-01-01", **EXISTING, **options)
    assert r.action is Action.ORDER_RENAME


@pytest.mark.parametrize(
    "name,entity_type,action",
    [
        ("某投资有限公司", None, Action.PROPOSE_REVOCATION),  # a company by its name
        ("某投资有限公司（分公司）", None, Action.PROPOSE_REVOCATION),
        ("固镇县聚宝寄卖行", None, Action.ORDER_RENAME),
        ("固镇县聚宝寄卖行", "individual", Action.ORDER_RENAME),
        ("某投资农民专业合作社", "cooperative", Action.ORDER_RENAME),
        ("某投资合伙企业（有限合伙）", None, Action.ORDER_RENAME),
        ("某投资合伙企业（有限合伙）", "partnership", Action.ORDER_RENAME),
        ("固镇县聚宝寄卖行", "company", Action.PROPOSE_REVOCATION),
    ],
)
def test_only_companies_are_proposed_for_revocation(screener: Screener, name: str, entity_type: str | None, action: Action) -> None:
    r = screener.screen(
        name, kind="existing", entity_type=entity_type, status="not_opened", established_on="2020-01-01", as_of="2025-06-01"
    )
    assert r.action is action


def test_existing_without_hits_passes(screener: Screener) -> None:
    r = screener.screen("某贸易有限公司", "日用百货", kind="existing", status="not_opened", established_on="2000-01-01")
    assert r.action is Action.PASS


@pytest.mark.parametrize("kind", ["new", "change", "existing"])
def test_licensed_entities_are_exempt(screener: Screener, kind: str) -> None:
    r = screener.screen("固镇农村商业银行股份有限公司", "票据贴现；投资", kind=kind, licensed=True, before_scope="")
    assert r.action is Action.EXEMPT and r.hits
    assert screener.screen("某贸易有限公司", kind=kind, licensed=True).action is Action.PASS


def test_as_of_defaults_to_today(screener: Screener) -> None:
    today = date.today()
    six_ago = date(today.year - 1, today.month, 1)
    r = screener.screen("某投资有限公司", kind="existing", status="suspended", suspended_since=six_ago)
    assert r.action is Action.PROPOSE_REVOCATION
