"""Reading posted forms: text fields only, and errors kept for the error summary."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.datastructures import FormData


@dataclass(frozen=True, slots=True)
class FieldError:
    """An error shown in the summary at the top, linking to ``field_id``."""

    field_id: str
    message: str


@dataclass
class Errors:
    items: list[FieldError] = field(default_factory=list)

    def add(self, field_id: str, message: str) -> None:
        self.items.append(FieldError(field_id, message))

    def of(self, field_id: str) -> str:
        return next((e.message for e in self.items if e.field_id == field_id), "")

    def __bool__(self) -> bool:
        return bool(self.items)


def text(form: FormData, key: str, *, limit: int = 20_000) -> str:
    """A text field, stripped; anything that is not text (a file) reads as empty."""
    value = form.get(key)
    return value.strip()[:limit] if isinstance(value, str) else ""


def day(form: FormData, key: str, label: str, errors: Errors) -> str | None:
    """A YYYY-MM-DD field, or None when empty; a bad one is added to ``errors``."""
    from ..values import parse_date

    value = text(form, key)
    if not value:
        return None
    try:
        parsed = parse_date(value)  # 2019-04-01, 2019/4/1 and 2019年4月1日 alike
    except ValueError:  # an impossible day, such as 2019-02-30
        parsed = None
    if parsed is None:
        errors.add(key, f"{label}应为“年-月-日”，例如 2019-04-01")
        return None
    return parsed.isoformat()
