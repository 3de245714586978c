"""Reading a ``scan`` results file for the ledger: one ScreenedRow per input row, through
the project's table readers and column map (any format ``scan`` writes)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fangfei_screen.batch import OUTPUT_COLUMNS, PEOPLE_COLUMNS, SCOPE_JOINER, results_columns
from fangfei_screen.columns import ColumnMap
from fangfei_screen.institutions import normal_name
from fangfei_screen.models import ACTIONABLE, Action
from fangfei_screen.readers import Chunk
from fangfei_screen.rescreen import CHANGE_COLUMNS as RESCREEN_COLUMNS
from .fastread import read_chunks
from fangfei_screen.values import CODE_ALPHABET, NO_NAME, code_key, entity_name, status_of

from .db import LedgerError

# The rows the ledger records: the actionable ones, and names of a licensed kind of
# institution whose licence is to be verified (kept in their own state, not clues).
VERIFY_ACTION = Action.VERIFY_LICENCE.value
FLAGGED = frozenset({*(a.value for a in ACTIONABLE), VERIFY_ACTION})
CLOSED_ACTION = Action.CLOSED.value


@dataclass(frozen=True, slots=True)
class ScreenedRow:
    credit_code: str
    name: str
    scope: str
    address: str
    status: str
    action: str
    screened_on: str
    hits: tuple[dict[str, Any], ...]
    has_scope: bool = True
    scope_parts: dict[str, str] | None = None

    def text_of(self, hit: dict[str, Any]) -> str:
        """The text a hit's offsets index: the name, the scope, or the scope column it names."""
        if hit.get("field") == "name":
            return self.name
        if self.scope_parts and hit.get("column") in self.scope_parts:
            return self.scope_parts[hit["column"]]
        return self.scope

    @property
    def flagged(self) -> bool:
        return self.action in FLAGGED and bool(self.hits) and not self.closed

    @property
    def closed(self) -> bool:
        # The status column is read with scan's own parser, so a file screened as "new"
        # or by an older version still closes its clues when the entity is gone.
        if self.action == CLOSED_ACTION:
            return True
        status = status_of(self.status)
        return status is not None and status.closed


_PLAIN_CODE = re.compile(f"[{CODE_ALPHABET}]{{18}}")


def entity_key(unit: str, credit_code: str, name: str) -> str:
    """统一社会信用代码 where the cell holds one (18 characters of its alphabet, see
    values.code_state; a wrong check digit still counts), else the unit and the
    normalised name: a code Excel made a number of (9.13403E+17) is no key."""
    if len(credit_code) == 18 and _PLAIN_CODE.fullmatch(credit_code):
        return credit_code  # the usual cell: code_key would return it as it is
    code = code_key(credit_code)
    return code if code else f"{unit}/{normal_name(name)}"


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except FileNotFoundError:
        raise LedgerError(f"找不到结果文件 / no such file: {path}") from None
    return h.hexdigest()


def _hits(cell: Any, where: str) -> tuple[dict[str, Any], ...]:
    if not cell:
        return ()
    try:
        value = json.loads(cell)
    except (TypeError, ValueError):
        raise LedgerError(f"{where}：hits 列不是 JSON / the hits cell is not JSON") from None
    if not isinstance(value, list) or not all(isinstance(h, dict) and "keyword" in h and "field" in h for h in value):
        raise LedgerError(f"{where}：hits 列不是命中列表 / the hits cell is not a list of hits")
    return tuple(value)


@dataclass(frozen=True)
class ScreenedChunk:
    """Rows of a results file as columns of text (the fields the ledger reads)."""

    where: str
    first_line: int
    credit_code: list[str]
    name: list[str]
    scope: list[str]
    address: list[str]
    status: list[str]
    action: list[str]
    screened_on: list[str]
    hits: list[str]
    has_scope: bool = True  # rescreen's output carries names only
    scope_parts: list[dict[str, str]] | None = None  # per row, when the scope came from several columns
    sheet: list[str] | None = None  # the sheet each row came from (a workbook's results)
    unit: list[str] | None = None  # the row's 所属乡镇/单位 cell, where the file has one

    def takes(self, i: int, selection: Any) -> bool:
        """Whether row ``i`` is one of the selected unit's (see ledger.units.Selection)."""
        return selection.takes(self.sheet[i] if self.sheet else "", self.unit[i] if self.unit else "")

    def __len__(self) -> int:
        return len(self.action)

    def key(self, i: int, unit: str) -> str:
        return entity_key(unit, self.credit_code[i], self.name[i])

    def row(self, i: int) -> ScreenedRow:
        action = self.action[i]
        hits = _hits(self.hits[i], f"{self.where} 第{self.first_line + i}行") if action in FLAGGED else ()
        return ScreenedRow(
            credit_code=self.credit_code[i], name=self.name[i], scope=self.scope[i], address=self.address[i],
            status=self.status[i].strip(), action=action, screened_on=self.screened_on[i], hits=hits,
            has_scope=self.has_scope, scope_parts=self.scope_parts[i] if self.scope_parts else None,
        )


