"""Scanning: normalisation, longest match, suppression rules, result shape, robustness."""

from __future__ import annotations

import json

import pytest

from fangfei_screen import (
    Action,
    Field,
    Screener,
    ScreeningInputError,
    SuppressReason,
    Via,
)


def counted(screener: Screener, name: str, scope: str = "") -> list[str]:
    return [h.keyword for h in screener.screen(name, scope).hits]


def suppressed(screener: Screener, name: str, scope: str = "") -> dict[str, str]:
    return {h.keyword: h.reason.value for h in screener.screen(name, scope).suppressed if h.reason}


@pytest.mark.parametrize(
    "text,keyword,via",
    [
        ("ＮＦＴ数码有限公司", "NFT", Via.VARIANT),
        ("Ｎｆｔ数码有限公司", "NFT", Via.VARIANT),
        ("nft数码有限公司", "NFT", Via.VARIANT),
        ("Nft数码有限公司", "NFT", Via.VARIANT),
        ("NFT数码有限公司", "NFT", Via.EXACT),
        ("眾籌平台有限公司", "众筹", Via.VARIANT),
        ("區塊鏈科技有限公司", "区块链", Via.VARIANT),
        ("樂齡養老服務有限公司", "养老服务", Via.VARIANT),
        ("聚寶寄賣行", "寄卖", Via.VARIANT),
        ("雲養殖科技有限公司", "云养殖", Via.VARIANT),
        ("区塊链科技有限公司", "区块链", Via.VARIANT),  # simplified and traditional mixed
        ("投 资管理有限公司", "投资", Via.VARIANT),
        ("投\u3000资管理有限公司", "投资", Via.VARIANT),
        ("投·资管理有限公司", "投资", Via.VARIANT),
        ("投•资管理有限公司", "投资", Via.VARIANT),
        ("投・资管理有限公司", "投资", Via.VARIANT),
        ("投*资管理有限公司", "投资", Via.VARIANT),
        ("投_资管理有限公司", "投资", Via.VARIANT),
        ("投-资管理有限公司", "投资", Via.VARIANT),
        ("投~资管理有限公司", "投资", Via.VARIANT),
        ("投|资管理有限公司", "投资", Via.VARIANT),
        ("投/资管理有限公司", "投资", Via.VARIANT),
        ("投\u200b资管理有限公司", "投资", Via.VARIANT),
        ("投\u200c资管理有限公司", "投资", Via.VARIANT),
        ("投\u200d资管理有限公司", "投资", Via.VARIANT),
        ("投\u2060资管理有限公司", "投资", Via.VARIANT),
        ("投\ufeff资管理有限公司", "投资", Via.VARIANT),
        ("养 老·服\u200b务中心", "养老服务", Via.VARIANT),
        ("Ｎ Ｆ Ｔ艺术", "NFT", Via.VARIANT),
        ("数字藏品发行有限公司", "NFT", Via.SYNONYM),
        ("非同质化代币交易有限公司", "NFT", Via.SYNONYM),
        ("售后返租商铺有限公司", "售后包租", Via.SYNONYM),
        ("云养牛科技有限公司", "云养殖", Via.SYNONYM),
        ("云养猪科技有限公司", "云养殖", Via.SYNONYM),
        ("云养羊科技有限公司", "云养殖", Via.SYNONYM),
        ("云养鸡科技有限公司", "云养殖", Via.SYNONYM),
        ("汽车统筹服务有限公司", "车辆统筹", Via.SYNONYM),
        ("机动车统筹服务有限公司", "车辆统筹", Via.SYNONYM),
        ("Metaverse科技有限公司", "元宇宙", Via.SYNONYM),
        ("blockchain科技有限公司", "区块链", Via.SYNONYM),
        ("BlockChain科技有限公司", "区块链", Via.SYNONYM),
    ],
)
def test_normalised_forms_are_found_with_original_offsets(screener: Screener, text: str, keyword: str, via: Via) -> None:
    r = screener.screen(text)
    assert [h.keyword for h in r.hits] == [keyword]
    hit = r.hits[0]
    assert text[hit.start : hit.end] == hit.text
    assert hit.via is via
    assert hit.field is Field.NAME


