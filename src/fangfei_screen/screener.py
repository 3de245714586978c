"""The Screener: list → automaton → scan of each field → judged hits → action → result."""

from __future__ import annotations

import hashlib
import os
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any, NamedTuple

from .automaton import Pattern, PatternIndex, PatternKind
from .boundary import BoundaryJudge
from .clausesenses import RULES, rules_for
from .institutions import institution_of
from .judge import ExclusionContext, exclusion_contexts, has_bracket, judge_field, unit_cuts
from .lexicon import KeywordList, bundled_list_path, load_list
from .licences import LicenceRegister, load_register
from .names import NameReader
from .models import (
    Action,
    Effect,
    EntityType,
    Field,
    Hit,
    Kind,
    Result,
    Status,
    TermInfo,
    Via,
)
from .normalize import Folder, basic_fold
from .policy import BASIS_CHANGE_PASS, BASIS_PASS, EntityFacts, decide

# The keyword arguments of Screener.screen after name and scope; screen_many reads
# the same keys from each record.
SCREEN_OPTIONS = (
    "kind",
    "before_name",
    "before_scope",
    "entity_type",
    "status",
    "established_on",
    "suspended_since",
    "licensed",
    "as_of",
    "credit_code",
)


class ScreeningInputError(ValueError):
    """An argument of screen() that cannot be understood (unknown kind, bad date …)."""


class FieldScan(NamedTuple):
    """The judged hits of one field."""

    hits: tuple[Hit, ...] = ()
    watch: tuple[Hit, ...] = ()
    suppressed: tuple[Hit, ...] = ()

    def terms(self) -> frozenset[str]:
        return frozenset(h.keyword for h in self.hits)


_EMPTY_SCAN = FieldScan()
_CUTS = "；;。"  # where judge.unit_cuts may cut a scope
_SCAN_MEMO = 1 << 14  # judged texts (scope units, names, scopes judged whole) a screener remembers
_SCAN_MEMO_CHARS = 512  # longer texts are judged each time: the memo holds at most 8 M characters
_SCOPE_MEMO = 1 << 12  # whole scopes (built from their units) a screener remembers
_SCOPE_MEMO_CHARS = 1_024  # at most 4 M characters


