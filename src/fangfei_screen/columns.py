"""The one place that knows registry headers: which column holds the name, the scope
(one column or several), the credit code, the status, the dates and the address. Used
by scan, report, rescreen and the ledger alike."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .screener import ScreeningInputError

# Header aliases, most specific first; matched after dropping white space (headers often
# hold line breaks), folding full-width brackets and case.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "name": (
        "企业名称", "主体名称", "市场主体名称", "经营主体名称", "企业(机构)名称", "公司名称", "个体工商户名称",
        "单位名称", "名称", "name", "entity_name",
    ),
    # every column that matches is a part of the scope, screened together
    "scope": (
        "经营范围", "经营范围(一般项目)", "经营范围(许可项目)", "一般经营项目", "许可经营项目", "一般项目",
        "许可项目", "scope", "business_scope",
    ),
    "credit_code": ("统一社会信用代码", "社会信用代码", "信用代码", "注册号", "credit_code", "uscc"),
    "entity_type": (
        "企业类型", "企业(机构)类型", "市场主体类型", "主体类型", "公司类型", "企业类别", "类型", "entity_type",
    ),
    "established_on": ("成立日期", "成立时间", "注册日期", "established_on"),
    "status": ("登记状态", "经营状态", "企业状态", "状态", "status"),
    "suspended_since": ("停业日期", "停业时间", "suspended_since"),
    "address": ("住所", "地址", "住所(经营场所)", "经营场所", "注册地址", "企业地址", "address"),
    "licensed": ("持牌", "licensed"),
    # 核准日期 is the date of the latest approved change, not of establishment: read and
    # named, never taken for 成立日期
    "approved_on": ("核准日期", "核准时间", "approved_on"),
    # a 个体工商户 without a 字号 is named after its operator (see values.entity_name)
    "operator": ("经营者", "经营者姓名", "operator"),
    # which township or department a row belongs to (a county-wide extract names it per row)
    "unit": ("所属乡镇", "所属乡镇(街道)", "乡镇(街道)", "所属乡镇街道", "所属单位", "属地乡镇", "所在乡镇", "乡镇", "管辖单位", "unit"),
}
FIELD_LABELS = {
    "name": "名称", "scope": "经营范围", "credit_code": "统一社会信用代码", "entity_type": "企业类型",
    "established_on": "成立日期", "status": "登记状态", "suspended_since": "停业日期", "address": "住所",
    "licensed": "持牌", "approved_on": "核准日期", "operator": "经营者", "unit": "所属乡镇/单位",
}
_SPACE = re.compile(r"\s+")
_FOLD = str.maketrans("（）", "()")


def header_key(header: str) -> str:
    """A header as aliases are matched: no white space, ASCII brackets, lower case."""
    return _SPACE.sub("", str(header)).translate(_FOLD).lower()


def shown(header: str) -> str:
    """A header as a one-line message names it: line breaks and runs of spaces as one space."""
    return _SPACE.sub(" ", str(header)).strip()


_ALIAS_KEYS = {key: tuple(header_key(a) for a in aliases) for key, aliases in COLUMN_ALIASES.items()}
_ANY_ALIAS = frozenset(a for aliases in _ALIAS_KEYS.values() for a in aliases)
_GROUPED = re.compile(r"^[^()]+\((.+)\)$")  # 组(子): a two-row header read as one (see rowkinds)


def _match_key(header: str) -> str:
    """The key a header is matched by: its own, or for 市场主体名称（统一社会信用代码）,
    which no alias names, the sub-header's (统一社会信用代码)."""
    key = header_key(header)
    if key not in _ANY_ALIAS:
        grouped = _GROUPED.match(key)
        if grouped and grouped.group(1) in _ANY_ALIAS:
            return grouped.group(1)
    return key


def looks_like_header(cells: Sequence[str], *, name: str | None = None) -> bool:
    """Whether a row is a header: it holds a name column (the one given, or a usual header).
    A usual header counts even when a name column is given, so that a misspelt --name-col is
    refused naming the header's columns, not a title row's."""
    if name and any(str(c).strip() == name for c in cells):
        return True
    keys = {header_key(c) for c in cells}
    return any(a in keys for a in _ALIAS_KEYS["name"])


