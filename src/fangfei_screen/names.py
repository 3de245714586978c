"""Registered names read by their parts (企业名称登记管理规定 art. 6): 行政区划 + 字号
+ 行业或经营特点 + 组织形式, and a branch is its parent's name followed by its own
(…股份有限公司麦积分公司, …销售分公司互助威远加油站). Knows names and nothing of
screening: the judge asks it where a hit stands.

The split is a reading, not a parse: places come from the package's place list (and
the heads of divisions written without their suffix: 互助 of 互助土族自治县, 麦积 of
麦积区), industry words from companynameparser's trade.txt and the national scope
catalogue (data/name_trades.txt) plus the screener's own terms, forms from
companynameparser's suffix.txt and branch forms (data/name_forms.txt). A 字号 has at
least two characters (实施办法 art. 8): a split that would leave less is not taken.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources


class PartKind(StrEnum):
    PLACE = "place"  # 行政区划
    BRAND = "brand"  # 字号
    TRADE = "trade"  # 行业或经营特点
    FORM = "form"  # 组织形式

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {PartKind.PLACE: "行政区划", PartKind.BRAND: "字号", PartKind.TRADE: "行业", PartKind.FORM: "组织形式"}


@dataclass(frozen=True, slots=True)
class Part:
    start: int
    end: int
    kind: PartKind
    segment: int  # 0: the name itself; 1, 2 …: a branch's own name after its parent's


# Forms that end a parent's name inside a longer name (where a branch's own name begins).
_PARENT_FORMS = (
    "集团股份有限公司", "集团有限公司", "股份有限公司", "有限责任公司", "有限公司", "公司", "集团",
    "分公司", "支公司", "银行", "分行", "信用合作联社", "联社", "信用社", "合作社", "营业部",
)
_PARENT_FORM = re.compile("(?:" + "|".join(sorted(_PARENT_FORMS, key=len, reverse=True)) + ")+")
# Forms only a branch's own name ends with: 易积分公司 is 易积分 + 公司, not 易积 + 分公司.
_BRANCH_FORMS = frozenset({"分公司", "支公司", "子公司", "分行", "支行", "分理处", "储蓄所", "营业部", "营业所", "分社", "分店", "分部", "分厂", "分场", "分中心", "分所", "第一分", "第一分公司"})
# Suffixes of a division's name, written or left out (互助土族自治县 → 互助, 麦积区 → 麦积).
_DIVISION = re.compile(
    "^(.{2,}?)(?:[^族]{1,4}族)*(?:自治县|自治州|自治区|自治旗|特别行政区|地区|林区|矿区|新区|特区|省|市|区|县|旗|盟)$"
)
_SUFFIXED = re.compile("(?:省|市|区|县|旗|盟|州|镇|乡)$")  # a place written with its suffix (泸县)
_MIN_BRAND = 2
# Words of the legal form itself, never an industry word at its head (有限公司).
_LEGAL = frozenset({"有限", "股份", "有限责任", "责任", "集团", "控股", "合伙", "独资", "股份合作", "专业"})
# 某 (某某有限公司) stands for a 字号 not written out, of whatever length.
_PLACEHOLDER = "某"


def _data_lines(name: str) -> list[str]:
    text = (resources.files("fangfei_screen") / "data" / name).read_text(encoding="utf-8")
    return [x.strip() for x in text.splitlines() if x.strip() and not x.startswith("#")]


@lru_cache(maxsize=1)
def _places() -> tuple[frozenset[str], frozenset[str]]:
    """Place names as listed, and the heads of divisions written without their suffix."""
    places = frozenset(_data_lines("places.txt"))
    heads = frozenset(m.group(1) for p in places if (m := _DIVISION.match(p)) and m.group(1) not in places)
    return places | heads, heads | frozenset(m.group(1) for p in places if (m := _DIVISION.match(p)))


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(_data_lines("name_trades.txt")), frozenset(_data_lines("name_forms.txt"))


class NameReader:
    """Splits names into parts; ``words`` (the screener's terms) count as industry
    words too (天诚 + 信用评级 + 有限责任公司). Immutable; data is read on first use."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        self._extra = frozenset(w for w in words if len(w) >= 2)
        self._ready = False
        # Per-instance memo: the parts are a pure function of the name (bank branches
        # repeat their parent's name row after row).
        self.parts = lru_cache(maxsize=1 << 14)(self._parts)  # type: ignore[method-assign]

    def _load(self) -> None:
        if self._ready:
            return
        self._places, self._heads = _places()
        trades, forms = _vocabulary()
        self._trades = trades | self._extra
        self._forms = forms
        self._longest_place = max(map(len, self._places))
        self._longest_trade = max(map(len, self._trades))
        self._longest_form = max(map(len, self._forms))
        # The lengths worth trying where a word must begin (places) or end (industry
        # words, forms) at a given character, longest first: any other length finds no
        # word, so the searches below try fewer substrings and find the same words.
        self._place_sizes = _sizes_by(self._places, 0)
        self._trade_sizes = _sizes_by(self._trades, -1)
        self._form_sizes = _sizes_by(self._forms, -1)
        self._ready = True

    def is_division_head(self, word: str) -> bool:
        """Whether ``word`` is a division's name without its suffix (互助, 麦积)."""
        self._load()
        return word in self._heads

    def parts(self, name: str) -> tuple[Part, ...]:
        """The parts of a name, in order, covering it whole (memoised; see _parts)."""
        return self._parts(name)

    def _parts(self, name: str) -> tuple[Part, ...]:
        """The parts of a name, in order, covering it whole. A text that does not end
        in an organisation form is no registered name (a 字号 alone, 互助共赢): it is
        one part."""
        self._load()
        out: list[Part] = []
        for seg, (a, b) in enumerate(self._segments(name)):
            out.extend(self._segment_parts(name, a, b, seg))
        if not out or out[-1].kind is not PartKind.FORM:
            return (Part(0, len(name), PartKind.BRAND, 0),) if name else ()
        return tuple(out)

    def _segments(self, name: str) -> list[tuple[int, int]]:
        """Where the name and each branch's own name lie: a parent's form followed by
        more text ends the parent (…股份有限公司|麦积分公司; 集团 + 股份有限公司 is one)."""
        n = len(name)
        cuts = [m.end() for m in _PARENT_FORM.finditer(name, 1) if n - m.end() >= 2]
        bounds = [0, *cuts, n]
        return [(bounds[k], bounds[k + 1]) for k in range(len(bounds) - 1)]

    def _segment_parts(self, name: str, a: int, b: int, seg: int) -> list[Part]:
        form_at = self._form_start(name, a, b, branch=seg > 0)
        min_brand = _MIN_BRAND if seg == 0 else 0
        places = self._leading_places(name, a, form_at)
        # the most places that still leave a 字号 of its own, which is not itself
        # made of industry words (互助保险有限公司: 互助 is the 字号, not a place)
        for k in range(len(places), -1, -1):
            place_end = places[k - 1] if k else a
            trade_at = self._trade_start(name, place_end, form_at, min_brand)
            if k == 0 or not min_brand:
                break
            if (trade_at - place_end >= min_brand or not name[place_end:trade_at].strip(_PLACEHOLDER)) and self._trade_start(
                name, place_end, trade_at, 0
            ) > place_end:
                break
        parts = []
        prev = a
        for end in places[:k]:
            parts.append(Part(prev, end, PartKind.PLACE, seg))
            prev = end
        if trade_at > prev and self._trade_start(name, prev, trade_at, 0) == prev:
            # what is left for a 字号 is industry words too (养老服务中心): no 字号 is
            # written, and the words are not split where one is looked for
            trade_at = prev
        if trade_at > prev:
            parts.append(Part(prev, trade_at, PartKind.BRAND, seg))
        if form_at > trade_at:
            # each industry word is a part of its own (信用|评级, 农牧|区块链|科技)
            words = self._trade_words(name, trade_at, form_at)
            parts.extend(Part(x, y, PartKind.TRADE, seg) for x, y in words)
        if b > form_at:
            parts.append(Part(form_at, b, PartKind.FORM, seg))
        return parts

    def _form_start(self, name: str, a: int, b: int, *, branch: bool) -> int:
        """Where the organisation form begins: the longest listed one, less an industry
        word it begins with (服务中心 is 服务 + 中心, 投资公司 is 投资 + 公司)."""
        for size in self._form_sizes.get(name[b - 1], ()) if b > a else ():
            if size > b - a:
                continue
            word = name[b - size : b]
            if word in self._forms and (branch or word not in _BRANCH_FORMS) and b - size > a:
                at = b - size
                for k in range(2, size):
                    lead = name[at : at + k]
                    if lead in self._trades and lead not in _LEGAL and name[at + k : b] in self._forms:
                        return at + k
                return at
        return b

    def _leading_places(self, name: str, a: int, b: int) -> list[int]:
        """The ends of the places a segment begins with (at most four). A place written
        with its suffix is followed only by places written with theirs (仙游县兴和堂:
        兴和 of 兴和县 is no place here), while heads may follow heads (青海海东)."""
        ends, pos, suffixed = [], a, False
        while len(ends) < 4:
            for size in self._place_sizes.get(name[pos], ()) if pos < b else ():
                if size > b - pos or size < 2:
                    continue
                word = name[pos : pos + size]
                if word in self._places:
                    has_suffix = _SUFFIXED.search(word) is not None
                    if suffixed and not has_suffix:
                        continue
                    suffixed = has_suffix
                    pos += size
                    ends.append(pos)
                    break
            else:
                break
        return ends

    def _trade_start(self, name: str, a: int, b: int, min_brand: int) -> int:
        """Where the industry words before the form begin: from the right, the longest
        word at each step that leaves a 字号 of ``min_brand`` characters."""
        pos = b
        while pos > a:
            for size in self._trade_sizes.get(name[pos - 1], ()):
                if size > pos - a or size < 2:
                    continue
                left = pos - size - a
                if name[pos - size : pos] in self._trades and (
                    left >= min_brand or (left and name[a : pos - size].strip(_PLACEHOLDER) == "")
                ):
                    pos -= size
                    break
            else:
                break
        return pos

    def _trade_words(self, name: str, a: int, b: int) -> list[tuple[int, int]]:
        """The industry words of name[a:b], as _trade_start found them (right to left,
        longest first); what is left at the front is one more part."""
        out, pos = [], b
        while pos > a:
            for size in self._trade_sizes.get(name[pos - 1], ()):
                if size > pos - a or size < 2:
                    continue
                if name[pos - size : pos] in self._trades:
                    out.append((pos - size, pos))
                    pos -= size
                    break
            else:
                out.append((a, pos))
                break
        return out[::-1]


def _sizes_by(words: Iterable[str], at: int) -> dict[str, tuple[int, ...]]:
    """For each character, the lengths (longest first) of the ``words`` that have it
    at index ``at`` (0: their first character, -1: their last)."""
    sizes: dict[str, set[int]] = {}
    for w in words:
        if w:
            sizes.setdefault(w[at], set()).add(len(w))
    return {ch: tuple(sorted(n, reverse=True)) for ch, n in sizes.items()}


def part_at(parts: tuple[Part, ...], at: int) -> int:
    """The index of the part holding position ``at``."""
    for i, p in enumerate(parts):
        if p.start <= at < p.end:
            return i
    return len(parts) - 1