class Screener:
    """Screens registrations against one or more keyword lists.

    Immutable once built and safe to share between threads. ``Screener()`` uses the
    bundled Attachment 1 list; ``Screener(lists=[...])`` combines lists (paths or
    loaded :class:`KeywordList` objects), each hit naming the list it came from.
    ``licences`` is a register of licensed institutions (a path or a loaded
    :class:`LicenceRegister`): an entity on it is exempt, and an institution-kind
    name not on it gets its kind's strict action instead of ``verify_licence``.
    """

    def __init__(
        self,
        lists: Sequence[KeywordList | str | Path] | None = None,
        *,
        licences: LicenceRegister | str | Path | None = None,
    ) -> None:
        self.licences = licences if isinstance(licences, LicenceRegister) or licences is None else load_register(licences)
        loaded = tuple(
            item if isinstance(item, KeywordList) else load_list(item)
            for item in (lists if lists is not None else [bundled_list_path()])
        )
        if not loaded:
            raise ValueError("at least one keyword list is needed")
        self.lists = loaded
        infos: list[TermInfo] = []
        list_of: list[int] = []  # term_id -> index of its list
        forms: list[tuple[str, Pattern]] = []
        heads: list[tuple[str, ...]] = []  # term_id -> head nouns of another sense, as listed
        for list_index, kl in enumerate(loaded):
            for term in kl.terms:
                list_of.append(list_index)
                heads.append(term.heads)
                tid = len(infos)
                infos.append(
                    TermInfo(
                        term.term,
                        int(term.category),
                        term.category.label,
                        term.methods,
                        kl.name,
                        kl.version,
                        kl.effect,
                    )
                )
                forms.append((term.term, Pattern(PatternKind.TERM, tid, term.term)))
                for syn in term.synonyms:
                    forms.append((syn, Pattern(PatternKind.SYNONYM, tid, syn)))
        self._terms = tuple(infos)
        self._list_of = tuple(list_of) if len(loaded) > 1 else None
        terms = [term for kl in loaded for term in kl.terms]  # by term_id
        alphabet = [f for f, _ in forms] + [h for hs in heads for h in hs] + [x.pattern for t in terms for x in t.exclusions]
        self._folder = Folder(ch for form in alphabet for ch in basic_fold(form))
        # Exclusions are not in the automaton: each one is checked around the hits of its
        # own term only, so that hundreds of them cost the scan of every record nothing.
        fold = self._folder.fold
        contexts: tuple[tuple[ExclusionContext, ...], ...] = tuple(
            exclusion_contexts([fold(f) for f in (t.term, *t.synonyms)], [(fold(x.pattern), x) for x in t.exclusions])
            for t in terms
        )
        self._exclusions = contexts if any(contexts) else None
        # longest first, so that 打印机 is tried before 打印
        self._heads = (
            tuple(tuple(sorted({self._folder.fold(h) for h in hs}, key=len, reverse=True)) for hs in heads)
            if any(heads)
            else None
        )
        senses = tuple(rules_for(t.term) for t in terms)
        self._senses = senses if any(senses) else None
        self._index = PatternIndex((self._folder.fold(form), p) for form, p in forms)
        # Whether a scope may be judged unit by unit (judge.unit_cuts): no word the judge
        # matches holds a cut, and overlaps are not resolved across lists.
        words = [fold(w) for w in alphabet] + [w for r in RULES for w in (*r.sentence, *r.after, *r.before)]
        self._cuttable = self._list_of is None and not any(c in w for w in words for c in _CUTS)
        self._memo = lru_cache(maxsize=_SCAN_MEMO)(self._scan_careful)
        self._scope_memo = lru_cache(maxsize=_SCOPE_MEMO)(self._scan_units)
        self._boundary = BoundaryJudge()
        # the terms are industry words of a name too (天诚 + 信用评级 + 有限责任公司)
        self._names = NameReader(fold(f) for f, p in forms if p.kind is PatternKind.TERM)
        if len(loaded) == 1:
            self.list_version = loaded[0].version
            self.list_sha256 = loaded[0].sha256
        else:
            self.list_version = "+".join(f"{kl.name}@{kl.version}" for kl in loaded)
            joined = "\n".join(f"{kl.name}:{kl.sha256}" for kl in loaded)
            self.list_sha256 = hashlib.sha256(joined.encode()).hexdigest()
        reg = self.licences
        self._pass = {
            kind: Result(Action.PASS, kind, (), (), BASIS_CHANGE_PASS if kind is Kind.CHANGE else BASIS_PASS,
                         self.list_version, self.list_sha256,
                         licences_file=reg.file_name if reg is not None else "",
                         licences_sha256=reg.sha256 if reg is not None else "")
            for kind in Kind
        }

    @classmethod
    def from_yaml(cls, *paths: str | Path) -> Screener:
        """A screener over the list file(s) at ``paths``."""
        return cls(lists=list(paths))

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its lists where it lands (a worker process): the automaton and
        # jieba's dictionary are cheaper to rebuild than to ship.
        return (_rebuild, (list(self.lists), self.licences))

    def warm_up(self) -> Screener:
        """Load jieba's dictionary now (otherwise on the first hit that needs it)."""
        self._boundary.warm_up()
        return self

    @property
    def terms(self) -> tuple[TermInfo, ...]:
        return self._terms

    # -- scanning --------------------------------------------------------------

    def scan(self, text: str | None, field: Field | str = Field.NAME) -> FieldScan:
        """Every hit of one field, judged; no action is decided."""
        return self._scan(text, Field(field))

    def _scan(self, text: str | None, field: Field) -> FieldScan:
        """:meth:`_scan_careful`, remembering judged units and texts.

        A scope that needs no folding is judged unit by unit (judge.unit_cuts: the
        verdicts of a unit do not depend on the rest of the scope) and only where the
        automaton found something; other texts are judged whole. The answers are
        remembered per instance, up to ``_SCAN_MEMO`` texts of at most
        ``_SCAN_MEMO_CHARS`` characters (longer ones are judged each time): registers
        are written in the national catalogue's standard phrases (规范表述), so the same
        unit recurs across millions of records, and banks' and insurers' names and
        scopes repeat row after row.
        """
        if not text or not isinstance(text, str):
            return self._scan_careful(text, field)
        if not self._folder.needs_folding(text):
            for _ in self._index.iter(text):
                break
            else:
                return _EMPTY_SCAN  # nothing to judge, nothing worth remembering
            # (not when a dictionary word holds a cut: jieba would read across it)
            if field is Field.SCOPE and self._cuttable and not self._boundary.pairs_hold(_CUTS):
                return self._scope_memo(text) if len(text) <= _SCOPE_MEMO_CHARS else self._scan_units(text)
        return self._remembered(text, field)

    def _scan_units(self, text: str) -> FieldScan:
        """A scope that needs no folding, from the remembered scans of its units."""
        if ";" not in text and "。" not in text and not has_bracket(text):
            units = text.split("；")  # the usual scope: items joined by ；
        else:
            cuts = unit_cuts(text)
            units = [text[a + 1 : b] for a, b in zip((-1, *cuts), (*cuts, len(text)))]
        if len(units) == 1:
            return self._remembered(text, Field.SCOPE)
        starts = [0, *accumulate(map((1).__add__, map(len, units[:-1])))]
        ends = [last for last, _ in self._index.iter(text)]
        return _joined_units(units, starts, ends, self._remembered)

    def _remembered(self, text: str, field: Field) -> FieldScan:
        return self._scan_careful(text, field) if len(text) > _SCAN_MEMO_CHARS else self._memo(text, field)

    def _scan_careful(self, text: str | None, field: Field) -> FieldScan:
        """Every hit of one field, judged on the whole text (no memo)."""
        if not text:
            return _EMPTY_SCAN
        if not isinstance(text, str):
            raise ScreeningInputError(f"{field.value} must be text, not {type(text).__name__}")
        mapped = self._folder.fold_with_map(text) if self._folder.needs_folding(text) else None
        folded = mapped.folded if mapped is not None else text
        matches = self._index.find(folded)
        if not matches:
            return _EMPTY_SCAN
        separated, spaces = mapped.separators if mapped is not None else (frozenset(), ())
        verdicts = judge_field(
            folded,
            matches,
            is_scope=field is Field.SCOPE,
            boundary=self._boundary,
            group_of=self._list_of,
            exclusions=self._exclusions,
            heads=self._heads,
            senses=self._senses,
            names=self._names,
            separated=separated,
            spaces=spaces,
        )
        hits, watch, suppressed = [], [], []
        terms = self._terms
        for m, reason, detail in verdicts:
            start, end = mapped.span(m.start, m.end) if mapped is not None else (m.start, m.end)
            info = terms[m.pattern.term_id]
            written = text[start:end]
            if m.pattern.kind is PatternKind.SYNONYM:
                via = Via.SYNONYM
            else:
                via = Via.EXACT if written == info.keyword else Via.VARIANT
            hit = Hit(info, written, field, start, end, via, reason, detail)
            if reason is not None:
                suppressed.append(hit)
            elif info.effect is Effect.SUPERVISE:
                watch.append(hit)
            else:
                hits.append(hit)
        return FieldScan(tuple(hits), tuple(watch), tuple(suppressed))

    def clean(self, name: str, scope: str = "") -> bool:
        """True when neither text holds a form of any term nor needs folding, so that
        screening them finds nothing at all: the fast path of bulk screening."""
        needs = self._folder.needs_folding
        if needs(name) or needs(scope):
            return False
        it = self._index.iter
        for _ in it(name):
            return False
        for _ in it(scope):
            return False
        return True

    # -- screening -------------------------------------------------------------

    def screen(
        self,
        name: str | None,
        scope: str | None = "",
        *,
        kind: Kind | str = Kind.NEW,
        before_name: str | None = None,
        before_scope: str | None = None,
        entity_type: EntityType | str | None = None,
        status: Status | str | None = None,
        established_on: date | str | None = None,
        suspended_since: date | str | None = None,
        licensed: bool = False,
        as_of: date | str | None = None,
        credit_code: str | None = None,
    ) -> Result:
        """Screen one registration and decide its action.

        ``kind`` is "new" (设立登记), "change" (变更登记, compared with
        ``before_name``/``before_scope``; a field not given is taken as unchanged) or
        "existing" (存量主体, where ``entity_type``, ``status``, ``established_on``
        and ``suspended_since`` decide between ordering a rename and proposing
        revocation under Company Law art. 260 para. 1). Dates are ``date`` objects
        or "YYYY-MM-DD"; ``as_of`` defaults to today. ``credit_code`` (统一社会信用代码)
        finds the entity on the licence register before its name does.
        """
        return self._screen_parsed(
            name,
            scope,
            _enum(Kind, kind, "kind"),
            before_name,
            before_scope,
            _enum(EntityType, entity_type, "entity_type"),
            _enum(Status, status, "status"),
            _date(established_on, "established_on"),
            _date(suspended_since, "suspended_since"),
            licensed,
            _date(as_of, "as_of"),
            _text_option(credit_code, "credit_code"),
        )

    def _screen_parsed(
        self,
        name: str | None,
        scope: str | None,
        kind: Kind,
        before_name: str | None,
        before_scope: str | None,
        entity_type: EntityType | None,
        status: Status | None,
        established: date | None,
        suspended: date | None,
        licensed: bool,
        as_of_day: date | None,
        credit_code: str | None = None,
    ) -> Result:
        scan = self._scan
        name_scan = scan(name, Field.NAME)
        scope_scan = scan(scope, Field.SCOPE)
        if kind is Kind.CHANGE:
            before_name_scan = name_scan if before_name is None else scan(before_name, Field.NAME)
            before_scope_scan = scope_scan if before_scope is None else scan(before_scope, Field.SCOPE)
            before = before_name_scan.terms() | before_scope_scan.terms()
        else:
            before = frozenset()
        if name_scan is _EMPTY_SCAN and scope_scan is _EMPTY_SCAN and not before:
            return self._pass[kind]
        after = name_scan.terms() | scope_scan.terms()
        facts = None
        if kind is Kind.EXISTING and after and (status in _DORMANT or (status is not None and status.closed)):
            # only a company not opened, or suspended, can be dormant under art. 260;
            # a closed one is reported but nothing is ordered
            facts = EntityFacts(
                name=name if isinstance(name, str) else "",
                entity_type=entity_type,
                status=status,
                established_on=established,
                suspended_since=suspended,
            )
        # the name's institution kind and the register are read only for a name with counted terms
        institution = institution_of(name) if after and isinstance(name, str) else None
        register = self.licences
        found = register.find(name if isinstance(name, str) else "", credit_code) if register is not None and after else None
        action, basis = decide(
            kind,
            after,
            before,
            licensed=bool(licensed),
            facts=facts,
            as_of=as_of_day or (date.today() if facts is not None else None),
            institution=institution,
            licence=found.basis() if found is not None else "",
            register=register is not None,
        )
        return Result(
            action=action,
            kind=kind,
            hits=name_scan.hits + scope_scan.hits,
            suppressed=name_scan.suppressed + scope_scan.suppressed,
            basis=basis,
            list_version=self.list_version,
            list_sha256=self.list_sha256,
            watch=name_scan.watch + scope_scan.watch,
            before_keywords=tuple(sorted(before)),
            institution=institution,
            licences_file=register.file_name if register is not None else "",
            licences_sha256=register.sha256 if register is not None else "",
        )

    def screen_many(self, records: Iterable[Mapping[str, Any]], **defaults: Any) -> Iterator[Result]:
        """Screen records (mappings with ``name``, ``scope`` and any option of
        :meth:`screen`); ``defaults`` fill options a record lacks. The fast path for
        bulk work: records without any match share one immutable result.
        """
        unknown = set(defaults) - set(SCREEN_OPTIONS)
        if unknown:
            raise ScreeningInputError(f"unknown option(s): {', '.join(sorted(unknown))}")
        # Parse the defaults once (and fail on a bad one before the first record); one
        # "today" serves the whole run rather than a clock read per record.
        defaults = {"kind": Kind.NEW, "licensed": False, "as_of": date.today(), **parse_options(defaults)}
        parsed: list[Any] = [defaults.get(k) for k in SCREEN_OPTIONS]  # _screen_parsed's order
        # Records without options of their own, under a kind that needs no before
        # fields, share one result when neither field holds anything (Screener.clean).
        shared_pass = self._pass[defaults["kind"]] if defaults["kind"] is not Kind.CHANGE else None
        clean, screen, screen_parsed = self.clean, self.screen, self._screen_parsed
        options_keys = frozenset(SCREEN_OPTIONS)
        for rec in records:
            name, scope = rec.get("name"), rec.get("scope")
            if not options_keys.isdisjoint(rec):
                yield screen(name, scope, **{**defaults, **{k: rec[k] for k in SCREEN_OPTIONS if k in rec}})
                continue
            try:
                if shared_pass is not None and clean(name or "", scope or ""):
                    yield shared_pass
                    continue
            except TypeError:
                pass  # not text: _screen_parsed says so
            yield screen_parsed(name, scope, *parsed)


