"""Keyword lists over time: what changed between two versions, and the list as a table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .lexicon import KeywordList, Term


@dataclass(frozen=True)
class TermChange:
    term: str
    changes: tuple[str, ...]


@dataclass(frozen=True)
class ListDiff:
    """Differences from ``old`` to ``new``."""

    old_version: str
    new_version: str
    header: tuple[str, ...] = ()
    added: tuple[Term, ...] = ()
    removed: tuple[Term, ...] = ()
    changed: tuple[TermChange, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.header or self.added or self.removed or self.changed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "header": list(self.header),
            "added": [describe_term(t) for t in self.added],
            "removed": [describe_term(t) for t in self.removed],
            "changed": [{"term": c.term, "changes": list(c.changes)} for c in self.changed],
        }

    def lines(self) -> list[str]:
        out = [f"清单版本 version: {self.old_version} → {self.new_version}"]
        out += [f"  {h}" for h in self.header]
        for t in self.added:
            out.append(f"+ 新增词条 {t.term}（类别{int(t.category)}）" + _extras(t))
        for t in self.removed:
            out.append(f"- 删除词条 {t.term}（类别{int(t.category)}）")
        for c in self.changed:
            out.append(f"~ 词条 {c.term}：" + "；".join(c.changes))
        if self.empty:
            out.append("词条无变化 / no term changed")
        return out


def _extras(t: Term) -> str:
    parts = []
    if t.synonyms:
        parts.append(f"同义词 {'、'.join(t.synonyms)}")
    if t.exclusions:
        parts.append(f"排除项 {'、'.join(x.pattern for x in t.exclusions)}")
    return f"，{'，'.join(parts)}" if parts else ""


def _set_change(what: str, old: tuple[str, ...], new: tuple[str, ...]) -> list[str]:
    out = []
    added = [x for x in new if x not in old]
    removed = [x for x in old if x not in new]
    if added:
        out.append(f"新增{what} {'、'.join(added)}")
    if removed:
        out.append(f"删除{what} {'、'.join(removed)}")
    return out


def diff_lists(old: KeywordList, new: KeywordList) -> ListDiff:
    """Terms, synonyms, exclusions, categories and methods added, removed or changed."""
    header = []
    for label, a, b in (("名称 name", old.name, new.name), ("来源 source", old.source, new.source),
                        ("效力 effect", old.effect.value, new.effect.value), ("标题 title", old.title, new.title)):
        if a != b:
            header.append(f"{label}: {a} → {b}")
    old_terms = {t.term: t for t in old.terms}
    new_terms = {t.term: t for t in new.terms}
    changed = []
    for word, n in new_terms.items():
        o = old_terms.get(word)
        if o is None:
            continue
        changes = []
        if o.category != n.category:
            changes.append(f"类别 {int(o.category)} → {int(n.category)}")
        changes += _set_change("同义词", o.synonyms, n.synonyms)
        changes += _set_change("排除项", tuple(x.pattern for x in o.exclusions), tuple(x.pattern for x in n.exclusions))
        changes += _set_change("集资方式", o.methods, n.methods)
        if changes:
            changed.append(TermChange(word, tuple(changes)))
    return ListDiff(
        old_version=old.version,
        new_version=new.version,
        header=tuple(header),
        added=tuple(t for w, t in new_terms.items() if w not in old_terms),
        removed=tuple(t for w, t in old_terms.items() if w not in new_terms),
        changed=tuple(changed),
    )


def describe_list(kl: KeywordList) -> dict[str, Any]:
    """A list's own facts, without its terms."""
    return {"name": kl.name, "title": kl.title, "version": kl.version, "source": kl.source,
            "effect": kl.effect.value, "sha256": kl.sha256}


def describe_term(t: Term) -> dict[str, Any]:
    return {
        "term": t.term,
        "category": int(t.category),
        "category_name": t.category.label,
        "methods": list(t.methods),
        "synonyms": list(t.synonyms),
        "exclusions": [{"pattern": x.pattern, "reason": x.reason.value} for x in t.exclusions],
    }


def table_lines(kl: KeywordList) -> list[str]:
    """The list as a Markdown table, readable in a terminal and pasteable into a document."""
    out = [
        f"{kl.title or kl.name}（{kl.name}，版本 {kl.version}，{kl.source}，效力 {kl.effect.value}，{len(kl.terms)} 个词条）",
        f"sha256 {kl.sha256}",
        "",
        "| 字样 | 类别 | 行业领域 | 集资方式 | 同义词 | 排除项 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for t in kl.terms:
        out.append(
            f"| {t.term} | {int(t.category)} | {t.category.label} | {'、'.join(t.methods)} | "
            f"{'、'.join(t.synonyms)} | {'、'.join(x.pattern for x in t.exclusions)} |"
        )
    return out