@dataclass(frozen=True)
class ColumnMap:
    """Which input column holds each field (None or (): the file does not state it)."""

    name: str
    scopes: tuple[str, ...] = ()  # every scope column, screened together
    credit_code: str | None = None
    entity_type: str | None = None
    established_on: str | None = None
    status: str | None = None
    suspended_since: str | None = None
    address: str | None = None
    licensed: str | None = None
    approved_on: str | None = None
    operator: str | None = None
    unit: str | None = None

    @classmethod
    def find(cls, columns: Sequence[str], **given: str | Iterable[str] | None) -> ColumnMap:
        """Resolve columns from explicit names (``given``; ``scope`` may be several) or
        the usual headers."""
        present: dict[str, str] = {}
        for c in columns:
            present.setdefault(_match_key(c), c)
        found: dict[str, object] = {}
        for key, aliases in _ALIAS_KEYS.items():
            explicit = given.get(key)
            if explicit:
                wanted = [explicit] if isinstance(explicit, str) else list(explicit)
                for w in wanted:
                    if w not in columns:
                        raise ScreeningInputError(
                            f"找不到列 '{shown(w)}'；文件的列：{'、'.join(map(shown, columns))} / no such column"
                        )
                found[key] = tuple(wanted) if key == "scope" else wanted[0]
            elif key == "scope":
                wanted_keys = set(aliases)
                found[key] = tuple(c for c in columns if _match_key(c) in wanted_keys)
            else:
                found[key] = next((present[a] for a in aliases if a in present), None)
        if found["name"] is None:
            raise ScreeningInputError(
                f"找不到名称列（企业名称/主体名称/名称/name），请用 --name-col 指定；文件的列：{'、'.join(map(shown, columns))}"
            )
        found["scopes"] = found.pop("scope")
        return cls(**found)  # type: ignore[arg-type]

    @property
    def scope(self) -> str | None:
        """The (first) scope column; see ``scopes`` for all of them."""
        return self.scopes[0] if self.scopes else None

    def used(self) -> dict[str, str | list[str]]:
        """The fields found, each with its column(s)."""
        out: dict[str, str | list[str]] = {}
        for key in COLUMN_ALIASES:
            value = self.scopes if key == "scope" else getattr(self, key)
            if value:
                out[key] = list(value) if isinstance(value, tuple) else value
        return out

    def to_json(self) -> str:
        return json.dumps(self.used(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ColumnMap | None:
        """The map a results file carries (see :meth:`to_json`); None if unreadable."""
        try:
            data = json.loads(text)
            data["scopes"] = tuple(data.pop("scope", ()))
            return cls(**{k: v for k, v in data.items() if k in COLUMN_ALIASES or k == "scopes"})
        except (TypeError, ValueError, KeyError, AttributeError):
            return None

    def describe(self) -> str:
        """One line naming the columns used, in Chinese, for the summary."""
        parts = []
        for key, label in FIELD_LABELS.items():
            value = self.scopes if key == "scope" else getattr(self, key)
            if value:
                parts.append(f"{label}={'+'.join(map(shown, value)) if isinstance(value, tuple) else shown(value)}")
        return "，".join(parts)

    def gaps(self) -> list[str]:
        """Loud warnings about fields whose absence weakens the screening."""
        out = []
        if not self.scopes:
            out.append("没有经营范围列：只筛查了名称 / no scope column: only names were screened")
        if not self.status:
            out.append("没有登记状态列：无法判断未开业、停业 / no status column: dormancy not judged")
        return out


def column_options(given: Mapping[str, object]) -> dict[str, object]:
    """Column options as callers give them (``name_col=…``, ``scope=…``) → ColumnMap.find's keywords."""
    out = {k.removesuffix("_col"): v for k, v in given.items()}
    unknown = set(out) - set(COLUMN_ALIASES)
    if unknown:
        raise TypeError(f"unknown column option(s): {', '.join(sorted(unknown))}")
    return out
