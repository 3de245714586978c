"""批量排查: upload, preview and correct, run in the background, results and downloads."""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from ..models import Action, Category, Field, Kind
from ..report import ReportError, ReportHeader, report_rows, write_report
from ..screener import ScreeningInputError
from ..tables import TableError
from .check import KIND_LABELS
from .csrf import CSRF_FIELD, csrf_ok
from .forms import Errors, day, text
from .jobs import COLUMN_FIELDS, INPUT_SUFFIXES, JobStore
from .marks import segments
from .render import render
from .upload import FILE_FIELD

PAGE_ROWS = 50
UPLOAD_ERRORS = {
    "too_large": "文件太大：不能超过 {limit}。可以把文件分成几份分别上传。",
    "no_file": "请选择要上传的文件（CSV 或 XLSX）",
    "bad_type": "只能上传主体名单文件：CSV、TXT、XLSX、XLS、ODS、Parquet、JSON Lines，或装有这些文件的 ZIP",
    "empty": "上传的文件是空的",
    "expired": "页面已过期，请重新选择文件后再上传",
    "failed": "上传没有成功，请再试一次",
    "disk_full": "服务器的存储空间已满，文件没有保存。请联系管理员清理空间后再上传。",
}
ACTION_FILTER_LABELS = {
    "block": Action.BLOCK.label, "order_rename": Action.ORDER_RENAME.label,
    "propose_revocation": Action.PROPOSE_REVOCATION.label, "verify_licence": "核实牌照", "error": "无法筛查",
}
_MONTH = re.compile(r"^\d{4}-\d{2}$")


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KB"


def not_found(request: Request) -> Response:
    return render(request, "gone.html", {"errors": Errors()}, status=404, page="bulk")


JOB_STATE_LABELS = {"uploaded": "待确认读法", "queued": "排队中", "running": "正在筛查", "done": "已完成", "failed": "未完成"}


def upload_form(request: Request, store: JobStore, limit: int, user: Any) -> Response:
    store.sweep()
    errors = Errors()
    code = request.query_params.get("error", "")
    if code in UPLOAD_ERRORS:
        errors.add(FILE_FIELD, UPLOAD_ERRORS[code].format(limit=_size(limit)))
    jobs = store.recent(unit=None if user.role.value == "admin" else user.unit)
    return render(request, "bulk.html", {"errors": errors, "limit": _size(limit), "ttl_hours": store.ttl / 3600,
                                         "file_field": FILE_FIELD, "accept": ",".join(INPUT_SUFFIXES), "jobs": jobs, "job_states": JOB_STATE_LABELS,
                                         "when": lambda t: time.strftime("%Y-%m-%d %H:%M", time.localtime(float(t)))},
                  page="bulk")


def job_page(request: Request, store: JobStore, job_id: str, *, errors: Errors | None = None,
             report_values: dict[str, str] | None = None,
             reading: tuple[int | None, tuple[str, ...]] | None = None, extra: dict[str, Any] | None = None) -> Response:
    state = store.state(job_id)
    if state is None:
        return not_found(request)
    ctx: dict[str, Any] = {"job": state, "errors": errors or Errors(), "kinds": KIND_LABELS}
    if state["state"] == "uploaded":
        header_row, sheets = reading or _reading_options(request.query_params)
        ctx.update(preview=store.preview(job_id, header_row=header_row, sheets=sheets), fields=COLUMN_FIELDS,
                   today=date.today().isoformat(), header_row=header_row or "", chosen_sheets=sheets)
    elif state["state"] in ("queued", "running"):
        elapsed = max(time.time() - float(state.get("started") or time.time()), 0.001)
        done, total = int(state.get("rows_done") or 0), state.get("total")
        ctx.update(elapsed=elapsed, rate=done / elapsed, percent=min(99, int(done * 100 / total)) if total else None)
    elif state["state"] == "done":
        from .cyclepages import ingest_context

        ctx.update(_results(request, store, job_id, state))
        user = getattr(request.state, "user", None)
        month = (extra or {}).get("ingest", {}).get("month") or _as_of_month(state)
        ctx["report"] = report_values or {"month": month, "unit": getattr(user, "unit", ""), "filler": getattr(user, "name", "")}
        if user is not None:
            ctx.update(ingest_context(store, job_id, state, user))
        ctx.update(extra or {})
    return render(request, "job.html", ctx, page="bulk")


