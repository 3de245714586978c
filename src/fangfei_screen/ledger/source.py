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


def screened_rows(path: str | Path) -> Iterator[ScreenedRow]:
    """Every row of a results file; LedgerError if it is not one."""
    cols: ColumnMap | None = None
    line = 1
    for chunk in read_chunks(path):
        frame = chunk.frame
        if cols is None:
            missing = [c for c in ("action", "hits", "screened_on") if c not in frame.columns]
            if missing:
                raise LedgerError(f"{path} 不是 fangfei-screen scan 的结果文件（缺少 {'、'.join(missing)} 列）")
            inputs = [c for c in frame.columns if c not in OUTPUT_COLUMNS]
            cols = ColumnMap.find(inputs)
        n = len(frame)

        def column(name: str | None) -> Any:
            return frame[name] if name else [""] * n

        for code, name, scope, address, status, action, screened_on, hits in zip(
            column(cols.credit_code), column(cols.name), column(cols.scope), column(cols.address),
            column(cols.status), frame["action"], frame["screened_on"], frame["hits"],
        ):
            line += 1
            row_hits = _hits(hits, f"{path} 第{line}行") if action in FLAGGED else ()
            yield ScreenedRow(
                credit_code=str(code or ""), name=str(name or ""), scope=str(scope or ""), address=str(address or ""),
                status=str(status or "").strip(), action=str(action or ""), screened_on=str(screened_on or ""), hits=row_hits,
            )
