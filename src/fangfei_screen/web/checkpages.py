"""The check record on the pages: one check with its outcomes, the outcome form, and the
printable notice (HTML, and PDF by LibreOffice)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from ..ledger.checks import CHANNEL_LABELS, action_label, CST, KIND_LABELS, CheckRecord
from .csrf import CSRF_FIELD, csrf_ok
from .forms import Errors, text
from .notice import DECISIONS, INTRO, NOTICE_ACTIONS, TITLES, NoticeError, notice_context, render_pdf
from .render import SECURITY_HEADERS, _env, render


def _visible(book: Any, request: Request, user: Any) -> CheckRecord | None:
    """The check of the path, if this user may see it (their unit's, an anonymous one, or any for an admin)."""
    try:
        rec = book.get(request.path_params["check_id"])
    except Exception:  # noqa: BLE001 - an unreadable ledger reads as "not found" here, never a 500
        return None
    if rec is None:
        return None
    if user.role.value != "admin" and rec.unit and rec.unit != user.unit:
        return None
    return rec


def _not_found(request: Request) -> Response:
    return render(request, "gone.html", {"what": "没有这条核查记录，或它属于其他单位"}, status=404, page="check")


def _record_page(request: Request, rec: CheckRecord, errors: Errors, values: dict[str, str], *, status: int = 200) -> Response:
    return render(request, "check_record.html", {
        "rec": rec, "errors": errors, "values": values, "cst": CST,
        "at": rec.at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S"), "channel": CHANNEL_LABELS.get(rec.channel, rec.channel),
        "kind": KIND_LABELS.get(rec.kind, rec.kind), "action": action_label(rec.action),
        "notice": TITLES.get(rec.action) if rec.action in NOTICE_ACTIONS else None,
    }, status=status, page="check")


def record_page(request: Request, book: Any, user: Any) -> Response:
    rec = _visible(book, request, user)
    if rec is None:
        return _not_found(request)
    return _record_page(request, rec, Errors(), {})


async def outcome_post(request: Request, book: Any, user: Any) -> Response:
    form = await request.form()
    values = {"outcome": text(form, "outcome"), "reason": text(form, "reason", limit=2000)}
    rec = await run_in_threadpool(_visible, book, request, user)
    if rec is None:
        return _not_found(request)
    errors = Errors()
    if not csrf_ok(request, form.get(CSRF_FIELD)):
        errors.add("outcome-adopted", "页面已过期，请再点一次“记录”")
        return _record_page(request, rec, errors, values, status=403)
    if values["outcome"] not in ("adopted", "overridden"):
        errors.add("outcome-adopted", "请选择采纳或不采纳")
    elif values["outcome"] == "overridden" and not values["reason"]:
        errors.add("reason", "不采纳时请写明理由")
    if errors:
        return _record_page(request, rec, errors, values)
    try:
        await run_in_threadpool(lambda: book.add_outcome(rec.id, outcome=values["outcome"], reason=values["reason"],
                                                         by=user.name, unit=user.unit))
    except Exception as exc:  # noqa: BLE001 - said on the page in words
        errors.add("outcome-adopted", f"未能记录：{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
        return _record_page(request, rec, errors, values)
    return RedirectResponse(f"/checks/{rec.id}", status_code=303)


def _notice_html(rec: CheckRecord) -> str:
    return _env.get_template("notice.html").render({**notice_context(rec), "decision": DECISIONS[rec.action],
                                                   "intro": INTRO[rec.action]})


def notice_page(request: Request, book: Any, user: Any) -> Response:
    from starlette.responses import HTMLResponse

    rec = _visible(book, request, user)
    if rec is None:
        return _not_found(request)
    try:
        html = _notice_html(rec)
    except NoticeError as exc:
        return render(request, "gone.html", {"what": str(exc)}, status=404, page="check")
    return HTMLResponse(html, headers=SECURITY_HEADERS)


def notice_pdf(request: Request, book: Any, user: Any) -> Response:
    """Blocking (LibreOffice): the page wrapper runs it in a worker thread."""
    rec = _visible(book, request, user)
    if rec is None:
        return _not_found(request)
    try:
        pdf = render_pdf(notice_context(rec))
    except NoticeError as exc:
        return render(request, "gone.html", {"what": str(exc)}, status=503 if rec.action in NOTICE_ACTIONS else 404, page="check")
    name = f"{TITLES[rec.action]}-{rec.id}.pdf"
    from urllib.parse import quote

    return Response(pdf, media_type="application/pdf", headers={
        **SECURITY_HEADERS, "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})
