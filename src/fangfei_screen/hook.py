"""The pre-registration check that registration systems call before accepting an
application (名称自主申报, 设立登记, 变更登记)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .models import APPLICATION_FIELD_LABELS, Action, Result
from .screener import SCREEN_OPTIONS, Screener, ScreeningInputError, shared_screener

APPLICATION_FIELDS = ("name", "scope", *SCREEN_OPTIONS)
TEXT_FIELDS = ("name", "scope", "before_name", "before_scope", "credit_code")
# A registered business scope runs to a few thousand characters; a longer field is not
# a registration, and refusing it bounds the work one application can ask for.
MAX_FIELD_CHARS = 10_000
# Hits of each kind (hits, watch, suppressed) listed per field in an answer; the rest
# are counted under "omitted", so that one text full of listed words cannot make the
# answer a hundred times the size of the question.
MAX_HITS_PER_FIELD = 20
_HIT_KINDS = ("hits", "watch", "suppressed")


class RegistrationBlocked(Exception):
    """Raised by :func:`enforce` when the application must not be registered."""

    def __init__(self, result: Result) -> None:
        self.result = result
        words = "、".join(result.keywords)
        super().__init__(f"不予登记：名称或经营范围含涉金融字样（{words}）。{result.basis}")


def check_field_length(field: str, text: str) -> None:
    """Refuse a text field over :data:`MAX_FIELD_CHARS` characters (ScreeningInputError)."""
    if len(text) > MAX_FIELD_CHARS:
        label = APPLICATION_FIELD_LABELS.get(field, field)
        raise ScreeningInputError(f"{label}超过 {MAX_FIELD_CHARS} 字（{len(text)} 字）/ {field} is over {MAX_FIELD_CHARS} characters")


def parse_application(application: Mapping[str, Any]) -> dict[str, Any]:
    """Check an application's fields and types; returns the keyword arguments of screen().

    Raises :class:`ScreeningInputError` naming the field that is wrong.
    """
    if not isinstance(application, Mapping):
        raise ScreeningInputError("application must be a mapping of field names to values")
    unknown = [k for k in application if k not in APPLICATION_FIELDS]
    if unknown:
        raise ScreeningInputError(
            f"unknown field(s): {', '.join(map(str, unknown))}; known: {', '.join(APPLICATION_FIELDS)}"
        )
    if "name" not in application:
        raise ScreeningInputError("name is required")
    for key in TEXT_FIELDS:
        value = application.get(key)
        if value is not None and not isinstance(value, str):
            raise ScreeningInputError(f"{key} must be text, not {type(value).__name__}")
        if value is not None:
            check_field_length(key, value)
    licensed = application.get("licensed", False)
    if not isinstance(licensed, bool):
        raise ScreeningInputError("licensed must be true or false")
    return dict(application)


def check_application(application: Mapping[str, Any], *, screener: Screener | None = None) -> Result:
    """Screen an application as a registration system holds it.

    ``application`` has ``name`` and optionally ``scope``, ``kind`` ("new", "change",
    "existing"), ``before_name``, ``before_scope``, ``entity_type``, ``status``,
    ``established_on``, ``suspended_since``, ``licensed`` and ``as_of``.
    """
    fields = parse_application(application)
    screener = screener or shared_screener()
    return screener.screen(fields.pop("name"), fields.pop("scope", ""), **fields)


def answer(result: Result, *, max_hits_per_field: int = MAX_HITS_PER_FIELD) -> dict[str, Any]:
    """``result.to_dict()`` listing at most ``max_hits_per_field`` hits of each kind per
    field; ``omitted`` counts the rest, e.g. ``{"hits": {"scope": 140}, "watch": {}, "suppressed": {}}``.

    Everything else (action, keywords, categories …) still rests on all the hits.
    """
    body = result.to_dict()
    omitted: dict[str, dict[str, int]] = {}
    for kind in _HIT_KINDS:
        kept: list[dict[str, Any]] = []
        listed: dict[str, int] = {}
        over: dict[str, int] = {}
        for hit in body[kind]:
            field = hit["field"]
            if listed.get(field, 0) < max_hits_per_field:
                listed[field] = listed.get(field, 0) + 1
                kept.append(hit)
            else:
                over[field] = over.get(field, 0) + 1
        body[kind] = kept
        omitted[kind] = over
    body["omitted"] = omitted
    return body


def enforce(application: Mapping[str, Any], *, screener: Screener | None = None) -> Result:
    """Like :func:`check_application`, but raise :class:`RegistrationBlocked` on ``block``."""
    result = check_application(application, screener=screener)
    if result.action is Action.BLOCK:
        raise RegistrationBlocked(result)
    return result
