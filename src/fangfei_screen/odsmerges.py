"""The merged ranges of an OpenDocument sheet, which calamine does not give: cells
with ``table:number-rows-spanned`` / ``number-columns-spanned`` in content.xml, read
by streaming (constant memory; repeated rows and columns counted, not expanded)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

Merge = tuple[tuple[int, int], tuple[int, int]]  # ((row, col), (last row, last col)), 0-based

_T = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"


def ods_merges(path: Path, sheet: str) -> list[Merge]:
    """The merged ranges of ``sheet`` (absolute, 0-based); [] if none or unreadable."""
    from xml.parsers import expat

    out: list[Merge] = []
    state = {"in": False, "row": -1, "col": 0, "repeat": 1, "done": False}

    def start(name: str, attrs: dict[str, Any]) -> None:
        if state["done"]:
            return
        if name == f"{_T} table":
            state["in"] = attrs.get(f"{_T} name") == sheet
        elif not state["in"]:
            return
        elif name == f"{_T} table-row":
            state["row"] += 1
            state["col"] = 0
            state["repeat"] = int(attrs.get(f"{_T} number-rows-repeated", "1"))
        elif name in (f"{_T} table-cell", f"{_T} covered-table-cell"):
            down = int(attrs.get(f"{_T} number-rows-spanned", "1"))
            across = int(attrs.get(f"{_T} number-columns-spanned", "1"))
            if down > 1 or across > 1:
                r, c = state["row"], state["col"]
                out.append(((r, c), (r + down - 1, c + across - 1)))
            state["col"] += int(attrs.get(f"{_T} number-columns-repeated", "1"))

    def end(name: str) -> None:
        if state["in"] and name == f"{_T} table-row":
            state["row"] += state["repeat"] - 1
        elif state["in"] and name == f"{_T} table":
            state["in"], state["done"] = False, True

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        with zipfile.ZipFile(path) as z, z.open("content.xml") as f:
            while block := f.read(1 << 20):
                parser.Parse(block, False)
                if state["done"]:
                    break
            else:
                parser.Parse(b"", True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, expat.ExpatError):
        return []
    return out


__all__ = ["ods_merges"]