@pytest.mark.parametrize(
    "scope",
    ["日用百货销售、投资咨询", "日用百货销售；投资咨询", "日用百货;投资", "日用百货，投资", "日用百货,投资", "日用百货。投资"],
)
def test_scope_delimiters_are_not_noise(screener: Screener, scope: str) -> None:
    # 货 + delimiter + 投 would be nothing anyway; check the delimiter is kept in offsets
    r = screener.screen("某公司", scope)
    assert [h.keyword for h in r.hits] == ["投资"]
    assert scope[r.hits[0].start : r.hits[0].end] == "投资"


def test_delimiters_do_not_join_a_term(screener: Screener) -> None:
    assert counted(screener, "某公司", "消费、返利") == ["返利"]
    assert counted(screener, "某公司", "投；资") == []
    assert counted(screener, "某公司", "投 资") == ["投资"]


def test_overlaps_resolve_to_the_longest_match(screener: Screener) -> None:
    r = screener.screen("某消费返利平台有限公司")
    assert [(h.keyword, h.text) for h in r.hits] == [("消费返利", "消费返利")]
    r = screener.screen("某公司", "车辆互助统筹服务")
    assert [h.keyword for h in r.hits] == ["车辆统筹"]


def test_names_and_scopes_are_scanned_separately(screener: Screener) -> None:
    r = screener.screen("某投资有限公司", "日用百货；投资咨询；众筹")
    assert [(h.field.value, h.keyword) for h in r.hits] == [("name", "投资"), ("scope", "投资"), ("scope", "众筹")]
    # a term split across the two fields is not found
    assert screener.screen("某公司投", "资咨询").action == Action.PASS


@pytest.mark.parametrize(
    "name,scope,keyword,reason",
    [
        ("互助土族自治县鑫源商贸有限公司", "", "互助", "place_name"),
        ("互助县农家乐", "", "互助", "place_name"),
        ("青海互助青稞酒股份有限公司", "", "互助", "place_name"),
        ("某某文化传播有限公司", "数学、微积分辅导", "积分", "exclusion"),
        ("固镇县诚信用心家电维修部", "", "信用", "word_boundary"),
        ("某科技有限公司", "通信用光缆销售", "信用", "word_boundary"),
        ("某科技有限公司", "电信用户服务", "信用", "word_boundary"),
        ("某科技有限公司", "相互助力", "互助", "word_boundary"),
        ("某文具店", "累积分数卡片销售", "积分", "word_boundary"),
        ("白云养殖专业合作社", "", "云养殖", "word_boundary"),
        ("某公司", "日用百货销售（不含拍卖）", "拍卖", "negated"),
        ("某公司", "贸易经纪与代理（不含拍卖）", "拍卖", "negated"),
        ("某公司", "咨询服务，不包括投资咨询", "投资", "negated"),
        ("某公司", "咨询服务（除投资咨询外）", "投资", "negated"),
        ("某公司", "禁止从事众筹业务", "众筹", "negated"),
        ("某公司", "严禁以拍卖方式销售", "拍卖", "negated"),
        ("某公司", "（不得从事吸收存款、集资收款、受托贷款、发行票据、发放贷款等国家金融监管及财政信用业务）", "票据", "negated"),
        ("某公司", "（不得从事吸收存款、集资收款、受托贷款、发行票据、发放贷款等国家金融监管及财政信用业务）", "信用", "negated"),
        ("unftx设计工作室", "", "NFT", "word_boundary"),
    ],
)
def test_suppressed_hits_keep_their_reason(screener: Screener, name: str, scope: str, keyword: str, reason: str) -> None:
    r = screener.screen(name, scope)
    assert keyword not in [h.keyword for h in r.hits]
    assert suppressed(screener, name, scope).get(keyword) == reason
    assert r.action == Action.PASS
    for h in r.suppressed:
        assert (name if h.field is Field.NAME else scope)[h.start : h.end] == h.text
        assert h.detail


