"""The words a result counts, marked in place in the text they were found in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..models import Field, Hit, SuppressReason, Via

FIELD_LABELS = {Field.NAME: "名称", Field.SCOPE: "经营范围"}
VIA_LABELS = {
    Via.EXACT: "与清单字样一致",
    Via.VARIANT: "清单字样的变体（全角、大小写、繁体或字间夹杂符号）",
    Via.SYNONYM: "清单所列同义词，按所代表的字样计",
}
REASON_LABELS = {
    SuppressReason.PLACE_NAME: "地名",
    SuppressReason.EXCLUSION: "清单排除项",
    SuppressReason.WORD_BOUNDARY: "跨越词边界，不是这个词",
    SuppressReason.NEGATED: "位于否定条款内（不含、不得从事、除……外）",
    SuppressReason.OTHER_SENSE: "另一词义（如数学、仪器），非金融含义",
}


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of text; ``hit`` is set on a counted word."""

    text: str
    hit: Hit | None = None


def segments(text: str, hits: Iterable[Hit], field: Field) -> list[Segment]:
    """``text`` cut into plain runs and the counted hits of ``field`` (overlaps keep the first)."""
    out: list[Segment] = []
    pos = 0
    for h in sorted((h for h in hits if h.field is field), key=lambda h: (h.start, -h.end)):
        if h.start < pos or h.end > len(text):
            continue
        if h.start > pos:
            out.append(Segment(text[pos:h.start]))
        out.append(Segment(text[h.start:h.end], h))
        pos = h.end
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out
