"""台账: the month's clues by state, one entity's findings, history and disposals, the
reviewer's decisions and the disposal form, and the ledger's reports — all on the
ledger's own functions (the same as `fangfei-screen ledger …`)."""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from datetime import date
from dataclasses import asdict
from pathlib import Path
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response

from ..models import FIELD_LABELS, Action
from ..report import ReportError, ReportHeader, write_report
from .csrf import CSRF_FIELD, csrf_ok
from .forms import Errors, text
from .render import render

STATE_LABELS = {
    "new": "新发", "recurring": "持续", "resolved": "已消除", "missing": "本月缺失待核", "closed": "已注销/吊销/撤销/迁出",
    "other_sense": "认定为其他含义", "disposed": "已处置", "licence_pending": "待核实牌照", "licensed": "已核实持牌",
}
DECISION_LABELS = {"other_sense": "其他含义（不计入）", "confirmed": "确认涉金融"}
FIELD_NAMES = FIELD_LABELS
# The disposal form, in Attachment 3's order: (field, label, hint)
DISPOSAL_FIELDS = (
    ("measure", "处置措施", ""), ("date", "处置日期", "年-月-日；不填为今天"), ("description", "风险情况描述", ""),
    ("authority", "负责处置的行政机关", ""), ("region", "涉及地区", ""), ("channel", "集资渠道", ""),
    ("amount", "集资金额（万元）", ""), ("unrefunded_amount", "未清退金额（万元）", ""), ("participants", "参与集资人数", ""),
    ("unrefunded_people", "未清退人数", ""), ("police", "是否移送公安", "是或否；处置措施为“移送公安”时即为“是”"), ("case_date", "立案时间", "年-月-日"),
    ("admin_finding", "行政认定", ""), ("penalty_date", "作出处罚时间", "年-月-日"), ("penalty_type", "处罚类型", ""),
    ("refunded_amount", "已清退资金金额（万元）", ""), ("remark", "备注", ""),
)
HISTORY_LABELS = {
    "review_other_sense": "认定为其他含义", "review_confirmed": "确认涉金融", "disposed": "记录处置",
    "licence_verified": "核实持牌", "licence_missing": "核实无金融牌照",
}
REPORTS = {"attachment2": "排查统计表（附件2，本月新发线索）", "attachment3": "处置情况统计表（附件3）", "feedback": "重点监管对象反馈名单"}


class Forbidden(Exception):
    """The signed-in user may not see or do this."""


def can_see(user: Any, unit: str) -> bool:
    return user.role.value in ("reviewer", "admin") or user.unit == unit


def can_review(user: Any) -> bool:
    return user.role.value in ("reviewer", "admin")


def can_dispose(user: Any, unit: str) -> bool:
    return user.role.value == "admin" or (user.role.value == "clerk" and user.unit == unit)


def forbidden(request: Request, message: str) -> Response:
    return render(request, "forbidden.html", {"errors": Errors(), "message": message}, status=403, page="ledger")


def clues_page(request: Request, ledger: Any, user: Any) -> Response:
    from ..ledger import LedgerError
    from ..ledger.months import parse_month
    from ..ledger.queries import LIST_STATES, list_clues

    q = request.query_params
    errors = Errors()
    month = q.get("month", "").strip()
    state = q.get("state", "")
    unit = user.unit if user.role.value == "clerk" else q.get("unit", "").strip()
    if month:
        try:
            month = parse_month(month)
        except (LedgerError, ValueError):
            errors.add("month", "月份应为“年-月”，例如 2025-06")
            month = ""
    if state not in LIST_STATES:
        state = ""
    everything = list_clues(ledger, month=month or None, unit=unit or None)
    counts = Counter(c["state"] for c in everything)
    counts["other_sense"] = sum(c["other_sense"] for c in everything)
    counts["disposed"] = sum(c["disposed"] for c in everything)
    shown = [c for c in everything if not state or c["state"] == state or (state == "other_sense" and c["other_sense"])
             or (state == "disposed" and c["disposed"])]
    units = sorted({c["unit"] for c in list_clues(ledger)}) if user.role.value != "clerk" else [user.unit]
    return render(request, "ledger.html", {
        "errors": errors, "clues": shown[:500], "total": len(shown), "counts": counts, "states": STATE_LABELS,
        "month": month, "state": state, "unit": unit, "units": units, "reports": REPORTS,
        **_send_context(ledger, user, month or date.today().strftime("%Y-%m"), q),
    }, page="ledger")


def _send_context(ledger: Any, user: Any, month: str, q: Any) -> dict[str, Any]:
    """报送本月 for a clerk: the month's state (已报送 / 报送后有修改 / 未报送 / 逾期)."""
    from ..ledger.sending import month_state

    if user.role.value != "clerk":
        return {"send": None, "send_month": month}
    return {"send": month_state(ledger, unit=user.unit, month=month), "send_month": month,
            "sent_now": q.get("sent") == "1", "send_error": q.get("sent_error", "")[:200]}


