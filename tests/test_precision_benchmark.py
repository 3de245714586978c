"""benchmarks/precision.py --before-after (issue 16): the same rows screened by an old
commit (git archive, imported in a subprocess) and by this checkout, counted per action
and per suppression reason."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec.loader.exec_module(module)
    return module


def _row(text: str, group: str) -> list[str]:
    (line,) = [x for x in text.splitlines() if x.startswith(f"| realistic register | {group} |")]
    return [c.strip() for c in line.strip("|").split("|")]


def _count(cell: str, action: str) -> int:
    for part in cell.split("，"):
        name, _, k = part.partition(" ")
        if name == action:
            return int(k.replace(",", ""))
    return 0


def test_before_and_after_are_counted_per_action_and_reason() -> None:
    if subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", "5f34117^{commit}"], check=False).returncode != 0:
        pytest.fail("git history with 5f34117 is needed")  # a shallow clone cannot compare
    text = _load("precision").before_after(rows=3000, commit="5f34117", public=False)
    _, _, answer, n, before, after, sup_before, sup_after = _row(text, "chuwai_clause")
    assert answer == "none" and int(n.replace(",", "")) > 0
    assert before.startswith("order_rename") and after == f"pass {n}"
    assert sup_after == f"negated {n}"
    _, _, answer, n, before, after, _, sup_after = _row(text, "place_led_name")
    assert after == f"pass {n}" and "place_name" in sup_after
    _, _, answer, n, before, after, _, _ = _row(text, "investment_with_conditions")
    assert answer == "act" and after == f"order_rename {n}" and "pass" in before
    _, _, answer, n, before, after, _, _ = _row(text, "truly_flagged")
    # what was right stays right: no truly flagged row acted on before passes now
    assert _count(after, "pass") <= _count(before, "pass") and _count(after, "order_rename") > 0
    # actions are counted by value: verify_licence (issue 16 part 1) shows without code of its own here
    _, _, answer, n, before, after, _, _ = _row(text, "bank_branch")
    assert answer == "verify" and before == f"order_rename {n}" and after == f"verify_licence {n}"
    assert "Load average" in text and "rows ordered to rename or revoke" in text


def test_the_corpus_is_seeded_and_keeps_terms_out_of_clean_rows() -> None:
    corpus = _load("precision_corpus")
    from fangfei_screen import Screener

    screener = Screener()
    terms = [t.keyword for t in screener.terms]
    a, b = corpus.records(500, terms=terms), corpus.records(500, terms=terms)
    assert a == b
    clean = [r for r in a if r.group == "clean"]
    assert clean and all(not screener.screen(r.name, r.scope).hits for r in clean)


def test_an_unknown_commit_is_one_line_in_chinese() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "precision.py"), "--before-after", "--before", "nosuchcommit", "--rows", "50"],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip().startswith("无法取出提交 nosuchcommit") and "Traceback" not in done.stderr