def _as_of_month(state: dict[str, Any]) -> str:
    """The month of the job's 核查日期 (today's when none was given)."""
    as_of = (state.get("options") or {}).get("as_of") or ""
    try:
        return date.fromisoformat(as_of).strftime("%Y-%m")
    except ValueError:
        return date.today().strftime("%Y-%m")


def _results(request: Request, store: JobStore, job_id: str, state: dict[str, Any]) -> dict[str, Any]:
    folder = store.folder(job_id)
    assert folder is not None
    flagged = store.flagged(job_id)
    q = request.query_params
    action, keyword, category, name = q.get("action", ""), q.get("keyword", ""), q.get("category", ""), q.get("q", "").strip()
    rows = [
        r for r in flagged
        if (not action or r["action"] == action)
        and (not keyword or keyword in r["keywords"].split("|"))
        and (not category or category in r["categories"].split("|"))
        and (not name or name in r["name"])
    ]
    pages = max(1, -(-len(rows) // PAGE_ROWS))
    try:
        page = min(max(int(q.get("page", "1")), 1), pages)
    except ValueError:
        page = 1
    shown = rows[(page - 1) * PAGE_ROWS: page * PAGE_ROWS]
    for r in shown:
        spans = [(h, _SpanHit(Field(h["field"]), int(h["start"]), int(h["end"]), h["keyword"], h["category"]))
                 for h in r["hits"] if h.get("field") in ("name", "scope")
                 and isinstance(h.get("start"), int) and isinstance(h.get("end"), int)]
        r["name_segments"] = segments(r["name"], [s for _, s in spans], Field.NAME)
        # a hit in one of several scope columns names its column; with one column it need not
        r["scope_segments"] = [
            segments(text, [s for h, s in spans if h.get("column", column) == column], Field.SCOPE)
            for column, text in r["scopes"]
        ]
    filters = {"action": action, "keyword": keyword, "category": category, "q": name}
    query = urlencode({k: v for k, v in filters.items() if v})
    return {
        "summary": state["summary"], "rows": shown, "matching": len(rows), "flagged_total": len(flagged),
        "page_no": page, "pages": pages, "filters": filters, "query": query,         "action_filters": ACTION_FILTER_LABELS, "category_labels": {str(int(c)): c.label for c in Category},
        "action_labels": {a.value: a.label for a in Action} | {"error": "无法筛查"},
        "xlsx": state.get("xlsx", "ready" if (folder / "screened.xlsx").is_file() else "failed"),
        "xlsx_problem": state.get("xlsx_problem", ""),
    }


class _SpanHit:
    """A hit as the results file holds it: enough for marking it in place."""

    __slots__ = ("field", "start", "end", "keyword", "category")

    def __init__(self, field: Field, start: int, end: int, keyword: str, category: int) -> None:
        self.field, self.start, self.end, self.keyword, self.category = field, start, end, keyword, category


def _reading_options(values: Any) -> tuple[int | None, tuple[str, ...]]:
    """The header row and sheets the user chose (from a query or a form); bad ones are ignored."""
    raw = values.get("header_row", "")
    header_row = int(raw) if isinstance(raw, str) and raw.strip().isdigit() and 0 < int(raw) < 1_000_000 else None
    sheets = tuple(v for v in values.getlist("sheet") if isinstance(v, str) and v)[:100]
    return header_row, sheets


async def start_job(request: Request, store: JobStore, job_id: str) -> Response:
    state = store.state(job_id)
    if state is None:
        return not_found(request)
    if state["state"] != "uploaded":
        return RedirectResponse(f"/bulk/jobs/{job_id}", status_code=303)
    form = await request.form()
    errors = Errors()
    if not csrf_ok(request, form.get(CSRF_FIELD)):
        errors.add("col-name", "页面已过期，请再点一次“开始筛查”")
        return job_page(request, store, job_id, errors=errors, reading=_reading_options(form))
    header_row, sheets = _reading_options(form)
    header = store.preview(job_id, header_row=header_row, sheets=sheets)["header"]
    columns = {}
    for key, label in COLUMN_FIELDS:
        value = text(form, f"col-{key}")
        if value and value not in header:
            errors.add(f"col-{key}", f"{label}列“{value}”不在文件中")
            value = ""
        columns[key] = value
    if not columns["name"]:
        errors.add("col-name", "请选择哪一列是名称")
    kind = text(form, "kind") or Kind.EXISTING.value
    if kind not in {k.value for k in Kind}:
        errors.add("kind-existing", "请选择登记类型")
    as_of = day(form, "as_of", "核查日期", errors)  # 年-月-日, typed whatever the browser's locale
    if errors:
        return job_page(request, store, job_id, errors=errors, reading=(header_row, sheets))
    store.start(job_id, columns=columns, kind=kind, as_of=as_of, header_row=header_row, sheets=sheets)
    return RedirectResponse(f"/bulk/jobs/{job_id}", status_code=303)


async def rerun_job(request: Request, store: JobStore, job_id: str) -> Response:
    """重新筛查: an interrupted job queued again with the reading the user chose, its input
    checked against what was received."""
    state = store.state(job_id)
    if state is None:
        return not_found(request)
    form = await request.form()
    errors = Errors()
    if not csrf_ok(request, form.get(CSRF_FIELD)):
        errors.add("rerun", "页面已过期，请再点一次“重新筛查”")
    elif state.get("state") == "failed" and state.get("interrupted") and not store.rerun(job_id):
        errors.add("rerun", "无法重新筛查：上传的文件不完整或已被改动，请重新上传。")
    if errors:
        return job_page(request, store, job_id, errors=errors)
    return RedirectResponse(f"/bulk/jobs/{job_id}", status_code=303)


def download(request: Request, store: JobStore, job_id: str, name: str) -> Response:
    state = store.state(job_id)
    folder = store.folder(job_id)
    if state is None or folder is None or state["state"] != "done" or name not in ("screened.csv", "screened.xlsx"):
        return not_found(request)
    path = folder / name
    if not path.is_file():
        return not_found(request)
    return FileResponse(path, filename=f"筛查结果-{job_id[:8]}{path.suffix}", headers={"Cache-Control": "no-store"})


def report(request: Request, store: JobStore, job_id: str) -> Response:
    state = store.state(job_id)
    folder = store.folder(job_id)
    if state is None or folder is None or state["state"] != "done":
        return not_found(request)
    q = request.query_params
    values = {"month": q.get("month", "").strip(), "unit": q.get("unit", "").strip()[:100], "filler": q.get("filler", "").strip()[:50]}
    errors = Errors()
    if not _MONTH.match(values["month"]):
        errors.add("month", "月份应为“年-月”，例如 2025-06")
    if not values["unit"]:
        errors.add("unit", "请输入填报单位")
    if not errors:
        header = ReportHeader(month=values["month"], unit=values["unit"], filler=values["filler"], preview=True)
        output = folder / f"report-{values['month']}.xlsx"
        try:
            header.title  # noqa: B018 - a bad month fails here
            write_report(report_rows(folder / "screened.csv"), header, output)
        except (ReportError, TableError, ScreeningInputError, ValueError) as exc:
            errors.add("month", f"无法生成排查统计表：{exc}")
        else:
            return FileResponse(output, filename=f"{header.title}.xlsx", headers={"Cache-Control": "no-store"})
    return job_page(request, store, job_id, errors=errors, report_values=values)
