"""Keyword lists over time: validate, diff, show, several lists at once, re-screening."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from fangfei_screen import Action, Screener, bundled_list_path
from fangfei_screen.cli import main

BROKEN = """\
terms:
  - {term: 投资, category: 2}
  - {term: 入股, category: 9, synonyms: [投资]}
  - {term: "  ", category: 2}
  - {term: 互助, category: 2, exclusions: [青海]}
  - {term: 参股, category: 2, synonyms: [认股]}
  - {term: 认股, category: 2}
  - {term: 众筹, category: 3, synonyms: [集资]}
  - {term: 拍卖, category: 3, synonyms: [集资]}
"""


def test_validate_reports_every_problem_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    assert main(["keywords", "validate", str(path)]) == 1
    out = capsys.readouterr().out
    expected = [
        (1, "缺少 'version'"),
        (3, "未知类别 '9'"),
        (3, "同义词 '投资' 是另一词条 '投资'（第2行）"),
        (4, "term 为空"),
        (5, "排除项 '青海' 不含词条 '互助'"),
        (7, "词条 '认股' 已是词条 '参股' 的同义词（第6行）"),
        (9, "同义词 '集资' 与词条 '众筹' 的同义词（第8行）重复"),
    ]
    for line, fragment in expected:
        assert any(l.startswith(f"{path}:{line}") and fragment in l for l in out.splitlines()), (line, fragment, out)
    assert f"{len(expected)} 处问题" in out


@pytest.mark.parametrize("name", ["keywords.yaml", "keywords-national.yaml", "keywords-watch.yaml"])
def test_the_shipped_lists_are_valid(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keywords", "validate", str(bundled_list_path(name))]) == 0
    assert "清单有效" in capsys.readouterr().out


def test_diff_names_what_changed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = bundled_list_path()
    text = old.read_text(encoding="utf-8").replace('version: "2025-05-30"', 'version: "2025-07-01"')
    text = text.replace("  - term: 拍卖\n    category: 3\n    methods: [商品经销]\n", "")
    text = text.replace("synonyms: [售后返租]", "synonyms: [售后返租, 售后返利]")
    text = text.replace("  - term: 票据\n    category: 2", "  - term: 票据\n    category: 4")
    text += "  - term: 配资\n    category: 3\n    synonyms: [股票配资]\n"
    new = tmp_path / "new.yaml"
    new.write_text(text, encoding="utf-8")
    assert main(["keywords", "diff", str(old), str(new), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert (d["old_version"], d["new_version"]) == ("2025-05-30", "2025-07-01")
    assert [t["term"] for t in d["added"]] == ["配资"] and d["added"][0]["synonyms"] == ["股票配资"]
    assert [t["term"] for t in d["removed"]] == ["拍卖"]
    changes = {c["term"]: c["changes"] for c in d["changed"]}
    assert changes == {"票据": ["类别 2 → 4"], "售后包租": ["新增同义词 售后返利"]}
    assert main(["keywords", "diff", str(old), str(old)]) == 0
    assert "词条无变化" in capsys.readouterr().out


def test_diff_refuses_a_broken_list(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    assert main(["keywords", "diff", str(bundled_list_path()), str(path)]) == 2


def test_show_prints_the_list_as_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keywords", "show"]) == 0
    out = capsys.readouterr().out
    rows = [l for l in out.splitlines() if l.startswith("| ") and not l.startswith("| 字样") and not l.startswith("| ---")]
    assert len(rows) == 37
    assert "| 互助 | 2 |" in out and "互助土族自治县" in out
    assert main(["keywords", "show", str(bundled_list_path("keywords-watch.yaml")), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["effect"] == "supervise"


def test_several_lists_each_hit_names_its_list() -> None:
    s = Screener(lists=[bundled_list_path(), bundled_list_path("keywords-national.yaml")])
    r = s.screen("某股权众筹平台有限公司", "财富管理咨询")
    assert {(h.keyword, h.list_name, h.list_version) for h in r.hits} == {
        ("股权众筹", "national", "2021-05-01"),
        ("众筹", "attachment1", "2025-05-30"),  # overlaps resolve within each list
        ("财富管理", "national", "2021-05-01"),
    }
    assert r.list_version == "attachment1@2025-05-30+national@2021-05-01"
    assert r.action is Action.BLOCK


def test_a_watch_term_alone_never_blocks_but_marks_supervision() -> None:
    s = Screener(lists=[bundled_list_path(), bundled_list_path("keywords-watch.yaml")])
    for kind in ("new", "change", "existing"):
        r = s.screen("某科技有限公司", "股票配资咨询；征信修复服务", kind=kind, before_scope="")
        assert r.action is Action.PASS, kind
        assert not r.hits and {h.keyword for h in r.watch} == {"配资", "信用修复"}
        assert r.supervise and r.to_dict()["supervise"] is True
    # a watch term never hides an Attachment 1 term it overlaps (资金互助 / 互助)
    r = s.screen("某农民专业合作社", "资金互助")
    assert [h.keyword for h in r.hits] == ["互助"] and [h.keyword for h in r.watch] == ["资金互助"]
    assert r.action is Action.BLOCK


def test_scan_with_several_lists_marks_supervision(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    pd.DataFrame({"企业名称": ["某配资咨询有限公司", "某贸易有限公司"], "经营范围": ["咨询", "日用百货"]}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    args = ["scan", str(src), "-o", str(out), "--list", str(bundled_list_path()), "--list", str(bundled_list_path("keywords-watch.yaml"))]
    assert main(args) == 0
    df = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(df["action"]) == ["pass", "pass"]
    assert list(df["supervise"]) == ["yes", ""]
    assert json.loads(df.loc[0, "watch"])[0]["list"] == "watch"
    assert df.loc[0, "list_version"] == "attachment1@2025-05-30+watch@2025-05-30"


def test_rescreen_lists_exactly_the_entities_whose_outcome_changed(tmp_path: Path, root: Path) -> None:
    sample = root / "data" / "samples" / "entities.csv"
    previous = tmp_path / "previous.csv"
    assert main(["scan", str(sample), "-o", str(previous), "--as-of", "2025-06-30"]) == 0
    text = bundled_list_path().read_text(encoding="utf-8").replace('version: "2025-05-30"', 'version: "2025-07-01"')
    text = text.replace("  - term: 拍卖\n", "  - term: 拍卖行\n")  # 拍卖 out, 拍卖行 in
    text = text.replace("  - term: 入股\n", "  - term: 入股\n    synonyms: [资金互助]\n")
    new_list = tmp_path / "new.yaml"
    new_list.write_text(text, encoding="utf-8")
    changes = tmp_path / "changes.csv"
    assert main(["rescreen", str(previous), str(sample), "--list", str(new_list), "-o", str(changes), "--as-of", "2025-06-30"]) == 0

    # What must have changed, worked out independently from the two lists' screeners.
    old_s, new_s = Screener(), Screener(lists=[new_list])
    rows = pd.read_csv(sample, dtype=str, keep_default_na=False)
    expected = set()
    for _, row in rows.iterrows():
        a = old_s.screen(row["企业名称"], row["经营范围"], kind="existing", status=None, as_of="2025-06-30")
        b = new_s.screen(row["企业名称"], row["经营范围"], kind="existing", status=None, as_of="2025-06-30")
        if a.keywords != b.keywords or (a.action is Action.PASS) != (b.action is Action.PASS):
            expected.add(row["统一社会信用代码"])
    got = pd.read_csv(changes, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert set(got["统一社会信用代码"]) == expected and len(got) == len(expected) >= 2
    by_name = dict(zip(got["企业名称"], got["change"]))
    assert by_name["深圳市宝安区鱼乐传媒中心"] == "不再命中"
    assert by_name["固镇县金穗农民专业合作社"] == "字样变化"
    assert set(got["old_list_version"]) == {"2025-05-30"} and set(got["new_list_version"]) == {"2025-07-01"}
    # the same list again: nothing changed
    same = tmp_path / "same.csv"
    assert main(["rescreen", str(previous), str(sample), "-o", str(same), "--as-of", "2025-06-30"]) == 0
    assert len(pd.read_csv(same, dtype=str, encoding="utf-8-sig")) == 0
