"""The monthly cycle on the pages (issue 18): 写入台账 from the bulk results, 录入线索,
报送本月, and the county's page /ledger/county — each on the ledger's own functions
(the same as ``fangfei-screen ledger ingest / add-clue`` …). Database and file work runs
in a worker thread, never on the event loop."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from .chart import month_chart
from .csrf import CSRF_FIELD, csrf_ok
from .forms import Errors, text
from .render import render


def _month_of(day: str | None) -> str:
    try:
        return date.fromisoformat(day or "").strftime("%Y-%m")
    except ValueError:
        return date.today().strftime("%Y-%m")


def _is_admin(user: Any) -> bool:
    return user.role.value == "admin"


# -- 写入台账 on the bulk results page ------------------------------------------------


def ingest_context(store: Any, job_id: str, state: dict[str, Any], user: Any, *, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the results page needs for its 写入台账 form."""
    from ..ledger.clues import SCREENING_ORIGINS
    from ..ledger.units import sheets_of

    folder = store.folder(job_id)
    sheets: list[str] = []
    if folder is not None and _is_admin(user):
        try:
            sheets = [s for s in sheets_of(folder / "screened.csv") if s]
        except Exception:  # the form still works without the per-sheet mapping
            sheets = []
    default_month = _month_of((state.get("options") or {}).get("as_of"))
    return {
        "ingest": values or {"month": default_month, "unit": user.unit, "source": next(iter(SCREENING_ORIGINS))},
        "ingest_sheets": sheets, "screening_sources": SCREENING_ORIGINS, "ingested": state.get("ingested") or [],
        "may_pick_unit": _is_admin(user),
    }


async def ingest_post(request: Request, store: Any, job_id: str, accounts: Any, user: Any, *,
                      show: Callable[..., Response], missing: Callable[[Request], Response]) -> Response:
    """写入台账: ``show`` draws the results page again (with errors or the replace step)."""
    form = await request.form()
    return await run_in_threadpool(_ingest, request, form, store, job_id, accounts, user, show, missing)


def _ingest(request: Request, form: Any, store: Any, job_id: str, accounts: Any, user: Any,
            job_page: Callable[..., Response], missing: Callable[[Request], Response]) -> Response:
    from ..ledger import LedgerError
    from ..ledger.clues import SCREENING_ORIGINS
    from ..ledger.ingest import IngestConflict, ingest
    from ..ledger.months import parse_month

    state = store.state(job_id)
    folder = store.folder(job_id)
    if state is None or folder is None or state.get("state") != "done":
        return missing(request)
    values = {"month": text(form, "month", limit=20), "unit": text(form, "unit", limit=100) if _is_admin(user) else user.unit,
              "source": text(form, "source", limit=50), "replace": text(form, "replace") == "yes"}
    errors = Errors()
    if not csrf_ok(request, form.get(CSRF_FIELD)):
        errors.add("ingest-month", "页面已过期，请再点一次“写入台账”")
    try:
        values["month"] = parse_month(values["month"])
    except (LedgerError, ValueError):
        errors.add("ingest-month", "月份应为“年-月”，例如 2025-06")
    if values["source"] not in SCREENING_ORIGINS:
        errors.add("ingest-source", "请选择这次筛查的线索来源")
    # an admin may map each sheet to a unit; otherwise one unit (the clerk's own)
    mapping: list[tuple[str | None, str]] = []
    if _is_admin(user):
        for i, sheet in enumerate(form.getlist("sheet")):
            unit = text(form, f"sheet-unit-{i}", limit=100)
            if isinstance(sheet, str) and unit:
                mapping.append((sheet, unit))
    if not mapping:
        if not values["unit"]:
            errors.add("ingest-unit", "请填写填报单位")
        mapping = [(None, values["unit"])]
    ctx = ingest_context(store, job_id, state, user, values=values)
    if errors:
        return job_page(request, store, job_id, errors=errors, extra=ctx)
    ledger = accounts.ledger()
    done = list(state.get("ingested") or [])
    for sheet, unit in mapping:
        try:
            summary = ingest(ledger, folder / "screened.csv", month=values["month"], unit=unit, by=user.name, sheet=sheet,
                             replace=values["replace"], source=values["source"],
                             file_name=f"{state.get('original_name', '')}（批量排查 {job_id[:8]}）")
        except IngestConflict as exc:
            ctx["confirm_replace"] = {"unit": unit, "month": values["month"], "batch_id": exc.batch_id,
                                      "file_name": exc.file_name, "by": exc.by, "at": str(exc.at)[:16]}
            return job_page(request, store, job_id, errors=Errors(), extra=ctx)
        except LedgerError as exc:
            errors.add("ingest-unit", f"未写入台账：{exc}")
            return job_page(request, store, job_id, errors=errors, extra=ctx)
        entry = {"unit": unit, "month": values["month"], "batch_id": summary.batch_id, "lines": summary.lines()}
        done = [d for d in done if (d["unit"], d["month"]) != (unit, values["month"])] + [entry]
    store.update(folder, ingested=done)
    return RedirectResponse(f"/bulk/jobs/{job_id}?ingested=1#ledger", status_code=303)


