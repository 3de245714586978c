"""Folding of width, case, traditional forms and evasion noise, with a map back to
original offsets.

Most registry text is already simplified, half-width and free of noise, so a
cheap character-class search decides whether a field needs folding at all; only
fields that do are rewritten. Folding maps every character to at most one
character, so the only offset change comes from deleted noise characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cached_property
from types import MappingProxyType

# Characters typed inside a term to slip past a list: spaces (any white space),
# middle dots and bullets, * _ - ~ | /, and zero-width characters. The scope's own
# item delimiters (、；;，,。) are deliberately not here.
NOISE_CHARS = frozenset(
    " \t\r\n\v\f\u00a0\u3000"
    "\u00b7\u2022\u30fb\uff65\u2027\u2219"
    "*_-~|/"
    "\u200b\u200c\u200d\u2060\ufeff"
)

_FULLWIDTH_OFFSET = 0xFEE0  # U+FF01..U+FF5E are U+0021..U+007E shifted by this


def _base_table() -> dict[int, int | None]:
    """The folding that needs no list: full-width letters and digits to ASCII lower
    case, A–Z to a–z, noise (half- or full-width) deleted."""
    table: dict[int, int | None] = {}
    for o in range(0xFF01, 0xFF5F):
        half = chr(o - _FULLWIDTH_OFFSET)
        if half in NOISE_CHARS:
            table[o] = None
        elif half.isalnum():
            table[o] = ord(half.lower())
    for o in range(ord("A"), ord("Z") + 1):
        table[o] = o + 32
    for ch in NOISE_CHARS:
        table[ord(ch)] = None
    return table


_BASE_TABLE = MappingProxyType(_base_table())


def basic_fold(text: str) -> str:
    """Fold width, ASCII case and noise, without traditional forms.

    Used where the full, list-dependent table is not yet built (list validation, the
    alphabet of a list).
    """
    return text.translate(_BASE_TABLE)


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
        table = dict(_BASE_TABLE)
        for trad, simp in _opencc_pairs():
            if simp in wanted and trad != simp and trad not in wanted:
                table[ord(trad)] = ord(simp)
        self._table = table
        # Any one of these in a text means folding would change it. A character class
        # search costs about a third of the automaton's pass; putting them in the
        # automaton instead slows every step from its root (pyahocorasick looks up a
        # node's children one by one), measured at 5.7 µs against 1.0 µs a record.
        self._needs = re.compile("[" + "".join(re.escape(chr(k)) for k in sorted(table)) + "]")
        self.needs_folding = self._needs.search
        noise = {chr(k) for k, v in table.items() if v is None}
        self._noise = re.compile("[" + "".join(re.escape(c) for c in sorted(noise)) + "]")

    def fold(self, text: str) -> str:
        return text.translate(self._table)

    def fold_with_map(self, text: str) -> FoldedText:
        """Fold ``text`` and keep what is needed to map offsets back."""
        return FoldedText(text, self.fold(text), self._noise)


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

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a folded span to the original span it was folded from."""
        kept = self._kept
        if kept is None:
            return start, end
        return kept[start], kept[end - 1] + 1
