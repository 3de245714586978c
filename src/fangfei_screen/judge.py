"""Judging raw matches of one field: longest match, exclusions (place names, other
senses), senses taken from the sentence (registry boilerplate), product names judged by
their head noun, negated clauses (不含X, 除…外, X除外, 不得 + its verb phrase) and word
boundaries (in a name, by the part a hit stands in). Works in folded coordinates; the
screener maps spans back."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Sequence
from typing import Generic, NamedTuple, TypeVar

from .automaton import Match
from .boundary import BoundaryJudge
from .clausesenses import ClauseSense, other_sense
from .lexicon import Exclusion
from .models import SuppressReason
from .names import NameReader, Part, PartKind, part_at

T = TypeVar("T")

# Clause openers that exclude what follows from the business scope. 除 is handled
# apart: it excludes only up to its closing 外 (除…外).
_NEGATION = re.compile(r"不得从事|不得经营|不得开展|不得|不含|不包括|不包含|不涉及|不从事|不经营|禁止|严禁|除")
# Openers that read "not containing": as the first words of a scope item, 不含X的Y is
# the item Y with X excluded, so only X is negated.
_CONTAINING = frozenset({"不含", "不包括", "不包含", "不涉及"})
# 除 inside a verb (消除, 去除, 排除 …) opens no exception clause.
_CHU_VERB_PREFIX = frozenset("消去排清删免解拆剔扣切根革破祛驱铲摘开废")
# What ends a clause inside brackets (besides its closing bracket), and outside them
# (where ， and white space separate scope items, and a closing bracket ends it too).
_INNER_END = re.compile("[；;。]")
_OUTER_END = re.compile("[；;。，,）)】\\]〕}》]")
# What may stand before an opener that begins a scope item of its own.
_ITEM_START = frozenset("，,；;。、")
_OPEN = frozenset("（(【[〔{《")
_BRACKET = re.compile("[（(【\\[〔{《）)】\\]〕}》]")
_WAI, _DE = re.compile("外"), re.compile("的")
_DETAIL_CHARS = 60  # of a clause quoted in a suppressed hit's detail
# Closers that exclude what stands before them in their clause: X除外, X以外的; not
# 除/以 before a word beginning with 外 (除外商投资企业外, 以外汇结算, 以外资形式).
_EXCEPT = re.compile("(?:除外|以外)(?![商资国汇币贸籍地省包企])")
# Where an excluded X begins, looking back from its 除外: a separator of items or
# clauses (not 、, which joins the list of what is excluded), a bracket, or 但.
_EXCEPT_START = re.compile("[，,；;。（(【\\[〔{《）)】\\]〕}》但]")
# A restriction opens a clause of its own: in 不得吸收存款，仅限以自有资产投资 the
# 不得 does not reach 投资.
_RESTRICTION = re.compile("仅限|只限|限于|仅以|但")
# 不得 negates its own verb phrase. A prepositional phrase right after it that names
# whom (对X, 向X, 为X, 给X) is not what is forbidden: it ends at the verb. One that
# names how (以拍卖方式销售) is part of what is forbidden.
_PREPOSITIONS = frozenset("对向为给")
_VERB = re.compile(
    "提供|承诺|从事|开展|经营|进行|发放|吸收|募集|集资|发行|销售|公开|参与|设立|开设|办理|代理|宣传|保证|许诺|收取|接受|出具"
)
# Verbs whose object is what is said, not an activity of the entity: in
# 不得向投资者承诺投资本金不受损失 the promise is forbidden, not the investing.
_SAYING = frozenset({"承诺", "宣传", "保证", "许诺"})
_PROHIBITIONS = frozenset({"不得", "禁止", "严禁"})
_PHRASE_REACH = 40  # characters a prepositional phrase may run before its verb


class ExclusionContext(NamedTuple):
    """A listed exclusion as the judge checks it: its folded ``word`` holds a form of
    the term at ``offset``."""

    word: str
    offset: int
    form: str  # as written in the list
    reason: SuppressReason
    note: str


def exclusion_contexts(forms: Sequence[str], exclusions: Sequence[tuple[str, Exclusion]]) -> tuple[ExclusionContext, ...]:
    """Every place where a folded form of a term lies in one of its folded exclusions
    (``exclusions``: (folded word, Exclusion) pairs)."""
    out = []
    for word, ex in exclusions:
        for form in set(forms):
            at = word.find(form) if form else -1
            while at >= 0:
                out.append(ExclusionContext(word, at, ex.pattern, ex.reason, ex.note))
                at = word.find(form, at + 1)
    # longest first: the first that holds a hit is the most specific (微积分学 over 微积分)
    return tuple(sorted(out, key=lambda c: -len(c.word)))


def _excluded(folded: str, start: int, end: int, contexts: Sequence[ExclusionContext]) -> ExclusionContext | None:
    """The exclusion whose word holds the hit text[start:end], if any."""
    for c in contexts:
        at = start - c.offset
        if at >= 0 and at + len(c.word) >= end and folded.startswith(c.word, at):
            return c
    return None


class Verdict(NamedTuple):
    """A match kept after longest-match resolution, with why it does not count, if so."""

    match: Match
    reason: SuppressReason | None = None
    detail: str = ""


def _next(positions: Sequence[int], at: int, default: int) -> int:
    """The first of the sorted ``positions`` at or after ``at``, else ``default``."""
    i = bisect_left(positions, at)
    return positions[i] if i < len(positions) else default


def negated_spans(scope: str, spaces: Sequence[int] = ()) -> list[tuple[int, int, str]]:
    """Spans of the scope that lie inside a clause excluding them, with the opener.

    Inside brackets a clause ends at its closing bracket or at ；;。, whichever comes
    first: in 日用百货销售（不含危险化学品）；投资咨询 the 投资 is outside it. Outside
    brackets it ends where its object ends: at ，,；;。, a closing bracket, or white
    space that separates scope items (``spaces``: sorted positions where white space
    was folded away), so 五金销售，不含危险化学品，房地产投资 leaves 投资 counted;
    things joined by 、 (不含烟草、酒类) stay one clause. 除 excludes only up to its 外,
    and an opener inside 除…外 stays inside it. An item that begins with 不含 (不包括 …)
    and has a 的 reads 不含X的Y: only X is negated.

    Every step is a bisection or a single pass: the work is in proportion to the
    scope's length, however many openers and hits it holds.
    """
    openers = list(_NEGATION.finditer(scope))
    excepts = list(_EXCEPT.finditer(scope))
    if not openers and not excepts:
        return []
    n = len(scope)
    inner_end: list[int | None] = [None] * len(openers)  # the closing bracket around an opener
    # For each opener, the closing bracket of the innermost bracket around it.
    stack: list[list[int]] = []  # per open bracket: the openers directly inside it
    oi = 0
    for b in _BRACKET.finditer(scope):
        pos = b.start()
        while oi < len(openers) and openers[oi].start() < pos:
            if stack:
                stack[-1].append(oi)
            oi += 1
        if scope[pos] in _OPEN:
            stack.append([])
        elif stack:
            for k in stack.pop():
                inner_end[k] = pos
    restrictions = [m.start() for m in _RESTRICTION.finditer(scope)] if openers else []
    inner_stops = sorted([m.start() for m in _INNER_END.finditer(scope)] + restrictions)
    outer_stops = sorted([m.start() for m in _OUTER_END.finditer(scope)] + restrictions)
    wai = [m.start() for m in _WAI.finditer(scope)]
    de_at = [m.start() for m in _DE.finditer(scope)]
    spans = []
    chu_end = -1  # the end of the last 除…外 clause: openers inside it stay inside it
    for k, m in enumerate(openers):
        start, opener = m.start(), m.group()
        close = inner_end[k]
        if close is not None:
            end = min(close, _next(inner_stops, m.end(), n))
        else:
            # White space right after the opener does not end its clause (不含 危险品).
            end = min(_next(outer_stops, m.end(), n), _next(spaces, m.end() + 1, n))
        if start < chu_end:
            end = min(end, chu_end)
        if opener == "除":
            if start > 0 and scope[start - 1] in _CHU_VERB_PREFIX:
                continue
            wai_at = _next(wai, m.end(), n)
            if wai_at >= end:
                continue
            end = chu_end = wai_at + 1
        elif opener in _CONTAINING and _begins_item(scope, start, spaces):
            end = min(end, _next(de_at, m.end(), n))
        elif opener in _PROHIBITIONS:
            forbids, verb = _forbidden_verb(scope, m.end(), end)
            if not forbids:
                continue
            start = verb if verb is not None else start
        spans.append((start, end, opener))
    spans.extend(_excepted_spans(scope, excepts, spaces, [m.start() for m in openers]))
    return spans


def _forbidden_verb(scope: str, after: int, end: int) -> tuple[bool, int | None]:
    """Whether a bare 不得 (禁止, 严禁) ending at ``after`` forbids an activity, and
    where its verb phrase begins (None: no verb known, the whole clause as before).
    Forbidding to say something (承诺, 宣传 …) negates no activity of the entity. A
    prepositional phrase right after the opener is skipped up to its verb: in
    不得对所投资企业以外的其他企业提供担保 only 提供担保 is forbidden."""
    verb = _VERB.match(scope, after)
    if verb is None and after < end and scope[after] in _PREPOSITIONS:
        verb = _VERB.search(scope, after + 1, min(end, after + 1 + _PHRASE_REACH))
    if verb is None:
        return True, None
    return verb.group() not in _SAYING, verb.start()


def _excepted_spans(
    scope: str, excepts: Sequence[re.Match[str]], spaces: Sequence[int], opener_starts: Sequence[int]
) -> list[tuple[int, int, str]]:
    """Spans excluded by a closer after them: X除外 (（拍卖除外）, （金融、证券、投资除外）,
    但X除外) and X以外的. X runs back to the start of its clause: a separator other
    than 、, a bracket, 但, or white space between items. X以外 inside a clause that
    an opener (不得, 除 …) begins belongs to that clause and excludes nothing itself
    (不得对所投资企业以外的其他企业提供担保)."""
    if not excepts:
        return []
    stops = [m.start() for m in _EXCEPT_START.finditer(scope)]
    out = []
    for m in excepts:
        at = m.start()
        i = bisect_left(stops, at) - 1
        begin = stops[i] + 1 if i >= 0 else 0
        j = bisect_right(spaces, at) - 1
        if j >= 0 and spaces[j] > begin:
            begin = spaces[j]
        if begin >= at:
            continue
        if m.group() == "以外" and _next(opener_starts, begin, at) < at:
            continue
        out.append((begin, m.end(), m.group()))
    return out


def _begins_item(scope: str, start: int, spaces: Sequence[int]) -> bool:
    """Whether the text at ``start`` begins a scope item (not a note in brackets)."""
    if start == 0 or scope[start - 1] in _ITEM_START:
        return True
    i = bisect_left(spaces, start)
    return i < len(spaces) and spaces[i] == start


# Where a scope may be cut into units judged alone: ；;。 outside every bracket.
_UNIT_END = "；;。"
_UNIT_CUT = re.compile("[；;。]")
_UNIT_MARK = re.compile("[；;。（(【\\[〔{《）)】\\]〕}》]")


def has_bracket(text: str) -> bool:
    """Whether ``text`` holds a bracket of any kind the judge counts."""
    return _BRACKET.search(text) is not None


def unit_cuts(scope: str) -> list[int]:
    """Positions of the ；;。 of a folded scope that stand outside every bracket (the
    brackets counted as :func:`negated_spans` counts them), where the scope can be cut
    into units whose verdicts do not depend on each other.

    No rule of this module reads across such a character: a negated clause, a 除…外 or
    an X除外 ends at it (they stop at ；;。 inside brackets and outside them, and here no
    bracket is open), a sense's sentence (clausesenses) ends at it, jieba's windows stop
    at it (it is no character of a jieba block), and no listed form, exclusion, head
    noun or sense word holds it (the screener checks that before it cuts). So judging
    each unit alone and shifting its hits gives the verdicts of the whole scope.
    """
    if _BRACKET.search(scope) is None:
        return [m.start() for m in _UNIT_CUT.finditer(scope)]
    cuts: list[int] = []
    depth = 0
    for m in _UNIT_MARK.finditer(scope):
        ch = m.group()
        if ch in _UNIT_END:
            if not depth:
                cuts.append(m.start())
        elif ch in _OPEN:
            depth += 1
        elif depth:
            depth -= 1
    return cuts


def longest_matches(matches: list[Match], text_length: int, group_of: Sequence[int] | None = None) -> list[Match]:
    """Resolve overlapping term matches to the longest (then leftmost) ones.

    Overlaps are resolved within each group (``group_of[term_id]``: the list a term
    comes from), so that a watch list's 资金互助 never hides Attachment 1's 互助.
    Matches of the same span are all kept.
    """
    if len(matches) <= 1:
        return matches
    if group_of is not None and len({group_of[m.pattern.term_id] for m in matches}) > 1:
        groups: dict[int, list[Match]] = {}
        for m in matches:
            groups.setdefault(group_of[m.pattern.term_id], []).append(m)
        kept = [k for g in groups.values() for k in longest_matches(g, text_length)]
        kept.sort(key=lambda m: (m.start, m.end))
        return kept
    by_span: dict[tuple[int, int], list[Match]] = {}
    for m in matches:
        by_span.setdefault((m.start, m.end), []).append(m)
    occupied = bytearray(text_length)
    kept = []
    for a, b in sorted(by_span, key=lambda s: (s[0] - s[1], s[0])):
        if occupied.find(1, a, b) >= 0:
            continue
        occupied[a:b] = b"\x01" * (b - a)
        kept.extend(by_span[(a, b)])
    kept.sort(key=lambda m: (m.start, m.end))
    return kept


class _SpanIndex(Generic[T]):
    """Spans with a payload, answering "which span holds this one" by bisection."""

    def __init__(self, spans: list[tuple[int, int, T]]) -> None:
        spans = sorted(spans, key=lambda s: (s[0], s[1]))
        self._starts = [a for a, _, _ in spans]
        self._spans = spans
        # reach[i]: the span among spans[:i+1] that reaches furthest right
        reach: list[int] = []
        for i, (_, b, _) in enumerate(spans):
            reach.append(i if not reach or b > spans[reach[-1]][1] else reach[-1])
        self._reach = reach

    def holding(self, start: int, end: int) -> tuple[int, int, T] | None:
        i = bisect_right(self._starts, start) - 1
        if i < 0:
            return None
        span = self._spans[self._reach[i]]
        return span if span[1] >= end else None


def judge_field(
    folded: str,
    matches: list[Match],
    *,
    is_scope: bool,
    boundary: BoundaryJudge,
    group_of: Sequence[int] | None = None,
    exclusions: Sequence[Sequence[ExclusionContext]] | None = None,
    heads: Sequence[tuple[str, ...]] | None = None,
    senses: Sequence[tuple[ClauseSense, ...]] | None = None,
    names: NameReader | None = None,
    separated: Collection[int] = frozenset(),
    spaces: Sequence[int] = (),
) -> list[Verdict]:
    """Every kept term match of one field, each with its verdict.

    ``exclusions[term_id]``: the contexts that mark a term's harmless uses.
    ``heads[term_id]``: the head nouns after which a term names a product of another
    sense (积分 + 仪). ``senses[term_id]``: the rules that read a term in another
    sense from its sentence (clausesenses). ``names``: reads a name field by its
    parts (names.py), split only when a hit in it comes to the word-boundary judge.
    ``separated`` and ``spaces`` say where the text as written had visible noise or
    white space that folding removed (see FoldedText.separators): Latin word edges and
    scope items are judged on the text as written.
    """
    # Negated clauses only where the scope has an opener at all.
    clauses: _SpanIndex[str] | None = (
        _SpanIndex(negated_spans(folded, spaces))
        if is_scope and (_NEGATION.search(folded) or "以外" in folded)
        else None
    )
    quoted: dict[int, str] = {}  # clause start -> its quotation, made once per clause
    parts: tuple[Part, ...] | None = None  # a name's parts, split on the first hit that needs them
    verdicts = []
    for m in longest_matches(matches, len(folded), group_of):
        held = _excluded(folded, m.start, m.end, exclusions[m.pattern.term_id]) if exclusions else None
        if held is not None:
            note = f"：{held.note}" if held.note else ""
            verdicts.append(Verdict(m, held.reason, f"「{held.form}」{note}"))
            continue
        rules = senses[m.pattern.term_id] if senses else ()
        sense = other_sense(folded, m.start, m.end, rules) if rules else ""
        if sense:
            verdicts.append(Verdict(m, SuppressReason.OTHER_SENSE, sense))
            continue
        head = _head_noun(folded, m.end, heads[m.pattern.term_id]) if heads else ""
        if head:
            word = folded[m.start : m.end] + head
            verdicts.append(Verdict(m, SuppressReason.OTHER_SENSE, f"「{word}」以「{head}」为中心词：器具、部件或材料的名称"))
            continue
        clause = clauses.holding(m.start, m.end) if clauses is not None else None
        if clause is not None:
            a, b, _ = clause
            detail = quoted.get(a)
            if detail is None:
                # Only the quoted part is copied: a clause may hold thousands of hits.
                detail = quoted[a] = f"「{folded[a : min(b, a + _DETAIL_CHARS)]}」"
            verdicts.append(Verdict(m, SuppressReason.NEGATED, detail))
            continue
        detail = (
            _ascii_straddle(folded, m.start, m.end, separated)
            if folded[m.start].isascii() or folded[m.end - 1].isascii()
            else ""
        )
        if not detail and not is_scope and names is not None:
            if parts is None:
                parts = names.parts(folded)
            reason, detail = _name_part_verdict(folded, m.start, m.end, parts, names, boundary)
            if reason is not None:
                verdicts.append(Verdict(m, reason, detail))
                continue
        elif not detail and boundary.needs_judging(folded, m.start, m.end):
            detail = boundary.straddles(folded, m.start, m.end)
        if detail:
            verdicts.append(Verdict(m, SuppressReason.WORD_BOUNDARY, detail))
            continue
        verdicts.append(Verdict(m))
    return verdicts


def _name_part_verdict(
    name: str, start: int, end: int, parts: tuple[Part, ...], names: NameReader, boundary: BoundaryJudge
) -> tuple[SuppressReason | None, str]:
    """A hit in a name judged by the part it stands in: across two parts it is no word
    of the name (麦积|分公司, 龙云|养殖); a division's name without its suffix where a
    place stands is a place (互助三合水电, …公司互助分公司); inside one part the word
    boundaries are those of that part alone (天诚|信用评级: 诚信 is not a word here)."""
    i, j = part_at(parts, start), part_at(parts, end - 1)
    if i != j:
        held = parts[i : j + 1]
        joined = "|".join(name[p.start : p.end] for p in held)
        kinds = "|".join(p.kind.label for p in held)
        return SuppressReason.WORD_BOUNDARY, f"「{joined}」跨越名称的{kinds} / the hit runs across parts of the name"
    part = parts[i]
    word = name[start:end]
    if part.kind is PartKind.PLACE and (start, end) == (part.start, part.end) and names.is_division_head(word):
        return SuppressReason.PLACE_NAME, f"「{word}」：省略后缀的行政区划名称，位于名称的行政区划位置"
    text = name[part.start : part.end]
    s, e = start - part.start, end - part.start
    detail = boundary.straddles(text, s, e) if boundary.needs_judging(text, s, e) else ""
    return (SuppressReason.WORD_BOUNDARY, detail) if detail else (None, "")


# What may join a term to its head noun in a product name (积分式电表, 票据型打印机).
_HEAD_LINKS = ("", "式", "型")


def _head_noun(text: str, end: int, heads: tuple[str, ...]) -> str:
    """The head noun (with its 式/型 link) that follows a term ending at ``end``, if
    it is one of ``heads`` (longest first), else ''."""
    if not heads:
        return ""
    for link in _HEAD_LINKS:
        if link and not text.startswith(link, end):
            continue
        at = end + len(link)
        for head in heads:
            if text.startswith(head, at):
                return link + head
    return ""


def _is_ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _ascii_straddle(text: str, start: int, end: int, separated: Collection[int] = frozenset()) -> str:
    """A Latin term inside a longer Latin word (nft in 'unfto') is not the term.

    A plural s (NFTs) is still the term. ``separated`` holds the folded positions where
    the text as written had a space or punctuation, which is a word edge (NFT Art).
    """
    if not _is_ascii_alnum(text[start]) and not _is_ascii_alnum(text[end - 1]):
        return ""
    before = (
        start > 0 and start not in separated and _is_ascii_alnum(text[start - 1]) and _is_ascii_alnum(text[start])
    )
    after_ch = text[end] if end < len(text) and end not in separated else ""
    after = bool(after_ch) and _is_ascii_alnum(after_ch) and _is_ascii_alnum(text[end - 1])
    if after and after_ch == "s" and not (
        end + 1 < len(text) and end + 1 not in separated and _is_ascii_alnum(text[end + 1])
    ):
        after = False
    if before or after:
        return "拉丁字母词的一部分 / part of a longer Latin word"
    return ""