def entity_page(request: Request, ledger: Any, user: Any, *, key: str | None = None, errors: Errors | None = None,
                values: dict[str, str] | None = None, notice: str = "") -> Response:
    from ..ledger import LedgerError
    from ..ledger.decisions import DECISIONS
    from ..ledger.forms import MEASURES, PENALTY_TYPES, YES_NO
    from ..ledger.queries import history_of, show

    from ..ledger.county import list_key_cases
    from ..ledger.history import sentence

    key = key if key is not None else request.query_params.get("key", "")
    try:
        entity = show(ledger, key)
        _, history = history_of(ledger, entity["key"])
        for h in history:
            h["sentence"] = sentence(h)
    except LedgerError:
        return render(request, "gone.html", {"errors": Errors(), "what": "台账中没有这个主体"}, status=404, page="ledger")
    if not can_see(user, entity["unit"]):
        return forbidden(request, f"您是{user.unit}的用户，不能查看{entity['unit']}的台账。")
    return render(request, "entity.html", {
        "errors": errors or Errors(), "e": entity, "history": history, "states": STATE_LABELS, "decisions": DECISION_LABELS,
        "decision_keys": DECISIONS, "field_names": FIELD_NAMES, "disposal_fields": DISPOSAL_FIELDS, "values": values or {},
        "measures": MEASURES, "penalty_types": PENALTY_TYPES, "yes_no": YES_NO, "notice": notice or request.query_params.get("done", ""),
        "key_case": next((c for c in list_key_cases(ledger) if c.key == entity["key"]), None),
        "may_review": can_review(user), "history_labels": HISTORY_LABELS, "action_labels": {a.value: a.label for a in Action},
        "licence_due": entity["licence"] is not None or any(m["action"] == Action.VERIFY_LICENCE.value or m["state"] in ("licence_pending", "licensed") for m in entity["months"]),
        "more_open": any((values or {}).get(n) for n, _, _ in DISPOSAL_FIELDS[5:]) or any(e.field_id in {f"d-{n}" for n, _, _ in DISPOSAL_FIELDS[5:]} for e in (errors or Errors()).items), "may_dispose": can_dispose(user, entity["unit"]),
    }, page="ledger")


async def review_post(request: Request, ledger: Any, user: Any) -> Response:
    from ..ledger import LedgerError
    from ..ledger.decisions import DECISIONS, review
    from ..ledger.queries import show

    form = await request.form()
    key = text(form, "key")
    values = {k: text(form, k) for k in ("term_field", "decision", "reason")}
    try:
        entity = show(ledger, key)
    except LedgerError:
        return render(request, "gone.html", {"errors": Errors(), "what": "台账中没有这个主体"}, status=404, page="ledger")
    if not can_see(user, entity["unit"]) or not can_review(user):
        return forbidden(request, "只有复核人员可以认定字样的含义。")
    errors = Errors()
    if not csrf_ok(request, form.get(CSRF_FIELD)):
        return forbidden(request, "页面已过期，请返回后重新提交。")
    term, _, field = values["term_field"].partition("|")
    if not any(f["term"] == term and f["field"] == field for f in entity["findings"]):
        errors.add("term_field", "请选择要认定的字样")
    if values["decision"] not in DECISIONS:
        errors.add("decision-other_sense", "请选择认定结论")
    if values["decision"] == "other_sense" and not values["reason"]:
        errors.add("reason", "认定为其他含义时，请写明理由")
    if not errors:
        try:
            review(ledger, entity["key"], term=term, field=field, decision=values["decision"], by=user.name, reason=values["reason"])
        except LedgerError as exc:
            errors.add("term_field", str(exc))
    if errors:
        return entity_page(request, ledger, user, key=entity["key"], errors=errors, values=values)
    return RedirectResponse(f"/ledger/entity?key={_q(entity['key'])}&done=review#findings", status_code=303)


async def licence_post(request: Request, ledger: Any, user: Any) -> Response:
    """The reviewer's licence finding for a 待核实牌照 entity: the function of `ledger review --licensed/--unlicensed`."""
    from ..ledger import LedgerError
    from ..ledger.decisions import review_licence
    from ..ledger.queries import show

    form = await request.form()
    key = text(form, "key")
    values = {k: text(form, k, limit=200) for k in ("licence", "licence_no", "issuer")}
    try:
        entity = show(ledger, key)
    except LedgerError:
        return render(request, "gone.html", {"errors": Errors(), "what": "台账中没有这个主体"}, status=404, page="ledger")
    if not can_see(user, entity["unit"]) or not can_review(user):
        return forbidden(request, "只有复核人员可以记录牌照核实结果。")
    if not csrf_ok(request, form.get(CSRF_FIELD)):
        return forbidden(request, "页面已过期，请返回后重新提交。")
    errors = Errors()
    if values["licence"] not in ("licensed", "unlicensed"):
        errors.add("licence-licensed", "请选择核实结果")
    elif values["licence"] == "licensed":
        if not values["licence_no"]:
            errors.add("licence_no", "持牌时请填写许可证编号")
        if not values["issuer"]:
            errors.add("issuer", "持牌时请填写发证机关")
    if not errors:
        try:
            review_licence(ledger, entity["key"], licensed=values["licence"] == "licensed", by=user.name,
                           licence_no=values["licence_no"], issuer=values["issuer"])
        except LedgerError as exc:
            errors.add("licence-licensed", str(exc))
    if errors:
        return entity_page(request, ledger, user, key=entity["key"], errors=errors, values=values)
    return RedirectResponse(f"/ledger/entity?key={_q(entity['key'])}&done=licence#licence", status_code=303)


