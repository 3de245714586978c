"""Reading a ``scan`` results file for the ledger: one ScreenedRow per input row, through
the project's table readers and column map (any format ``scan`` writes)."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fangfei_screen.batch import OUTPUT_COLUMNS, ColumnMap
from fangfei_screen.models import ACTIONABLE
from fangfei_screen.tables import read_chunks

from .db import LedgerError

FLAGGED = frozenset(a.value for a in ACTIONABLE)
# 登记状态 spellings of an entity that no longer exists here (the precision branch names
# the same set; the status column is read as the file wrote it, so both agree).
CLOSED_WORDS = ("注销", "吊销", "迁出")
CLOSED_ACTION = "closed"


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

    @property
    def flagged(self) -> bool:
        return self.action in FLAGGED and bool(self.hits) and not self.closed

    @property
    def closed(self) -> bool:
        return self.action == CLOSED_ACTION or any(w in self.status for w in CLOSED_WORDS)


def normal_name(name: str) -> str:
    """A name as keys compare it: NFKC (full-width brackets and letters folded), no spaces."""
    return "".join(unicodedata.normalize("NFKC", name).split())


def entity_key(unit: str, credit_code: str, name: str) -> str:
    """统一社会信用代码 where there is one, else the unit and the normalised name."""
    code = credit_code.strip().upper()
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
        )


def screened_chunks(path: str | Path) -> Iterator[ScreenedChunk]:
    """A results file in chunks; LedgerError if it is not one."""
    cols: ColumnMap | None = None
    line = 2  # the first data row (after the header)
    for chunk in read_chunks(path):
        frame = chunk.frame
        if cols is None:
            missing = [c for c in ("action", "hits", "screened_on") if c not in frame.columns]
            if missing:
                raise LedgerError(f"{path} 不是 fangfei-screen scan 的结果文件（缺少 {'、'.join(missing)} 列）")
            inputs = [c for c in frame.columns if c not in OUTPUT_COLUMNS]
            cols = ColumnMap.find(inputs)
        n = len(frame)

        def column(name: str | None) -> list[str]:
            if not name:
                return [""] * n
            return ["" if v is None else str(v) for v in frame[name].tolist()]

        yield ScreenedChunk(
            where=str(path), first_line=line, credit_code=column(cols.credit_code), name=column(cols.name),
            scope=column(cols.scope), address=column(cols.address), status=column(cols.status),
            action=column("action"), screened_on=column("screened_on"), hits=column("hits"),
        )
        line += n


def screened_rows(path: str | Path) -> Iterator[ScreenedRow]:
    """Every row of a results file; LedgerError if it is not one."""
    for chunk in screened_chunks(path):
        for i in range(len(chunk)):
            yield chunk.row(i)
