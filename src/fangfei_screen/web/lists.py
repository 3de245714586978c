"""清单: the lists in service, their terms by category, and a diff with an uploaded list."""

from __future__ import annotations

import tempfile
from itertools import groupby
from pathlib import Path
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from ..lexicon import KeywordList, KeywordListError, load_list
from ..licences import LicenceRegisterError
from ..listtools import describe_list, describe_term, diff_lists
from ..models import Category, SuppressReason
from ..screener import Screener
from .csrf import CSRF_FIELD, csrf_ok
from .forms import Errors, text
from .render import render

LIST_UPLOAD_LIMIT = 900_000  # under the service's 1 MB body limit, so the page can say so itself
EXCLUSION_REASONS = {
    SuppressReason.PLACE_NAME.value: "地名", SuppressReason.EXCLUSION.value: "排除", SuppressReason.OTHER_SENSE.value: "另一词义",
}
EFFECT_LABELS = {"restrict": "限制登记", "supervise": "仅标记重点监管"}


def _lists_context(screener: Screener) -> dict[str, Any]:
    lists = []
    for kl in screener.lists:
        terms = sorted(kl.terms, key=lambda t: int(t.category))
        by_category = [
            (Category(c), [describe_term(t) for t in group]) for c, group in groupby(terms, key=lambda t: int(t.category))
        ]
        lists.append({"info": describe_list(kl), "count": len(kl.terms), "by_category": by_category})
    return {"lists": lists, "effects": EFFECT_LABELS, "exclusion_reasons": EXCLUSION_REASONS, "diff": None}


def lists_page(request: Request, screener: Screener) -> Response:
    return render(request, "lists.html", {**_lists_context(screener), "errors": Errors(), "against": "0"}, page="lists")


def compare_upload(old: KeywordList, data: bytes) -> dict[str, Any]:
    """Parse an uploaded list and compare it with ``old``: {"diff", "sha256"} or
    {"problems": [...]}. Pure Python and slow on a large list: the pages run it in a
    worker process."""
    with tempfile.TemporaryDirectory(prefix="fangfei-list-") as tmp:
        path = Path(tmp) / "uploaded.yaml"  # never the uploaded file's own name
        path.write_bytes(data)
        try:
            new = load_list(path)
        except KeywordListError as exc:
            problems = []
            for p in exc.problems[:50]:
                where = f"第 {p.line} 行" if p.line else "文件"
                problems.append(f"上传的清单{where}{f'（{p.entry}）' if p.entry else ''}：{p.message}")
            return {"problems": problems}
    return {"diff": diff_lists(old, new).to_dict(), "sha256": new.sha256}


async def lists_diff(
    request: Request, screener: Screener, *, compare: Callable[[KeywordList, bytes], Awaitable[dict[str, Any]]]
) -> Response:
    """The lists page with the diff of an uploaded list; ``compare`` runs :func:`compare_upload`
    off the event loop."""
    form = await request.form()
    errors = Errors()
    ctx = _lists_context(screener)
    against = text(form, "against") or "0"
    upload = form.get("list_file")
    forged = not csrf_ok(request, form.get(CSRF_FIELD))
    if forged:
        errors.add("list_file", "页面已过期，请重新选择文件后再比较")
    elif not isinstance(upload, UploadFile) or not upload.filename:
        errors.add("list_file", "请选择要比较的清单文件（YAML）")
    old = screener.lists[int(against)] if against.isdigit() and int(against) < len(screener.lists) else screener.lists[0]
    if not errors and isinstance(upload, UploadFile):
        data = await upload.read(LIST_UPLOAD_LIMIT + 1)
        if len(data) > LIST_UPLOAD_LIMIT:
            errors.add("list_file", f"清单文件不能超过 {LIST_UPLOAD_LIMIT // 1000} KB")
        else:
            compared = await compare(old, data)
            for problem in compared.get("problems", []):
                errors.add("list_file", problem)
            if "diff" in compared:
                ctx["diff"] = compared["diff"]
                ctx["diff_new_sha256"] = compared["sha256"]
    return render(request, "lists.html", {**ctx, "errors": errors, "against": against},
                  status=403 if forged else 200, page="lists")


async def lists_reload(
    request: Request,
    user: Any,
    *,
    screener: Callable[[], Screener],
    reload: Callable[[], Awaitable[tuple[Screener, Screener]]] | None,
) -> Response:
    """An admin re-reads the list files the service was started with (as /v1/keywords/reload)."""
    from .ledgerpages import forbidden

    form = await request.form()
    if user.role.value != "admin":
        return forbidden(request, "只有管理员可以重新加载清单。")
    if not csrf_ok(request, form.get(CSRF_FIELD)):
        return forbidden(request, "页面已过期，请返回后重新提交。")
    errors = Errors()
    reloaded = None
    if reload is None:
        errors.add("reload", "本服务未开放重新加载清单")
    else:
        try:
            old, new = await reload()
        except KeywordListError as exc:
            for p in exc.problems[:50]:
                errors.add("reload", f"清单文件有误，仍使用原清单：{p}")
        except LicenceRegisterError as exc:
            errors.add("reload", f"持牌机构名录有误，仍使用原名录：{exc}")
        else:
            reloaded = {"old": old.list_version, "new": new.list_version, "sha256": new.list_sha256}
    ctx = _lists_context(screener())
    return render(request, "lists.html", {**ctx, "errors": errors, "against": "0", "reloaded": reloaded}, page="lists")