@pytest.mark.parametrize(
    "name,scope,keyword",
    [
        ("互助养老服务中心", "", "互助"),  # not the place
        ("某数学工作室", "积分兑换商城运营", "积分"),
        ("某信用卡代办服务部", "", "信用"),  # inside one word: stands
        ("某公司", "企业信用评级服务", "信用"),
        ("某公司", "资金互助", "互助"),
        ("某公司", "会员积分管理", "积分"),
        ("某养老服务中心", "", "养老服务"),  # 养老|服务中心: a whole part of the term, stands
        ("某公司", "日用百货销售（不含危险化学品）；投资咨询", "投资"),
        ("某公司", "日用百货销售（不含危险化学品），投资咨询", "投资"),
        ("某公司", "不含税价格咨询；拍卖", "拍卖"),
        ("某公司", "除草服务；投资咨询", "投资"),  # 除 without 外 opens nothing
        ("某公司", "消除投资风险外包服务", "投资"),  # 消除 is a verb, not 除…外
        ("NFTs工作室", "", "NFT"),
        ("某云养殖场", "", "云养殖"),
    ],
)
def test_hits_that_must_stand(screener: Screener, name: str, scope: str, keyword: str) -> None:
    assert keyword in counted(screener, name, scope)


def test_suppressed_hits_do_not_count_toward_the_action(screener: Screener) -> None:
    r = screener.screen("固镇县诚信用心家电维修部", "日用百货销售（不含拍卖）")
    assert r.action == Action.PASS and not r.hits and len(r.suppressed) == 2


def test_result_shape_and_json(screener: Screener) -> None:
    r = screener.screen("固镇县鑫源投资管理有限公司", "以自有资金从事投资活动；寄卖服务")
    assert r.action is Action.BLOCK and r.action == "block"
    assert r.list_version == "2025-05-30" and len(r.list_sha256) == 64
    assert r.keywords == ("投资", "寄卖") and r.categories == (2, 4)
    d = json.loads(json.dumps(r.to_dict(), ensure_ascii=False))
    assert d["action"] == "block" and d["hits"][0]["field"] == "name"
    assert d["hits"][0]["methods"] == ["项目投资", "投资入股"]
    assert "固政办〔2025〕10号" in d["basis"]
    with pytest.raises(AttributeError):
        r.action = Action.PASS  # type: ignore[misc]


@pytest.mark.parametrize(
    "name,scope",
    [
        ("", ""),
        ("", None),
        (None, None),
        ("\x00\x01\x1f投资\x7f", "\x1b[31m"),
        ("😀投资😀", "🚀区块链🚀"),
        ("\ud800投资\udfff", "\udc00众筹"),
        ("投" * 5, "资" * 5),
        (" ", "　"),
    ],
)
def test_any_text_is_handled(screener: Screener, name: str | None, scope: str | None) -> None:
    r = screener.screen(name, scope)
    json.dumps(r.to_dict())
    for h in r.hits + r.suppressed:
        assert (name if h.field is Field.NAME else scope)[h.start : h.end] == h.text  # type: ignore[index]


def test_a_long_scope_is_screened(screener: Screener) -> None:
    scope = "；".join(["日用百货销售", "投资咨询", "诚信用心服务", "（不含拍卖）", "投 资"] * 6000)[:150_000]
    r = screener.screen("某公司", scope)
    assert len(scope) == 150_000
    assert sum(1 for h in r.hits if h.keyword == "投资") >= 10_000
    assert {h.reason for h in r.suppressed} == {SuppressReason.WORD_BOUNDARY, SuppressReason.NEGATED}


def test_bad_options_raise_a_clear_error(screener: Screener) -> None:
    with pytest.raises(ScreeningInputError, match="kind must be one of new, change, existing"):
        screener.screen("某公司", kind="renew")
    with pytest.raises(ScreeningInputError, match="established_on"):
        screener.screen("某公司", kind="existing", established_on="2020/13/45")
    with pytest.raises(ScreeningInputError, match="name must be text"):
        screener.screen(123)  # type: ignore[arg-type]


def test_screen_many_matches_screen(screener: Screener) -> None:
    records = [
        {"name": "某投资有限公司", "scope": "投资咨询"},
        {"name": "某贸易有限公司", "scope": "日用百货销售"},
        {"name": "某贸易有限公司", "scope": "寄卖", "kind": "existing", "status": "not_opened", "established_on": "2020-01-01"},
        {"name": "某投资有限公司", "kind": "change", "before_name": "某投资有限公司"},
    ]
    many = list(screener.screen_many(records, as_of="2025-06-01"))
    one = [
        screener.screen(r.get("name"), r.get("scope"), **{k: v for k, v in r.items() if k not in ("name", "scope")}, as_of="2025-06-01")
        for r in records
    ]
    assert many == one
    assert [r.action for r in many] == ["block", "pass", "propose_revocation", "block"]
