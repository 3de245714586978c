"""HTML tables as sheets: the "导出Excel" of government systems is often a web page
saved as ``.xls`` (UTF-8, or GBK declared as ``<meta charset=gb2312>``), title rows and
all. Each ``<table>`` is a sheet (表1, 表2 …) of text cells; a ``colspan``/``rowspan``
cell stands at its top-left and its span is a merged range, as a workbook's merge list
gives it, so the same header and merge rules apply to both.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

Merge = tuple[tuple[int, int], tuple[int, int]]  # ((row, col), (last row, last col)), 0-based

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_MAX_SPAN = 1000  # a colspan/rowspan is capped (a page cannot make a reader allocate without bound)


@dataclass(frozen=True)
class HtmlTable:
    name: str
    rows: tuple[tuple[str, ...], ...]
    merges: tuple[Merge, ...]


def page_encoding(raw: bytes) -> str:
    """The page's encoding: its BOM, its ``<meta charset>`` (GB2312 and GBK read as
    GB18030, their superset), else UTF-8 if it decodes, else GB18030."""
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    found = _CHARSET.search(raw[:8192])
    if found:
        name = found.group(1).decode("ascii").lower()
        if name in ("gb2312", "gbk", "gb18030", "x-gbk", "cp936"):
            return "gb18030"
        try:
            return codecs.lookup(name).name
        except LookupError:
            pass
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def read_tables(path: Path) -> list[HtmlTable]:
    """Every table of the page at ``path`` (nested tables are tables of their own)."""
    import lxml.html

    raw = path.read_bytes()
    text = raw.decode(page_encoding(raw), errors="replace")
    if not text.strip():
        return []
    doc = lxml.html.document_fromstring(text)
    for br in doc.iter("br"):  # a line break inside a cell separates its words, as on the page
        br.tail = " " + (br.tail or "")
    tables = []
    for i, table in enumerate(doc.iter("table"), start=1):
        rows, merges = _grid(table)
        tables.append(HtmlTable(f"表{i}", rows, merges))
    return tables


def _span(cell: object, attr: str) -> int:
    value = str(cell.get(attr, "1")).strip()  # type: ignore[attr-defined]
    digits = re.match(r"\d+", value)
    return max(1, min(int(digits.group()) if digits else 1, _MAX_SPAN))


def _grid(table: object) -> tuple[tuple[tuple[str, ...], ...], tuple[Merge, ...]]:
    """The table's rows with each spanning cell at its top-left (the cells it covers
    empty) and the spans as merged ranges."""
    rows: list[list[str]] = []
    merges: list[Merge] = []
    taken: dict[tuple[int, int], bool] = {}  # cells covered by a span from a row above
    trs = table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")  # type: ignore[attr-defined]
    for r, tr in enumerate(trs):
        row: list[str] = []
        c = 0
        for cell in tr.xpath("./td|./th"):
            while taken.pop((r, c), False):
                row.append("")
                c += 1
            text = " ".join(cell.text_content().split())  # white space in HTML is a space
            cols, down = _span(cell, "colspan"), _span(cell, "rowspan")
            row.append(text)
            row.extend([""] * (cols - 1))
            if cols > 1 or down > 1:
                merges.append(((r, c), (r + down - 1, c + cols - 1)))
                for rr in range(r + 1, r + down):
                    for cc in range(c, c + cols):
                        taken[(rr, cc)] = True
            c += cols
        while taken.pop((r, c), False):
            row.append("")
            c += 1
        rows.append(row)
    return tuple(tuple(r) for r in rows), tuple(merges)


__all__ = ["HtmlTable", "Merge", "page_encoding", "read_tables"]