_FIELDS = ("credit_code", "name", "address", "status", "operator", "unit")


def screened_chunks(path: str | Path, *, chunk_rows: int = 50_000,
                    reader: Callable[..., Iterator[Chunk]] = read_chunks) -> Iterator[ScreenedChunk]:
    """A results file in chunks; LedgerError if it is not one. Each row's columns come
    from its ``columns`` cell where it has one (see batch.results_columns), else the header.
    ``reader`` reads the file (fastread's by default; readers.read_chunks reads the same
    rows line by line)."""
    cache: dict[str, ColumnMap] = {}
    line = 2  # the first data row (after the header)
    action_col: str | None = None
    for chunk in reader(path, chunk_rows=chunk_rows):
        frame = chunk.frame
        if action_col is None:
            # rescreen's output names the new outcome new_action and has no screened_on
            action_col = "action" if "action" in frame.columns else "new_action"
            missing = [c for c in (action_col, "hits") if c not in frame.columns]
            if missing:
                raise LedgerError(f"{path} 不是 fangfei-screen scan 的结果文件（缺少 {'、'.join(missing)} 列）")
        header = [c for c in frame.columns if c not in OUTPUT_COLUMNS and c not in RESCREEN_COLUMNS and c not in PEOPLE_COLUMNS]
        n = len(frame)
        lists: dict[str, list[str]] = {}

        def column(name: str | None) -> list[str]:
            if not name:
                return [""] * n
            if name not in lists:
                lists[name] = ["" if v is None else str(v) for v in frame[name].tolist()]
            return lists[name]

        cells = column("columns") if "columns" in frame.columns else [""] * n
        maps = {cell: results_columns(header, cell, cache=cache) for cell in set(cells)}
        values: dict[str, list[str]] = {}
        if len(maps) == 1:
            (cols,) = maps.values()
            for f in _FIELDS:
                values[f] = column(getattr(cols, f))
            scopes = [column(c) for c in cols.scopes]
            values["scope"] = scopes[0] if len(scopes) == 1 else [SCOPE_JOINER.join(p) for p in zip(*scopes)] if scopes else [""] * n
            parts = [dict(zip(cols.scopes, p)) for p in zip(*scopes)] if len(scopes) > 1 else None
            has_scope = bool(cols.scopes)
        else:  # rows from sheets with different headers
            row_maps = [maps[c] for c in cells]
            for f in _FIELDS:
                values[f] = [column(getattr(m, f))[i] if getattr(m, f) else "" for i, m in enumerate(row_maps)]
            parts = [{c: column(c)[i] for c in m.scopes} for i, m in enumerate(row_maps)]
            values["scope"] = [SCOPE_JOINER.join(p.values()) for p in parts]
            has_scope = any(m.scopes for m in row_maps)
        # a 个体工商户 without a 字号 is named as scan screened it: 经营者（个体工商户）
        names = [entity_name(nm, op) if not nm.strip() or nm.strip() in NO_NAME else nm
                 for nm, op in zip(values["name"], values["operator"])]
        yield ScreenedChunk(
            where=str(path), first_line=line, credit_code=values["credit_code"], name=names,
            scope=values["scope"], address=values["address"], status=values["status"],
            action=column(action_col), screened_on=column("screened_on" if "screened_on" in frame.columns else None),
            hits=column("hits"), has_scope=has_scope, scope_parts=parts,
            sheet=column("sheet") if "sheet" in frame.columns else None,
            unit=values["unit"] if any(values["unit"]) else None,
        )
        line += n


def screened_rows(path: str | Path) -> Iterator[ScreenedRow]:
    """Every row of a results file; LedgerError if it is not one."""
    for chunk in screened_chunks(path):
        for i in range(len(chunk)):
            yield chunk.row(i)
