"""Which kind of licensed financial institution a registered name declares, if any.

A registered name is 行政区划 + 字号 + 行业或经营特点 + 组织形式 (企业名称登记管理规定 art. 6),
and a branch is its parent's name followed by the branch's own name (…股份有限公司固镇支行,
…联社城关分社, …中心支公司固镇营销服务部). The kind is read from the organisational part
only: the words just before the organisational form of the name, or of the parent's name
for a branch. So 中国工商银行股份有限公司固镇支行 is a bank, while 银行路五金店 and
某某银行卡代办服务部 are not: 银行 stands there in the 字号 or as part of another trade.

The table of kinds, with the licence or approval each needs and its source, is
``data/institutions.tsv``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class InstitutionKind:
    """A kind of institution that needs a financial licence or approval."""

    word: str  # how the name declares it (银行, 保险代理, 融资担保 …)
    kind: str  # 商业银行, 保险专业代理机构 …
    approval: str  # 金融许可证, 经营保险业务许可证 …
    regulator: str  # 国家金融监督管理总局, 中国人民银行 …
    source: str  # the law or rule that requires it

    @property
    def needs(self) -> str:
        """The approval in the words of a basis: who grants what."""
        return f"{self.regulator}核发的{self.approval}（{self.source}）"

    def to_dict(self) -> dict[str, str]:
        return {"word": self.word, "kind": self.kind, "approval": self.approval,
                "regulator": self.regulator, "source": self.source}


# Name endings a branch has after its parent's name (longest first is not needed: each is
# tried as a suffix of the whole name).
BRANCH_SUFFIXES = (
    "中心支公司", "支公司", "分公司", "分行", "支行", "营业部", "营业所", "营业室", "分理处", "储蓄所",
    "分社", "营销服务部", "办事处", "代表处",
)
# Where a parent's name ends: its organisational form. 公司 and 联社 are preferred, so that
# …有限公司银行路分公司 is not read as a bank's branch; a parent without a company form
# (中国银行固镇支行, …联社城关信用社) ends in the institution's own word.
_COMPANY_ENDS = ("公司", "联社", "总社")
_INSTITUTION_ENDS = ("银行", "信用社", "合作社", "分行", "支行")
# Organisational forms stripped from the end before the kind is read; repeated, so that
# 融资担保集团有限公司 and 汇丰银行（中国）有限公司 reach their kind word.
_FORMS = (
    "股份有限公司", "有限责任公司", "有限公司", "股份公司", "总公司", "公司", "集团", "控股",
    "合伙企业", "有限合伙", "中心",
)
_TRAILING_BRACKET = re.compile(r"[（(][^（()）]{1,20}[)）]$")


def _suffixes(words: Sequence[str]) -> re.Pattern[str]:
    """The words reversed, longest first: ``match`` on a reversed text finds the longest
    word the text ends with, in time independent of the text's length."""
    return re.compile("|".join(re.escape(w[::-1]) for w in sorted(words, key=len, reverse=True)))


_BRANCH_END = _suffixes(BRANCH_SUFFIXES)
_FORM_END = _suffixes(_FORMS)


@lru_cache(maxsize=1)
def institution_table() -> tuple[InstitutionKind, ...]:
    """The kinds of ``data/institutions.tsv``, longest word first."""
    text = resources.files("fangfei_screen").joinpath("data/institutions.tsv").read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("word\t"):
            continue
        word, kind, approval, regulator, source = line.split("\t")
        rows.append(InstitutionKind(word, kind, approval, regulator, source))
    return tuple(sorted(rows, key=lambda r: len(r.word), reverse=True))


@lru_cache(maxsize=1)
def _kind_index() -> tuple[re.Pattern[str], dict[str, InstitutionKind]]:
    table = institution_table()
    return _suffixes([r.word for r in table]), {r.word: r for r in table}


def normal_name(name: str) -> str:
    """A name as names are compared: NFKC (full-width brackets and letters folded), no spaces."""
    return "".join(unicodedata.normalize("NFKC", name).split())


def parent_name(name: str) -> str | None:
    """The parent's name of a branch (…股份有限公司固镇支行 → …股份有限公司), or None when
    ``name`` does not end as a branch does."""
    text = normal_name(name)
    m = _BRANCH_END.match(text[::-1])
    if m is None or m.end() == len(text):
        return None
    head = text[: len(text) - m.end()]
    for ends in (_COMPANY_ENDS, _INSTITUTION_ENDS):
        at = max(head.rfind(e) + len(e) if e in head else -1 for e in ends)
        if at > 0:
            return head[:at]
    return None


def _declared(text: str) -> InstitutionKind | None:
    """The kind declared by a name that is not a branch: its part before the form."""
    body = text
    changed = True
    while changed and body:
        changed = False
        stripped = _TRAILING_BRACKET.sub("", body)
        if stripped != body:
            body, changed = stripped, True
        m = _FORM_END.match(body[::-1])
        if m is not None and m.end() < len(body):
            body, changed = body[: len(body) - m.end()], True
    pattern, by_word = _kind_index()
    m = pattern.match(body[::-1])
    return by_word[m.group()[::-1]] if m is not None else None


def institution_of(name: str | None) -> InstitutionKind | None:
    """The licensed kind ``name`` declares by its organisational part (a branch by its
    parent's), or None."""
    if not name:
        return None
    text = normal_name(name)
    seen = 0
    while seen < 4:  # a branch of a branch of a branch (…分行…支行…分理处) at most
        parent = parent_name(text)
        if parent is None:
            break
        text, seen = parent, seen + 1
    return _declared(text)
