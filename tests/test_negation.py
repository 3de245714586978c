"""Negated scope clauses: where a clause ends without brackets, 不含X的Y, 除…外, and
work in proportion to the scope's length (issue 11, items 1–2; issue 10, item 13)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from fangfei_screen import Action, Screener, SuppressReason

PACKAGE = str(Path(__import__("fangfei_screen").__file__).parent)


def verdicts(screener: Screener, scope: str) -> tuple[list[str], list[str]]:
    r = screener.screen("某公司", scope)
    return [h.text for h in r.hits], [h.text for h in r.suppressed if h.reason is SuppressReason.NEGATED]


@pytest.mark.parametrize(
    "scope,counted,negated",
    [
        # the examples
        ("五金交电销售，不含危险化学品，房地产投资，信息咨询", ["投资"], []),
        ("建材销售，国家禁止和限制经营的除外，投资咨询服务", ["投资"], []),
        ("除法律、行政法规规定禁止的项目外，投资咨询、拍卖", ["投资", "拍卖"], []),
        # a clause outside brackets ends at ， , ；。 a closing bracket or white space between items
        ("日用百货销售,不得从事危险品经营,拍卖服务", ["拍卖"], []),
        ("农副产品收购 不含粮食 投资咨询", ["投资"], []),
        ("农副产品收购　禁止经营野生动物　寄卖服务", ["寄卖"], []),
        ("服装销售，严禁传销，众筹平台运营", ["众筹"], []),
        ("不含危险化学品)投资咨询", ["投资"], []),
        # ... but not at white space right after the opener, nor at 、 inside the clause
        ("五金销售，不含 拍卖、寄卖，家电维修", [], ["拍卖", "寄卖"]),
        ("日用百货，不含烟草、酒类、拍卖品，投资咨询", ["投资"], ["拍卖"]),
        # inside brackets the bracket still bounds the clause, commas or not
        ("日用百货销售（不含危险化学品，不含拍卖）", [], ["拍卖"]),
        ("（不得从事吸收存款、发行票据，发放贷款等金融业务）；积分兑换", ["积分"], ["票据"]),
        # 除…外 is bounded by its 外, and an opener inside it stays inside it
        ("除依法须经批准的拍卖项目外，凭营业执照依法自主开展经营活动", [], ["拍卖"]),
        ("除法律法规禁止拍卖的物品外，寄卖服务", ["寄卖"], ["拍卖"]),
        ("消除投资风险", ["投资"], []),
    ],
)
def test_clauses_without_brackets_end_with_their_object(
    screener: Screener, scope: str, counted: list[str], negated: list[str]
) -> None:
    assert verdicts(screener, scope) == (counted, negated)
    assert screener.screen("某公司", scope).action is (Action.BLOCK if counted else Action.PASS)


@pytest.mark.parametrize(
    "scope,counted,negated",
    [
        # an item that begins with 不含: 不含X的Y is the item Y with X excluded
        ("不含证券期货的投资咨询服务", ["投资"], []),
        ("日用百货销售，不含网络拍卖的寄卖服务", ["寄卖"], ["拍卖"]),
        ("五金销售；不包括融资担保的投资咨询", ["投资"], []),
        ("家电销售、不涉及拍卖的寄售业务", ["寄售"], ["拍卖"]),
        ("技术服务 不含众筹的区块链技术服务", ["区块链"], ["众筹"]),
        # a bracketed note excludes everything it holds
        ("商务信息咨询（不含证券、期货的投资咨询）", [], ["投资"]),
        ("二手物品销售（不包含拍卖的寄卖服务）", [], ["拍卖", "寄卖"]),
        # not an item of its own: the clause runs on as before
        ("咨询服务不含证券的投资咨询", [], ["投资"]),
        # no 的: the whole clause is negated
        ("咨询服务，不包括投资咨询", [], ["投资"]),
        # 不得/禁止 at an item's start are prohibitions, not "Y without X"
        ("建材销售，不得从事的投资活动", [], ["投资"]),
    ],
)
def test_an_item_not_containing_x_counts_its_own_words(
    screener: Screener, scope: str, counted: list[str], negated: list[str]
) -> None:
    assert verdicts(screener, scope) == (counted, negated)


def test_negated_spans_map_to_the_original_text_with_spaces_and_noise(screener: Screener) -> None:
    scope = "五金销售 ，不含 危险·化学品　房地产 投资 咨询"
    r = screener.screen("某公司", scope)
    assert [(h.keyword, scope[h.start : h.end]) for h in r.hits] == [("投资", "投资")]


# -- work in proportion to the scope's length (issue 10, item 13) ---------------


def _python_steps(run: Callable[[], object]) -> int:
    """Bytecode steps executed in the package's own code while ``run`` runs: an
    operation count that does not depend on the machine or its load."""
    steps = 0

    def local(frame, event, arg):  # type: ignore[no-untyped-def]
        nonlocal steps
        if event == "opcode":
            steps += 1
        return local

    def global_(frame, event, arg):  # type: ignore[no-untyped-def]
        if frame.f_code.co_filename.startswith(PACKAGE):
            frame.f_trace_opcodes = True
            return local
        return None

    sys.settrace(global_)
    try:
        run()
    finally:
        sys.settrace(None)
    return steps


SHAPES: list[Callable[[int], str]] = [
    lambda n: "甲不含" + "投资" * n + "；乙",  # one clause holding n hits
    lambda n: "不含" * n + "投资",  # n openers, each running to the end
    lambda n: "除" * n + "投资" * n,  # n 除 without a 外
    lambda n: "不含证券" * n + "的投资",  # n openers sharing one 的
    lambda n: "（不含投资" * n + "）" * n,  # n nested brackets
    lambda n: "不含 " * n + "拍卖，投资",  # white space after openers
]


@pytest.mark.parametrize("shape", range(len(SHAPES)))
def test_work_grows_linearly_in_negated_scopes(screener: Screener, shape: int) -> None:
    make = SHAPES[shape]
    screener.screen("某公司", make(50))  # warm caches (jieba, memo) outside the count
    small = _python_steps(lambda: screener.screen("某公司", make(2000)))
    large = _python_steps(lambda: screener.screen("某公司", make(4000)))
    assert large <= 2.5 * small, (small, large)


class CountingStr(str):
    """A scope that counts the characters Python code slices out of it or searches through:
    the copying in C that the step count above cannot see (a slice of the clause per hit, a
    ``find`` per 除). A count, not a time, so it says the same on any machine and load."""

    touched = 0

    def __getitem__(self, key):  # type: ignore[no-untyped-def, override]
        part = str.__getitem__(self, key)
        CountingStr.touched += len(part)
        return part

    def find(self, sub, start=None, end=None, /):  # type: ignore[no-untyped-def, override]
        at = str.find(self, sub, start, end)
        lo = 0 if start is None else start
        hi = len(self) if end is None else end
        CountingStr.touched += (at + len(sub) - lo) if at >= 0 else max(0, hi - lo)
        return at


def _characters_touched(screener: Screener, scope: str) -> int:
    CountingStr.touched = 0
    result = screener.screen("某公司", CountingStr(scope))
    assert result.hits or result.suppressed  # the scope was really judged
    return CountingStr.touched


@pytest.mark.parametrize("shape", range(len(SHAPES)))
def test_characters_copied_grow_linearly_in_negated_scopes(screener: Screener, shape: int) -> None:
    """The code before 07d134f sliced the clause once per hit: 8.0 M characters at n = 2,000
    and 32.0 M at 4,000 (4×) for one clause, 10.0 M → 40.0 M for 除×n; now 4,061 → 8,061 and
    17,997 → 35,997. The CPU-time figures are in benchmarks/RESULTS.md (negation_growth.py)."""
    make = SHAPES[shape]
    screener.screen("某公司", make(50))
    small = _characters_touched(screener, make(2000))
    large = _characters_touched(screener, make(4000))
    assert large <= 2.5 * max(small, 1), (small, large)


def test_a_clause_with_many_hits_quotes_a_bounded_part_of_itself(screener: Screener) -> None:
    r = screener.screen("某公司", "甲不含" + "投资" * 20_000 + "；乙")
    assert len(r.suppressed) == 20_000 and not r.hits
    assert {h.detail for h in r.suppressed} == {"「不含" + "投资" * 29 + "」"}