async def dispose_post(request: Request, ledger: Any, user: Any) -> Response:
    from ..ledger import LedgerError
    from ..ledger.decisions import dispose
    from ..ledger.clues import iso_day
    from ..ledger.forms import Disposal
    from ..ledger.queries import show

    form = await request.form()
    key = text(form, "key")
    values = {name: text(form, name, limit=2000) for name, _, _ in DISPOSAL_FIELDS}
    for name in ("date", "case_date", "penalty_date"):  # 年-月-日 as typed: 2025/6/20 and 2025年6月20日 too
        values[name] = iso_day(values[name])
    try:
        entity = show(ledger, key)
    except LedgerError:
        return render(request, "gone.html", {"errors": Errors(), "what": "台账中没有这个主体"}, status=404, page="ledger")
    if not can_dispose(user, entity["unit"]):
        return forbidden(request, f"只有{entity['unit']}的登记人员或管理员可以记录处置。")
    if not csrf_ok(request, form.get(CSRF_FIELD)):
        return forbidden(request, "页面已过期，请返回后重新提交。")
    errors = Errors()
    disposal = Disposal(**values).cleaned()
    # The same validation as `ledger import` and `ledger dispose`: Disposal.problems().
    checked = disposal if disposal.date else Disposal(**{**asdict(disposal), "date": "2000-01-01"})
    for name, message in checked.problems().items():
        errors.add(f"d-{name}", message)
    if not errors:
        try:
            _, recorded = dispose(ledger, entity["key"], disposal, by=user.name)
        except LedgerError as exc:
            errors.add("d-measure", str(exc))
        else:
            done = "disposed" if recorded else "same"
            return RedirectResponse(f"/ledger/entity?key={_q(entity['key'])}&done={done}#disposals", status_code=303)
    return entity_page(request, ledger, user, key=entity["key"], errors=errors, values=values)


def report_download(request: Request, ledger: Any, user: Any, what: str) -> Response:
    from ..ledger import LedgerError
    from ..ledger.months import parse_month
    from ..ledger.reports import attachment2_rows, attachment3_rows, feedback_rows, write_attachment3, write_feedback

    q = request.query_params
    if what not in REPORTS:
        return render(request, "gone.html", {"errors": Errors(), "what": "没有这种报表"}, status=404, page="ledger")
    unit = user.unit if user.role.value == "clerk" else q.get("unit", "").strip()
    reporter = (q.get("reporter", "").strip() or unit or user.unit)[:100]
    filler = (q.get("filler", "").strip() or user.name)[:50]
    try:
        month = parse_month(q.get("month", "").strip())
    except (LedgerError, ValueError):
        errors = Errors()
        errors.add("month", "下载报表前，请填写月份（年-月，例如 2025-06）")
        return _with_errors(request, ledger, user, errors)
    tmp = Path(tempfile.mkdtemp(prefix="fangfei-web-report-"))
    try:
        if what == "attachment2":
            header = ReportHeader(month=month, unit=reporter, filler=filler)
            output = tmp / "report.xlsx"
            write_report(attachment2_rows(ledger, month=month, unit=unit or None), header, output)
            name = f"{header.title}.xlsx"
        elif what == "attachment3":
            output = tmp / "attachment3.xlsx"
            write_attachment3(attachment3_rows(ledger, month=month, unit=unit or None), month=month, unit=reporter, output=output, filler=filler)
            name = f"{month}处置情况统计表.xlsx"
        else:
            output = tmp / "feedback.xlsx"
            write_feedback(feedback_rows(ledger, month=month, unit=unit or None), month=month, output=output, unit=unit)
            name = f"{month}重点监管对象反馈名单.xlsx"
    except (ReportError, LedgerError, ValueError) as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        errors = Errors()
        errors.add("month", f"无法生成报表：{exc}")
        return _with_errors(request, ledger, user, errors)
    return FileResponse(output, filename=name, headers={"Cache-Control": "no-store"},
                        background=BackgroundTask(shutil.rmtree, tmp, ignore_errors=True))


def _with_errors(request: Request, ledger: Any, user: Any, errors: Errors) -> Response:
    from ..ledger.queries import list_clues

    unit = user.unit if user.role.value == "clerk" else ""
    everything = list_clues(ledger, unit=unit or None)
    counts = Counter(c["state"] for c in everything)
    units = sorted({c["unit"] for c in everything}) if user.role.value != "clerk" else [user.unit]
    return render(request, "ledger.html", {
        "errors": errors, "clues": everything[:500], "total": len(everything), "counts": counts, "states": STATE_LABELS,
        "month": "", "state": "", "unit": unit, "units": units, "reports": REPORTS,
        **_send_context(ledger, user, date.today().strftime("%Y-%m"), request.query_params),
    }, page="ledger")


def _q(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")