# -- 录入线索 ---------------------------------------------------------------------------


def clue_form(request: Request, ledger: Any, user: Any, *, errors: Errors | None = None, values: dict[str, str] | None = None,
              status: int = 200) -> Response:
    from ..ledger.clues import CATEGORIES, FIELDS, INTERNET, ORIGINS, PATHS, SUBJECT_KINDS, YES_NO_PENDING
    from ..models import FUNDRAISING_METHODS

    choices = {"origin": list(ORIGINS), "category": list(CATEGORIES), "method": list(FUNDRAISING_METHODS),
               "internet": list(INTERNET), "illegal": list(YES_NO_PENDING), "path": list(PATHS),
               "subject_kind": list(SUBJECT_KINDS.values())}
    return render(request, "clue.html", {
        "errors": errors or Errors(), "fields": FIELDS, "choices": choices, "values": values or {"subject_kind": "单位"},
        "today": date.today().isoformat(), "unit": user.unit, "origins": ORIGINS,
    }, status=status, page="ledger")


async def clue_post(request: Request, ledger: Any, user: Any) -> Response:
    form = await request.form()
    return await run_in_threadpool(_clue, request, form, ledger, user)


def _clue(request: Request, form: Any, ledger: Any, user: Any) -> Response:
    from ..ledger import LedgerError
    from ..ledger.clues import Clue, add_clue

    if user.role.value == "reviewer":
        return render(request, "forbidden.html", {"errors": Errors(), "message": "录入线索由各乡镇、各单位的登记人员或管理员进行。"},
                      status=403, page="ledger")
    values = {n: text(form, n, limit=2000) for n in Clue.names()}
    if not csrf_ok(request, form.get(CSRF_FIELD)):
        errors = Errors()
        errors.add("c-name", "页面已过期，请再提交一次")
        return clue_form(request, ledger, user, errors=errors, values=values)
    clue = Clue.of(values)
    errors = Errors()
    for name, message in clue.problems().items():  # the same validator as `ledger add-clue` and import-clues
        errors.add(f"c-{name}", message)
    if not errors:
        try:
            added = add_clue(ledger, clue, unit=user.unit, by=user.name)
        except LedgerError as exc:
            errors.add("c-name", str(exc))
        else:
            return RedirectResponse(f"/ledger/entity?key={quote(added.key, safe='')}&done={'clue' if added.recorded else 'same_clue'}",
                                    status_code=303)
    return clue_form(request, ledger, user, errors=errors, values=values)


# -- 报送本月 ---------------------------------------------------------------------------


def send_context(ledger: Any, user: Any, month: str) -> dict[str, Any]:
    from ..ledger.sending import month_state

    if user.role.value != "clerk" or not month:
        return {"send": None}
    return {"send": month_state(ledger, unit=user.unit, month=month)}


async def send_post(request: Request, ledger: Any, user: Any) -> Response:
    form = await request.form()
    return await run_in_threadpool(_send, request, form, ledger, user)


def _send(request: Request, form: Any, ledger: Any, user: Any) -> Response:
    from ..ledger import LedgerError
    from ..ledger.months import parse_month
    from ..ledger.sending import send_month

    if not csrf_ok(request, form.get(CSRF_FIELD)):
        return render(request, "forbidden.html", {"errors": Errors(), "message": "页面已过期，请返回后重新提交。"}, status=403, page="ledger")
    if user.role.value == "reviewer":
        return render(request, "forbidden.html", {"errors": Errors(), "message": "报送本月由各单位的登记人员进行。"}, status=403, page="ledger")
    unit = user.unit if user.role.value == "clerk" else text(form, "unit", limit=100)
    try:
        month = parse_month(text(form, "month", limit=20))
        send_month(ledger, unit=unit, month=month, by=user.name, filler=user.name)
    except (LedgerError, ValueError) as exc:
        return RedirectResponse(f"/ledger?{urlencode({'sent_error': str(exc)[:200]})}", status_code=303)
    return RedirectResponse(f"/ledger?{urlencode({'month': month, 'sent': '1'})}#send", status_code=303)