def _joined_units(
    units: list[str], starts: list[int], ends: list[int], scan: Callable[[str, Field], FieldScan]
) -> FieldScan:
    """The scan of a scope from the scans of its units (``units``, beginning at
    ``starts``): each unit that holds the last character of a match (``ends``,
    ascending) scanned by ``scan``, its hits shifted to the scope's offsets. A unit
    without a match has nothing to judge."""
    hits: list[Hit] = []
    watch: list[Hit] = []
    suppressed: list[Hit] = []
    seen = -1
    for last in ends:
        i = bisect_right(starts, last) - 1
        if i == seen:
            continue
        seen = i
        a = starts[i]
        found = scan(units[i], Field.SCOPE)
        for into, got in ((hits, found.hits), (watch, found.watch), (suppressed, found.suppressed)):
            if a and got:
                into.extend(Hit(h.term, h.text, h.field, h.start + a, h.end + a, h.via, h.reason, h.detail) for h in got)
            else:
                into.extend(got)
    return FieldScan(tuple(hits), tuple(watch), tuple(suppressed))


def _rebuild(lists: list[KeywordList], licences: LicenceRegister | None) -> Screener:
    return Screener(lists, licences=licences)


def shared_screener(lists: Sequence[str | Path] = (), licences: str | Path | None = None) -> Screener:
    """One warmed-up screener per set of list files (and licence register), as they are on disk now, per process.

    For callers that screen piece by piece (a registration hook, DataFrame partitions,
    worker processes) and would otherwise build a screener each time. The screener is
    immutable; a list file that changes on disk gets a new one.
    """
    signature = []
    for p in (*lists, *([licences] if licences else [])):
        try:
            st = os.stat(p)
            signature.append((str(p), st.st_mtime_ns, st.st_size))
        except OSError:
            signature.append((str(p), 0, 0))  # loading reports the missing file
    return _shared_screener(tuple(signature), 1 if licences else 0)


