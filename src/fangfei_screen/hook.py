"""The pre-registration check that registration systems call before accepting an
application (名称自主申报, 设立登记, 变更登记)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .models import Action, Result
from .screener import SCREEN_OPTIONS, Screener, ScreeningInputError, shared_screener

APPLICATION_FIELDS = ("name", "scope", *SCREEN_OPTIONS)
_TEXT_FIELDS = ("name", "scope", "before_name", "before_scope")


class RegistrationBlocked(Exception):
    """Raised by :func:`enforce` when the application must not be registered."""

    def __init__(self, result: Result) -> None:
        self.result = result
        words = "、".join(result.keywords)
        super().__init__(f"不予登记：名称或经营范围含涉金融字样（{words}）。{result.basis}")


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
    for key in _TEXT_FIELDS:
        value = application.get(key)
        if value is not None and not isinstance(value, str):
            raise ScreeningInputError(f"{key} must be text, not {type(value).__name__}")
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


def enforce(application: Mapping[str, Any], *, screener: Screener | None = None) -> Result:
    """Like :func:`check_application`, but raise :class:`RegistrationBlocked` on ``block``."""
    result = check_application(application, screener=screener)
    if result.action is Action.BLOCK:
        raise RegistrationBlocked(result)
    return result
