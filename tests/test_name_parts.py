"""Issue 16, part 3: registered names read by their parts (企业名称登记管理规定 art. 6:
行政区划 + 字号 + 行业或经营特点 + 组织形式; a branch is its parent's name + its own).
Names are the real ones quoted in issue 16 and real-shaped ones of the same kinds."""

from __future__ import annotations

import pytest

from fangfei_screen import Screener, SuppressReason
from fangfei_screen.names import NameReader, PartKind


def split(name: str) -> list[tuple[str, str]]:
    reader = NameReader(["信用", "云养殖", "投资", "互助", "积分"])
    return [(name[p.start : p.end], p.kind.value) for p in reader.parts(name)]


def test_a_name_splits_into_its_parts() -> None:
    assert split("大连市天诚信用评级有限责任公司") == [
        ("大连市", "place"), ("天诚", "brand"), ("信用", "trade"), ("评级", "trade"), ("有限责任公司", "form")
    ]
    assert split("哈尔滨龙云养殖有限公司") == [("哈尔滨", "place"), ("龙云", "brand"), ("养殖", "trade"), ("有限公司", "form")]


def test_a_branch_is_its_parents_name_and_its_own() -> None:
    parts = split("中国石油天然气股份有限公司青海海东销售分公司互助威远加油站")
    assert ("股份有限公司", "form") in parts
    assert ("青海", "place") in parts and ("分公司", "form") in parts and ("互助", "place") in parts
    assert parts[-1] == ("加油站", "form")
    assert split("天水华天电子集团股份有限公司麦积分公司")[-2:] == [("麦积", "place"), ("分公司", "form")]


def test_a_zihao_is_not_made_of_a_place_and_industry_words_alone() -> None:
    """A name needs a 字号 of its own (at least two characters): a head that would leave
    none is the 字号, not a place."""
    assert split("互助保险有限公司")[0][1] != "place"
    assert split("东方投资管理有限公司")[0] == ("东方", "brand")
    # 易积分公司 has no parent before it: 公司, not 分公司
    assert split("深圳市易积分公司")[-1] == ("公司", "form")


@pytest.mark.parametrize(
    "name,keyword,joined",
    [
        ("天水华天电子集团股份有限公司麦积分公司", "积分", "麦积|分公司"),
        ("哈尔滨龙云养殖有限公司", "云养殖", "龙云|养殖"),
        ("诚信用品有限公司", "信用", "诚信|用品"),
        ("兰州某某商贸有限责任公司麦积分公司", "积分", "麦积|分公司"),
    ],
)
def test_a_term_across_two_parts_is_no_word_of_the_name(screener: Screener, name: str, keyword: str, joined: str) -> None:
    r = screener.screen(name, "", kind="existing")
    assert keyword not in r.keywords
    (h,) = [h for h in r.suppressed if h.keyword == keyword]
    assert h.reason is SuppressReason.WORD_BOUNDARY and f"「{joined}」" in h.detail
    assert name[h.start : h.end] == h.text


@pytest.mark.parametrize(
    "name",
    [
        "中国石油天然气股份有限公司青海海东销售分公司互助威远加油站",
        "中国邮政集团有限公司青海省分公司互助分公司",
        "互助三合水电有限责任公司",
        "国网青海省电力公司互助县供电公司",
    ],
)
def test_a_division_without_its_suffix_where_a_place_stands_is_a_place(screener: Screener, name: str) -> None:
    r = screener.screen(name, "", kind="existing")
    assert "互助" not in r.keywords
    assert {h.reason for h in r.suppressed if h.keyword == "互助"} == {SuppressReason.PLACE_NAME}


@pytest.mark.parametrize(
    "name,scope,keyword",
    [
        # the trade itself keeps counting (issue 16: today it did not)
        ("大连市天诚信用评级有限责任公司", "", "信用"),
        ("北京某某信用管理有限公司", "", "信用"),
        # 互助 as a word, not at a place's position
        ("某某有限公司", "邻里互助保障服务", "互助"),
        ("邻里互助养老服务中心", "", "互助"),
        ("互助保险有限公司", "", "互助"),
        ("西宁市某某互助合作社", "", "互助"),
        # a name without a parent ends in 公司, not 分公司
        ("深圳市易积分公司", "", "积分"),
        ("杭州云养殖科技有限公司", "", "云养殖"),
        # a place written with its suffix is not followed by a bare head (兴和 of 兴和县)
        ("仙游县兴和堂养老服务有限公司", "", "养老服务"),
        ("福泉市新安达养老服务有限公司", "", "养老服务"),
        ("泸县建昌古城区块链科技有限公司", "", "区块链"),  # 泸县 has its suffix though its head is one character
        ("某某投资咨询有限公司", "", "投资"),
        ("固镇县某某投资有限公司", "", "投资"),
    ],
)
def test_terms_that_are_words_of_the_name_count(screener: Screener, name: str, scope: str, keyword: str) -> None:
    assert keyword in screener.screen(name, scope, kind="existing").keywords


def test_places_and_heads_are_known() -> None:
    reader = NameReader()
    assert reader.is_division_head("互助") and reader.is_division_head("麦积")
    assert not reader.is_division_head("投资")
    assert PartKind.BRAND.label == "字号"


def test_the_packaged_name_data_is_built_from_data_public() -> None:
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("name_data", root / "scripts" / "name_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0
    words = module.industry_words()
    assert "评级" in words and "养殖" in words  # the catalogue's and companynameparser's


def test_names_are_split_only_for_hits_that_need_it() -> None:
    """Clean names, scopes, and hits settled before the word-boundary judge (a listed
    place, another sense) never split a name: the reader's memo stays empty."""
    screener = Screener()
    reader = screener._names
    for name, scope in [
        ("固镇县某某商贸有限公司", "日用百货销售"),
        ("互助土族自治县鑫源商贸有限公司", ""),
        ("某某有限公司", "投资咨询；拍卖业务"),
        ("某某数学培训有限公司", "微积分辅导"),
    ]:
        screener.screen(name, scope)
    assert reader.parts.cache_info().currsize == 0
    screener.screen("哈尔滨龙云养殖有限公司", "")
    assert reader.parts.cache_info().currsize == 1