@lru_cache(maxsize=8)
def _shared_screener(signature: tuple[tuple[str, int, int], ...], with_licences: int = 0) -> Screener:
    paths = [path for path, _, _ in signature]
    register = paths.pop() if with_licences else None
    return Screener(lists=paths or None, licences=register).warm_up()


_DORMANT = (Status.NOT_OPENED, Status.SUSPENDED)

_PARSERS: dict[str, Any] = {
    "kind": lambda v: _enum(Kind, v, "kind"),
    "entity_type": lambda v: _enum(EntityType, v, "entity_type"),
    "status": lambda v: _enum(Status, v, "status"),
    "established_on": lambda v: _date(v, "established_on"),
    "suspended_since": lambda v: _date(v, "suspended_since"),
    "as_of": lambda v: _date(v, "as_of"),
}


def parse_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """screen() options with enums and dates parsed (ScreeningInputError on a bad one),
    so that each record need not."""
    return {k: _PARSERS[k](v) if k in _PARSERS else v for k, v in options.items()}


def _text_option(value: Any, what: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ScreeningInputError(f"{what} must be text, not {type(value).__name__}")


def _enum(cls: Any, value: Any, what: str) -> Any:
    if value is None or isinstance(value, cls):
        return value
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise ScreeningInputError(f"{what} must be one of {allowed}, not {value!r}") from None


def _date(value: Any, what: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ScreeningInputError(f"{what} must be a date or 'YYYY-MM-DD', not {value!r}")
