"""Hostile and odd list files: each is refused with its problems in lines, quickly, with
bounded output (issue 10, items 9 and 10)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fangfei_screen import KeywordListError, bundled_list_path, load_list, validate_list
from fangfei_screen import lexicon

HEAD = 'version: "2025-06-01"\nterms:\n'


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fangfei_screen", *args], capture_output=True, text=True, timeout=300)


def write(tmp_path: Path, text: str, name: str = "list.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("shape", ["[" * 3000 + "]" * 3000, "{a: " * 3000 + "1" + "}" * 3000, "\n" + "".join(f"{' ' * i}- \n" for i in range(0, 6000, 2))])
def test_a_list_nested_thousands_deep_is_one_problem(tmp_path: Path, shape: str) -> None:
    path = write(tmp_path, 'version: "1"\nterms: ' + shape + "\n")
    problems = validate_list(path)
    assert len(problems) == 1 and "64" in problems[0].message, problems
    with pytest.raises(KeywordListError):
        load_list(path)
    validate = cli("keywords", "validate", str(path))
    assert validate.returncode == 1 and "Traceback" not in validate.stderr + validate.stdout
    assert "nested deeper than 64 levels" in validate.stdout
    # for `check`, 1 means "block": a list that cannot be read is bad input, 2
    check = cli("check", "--name", "某投资有限公司", "--list", str(path))
    assert check.returncode == 2, check.stderr
    assert "Traceback" not in check.stderr and "nested deeper" in check.stderr


def test_alias_expansion_is_refused_past_a_bound(tmp_path: Path) -> None:
    """A 200 KB file whose aliases would make 18 million nodes (and 9 million problems)."""
    synonyms = "".join("    - 投资\n" for _ in range(300))
    text = 'version: "1"\nnote: &t\n  term: 投资\n  category: 9\n  synonyms:\n' + synonyms + "terms:\n" + "  - *t\n" * 30_000
    path = write(tmp_path, text)
    problems = validate_list(path)
    assert len(problems) == 1 and "aliases expand past the limit" in problems[0].message
    assert problems[0].line == 1


def test_a_few_aliases_still_work(tmp_path: Path) -> None:
    text = HEAD + "  - {term: 投资, category: 2, methods: &m [投资入股, 项目投资]}\n  - {term: 入股, category: 2, methods: *m}\n"
    kl = load_list(write(tmp_path, text))
    assert kl.term("入股").methods == ("投资入股", "项目投资")


def test_problems_are_capped_and_the_rest_counted(tmp_path: Path) -> None:
    text = HEAD + "".join(f"  - {{term: 词{i}, category: 9}}\n" for i in range(1000))
    problems = validate_list(write(tmp_path, text))
    cap = lexicon.MAX_PROBLEMS
    assert len(problems) == cap + 1
    assert all("未知类别" in p.message for p in problems[:-1])
    assert f"{1000 - cap} more problems not listed" in problems[-1].message
    assert "共 1000 处" in problems[-1].message


@pytest.mark.parametrize("value", ["null", "~", "true", "false", "yes", "off", "NULL", "True"])
def test_null_and_booleans_are_not_terms(tmp_path: Path, value: str) -> None:
    text = HEAD + f"  - {{term: {value}, category: 1}}\n  - {{term: 投资, category: 2, synonyms: [{value}], exclusions: [{value}]}}\n"
    problems = validate_list(write(tmp_path, text))
    assert [(p.line, "quote it" in p.message) for p in problems] == [(3, True), (4, True), (4, True)], problems
    if value.isalpha():  # quoted, it is a word
        quoted = HEAD + f'  - {{term: "{value}", category: 1}}\n'
        assert load_list(write(tmp_path, quoted, "quoted.yaml")).terms[0].term == value


@pytest.mark.parametrize(
    "invisible",
    ["\u3164", "\u2800\u2800", "\u115f", "\uffa0", "\u00ad", "\ufe0f", "\U000e0041", "\u180e", "\u200b\u2060", "\u0301"],
)
def test_terms_of_invisible_characters_only_fail(tmp_path: Path, invisible: str) -> None:
    escaped = invisible.encode("unicode_escape").decode()
    text = HEAD + f'  - {{term: "{escaped}", category: 1}}\n  - {{term: 投资, category: 2, synonyms: ["{escaped}"]}}\n'
    problems = validate_list(write(tmp_path, text))
    assert [(p.line, "no visible character" in p.message) for p in problems] == [(3, True), (4, True)], problems


def test_the_bundled_lists_still_load() -> None:
    for name in ("keywords.yaml", "keywords-national.yaml", "keywords-watch.yaml"):
        assert load_list(bundled_list_path(name)).terms
