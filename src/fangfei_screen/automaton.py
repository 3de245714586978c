"""The pyahocorasick adapter: every folded form of every term, one pass.

Kept behind this one class so that the engine can change (e.g. to ahocorasick_rs)
without touching the judging code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import ahocorasick


class PatternKind(StrEnum):
    TERM = "term"
    SYNONYM = "synonym"


@dataclass(frozen=True, slots=True)
class Pattern:
    """What a folded key stands for. ``term_id`` indexes the screener's term table."""

    kind: PatternKind
    term_id: int
    form: str  # as written in the list


class Match(NamedTuple):
    """A raw match in folded text, before judging (a tuple: made once per match)."""

    start: int
    end: int
    pattern: Pattern


class PatternIndex:
    """An Aho-Corasick automaton over folded keys."""

    def __init__(self, entries: Iterable[tuple[str, Pattern]]) -> None:
        grouped: dict[str, list[Pattern]] = {}
        for key, pattern in entries:
            grouped.setdefault(key, []).append(pattern)
        automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
        for key, patterns in grouped.items():
            automaton.add_word(key, (len(key), tuple(patterns)))
        automaton.make_automaton()
        self._automaton = automaton
        self.iter = automaton.iter  # (last index, (length, patterns)) for every match

    def find(self, text: str) -> list[Match]:
        """Every match, overlapping ones included, in order of end position."""
        out = []
        for last, (length, patterns) in self._automaton.iter(text):
            start = last + 1 - length
            for p in patterns:
                out.append(Match(start, last + 1, p))
        return out
