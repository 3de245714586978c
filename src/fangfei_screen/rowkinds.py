"""What a row of a registry table is, by its shape alone: a header in two rows, and
rows that are not entities — a header repeated where blocks were pasted one under
another, a total (合计 150户), a signature or note line (填表人：, 说明：, 制表：), a
title or a township heading in the middle of the table. Readers and the CSV path skip
those rows and count them; nothing here knows about screening."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

_TOTAL = re.compile(r"^(?:合计|总计|小计|共计|总数)(?:$|[:：\d（(户家个]|[一二三四五六七八九十])")
_SIGNED = re.compile(
    r"^(?:填表人|填报人|制表人|制表|审核人|审核|审批人|负责人|单位负责人|统计人|经办人|说明|注|备注|填表说明|"
    r"填表日期|填报日期|制表日期|填报时间|填表时间|联系电话|联系人|填报单位|填表单位|报送单位|数据来源)[:：]"
)
_NUMBERED_NOTE = re.compile(r"^\d{1,2}[.、．]\D.{12,}")  # "2.所属行业是指…" under a 说明： line
_TITLE_END = re.compile(r"(?:名录|名单|清单|一览表|统计表|汇总表|情况表|明细表|登记表|排查表|花名册|台账)$")
_SECTION = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|第[一二三四五六七八九十\d]+[部分节组片])")
_PLACE = re.compile(r"^.{1,8}(?:镇|乡|街道|社区|村)$")  # a township heading; a name always has a form (店、公司 …)
_BRACKETS = re.compile(r"[（(][^（()）]*[)）]$")
_SPACES = re.compile(r"[\s\u3000]+")
_STARTS = frozenset("合总小共填制审负单统经说注备联报数 \t\u3000")  # first characters of the total and footer words


class RowKind(StrEnum):
    """Why a row is not an entity (the summary's wording)."""

    HEADER = "重复的表头"
    TOTAL = "合计行"
    FOOTER = "表尾（签名、说明）"
    TITLE = "标题行"


@dataclass(frozen=True)
class RowKinds:
    """Tells the rows of one table that are not entities; ``headers`` are the table's
    header row(s) as read (a repeated one is recognised by them)."""

    headers: tuple[tuple[str, ...], ...] = ()
    _cells: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_cells", frozenset(c for h in self.headers for c in h if c))

    def of(self, row: Sequence[str]) -> RowKind | None:
        """Why ``row`` is not an entity, or None for an entity (or a blank row)."""
        # The quick look, which every record of a registry passes: it shares no cell
        # with a header, and its first cell begins with no total or footer word
        # (nor white space), unless it is the only cell.
        if self._cells.isdisjoint(row):
            first = row[0] if row and row[0] else next((c for c in row if c), None)
            if first is None:
                return None
            if first[:1] not in _STARTS and len(row) - row.count("") > 1:
                return None
        return self._look(row)

    @property
    def first_chars(self) -> frozenset[str]:
        """The first characters of a first cell that the quick look of ``of`` reads further
        (total and footer words, white space): with ``cells``, what ``suspects`` matches."""
        return _STARTS

    @property
    def cells(self) -> frozenset[str]:
        """The header cells a row must share none of to pass the quick look."""
        return self._cells

    def suspects(self, delimiter: str = ",") -> str:
        """A regular expression (for ``re.M``) that matches every plain delimited line
        (no quotes) which ``of`` might not call an entity: the complement of its quick
        look. The CSV fast path searches a whole block of lines with it once, and reads
        only the lines it matches one by one."""
        d = re.escape(delimiter)
        alternatives = [
            "^[" + re.escape("".join(sorted(_STARTS))) + "]",  # a total or footer word, or white space, first
            f"^{d}",  # an empty first cell: the quick look reads the first cell that is filled
            f"^(?:{d})*[^{d}\n]*(?:{d})*$",  # at most one filled cell
        ]
        if self._cells:
            cells = "|".join(re.escape(c) for c in sorted(self._cells, key=len, reverse=True))
            alternatives.append(f"(?:^|{d})(?:{cells})(?={d}|$)")  # shares a cell with a header
        return "|".join(alternatives)

    def _look(self, row: Sequence[str]) -> RowKind | None:
        filled = [(i, _SPACES.sub("", c)) for i, c in enumerate(row) if c and c.strip()]
        if not filled:
            return None
        for header in self.headers:
            same = sum(1 for i, c in filled if i < len(header) and _SPACES.sub("", header[i]) == c)
            if same >= 2 and same * 5 >= len(filled) * 4:
                return RowKind.HEADER
        first = filled[0][1]
        if _TOTAL.match(first):
            return RowKind.TOTAL
        if _SIGNED.match(first):
            return RowKind.FOOTER
        if len(filled) == 1:
            if _NUMBERED_NOTE.match(first):
                return RowKind.FOOTER
            bare = _BRACKETS.sub("", first)
            if _TITLE_END.search(bare) or _SECTION.match(first) or _PLACE.match(first):
                return RowKind.TITLE
        return None


def sub_header(header: Sequence[str], below: Sequence[str], spans: Sequence[tuple[int, int]] | None = None) -> list[str] | None:
    """The header of a table whose header is in two rows, or None.

    A group cell (经营范围) spans columns whose sub-headers (一般项目, 许可项目) are in
    the row below; the other columns' cells are merged down over both rows, so the row
    below is empty there. ``spans`` are the header row's horizontal merges (first and
    last column, 0-based); None infers them as a CSV writes a merge: the group cell once,
    empty cells after it. Each column of a group is named 组（子）: 经营范围（一般项目）.
    """
    width = max(len(header), len(below))
    h = [str(c).strip() for c in header] + [""] * (width - len(header))
    b = [str(c).strip() for c in below] + [""] * (width - len(below))
    if spans is None:
        found = []
        i = 0
        while i < width:
            j = i
            if h[i] and b[i]:
                while j + 1 < width and not h[j + 1] and b[j + 1]:
                    j += 1
                if j > i:
                    found.append((i, j))
            i = j + 1
        spans = found
    groups = [(c0, min(c1, width - 1)) for c0, c1 in spans if c1 > c0 and c0 < width and h[c0]]
    if not groups:
        return None
    grouped = {c for c0, c1 in groups for c in range(c0, c1 + 1)}
    if len(groups) == 1 and all(i in grouped for i in range(width) if b[i]):
        return None  # one cell over every column: a title above the header, not a group
    if any(b[i] and b[i] != h[i] and i not in grouped for i in range(width)):
        return None  # a cell outside the groups: the row below is a record
    if not all(b[c] for c0, c1 in groups for c in range(c0, c1 + 1)):
        return None
    out = list(h)
    for c0, c1 in groups:
        for c in range(c0, c1 + 1):
            out[c] = f"{h[c0]}（{b[c]}）"
    return out


__all__ = ["RowKind", "RowKinds", "sub_header"]