def sent_download(request: Request, ledger: Any, user: Any) -> Response:
    from ..ledger import LedgerError
    from ..ledger.sending import sent_file

    try:
        sent_id, which = int(request.path_params["sent_id"]), int(request.path_params["which"])
        sent, data = sent_file(ledger, sent_id=sent_id, which=which)
    except (LedgerError, ValueError):
        return render(request, "gone.html", {"errors": Errors(), "what": "没有这次报送"}, status=404, page="ledger")
    if user.role.value == "clerk" and user.unit != sent.unit:
        return render(request, "gone.html", {"errors": Errors(), "what": "没有这次报送"}, status=404, page="ledger")
    title = "非法金融活动风险线索排查统计表" if which == 2 else "非法金融活动打击处置情况统计表"
    name = f"{sent.unit}{sent.month}{title}（{str(sent.at)[:16].replace(':', '')}报送）.xlsx"
    return StreamingResponse(io.BytesIO(data), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                             headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "Cache-Control": "no-store"})


# -- /ledger/county -------------------------------------------------------------------


def county_page(request: Request, ledger: Any, user: Any) -> Response:
    from ..ledger import LedgerError
    from ..ledger.county import county_month, list_key_cases, twelve_months
    from ..ledger.months import parse_month
    from ..ledger.reports import ATT3_COLUMNS
    from ..report import REPORT_COLUMNS

    if user.role.value == "clerk":
        return render(request, "forbidden.html", {"errors": Errors(), "message": "全县汇总页供县财政局（复核人员、管理员）使用。"},
                      status=403, page="ledger")
    errors = Errors()
    month = request.query_params.get("month", "").strip()
    try:
        month = parse_month(month) if month else date.today().strftime("%Y-%m")
    except (LedgerError, ValueError):
        errors.add("month", "月份应为“年-月”，例如 2025-06")
        month = date.today().strftime("%Y-%m")
    county = county_month(ledger, month=month)
    series = twelve_months(ledger, month=month)
    return render(request, "county.html", {
        "errors": errors, "month": month, "county": county, "chart": month_chart(series), "series": series,
        "columns2": REPORT_COLUMNS, "columns3": ATT3_COLUMNS, "key_cases": list_key_cases(ledger),
    }, page="ledger")


def county_download(request: Request, ledger: Any, user: Any) -> Response:
    """The county's merged Attachment 2 or 3 of a month as one form, from the tables as sent."""
    import tempfile
    from pathlib import Path

    from ..ledger import LedgerError
    from ..ledger.county import county_month, write_county_form
    from ..ledger.months import parse_month

    if user.role.value == "clerk":
        return render(request, "forbidden.html", {"errors": Errors(), "message": "全县汇总表供县财政局（复核人员、管理员）下载。"},
                      status=403, page="ledger")
    which = request.path_params["which"]
    try:
        month = parse_month(request.query_params.get("month", "").strip())
    except (LedgerError, ValueError):
        month = ""
    if which not in ("2", "3") or not month:
        return render(request, "gone.html", {"errors": Errors(), "what": "没有这张汇总表（月份应为“年-月”）"}, status=404, page="ledger")
    county = county_month(ledger, month=month)
    with tempfile.TemporaryDirectory(prefix="fangfei-county-") as tmp:
        out = Path(tmp) / "county.xlsx"
        write_county_form(county, attachment=int(which), unit=user.unit, filler=user.name, output=out)
        data = out.read_bytes()
    title = "非法金融活动风险线索排查统计表" if which == "2" else "非法金融活动打击处置情况统计表"
    name = f"{user.unit}{month}{title}（全县汇总）.xlsx"
    return StreamingResponse(io.BytesIO(data), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                             headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "Cache-Control": "no-store"})


async def key_case_post(request: Request, ledger: Any, user: Any) -> Response:
    form = await request.form()
    return await run_in_threadpool(_key_case, request, form, ledger, user)


def _key_case(request: Request, form: Any, ledger: Any, user: Any) -> Response:
    from ..ledger import LedgerError
    from ..ledger.county import mark_key_case
    from .ledgerpages import entity_page

    key = text(form, "key")
    values = {n: text(form, n, limit=200) for n in ("since", "amount", "leader", "supervised")}
    if not csrf_ok(request, form.get(CSRF_FIELD)):
        return render(request, "forbidden.html", {"errors": Errors(), "message": "页面已过期，请返回后重新提交。"}, status=403, page="ledger")
    if user.role.value == "clerk":
        return render(request, "forbidden.html", {"errors": Errors(), "message": "重点案件由县财政局（复核人员、管理员）标记。"},
                      status=403, page="ledger")
    try:
        mark_key_case(ledger, key, since=_iso(values["since"]), amount=values["amount"], leader=values["leader"],
                      supervised=values["supervised"] == "yes", by=user.name)
    except LedgerError as exc:
        errors = Errors()
        errors.add("k-since", str(exc))
        return entity_page(request, ledger, user, key=key, errors=errors, values={f"k-{k}": v for k, v in values.items()})
    return RedirectResponse(f"/ledger/entity?key={quote(key, safe='')}&done=key_case#key-case", status_code=303)


def _iso(value: str) -> str:
    from ..ledger.forms import iso_day

    return iso_day(value)
