"""Issue 16, part 2 and the prohibitions of part 4: X除外 / X以外 exclude X like 不含X,
a clause that excludes only other words negates nothing listed, and 不得 negates its
own verb phrase. Phrasings are those of real registers quoted in issue 16 and the
standard conditions attached to investment scopes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fangfei_screen import Action, Screener, SuppressReason

from .test_negation import _characters_touched, _python_steps


def verdicts(screener: Screener, scope: str) -> tuple[list[str], list[str]]:
    r = screener.screen("某某有限公司", scope)
    return [h.keyword for h in r.hits], [h.keyword for h in r.suppressed if h.reason is SuppressReason.NEGATED]


@pytest.mark.parametrize(
    "scope,counted,negated",
    [
        # issue 16's real examples
        ("佣金代理（拍卖除外）", [], ["拍卖"]),
        ("企业管理咨询（金融、证券、期货、教育、投资除外）", [], ["投资"]),
        ("信息服务（投融资中介除外）", [], ["投融资"]),
        # as registered (scopes of real entities quoted on public company-profile pages)
        ("电子产品及配件的批发、进出口、佣金代理（拍卖除外）及相关配套服务。", [], ["拍卖"]),
        ("工艺礼品（文物除外）、室内装饰品的批发、零售、佣金代理（拍卖除外），商务信息咨询", [], ["拍卖"]),
        # outside brackets X runs back to its clause's start, not past a ， or ；
        ("信息咨询，投融资中介除外，五金销售", [], ["投融资"]),
        ("投资咨询；拍卖除外", ["投资"], ["拍卖"]),
        # 但X除外: X begins after 但
        ("从事投资咨询，但金融投资除外", ["投资"], ["投资"]),
        ("寄卖服务，但文物拍卖除外", ["寄卖"], ["拍卖"]),
        # X以外的Y: X is excluded, Y counts
        ("拍卖以外的寄卖服务", ["寄卖"], ["拍卖"]),
        # white space between items ends the excluded part too
        ("投资咨询 拍卖除外", ["投资"], ["拍卖"]),
        # 除…以外 is 除…外
        ("除拍卖以外的寄卖服务", ["寄卖"], ["拍卖"]),
        # 以/除 before a word beginning with 外 close nothing
        ("投资咨询以外汇结算", ["投资"], []),
        ("投资咨询，以外资形式经营", ["投资"], []),
        ("拍卖业务以外商独资形式经营", ["拍卖"], []),
    ],
)
def test_a_word_before_chuwai_is_excluded(screener: Screener, scope: str, counted: list[str], negated: list[str]) -> None:
    assert verdicts(screener, scope) == (counted, negated)
    r = screener.screen("某某有限公司", scope)
    assert r.action is (Action.BLOCK if counted else Action.PASS)
    for h in r.suppressed:
        assert h.detail.startswith("「") and ("除外" in h.detail or "以外" in h.detail)


@pytest.mark.parametrize(
    "scope",
    [
        "投资咨询（国家另有规定的除外）",
        "投资咨询，法律法规规定需要审批的除外",
        "自营和代理各类商品和技术的进出口，国家限定企业经营或禁止进出口的商品和技术除外；拍卖业务",
        "投资管理（依法须经批准的项目除外）",
    ],
)
def test_a_clause_that_excludes_other_words_negates_nothing_listed(screener: Screener, scope: str) -> None:
    counted, negated = verdicts(screener, scope)
    assert counted and not negated


STANDARD_CONDITIONS = (
    "（1、未经有关部门批准，不得以公开方式募集资金；2、不得公开开展证券类产品和金融衍生品交易活动；"
    "3、不得发放贷款；4、不得对所投资企业以外的其他企业提供担保；5、不得向投资者承诺投资本金不受损失或者承诺最低收益）"
)


def test_the_standard_conditions_of_investment_scopes_negate_no_investing(screener: Screener) -> None:
    """Forbidding guarantees for others than the invested enterprises, and promises to
    investors, says the entity invests: every 投资 in them counts."""
    r = screener.screen("某某有限公司", "企业管理咨询" + STANDARD_CONDITIONS)
    assert [h.keyword for h in r.hits] == ["投资"] * 3
    assert not [h for h in r.suppressed if h.keyword == "投资"]
    assert r.action is Action.BLOCK


def test_a_real_investment_scope_with_its_conditions_counts_every_investing(screener: Screener) -> None:
    """As registered, quotation marks and the 依法须经批准 note included."""
    scope = (
        "资产管理；项目投资；投资管理。（“1、未经有关部门批准，不得以公开方式募集资金；2、不得公开开展证券类产品和金融衍生品交易活动；"
        "3、不得发放贷款；4、不得对所投资企业以外的其他企业提供担保；5、不得向投资者承诺投资本金不受损失或者承诺最低收益”；"
        "依法须经批准的项目，经相关部门批准后依批准的内容开展经营活动。）"
    )
    r = screener.screen("某某资产管理有限责任公司", scope, kind="existing")
    assert [h.keyword for h in r.hits] == ["投资"] * 5 and not r.suppressed


def test_the_variant_with_xiang_and_gongkai_jiaoyi_counts_too(screener: Screener) -> None:
    """The same conditions as other registries write them (向所投资企业以外的, 公开交易)."""
    scope = (
        "投资管理；资产管理。（1、不得以公开方式募集资金；2、不得公开交易证券类产品和金融衍生品；3、不得发放贷款；"
        "4、不得向所投资企业以外的其他企业提供担保；5、不得向投资者承诺投资本金不受损失或者承诺最低收益）"
    )
    r = screener.screen("某某投资管理有限公司", scope)
    assert [h.keyword for h in r.hits if h.field.value == "scope"] == ["投资"] * 4
    assert not r.suppressed


@pytest.mark.parametrize(
    "scope,counted,negated",
    [
        # a restriction opens its own clause
        ("项目管理（不得吸收公众存款、不得非法集资，仅限以自有资产投资）", ["投资"], []),
        ("企业管理（不含金融业务，仅限自有资金投资）", ["投资"], []),
        # what a prohibition forbids stays negated: its object, and a manner phrase (以X方式)
        ("（不得从事吸收存款、发行票据，发放贷款等金融业务）", [], ["票据"]),
        ("某公司，严禁以拍卖方式销售", [], ["拍卖"]),
        ("建材销售，不得从事投资活动", [], ["投资"]),
        ("五金销售，不得向社会公众开展投资咨询", [], ["投资"]),
        ("禁止对外开展拍卖业务", [], ["拍卖"]),
    ],
)
def test_a_prohibition_negates_its_own_verb_phrase(
    screener: Screener, scope: str, counted: list[str], negated: list[str]
) -> None:
    assert verdicts(screener, scope) == (counted, negated)


# -- work in proportion to the scope's length, as tests/test_negation.py counts it --

GROWTH: list[Callable[[int], str]] = [
    lambda n: "甲" + "投资除外" * n,  # n 除外 in one clause
    lambda n: "（" + "、".join(["投资"] * n) + "除外）",  # one 除外 excluding n words
    lambda n: "投资以外的" * n + "寄卖",  # n 以外
    lambda n: "不得对" * n + "投资",  # n prohibitions with a phrase and no verb
    lambda n: "不得对所投资企业提供担保；" * n,  # n standard conditions
]


@pytest.mark.parametrize("shape", range(len(GROWTH)))
def test_work_and_copying_grow_linearly(screener: Screener, shape: int) -> None:
    make = GROWTH[shape]
    screener.screen("某公司", make(50))
    small = _python_steps(lambda: screener.screen("某公司", make(2000)))
    large = _python_steps(lambda: screener.screen("某公司", make(4000)))
    assert large <= 2.5 * small, (small, large)
    small = _characters_touched(screener, make(2000))
    large = _characters_touched(screener, make(4000))
    assert large <= 2.5 * max(small, 1), (small, large)
