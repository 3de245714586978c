"""Other senses of listed words: the reviewed table, its checks, and head nouns
(issue 11, item 3)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from fangfei_screen import Field, Screener, SuppressReason
from fangfei_screen.cli import main
from fangfei_screen.lexicon import SENSES, bundled_list_path, load_list, validate_list

ROOT = Path(__file__).resolve().parent.parent
LIST = load_list(bundled_list_path())


@pytest.mark.parametrize(
    "scope,term",
    [
        # the financial senses
        ("信用卡代办", "信用"),
        ("小额信用贷款咨询", "信用"),
        ("积分返利商城", "积分"),
        ("票据贴现服务", "票据"),
        ("拍卖行", "拍卖"),
        # more of our own
        ("农村信用社代理业务", "信用"),
        ("信用证结算咨询", "信用"),
        ("企业信用评级服务", "信用"),
        ("会员积分兑换", "积分"),
        ("积分商城运营", "积分"),
        ("票据交换业务", "票据"),
        ("票据信息咨询服务", "票据"),
        ("奶茶加盟店招商", "加盟"),
        ("二手奢侈品寄卖店", "寄卖"),
        ("互助会", "互助"),
        ("天使投资人对接", "投资"),
        ("讨债人员培训", "讨债"),
        ("积分卡制作", "积分"),  # a loyalty card: 卡 is not a head noun of another sense
        ("票据打印件存档服务（代理记账）；票据融资咨询", "票据"),  # the second item still counts
    ],
)
def test_financial_senses_still_count(screener: Screener, scope: str, term: str) -> None:
    r = screener.screen("某某服务部", scope)
    assert term in r.keywords, r.to_dict()


@pytest.mark.parametrize(
    "scope,term,word",
    [
        # the other senses
        ("积分仪销售", "积分", "积分仪"),
        ("积分电路设计", "积分", "积分电路"),
        ("票据打印机销售", "票据", "票据打印"),
        # dictionary words of another sense (from the table)
        ("高等数学积分学辅导", "积分", "积分学"),
        ("足球联赛积分榜发布", "积分", "积分榜"),
        ("数值积分软件开发", "积分", "数值积分"),
        ("光学积分球制造", "积分", "积分球"),
        ("重合同守信用企业评选", "信用", "守信用"),
        ("团结互助志愿服务", "互助", "团结互助"),
        ("客户关系维护与感情投资培训", "投资", "感情投资"),
        # product names judged by their head noun (not dictionary words)
        ("积分放大器、积分电容销售", "积分", "积分放大器"),
        ("积分式芯片研发", "积分", "积分式芯片"),
        ("票据夹、票据柜、票据打印纸销售", "票据", "票据夹"),
        ("積分儀銷售", "积分", "积分仪"),  # traditional forms fold first
    ],
)
def test_other_senses_are_suppressed_with_their_reason(screener: Screener, scope: str, term: str, word: str) -> None:
    r = screener.screen("某某科技有限公司", scope)
    assert term not in r.keywords, r.to_dict()
    mine = [h for h in r.suppressed if h.keyword == term]
    assert mine and {h.reason for h in mine} == {SuppressReason.OTHER_SENSE}
    assert all(h.detail for h in mine)
    for h in mine:
        assert scope[h.start : h.end] == h.text


def test_the_detail_quotes_the_word_and_the_reviewed_reason(screener: Screener) -> None:
    (h,) = screener.scan("积分电路设计", Field.SCOPE).suppressed
    assert h.detail == "「积分电路」：电子电路（积分运算）"
    (h,) = screener.scan("积分仪销售", Field.SCOPE).suppressed
    assert "「积分仪」" in h.detail and "「仪」" in h.detail


def test_every_row_is_judged_as_the_table_says() -> None:
    """Each word alone: financial rows count (or sit in a negated clause), other rows are
    suppressed as other_sense, straddle rows by the word-boundary judge."""
    screener = Screener()
    assert {s.sense for s in LIST.senses} == set(SENSES)
    for row in LIST.senses:
        scan = screener.scan(row.word, Field.SCOPE)
        reasons = {h.reason for h in scan.suppressed if h.keyword == row.term}
        if row.sense == "financial":
            assert row.term in scan.terms() or reasons == {SuppressReason.NEGATED}, row
        elif row.sense == "other":
            assert row.term not in scan.terms() and reasons == {SuppressReason.OTHER_SENSE}, row
        else:
            assert row.term not in scan.terms() and reasons == {SuppressReason.WORD_BOUNDARY}, row


def test_the_table_covers_every_dictionary_word_holding_a_term() -> None:
    spec = importlib.util.spec_from_file_location("senses_candidates", ROOT / "scripts" / "senses_candidates.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = module.candidates(LIST)
    assert len(found) > 400  # jieba's dictionary, the catalogue and the trade names
    classified = {s.word for s in LIST.senses}
    assert sorted(set(found) - classified) == []
    assert module.main([]) == 0


def _list_with_table(tmp_path: Path, rows: str) -> Path:
    shutil.copy(bundled_list_path(), tmp_path / "keywords.yaml")
    (tmp_path / "senses.tsv").write_text("# a test table\nword\tterm\tsense\treason\n" + rows, encoding="utf-8")
    return tmp_path / "keywords.yaml"


@pytest.mark.parametrize(
    "rows,line,message",
    [
        ("积分仪\t积分\tother\t仪器\n积分仪\t积分\tfinancial\t会员\n", 4, "既标为 other（第3行）又标为 financial"),
        ("积分仪\t积分\tother\t仪器\n积分仪\t积分\tother\t仪器\n", 4, "与第3行重复"),
        ("打印机\t票据\tother\t设备\n", 3, "不含字样 '票据'"),
        ("积分仪\t积分\tother\t\n", 3, "缺少理由"),
        ("积分仪\t积分\tmaybe\t仪器\n", 3, "词义应为 financial、other、straddle"),
        ("积分仪\t积分\tother\n", 3, "应有 4 列"),
        ("积分\t积分\tother\t本身\n", 3, "词与字样本身相同"),
        ("资配公司\t配资\tother\t无此词条\n", 3, "不含字样 '配资'"),
    ],
)
def test_validate_checks_the_table(tmp_path: Path, rows: str, line: int, message: str) -> None:
    path = _list_with_table(tmp_path, rows)
    problems = validate_list(path)
    assert [(Path(p.path).name, p.line) for p in problems] == [("senses.tsv", line)], problems
    assert message in problems[0].message
    assert main(["keywords", "validate", str(path)]) == 1


def test_validate_checks_the_header_and_a_missing_table(tmp_path: Path) -> None:
    path = _list_with_table(tmp_path, "")
    (tmp_path / "senses.tsv").write_text("词\t字样\t词义\t理由\n", encoding="utf-8")
    assert "表头" in validate_list(path)[0].message
    (tmp_path / "senses.tsv").unlink()
    text = path.read_text(encoding="utf-8").replace("senses: senses.tsv", "senses: nowhere.tsv")
    path.write_text(text, encoding="utf-8")
    (problem,) = validate_list(path)
    assert "无法读取词义表" in problem.message and problem.line > 0


def test_the_bundled_table_validates_and_a_copied_list_finds_it(tmp_path: Path) -> None:
    assert main(["keywords", "validate", str(bundled_list_path())]) == 0
    copy = tmp_path / "edited.yaml"
    shutil.copy(bundled_list_path(), copy)
    assert load_list(copy).senses == LIST.senses


def test_a_table_of_our_own_changes_what_counts_and_the_checksum(tmp_path: Path) -> None:
    path = _list_with_table(tmp_path, "信用卡\t信用\tother\t测试：假定为另一词义\n")
    own = load_list(path)
    assert own.sha256 != LIST.sha256
    r = Screener(lists=[own]).screen("某公司", "信用卡代办")
    assert not r.hits and r.suppressed[0].reason is SuppressReason.OTHER_SENSE
    # the words the bundled table marks as other senses count again under this table
    assert Screener(lists=[own]).screen("某公司", "积分学辅导").keywords == ("积分",)


def test_heads_are_checked_like_other_lists(tmp_path: Path) -> None:
    text = bundled_list_path().read_text(encoding="utf-8").replace("heads: [仪,", 'heads: ["\u200b", 仪,')
    path = tmp_path / "keywords.yaml"
    path.write_text(text, encoding="utf-8")
    shutil.copy(bundled_list_path("senses.tsv"), tmp_path / "senses.tsv")
    (problem,) = validate_list(path)
    assert "中心词" in problem.message


def test_check_names_the_other_sense(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--name", "某仪器有限公司", "--scope", "积分仪、积分球销售"]) == 0
    out = capsys.readouterr().out
    assert "不计入：非金融词义" in out and "「积分仪」" in out and "「积分球」" in out


def test_the_precision_figures_script_counts_each_source() -> None:
    spec = importlib.util.spec_from_file_location("precision", ROOT / "benchmarks" / "precision.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = module.section(Screener())
    rows = [line for line in text.splitlines() if line.startswith("| ") and "texts" not in line and "---" not in line]
    assert [r.split(" | ")[0] for r in rows] == [
        "| catalogue (scope_catalogue.txt, as scopes)",
        "| full names (full_names.txt)",
        "| trade names (trade_names.txt)",
        "| words of the senses table (senses.tsv, each alone as a scope)",
    ]
    other = sum(1 for s in LIST.senses if s.sense == "other")
    assert f"other_sense {other}" in rows[3]
    assert "Catalogue items that count" in text and "以自有资金从事投资活动" in text
