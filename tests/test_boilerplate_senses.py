"""Issue 16, part 4: registry boilerplate in which a listed word has another sense,
judged from its sentence, and the same words still counting where they are financial.
Phrasings from real registers quoted in issue 16, the national scope catalogue and
the standard registration notes."""

from __future__ import annotations

import pytest

from fangfei_screen import Screener, SuppressReason
from fangfei_screen.clausesenses import RULES


def reasons(screener: Screener, scope: str, term: str) -> tuple[bool, set[SuppressReason | None]]:
    r = screener.screen("某某有限公司", scope)
    return term in r.keywords, {h.reason for h in r.suppressed if h.keyword == term}


@pytest.mark.parametrize(
    "scope,term",
    [
        # the public credit-information system
        ("（市场主体依法自主选择经营项目，开展经营活动，并应当在国家企业信用信息公示系统公示）", "信用"),
        ("登记许可及信用信息公示", "信用"),
        ("企业信用信息公示系统年报代填报服务", "信用"),
        ("分支机构经营（隶属企业统一社会信用代码：见营业执照）", "信用"),
        # hazardous chemicals, fuel and gas traded without storage
        ("危险化学品经营（票据式经营，无储存）", "票据"),
        ("危险化学品票据贸易", "票据"),
        ("危险化学品：无储存经营（票据贸易）", "票据"),
        ("成品油批发（仅限票据交易）", "票据"),
        ("燃气经营（票据批发）", "票据"),
        ("危化品经营（无储存票据经营）", "票据"),
        # what a post office carries
        ("国内快递（邮政企业专营业务除外）；报刊票据、礼品的递送", "票据"),
        # the legal category of foreign-invested enterprises, in a proviso
        ("租赁业务（外商投资企业需持批文、批准证书经营）", "投资"),
    ],
)
def test_boilerplate_is_of_another_sense(screener: Screener, scope: str, term: str) -> None:
    counted, why = reasons(screener, scope, term)
    assert not counted and why == {SuppressReason.OTHER_SENSE}
    r = screener.screen("某某有限公司", scope)
    assert all(h.detail for h in r.suppressed)


@pytest.mark.parametrize(
    "scope,term",
    [
        ("票据贴现服务", "票据"),
        ("票据交易；成品油零售", "票据"),  # another sentence: the fuel says nothing of it
        ("无储存经营（票据贸易）", "票据"),  # nothing says it is about chemicals, fuel or gas
        ("办理票据承兑与贴现；代理发行、代理兑付、承销政府债券", "票据"),
        ("文件递送；票据贴现", "票据"),
        ("企业信用评级服务", "信用"),
        ("企业信用修复服务", "信用"),
        ("外商投资咨询", "投资"),
        ("以自有资金从事投资活动（外商投资企业需持批文经营的除外）", "投资"),
        # the rule for the boilerplate still lets the item before it count
        ("信用卡代理推广；登记许可及信用信息公示", "信用"),
    ],
)
def test_the_same_words_still_count_where_they_are_financial(screener: Screener, scope: str, term: str) -> None:
    counted, _ = reasons(screener, scope, term)
    assert counted


def test_every_rule_says_why_and_where_from() -> None:
    for rule in RULES:
        assert rule.reason and rule.source and rule.sentence
