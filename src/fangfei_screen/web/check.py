"""预登记检查: one application through the same hook as POST /v1/check."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..hook import check_application
from ..models import ACTIONABLE, Action, EntityType, Field, Kind, Status
from ..screener import Screener, ScreeningInputError
from .csrf import CSRF_FIELD, csrf_ok
from .forms import Errors, day, text
from .marks import segments
from .render import render

KIND_LABELS = {Kind.NEW: "设立登记", Kind.CHANGE: "变更登记", Kind.EXISTING: "存量主体"}
ENTITY_TYPE_LABELS = {
    EntityType.COMPANY: "公司", EntityType.INDIVIDUAL: "个体工商户", EntityType.COOPERATIVE: "农民专业合作社",
    EntityType.PARTNERSHIP: "合伙企业", EntityType.OTHER: "其他",
}
STATUS_LABELS = {
    Status.OPERATING: "存续（在营）", Status.NOT_OPENED: "未开业", Status.SUSPENDED: "停业", Status.SUSPENSION_FILED: "依法办理歇业",
    Status.DEREGISTERED: "注销", Status.REVOKED: "吊销，未注销", Status.MOVED_OUT: "迁出",
    Status.CANCELLED: "撤销登记",
}
# How the answer box looks: refuse, follow up, or go ahead.
ACTION_TONE = {Action.BLOCK: "stop", Action.ORDER_RENAME: "warn", Action.PROPOSE_REVOCATION: "warn", Action.VERIFY_LICENCE: "warn"}

_FIELDS = ("name", "scope", "kind", "before_name", "before_scope", "entity_type", "status", "established_on", "suspended_since")


def _context(values: dict[str, str], errors: Errors, result: Any = None, record: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "values": values, "errors": errors, "result": result, "record": record or {},
        "kinds": KIND_LABELS, "entity_types": ENTITY_TYPE_LABELS, "statuses": STATUS_LABELS,
        "tone": ACTION_TONE, "actionable": ACTIONABLE, "segments": segments, "Field": Field,
    }


def check_form(request: Request) -> Response:
    return render(request, "check.html", _context({"kind": "new"}, Errors()), page="check")


async def check_post(request: Request, screener: Callable[[], Screener], *, book: Any = None, user: Any = None,
                     counted: Callable[..., None] | None = None) -> Response:
    started = time.perf_counter()
    form = await request.form()
    values = {key: text(form, key) for key in _FIELDS}
    errors = Errors()
    forged = not csrf_ok(request, form.get(CSRF_FIELD))
    if forged:
        errors.add("name", "页面已过期，请再点一次“检查”")
    if not values["name"]:
        errors.add("name", "请输入名称")
    if values["kind"] not in {k.value for k in Kind}:
        errors.add("kind-new", "请选择登记类型")
        values["kind"] = "new"
    application: dict[str, Any] = {"name": values["name"], "scope": values["scope"], "kind": values["kind"]}
    if values["kind"] == Kind.CHANGE:
        # A before field left empty is taken as unchanged, as the hook documents.
        for key in ("before_name", "before_scope"):
            if values[key]:
                application[key] = values[key]
    if values["kind"] == Kind.EXISTING:
        if values["entity_type"] in {e.value for e in EntityType}:
            application["entity_type"] = values["entity_type"]
        if values["status"] in {s.value for s in Status}:
            application["status"] = values["status"]
        application["established_on"] = day(form, "established_on", "成立日期", errors)
        application["suspended_since"] = day(form, "suspended_since", "停业日期", errors)
    result = None
    if not errors:
        try:
            result = check_application(application, screener=screener())
        except ScreeningInputError as exc:
            errors.add("name", f"无法检查：{exc}")
    record = await _record(book, application, result, user) if result is not None else None
    if result is not None and counted is not None:  # /metrics counts the desk's checks with the API's
        counted([result.action.value], caller="user" if user is not None else "anonymous", channel="page",
                seconds=time.perf_counter() - started)
    # A form with mistakes is a normal page (200, as GOV.UK pages answer); a post without
    # this site's token is refused.
    status = 403 if forged else 200
    return render(request, "check.html", _context(values, errors, result, record), status=status, page="check")


async def _record(book: Any, application: dict[str, Any], result: Any, user: Any) -> dict[str, Any]:
    """Append the page's check to the record: {"id": …} once recorded, {"problem": …} when
    it could not be, {} when there is no ledger database to record into."""
    if book is None:
        return {}
    from ..hook import answer
    from ..ledger.checks import Caller

    caller = Caller(kind="user", name=user.name, unit=user.unit) if user is not None else Caller()
    check_id = book.new_ids(1)[0]
    entry = book.entry(check_id=check_id, channel="page", caller=caller, application=application, answer=answer(result))
    try:
        return {"id": check_id} if await book.append([entry]) else {}
    except Exception as exc:  # noqa: BLE001 - the desk still sees the advice, and that it is not on record
        return {"problem": f"本次检查未能记入核查记录：{exc}"}
