"""A scope judged unit by unit (judge.unit_cuts) and remembered gives the careful
path's answer: the same hits, suppressed hits and details at the same offsets, on real
phrasing where the judge reads context (negations, 除…外, X除外, 以外, brackets holding
；, clause senses, Latin words, names and institutions)."""

from __future__ import annotations

import random

import pytest

from fangfei_screen import Screener
from fangfei_screen.judge import unit_cuts
from fangfei_screen.models import Field

# Scope items as registers write them (data/public/scope_catalogue.txt, 商业银行法 art. 3,
# 保险法 art. 95, the bundled reference cases) around terms and the traps of each rule.
ITEMS = [
    "吸收公众存款",
    "发放短期、中期和长期贷款",
    "办理票据承兑与贴现",
    "提供信用证服务及担保",
    "代理国外信用卡付款",
    "企业财产损失保险",
    "信用保险",
    "证券投资咨询",
    "以自有资金从事投资活动",
    "投资咨询",
    "融资租赁业务",
    "日用百货销售（不含危险化学品）",
    "贸易经纪与代理（不含拍卖）",
    "五金（仅限批发；不含典当，投资咨询）",
    "不得从事吸收存款、融资担保、代客理财等金融业务",
    "除依法须经批准的项目外，凭营业执照依法自主开展经营活动",
    "除证券投资咨询外的投资咨询",
    "企业管理咨询（金融、证券、投资除外）",
    "信息咨询服务，但金融信息服务除外",
    "不得对所投资企业以外的其他企业提供担保",
    "危险化学品经营（票据贸易，无储存）",
    "报刊、票据、礼品的递送",
    "积分卡销售",
    "NFT艺术品设计",
    "unfto软件开发",
    "通信用光缆销售",
    "3D打印服务",
    "不含 危险化学品 投资",
    "软件开发",
    "",
]
NAMES = [
    "固镇县农村信用合作联社",
    "中国人民财产保险股份有限公司固镇支公司",
    "中国工商银行股份有限公司固镇支行",
    "固镇县天诚信用评级有限责任公司",
    "某某投资管理有限公司",
    "诚信用心商贸有限公司",
    "麦积分公司",
    "固镇县日用百货商店",
]
SEPARATORS = ["；", "；", "；", ";", "。", "，", "、"]


def _scopes() -> list[str]:
    rng = random.Random(20250530)
    out = [
        "；".join(ITEMS),
        "五金（仅限批发；不含典当，投资咨询）；投资咨询",
        "（不含典当；投资咨询）；投资咨询；（信用保险",
        "信用保险）；投资咨询（不含证券投资咨询；信用卡",
        "；；投资咨询；",
    ]
    for _ in range(300):
        items = rng.sample(ITEMS, rng.randint(1, 8))
        text = items[0]
        for item in items[1:]:
            text += rng.choice(SEPARATORS) + item
        out.append(text)
    return out


@pytest.fixture(scope="module")
def careful() -> Screener:
    s = Screener()
    s._scan = s._scan_careful  # type: ignore[method-assign]
    return s


def test_unit_cuts_only_outside_brackets() -> None:
    text = "五金（仅限批发；不含典当）；投资咨询;信用保险。软件（开发【测试；运维】；）；完"
    assert [text[c] for c in unit_cuts(text)] == ["；", ";", "。", "；"]
    assert unit_cuts("软件（开发；测试") == []  # an unclosed bracket: not cut
    assert unit_cuts("投资咨询") == []


def test_each_scope_judged_by_units_equals_the_careful_judgement(screener: Screener) -> None:
    fast = Screener()
    for scope in _scopes():
        assert fast._scan(scope, Field.SCOPE) == screener._scan_careful(scope, Field.SCOPE), scope
    # the unit path was taken and its memo answered for recurring units
    assert fast._scope_memo.cache_info().misses > 100
    assert fast._memo.cache_info().hits > 100


def test_a_cut_inside_brackets_would_change_the_verdict(screener: Screener) -> None:
    """What the bracket rule of unit_cuts protects: in （仅限批发；不含典当，投资咨询）
    the 不含 reaches its closing bracket; judged alone from the ； it would stop at ，."""
    scope = "五金（仅限批发；不含典当，投资咨询）"
    whole = screener._scan_careful(scope, Field.SCOPE)
    assert {h.keyword for h in whole.suppressed} >= {"投资"} and not whole.hits
    alone = screener._scan_careful("不含典当，投资咨询）", Field.SCOPE)
    assert {h.keyword for h in alone.hits} == {"投资"}
    assert Screener()._scan(scope, Field.SCOPE) == whole


@pytest.mark.parametrize("kind", ["existing", "new"])
def test_screen_many_equals_the_careful_path_record_by_record(careful: Screener, kind: str) -> None:
    rng = random.Random(7)
    records = [{"name": rng.choice(NAMES), "scope": scope} for scope in _scopes()] * 2
    fast = Screener()
    many = [r.to_dict() for r in fast.screen_many(records, kind=kind, as_of="2025-06-30")]
    plain = [careful.screen(r["name"], r["scope"], kind=kind, as_of="2025-06-30").to_dict() for r in records]
    assert many == plain
    assert sum(1 for r in many if r["hits"]) > 100 and sum(1 for r in many if r["suppressed"]) > 50
    assert any(r["institution"] for r in many)
