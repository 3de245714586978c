"""Senses a listed word takes from its sentence: registry boilerplate in which the word
is not financial, judged in context because the word alone may well be (票据交易 is a
money-market business; 危险化学品票据贸易 is trade in hazardous chemicals without
storage, done on paper). Each rule says why and where the phrasing comes from.

Words whose sense needs no context (信用信息公示, 外商投资企业) are rows of the senses
table instead (data/senses.tsv)."""

from __future__ import annotations

from dataclasses import dataclass

from .models import SuppressReason


@dataclass(frozen=True, slots=True)
class ClauseSense:
    """The term is of another sense when its sentence (between ；;。) holds one of
    ``sentence`` and the term is followed by one of ``after`` or preceded by one of
    ``before`` (both empty: the sentence alone decides)."""

    term: str
    sentence: tuple[str, ...]
    after: tuple[str, ...]
    before: tuple[str, ...]
    reason: str  # the detail a clerk reads
    source: str


_FUELS = ("危险化学品", "危化品", "成品油", "燃气", "液化石油气", "液化气", "天然气", "汽油", "柴油", "煤油", "石油制品", "化工产品", "化学品")

RULES: tuple[ClauseSense, ...] = (
    ClauseSense(
        term="票据",
        sentence=_FUELS,
        after=("贸易", "式经营", "经营", "交易", "批发", "销售", "方式", "（无储存", "(无储存", "，无储存", ",无储存", "、无储存", "无储存", "（不带储存"),
        before=("仅限", "只限", "无储存", "不带储存"),
        reason="危险化学品、成品油、燃气经营许可中的“票据（式）经营”：无储存设施、只开票据的贸易方式，非金融票据",
        source="《危险化学品经营许可证管理办法》（带有储存设施经营与无储存设施经营之分）；issue 16 所引真实登记记录（危险化学品票据贸易、无储存经营（票据贸易）、仅限票据交易）",
    ),
    ClauseSense(
        term="票据",
        sentence=("递送", "投递", "寄递"),
        after=("、礼品", "、报刊", "、信函", "、印刷品", "、包裹", "、文件"),
        before=("报刊", "信函", "礼品", "印刷品", "报刊、", "信函、", "礼品、", "印刷品、"),
        reason="邮政、快递经营中所递送的物品（报刊、票据、礼品），非金融票据",
        source="《邮政法》（邮政企业的业务：邮件寄递、报刊发行等）；issue 16 所引真实登记记录（报刊票据、礼品的递送）",
    ),
)

REASON = SuppressReason.OTHER_SENSE
_SENTENCE_END = "；;。"
_REACH = 60  # characters each side of the term that make its sentence


def rules_for(term: str) -> tuple[ClauseSense, ...]:
    """The rules of a listed term (by its text), if any."""
    return tuple(r for r in RULES if r.term == term)


def other_sense(text: str, start: int, end: int, rules: tuple[ClauseSense, ...]) -> str:
    """The detail of the first rule that reads text[start:end] in another sense, else ''."""
    lo = max(0, start - _REACH)
    hi = min(len(text), end + _REACH)
    a = max((text.rfind(c, lo, start) for c in _SENTENCE_END), default=-1)
    a = a + 1 if a >= 0 else lo
    ends = [i for i in (text.find(c, end, hi) for c in _SENTENCE_END) if i >= 0]
    b = min(ends) if ends else hi
    sentence = text[a:b]
    for rule in rules:
        if not any(w in sentence for w in rule.sentence):
            continue
        if (
            (not rule.after and not rule.before)
            or any(text.startswith(w, end) for w in rule.after)
            or any(text.endswith(w, a, start) for w in rule.before)
        ):
            return f"「{sentence[:40]}」：{rule.reason}"
    return ""
