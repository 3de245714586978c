"""A register of licensed institutions (持牌机构名录), as the local financial regulator keeps
one (plan §11, §14): who holds a financial licence or approval, so that the screener
need not ask for each institution-kind name.

The register is a CSV or XLSX file (read with the project's readers) with a column
机构名称 and/or 统一社会信用代码, and optionally 许可证类型, 许可证编号, 发证机关. An entity
is on it by its credit code, else by its normalised name; a branch is on it when its
name begins with a listed name or its parent's name is listed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .institutions import normal_name, parent_name
from .readers import TableError, open_source

# Each field of the register and the headers it is found under.
_HEADERS = {
    "name": ("机构名称", "名称", "企业名称", "单位名称", "持牌机构名称"),
    "credit_code": ("统一社会信用代码", "社会信用代码", "信用代码"),
    "licence_type": ("许可证类型", "牌照类型", "许可类型", "许可证名称"),
    "licence_no": ("许可证编号", "许可证号", "牌照编号", "机构编码"),
    "issuer": ("发证机关", "批准机关", "发证机构"),
}


class LicenceRegisterError(TableError):
    """A register that cannot be read: one line naming the file and the line."""


@dataclass(frozen=True, slots=True)
class LicenceEntry:
    """One row of the register."""

    line: int  # the row's line (text) or row (workbook) in the file, 1-based
    name: str
    credit_code: str
    licence_type: str = ""
    licence_no: str = ""
    issuer: str = ""
    sheet: str | None = None

    def describe(self) -> str:
        """The licence in the words of a basis."""
        parts = [f"许可证类型：{self.licence_type}" if self.licence_type else "",
                 f"许可证编号：{self.licence_no}" if self.licence_no else "",
                 f"发证机关：{self.issuer}" if self.issuer else ""]
        held = "，".join(p for p in parts if p)
        who = self.name or self.credit_code
        return f"{who}（{held}）" if held else who


@dataclass(frozen=True, slots=True)
class LicenceMatch:
    """An entity found on the register: the row, and how it was found."""

    entry: LicenceEntry
    file_name: str
    how: str  # 统一社会信用代码 | 名称 | 分支机构

    def basis(self) -> str:
        where = f"工作表「{self.entry.sheet}」第{self.entry.line}行" if self.entry.sheet else f"第{self.entry.line}行"
        return f"持牌机构名录 {self.file_name} {where}（按{self.how}）：{self.entry.describe()}。"


@dataclass(frozen=True)
class LicenceRegister:
    """A loaded register: its entries, the file's name and sha256."""

    file_name: str
    sha256: str
    entries: tuple[LicenceEntry, ...]
    _by_code: MappingProxyType[str, LicenceEntry] = field(repr=False, compare=False, default_factory=lambda: MappingProxyType({}))
    _by_name: MappingProxyType[str, LicenceEntry] = field(repr=False, compare=False, default_factory=lambda: MappingProxyType({}))
    path: str = ""

    @classmethod
    def of(cls, entries: Sequence[LicenceEntry], *, file_name: str, sha256: str, path: str = "") -> LicenceRegister:
        by_code = {e.credit_code: e for e in reversed(entries) if e.credit_code}
        by_name = {normal_name(e.name): e for e in reversed(entries) if e.name}
        return cls(file_name, sha256, tuple(entries), MappingProxyType(by_code), MappingProxyType(by_name), path)

    def find(self, name: str | None, credit_code: str | None = None) -> LicenceMatch | None:
        """The register's row for an entity: by credit code, else by normalised name, else
        a branch of a listed institution (the name begins with a listed name, or its
        parent's name is listed)."""
        code = (credit_code or "").strip().upper()
        if code and code in self._by_code:
            return LicenceMatch(self._by_code[code], self.file_name, "统一社会信用代码")
        text = normal_name(name or "")
        if not text:
            return None
        if text in self._by_name:
            return LicenceMatch(self._by_name[text], self.file_name, "名称")
        parent = parent_name(text)
        while parent:
            if parent in self._by_name:
                return LicenceMatch(self._by_name[parent], self.file_name, "分支机构")
            parent = parent_name(parent)
        # a branch whose name begins with a listed name (中国工商银行 → 中国工商银行股份有限公司固镇支行)
        if parent_name(text) is None:
            return None
        for end in range(len(text) - 1, 1, -1):
            hit = self._by_name.get(text[:end])
            if hit is not None:
                return LicenceMatch(hit, self.file_name, "分支机构")
        return None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _columns(header: Sequence[str]) -> dict[str, int]:
    at: dict[str, int] = {}
    cleaned = [normal_name(str(h)) for h in header]
    for key, names in _HEADERS.items():
        for n in names:
            if n in cleaned:
                at[key] = cleaned.index(n)
                break
    return at


def _is_header(cells: Sequence[str]) -> bool:
    found = _columns(cells)
    return "name" in found or "credit_code" in found


def load_register(path: str | Path) -> LicenceRegister:
    """Read a register file. LicenceRegisterError (one Chinese line naming the file and
    the line) when it cannot be read, has no name or credit-code column, or holds a row
    with neither."""
    p = Path(path)
    try:
        source = open_source(p, header_test=_is_header)
    except TableError as exc:
        raise LicenceRegisterError(f"持牌机构名录 {p}：{exc}") from None
    entries: list[LicenceEntry] = []
    with source:
        if not source.parts or source.kind not in ("text", "book"):
            raise LicenceRegisterError(f"持牌机构名录 {p}：应为 CSV 或 XLSX，且有「机构名称」或「统一社会信用代码」列 / a CSV or XLSX with a name or credit-code column")
        for part in source.parts:
            cols = _columns(part.header)
            if "name" not in cols and "credit_code" not in cols:
                raise LicenceRegisterError(
                    f"持牌机构名录 {p} {part.where(part.header_row)}：没有「机构名称」或「统一社会信用代码」列 / no name or credit-code column")
        for chunk in source.chunks(chunk_rows=10_000):
            part = chunk.part
            frame_rows: Any = chunk.frame.itertuples(index=False, name=None)
            cols = _columns(part.header)
            for i, row in enumerate(frame_rows):
                numbers = chunk.rows
                line = numbers[i] if numbers is not None else part.header_row + 1 + i
                if i in chunk.errors:
                    raise LicenceRegisterError(f"持牌机构名录 {p}：{chunk.errors[i]}")

                def cell(key: str, row: Any = row) -> str:
                    return str(row[cols[key]] or "").strip() if key in cols else ""

                name, code = cell("name"), cell("credit_code").upper()
                if not name and not code:
                    raise LicenceRegisterError(f"持牌机构名录 {p} {part.where(line)}：机构名称和统一社会信用代码都为空 / neither a name nor a credit code")
                entries.append(LicenceEntry(line, name, code, cell("licence_type"), cell("licence_no"), cell("issuer"), part.sheet))
    return LicenceRegister.of(entries, file_name=p.name, sha256=_sha256(p), path=str(p))
