"""Folding of width, case, traditional forms and evasion noise, with a map back to
original offsets.

Most registry text is already simplified, half-width and free of noise, so a
cheap character-class search decides whether a field needs folding at all; only
fields that do are rewritten. Folding maps every character to at most one
character, so the only offset change comes from deleted noise characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache, cached_property
from types import MappingProxyType

# Visible characters typed inside a term to slip past a list: spaces (any white space),
# middle dots and bullets, * _ - ~ | /. The scope's own item delimiters (、；;，,。) are
# deliberately not here. Invisible characters are folded too (invisible_chars()).
NOISE_CHARS = frozenset(
    " \t\r\n\v\f\u00a0\u3000"
    "\u00b7\u2022\u30fb\uff65\u2027\u2219"
    "*_-~|/"
)

# Default_Ignorable_Code_Point characters that are neither format characters nor
# variation selectors (Unicode PropList.txt, Other_Default_Ignorable_Code_Point, the
# assigned ones): the combining grapheme joiner, the Hangul fillers and Khmer's
# inherent vowels. They render as nothing, like the format characters.
_OTHER_IGNORABLE = "\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0"


# The planes where Unicode places format characters and variation selectors: the BMP,
# the SMP and the SSP (tags, variation selectors supplement). Planes 2–3 hold
# ideographs, 15–16 private use, the rest is unassigned; searching only these three
# takes a sixth of the time (a test checks all of Unicode).
_PLANES_WITH_FORMAT_CHARACTERS = (range(0x0000, 0x20000), range(0xE0000, 0xF0000))


@cache
def invisible_chars() -> frozenset[str]:
    """Characters that render as nothing and are folded away wherever they are typed:
    every format character (category Cf: soft hyphen, zero-width characters, direction
    marks and isolates, invisible operators …), every variation selector, and the other
    default-ignorable characters. Found by property once per process (about 30 ms), so
    that a new format character needs no change here.
    """
    found = set(_OTHER_IGNORABLE)
    category, name = unicodedata.category, unicodedata.name
    for plane in _PLANES_WITH_FORMAT_CHARACTERS:
        chars = "".join(map(chr, plane))
        for ch, cat in zip(chars, map(category, chars)):
            if cat == "Cf" or (cat == "Mn" and "VARIATION SELECTOR" in name(ch, "")):
                found.add(ch)
    return frozenset(found)


_FULLWIDTH_OFFSET = 0xFEE0  # U+FF01..U+FF5E are U+0021..U+007E shifted by this


@cache
def _base_table() -> MappingProxyType[int, int | None]:
    """The folding that needs no list: full-width letters and digits to ASCII lower
    case, A–Z to a–z, noise (half- or full-width) and invisible characters deleted."""
    table: dict[int, int | None] = {}
    for o in range(0xFF01, 0xFF5F):
        half = chr(o - _FULLWIDTH_OFFSET)
        if half in NOISE_CHARS:
            table[o] = None
        elif half.isalnum():
            table[o] = ord(half.lower())
    for o in range(ord("A"), ord("Z") + 1):
        table[o] = o + 32
    for ch in NOISE_CHARS | invisible_chars():
        table[ord(ch)] = None
    return MappingProxyType(table)


def basic_fold(text: str) -> str:
    """Fold width, ASCII case and noise, without traditional forms.

    Used where the full, list-dependent table is not yet built (list validation, the
    alphabet of a list).
    """
    return text.translate(_base_table())


# The CJK blocks whose characters OpenCC may fold: Unified Ideographs, Extension A,
# and the Compatibility Ideographs.
_CJK_BLOCKS = ((0x4E00, 0xA000), (0x3400, 0x4DC0), (0xF900, 0xFB00))


def _opencc_pairs() -> Iterable[tuple[str, str]]:
    """(traditional or regional variant, simplified) character pairs, from OpenCC.

    Each character is converted alone (one per line, so no phrase rule joins two), with
    the mainland, Taiwan and Hong Kong tables; the whole pass takes about 15 ms.
    """
    import opencc

    chars = [chr(o) for lo, hi in _CJK_BLOCKS for o in range(lo, hi)]
    joined = "\n".join(chars)
    for config in ("t2s", "tw2s", "hk2s"):
        converted = opencc.OpenCC(config).convert(joined).split("\n")
        if len(converted) != len(chars):  # a table that joined lines: skip it rather than misalign
            continue
        for trad, simp in zip(chars, converted):
            if len(simp) == 1 and simp != trad:
                yield trad, simp


class Folder:
    """Folds text for matching against the forms of a given alphabet.

    ``alphabet`` is every character of every listed form; traditional forms are
    folded only for characters in it, so no unrelated text is rewritten.
    """

    def __init__(self, alphabet: Iterable[str]) -> None:
        wanted = set(alphabet)
        table = dict(_base_table())
        for trad, simp in _opencc_pairs():
            if simp in wanted and trad != simp and trad not in wanted:
                table[ord(trad)] = ord(simp)
        self._table = table
        # Any one of these in a text means folding may change it. A character class
        # search costs about a third of the automaton's pass; putting them in the
        # automaton instead slows every step from its root (pyahocorasick looks up a
        # node's children one by one), measured at 5.7 µs against 1.0 µs a record.
        # Characters beyond the BMP (tags, variation selectors supplement …) are sent
        # to folding as one range: a class of scattered astral ranges searched at
        # 1.3 µs a record against 0.2 µs.
        self._needs = _char_class((k for k in table if k <= 0xFFFF), also="\U00010000-\U0010ffff")
        self.needs_folding = self._needs.search
        self._noise = _char_class(k for k, v in table.items() if v is None)

    def fold(self, text: str) -> str:
        return text.translate(self._table)

    def fold_with_map(self, text: str) -> FoldedText:
        """Fold ``text`` and keep what is needed to map offsets back."""
        return FoldedText(text, self.fold(text), self._noise)


def _char_class(code_points: Iterable[int], *, also: str = "") -> re.Pattern[str]:
    """A regex matching any of ``code_points`` (or of the class items ``also``),
    written as ranges: a class of single characters spanning planes searches some
    thirty times slower."""
    ranges: list[list[int]] = []
    for o in sorted(code_points):
        if ranges and o == ranges[-1][1] + 1:
            ranges[-1][1] = o
        else:
            ranges.append([o, o])
    parts = (re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges)
    return re.compile("[" + "".join(parts) + also + "]")


class FoldedText:
    """A folded field and the way back to offsets in the original."""

    __slots__ = ("original", "folded", "_noise", "__dict__")

    def __init__(self, original: str, folded: str, noise: re.Pattern[str]) -> None:
        self.original = original
        self.folded = folded
        self._noise = noise

    @cached_property
    def _kept(self) -> list[int] | None:
        if len(self.folded) == len(self.original):
            return None
        deleted = {m.start() for m in self._noise.finditer(self.original)}
        return [i for i in range(len(self.original)) if i not in deleted]

    @cached_property
    def separators(self) -> tuple[frozenset[int], tuple[int, ...]]:
        """Where the text as written is separated though the folded text is not.

        Two views in folded positions (position i: between folded[i-1] and folded[i]):
        every position where a visible noise character (a space, a dot, a dash …) was
        deleted, and, in order, those where white space was deleted. Invisible
        characters separate nothing: they are not seen as written.
        """
        invisible = invisible_chars()
        visible: set[int] = set()
        spaces: list[int] = []
        for deleted, m in enumerate(self._noise.finditer(self.original)):
            ch, at = m.group(), m.start() - deleted
            if ch in invisible:
                continue
            visible.add(at)
            if ch.isspace() and (not spaces or spaces[-1] != at):
                spaces.append(at)
        return frozenset(visible), tuple(spaces)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a folded span to the original span it was folded from."""
        kept = self._kept
        if kept is None:
            return start, end
        return kept[start], kept[end - 1] + 1
