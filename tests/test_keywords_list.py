"""The bundled Attachment 1 list and the loader's validation."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from fangfei_screen import (
    Category,
    KeywordListError,
    Screener,
    bundled_list_path,
    load_list,
    validate_list,
)

ATTACHMENT_1 = (
    "投资、入股、售后包租、售后回租、约定回购、份额销售、票据、讨债、解债、投融资、加盟、积分、返利、消费返利、"
    "返本销售、众筹、寄卖、寄售、寄存代售、拍卖、信用、互助、车辆统筹、安全统筹、车险理赔、保险联盟、元宇宙、NFT、"
    "区块链、云养殖、认养、云养经济、现货托管、现货返租、养老服务、养老项目、老年产品"
).split("、")

CATEGORIES = {
    1: "信用 元宇宙 NFT 区块链",
    2: "投资 入股 票据 讨债 解债 投融资 互助 车辆统筹 安全统筹 车险理赔 保险联盟",
    3: "众筹 拍卖 现货托管 现货返租",
    4: "售后回租 寄卖 寄售",
    5: "加盟 积分 返利 消费返利 寄存代售 云养殖 认养 云养经济 养老服务 养老项目 老年产品",
    6: "售后包租 约定回购 份额销售 返本销售",
}


def test_the_list_is_attachment_1_with_its_version_and_checksum(root: Path) -> None:
    kl = load_list(root / "data" / "keywords.yaml")
    assert len(ATTACHMENT_1) == 37
    assert [t.term for t in kl.terms] != []
    assert sorted(t.term for t in kl.terms) == sorted(ATTACHMENT_1)
    assert kl.version == "2025-05-30"
    assert kl.source == "固政办〔2025〕10号 附件1"
    # the list's bytes, then those of the senses table it names: both change what counts
    data = (root / "data" / "keywords.yaml").read_bytes() + (root / "data" / "senses.tsv").read_bytes()
    assert kl.sha256 == hashlib.sha256(data).hexdigest()
    # the repo's data/keywords.yaml is the list the package ships
    assert Path(bundled_list_path()).resolve() == (root / "data" / "keywords.yaml").resolve()


@pytest.mark.parametrize("category,terms", sorted(CATEGORIES.items()))
def test_each_term_has_its_category(category: int, terms: str) -> None:
    kl = load_list(bundled_list_path())
    for word in terms.split():
        assert kl.term(word).category == Category(category), word


@pytest.mark.parametrize("term", ATTACHMENT_1)
def test_each_term_is_found_with_its_category(screener: Screener, term: str) -> None:
    r = screener.screen(f"某某{term}有限公司" if term != "NFT" else "某某NFT有限公司")
    # Screened as a scope item too, where a delimiter isolates it from its neighbours.
    s = screener.screen("固镇县某商贸有限公司", f"日用百货销售；{term}；五金产品零售")
    expected = load_list(bundled_list_path()).term(term).category
    for result in (s,):
        assert [h.keyword for h in result.hits] == [term]
        assert result.hits[0].category == int(expected)
        assert result.hits[0].category_name == expected.label
        assert result.action == "block"
    assert term in {h.keyword for h in r.hits + r.suppressed}


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "list.yaml"
    p.write_text(text, encoding="utf-8")
    return p


GOOD_HEAD = "version: '1'\nterms:\n"


@pytest.mark.parametrize(
    "body,line,fragment",
    [
        ("  - {term: 投资, category: 2}\n  - {term: 投资, category: 2}\n", 4, "重复"),
        ("  - {term: 投资, category: 2}\n  - {term: 入股, category: 2, synonyms: [投资]}\n", 4, "另一词条"),
        ("  - {term: 投资, category: 2, synonyms: [参股]}\n  - {term: 入股, category: 2, synonyms: [参股]}\n", 4, "重复"),
        ("  - {term: 投资, category: 9}\n", 3, "未知类别"),
        ("  - {term: '  ', category: 2}\n", 3, "term 为空"),
        ("  - {term: 互助, category: 2, exclusions: [{pattern: 青海省, reason: place_name}]}\n", 3, "不含词条"),
        ("  - {term: 投资, category: 2, methods: [炒股]}\n", 3, "未知集资方式"),
        ("  - {term: 投资, category: 2, colour: red}\n", 3, "未知字段"),
    ],
)
def test_a_malformed_list_names_file_line_and_problem(tmp_path: Path, body: str, line: int, fragment: str) -> None:
    path = _write(tmp_path, GOOD_HEAD + body)
    with pytest.raises(KeywordListError) as err:
        load_list(path)
    problems = err.value.problems
    assert any(p.line == line and fragment in p.message for p in problems), problems
    assert str(path) in str(err.value)


def test_a_list_that_is_not_a_mapping_fails(tmp_path: Path) -> None:
    path = _write(tmp_path, "- 投资\n- 入股\n")
    with pytest.raises(KeywordListError) as err:
        load_list(path)
    assert "映射" in str(err.value) and err.value.problems[0].line == 1


def test_missing_version_and_yaml_syntax_errors(tmp_path: Path) -> None:
    problems = validate_list(_write(tmp_path, "terms:\n  - {term: 投资, category: 2}\n"))
    assert [p.message for p in problems if "version" in p.message]
    problems = validate_list(_write(tmp_path, "version: 1\nterms: [\n"))
    assert problems and "YAML" in problems[0].message and problems[0].line >= 2


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    body = "  - {term: 投资, category: 7}\n  - {term: 入股, category: 2}\n  - {term: 入股, category: 2}\n"
    problems = validate_list(_write(tmp_path, GOOD_HEAD + body))
    assert sorted(p.line for p in problems) == [3, 5]


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    path = _write(tmp_path, "version: !!python/object/apply:os.system ['echo hi']\nterms: []\n")
    with pytest.raises(KeywordListError):
        load_list(path)


def test_screener_from_yaml_uses_that_list(tmp_path: Path) -> None:
    path = _write(tmp_path, "version: v9\nterms:\n  - {term: 配资, category: 3}\n")
    s = Screener.from_yaml(path)
    r = s.screen("某配资有限公司")
    assert r.list_version == "v9" and [h.keyword for h in r.hits] == ["配资"]
    assert s.screen("某投资有限公司").action == "pass"
