"""The pages for the registration desk and the township offices (issue 13).

Server-rendered Chinese pages on the same FastAPI app as the HTTP service, calling the
same library functions as the CLI. Every asset is a file of this package.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from ..screener import Screener
from .settings import WebSettings

__all__ = ["WebSettings", "mount_web"]


def mount_web(
    app: FastAPI,
    *,
    screener: Callable[[], Screener],
    reload: Callable[..., Awaitable[tuple[Screener, Screener]]] | None = None,
    settings: WebSettings | None = None,
    checks: Any = None,
    counted: Callable[..., None] | None = None,
) -> Callable[[], Any]:
    """Add the pages to ``app``; ``screener`` returns the screener serving right now, and
    ``reload`` (the service's own) re-reads the list files for an admin's button;
    ``checks`` (the service's serving.book.CheckBook) records each check of the page, and
    ``counted`` (the service's Metrics.count_checks) counts it with the API's.

    Call it after the app's own middleware is added: the upload endpoint sits outside
    them, with its own size limit. Returns the pages' ledger opener (None while there is
    no ledger database), for the service to record the list in use.
    """
    from . import bulk, check, checkpages, cyclepages, ledgerpages, lists
    from .auth import Accounts, clear_session_cookie, client_address, local_path, set_session_cookie
    from .csrf import CSRF_FIELD, csrf_ok
    from .forms import Errors, text
    from .jobs import JobStore
    from .offload import Busy, Offload
    from .render import render
    from .upload import UploadEndpoint, UploadGate

    settings = settings or WebSettings.from_env()
    accounts = Accounts(settings.db)
    # with a ledger database the jobs and their queue live in it, shared by every worker
    store = JobStore(settings.jobs_dir, ttl=settings.job_ttl, screener=screener, at_once=settings.jobs_at_once,
                     ledger=accounts.ledger)
    try:
        store.sweep()  # and this process starts taking its share of the queue
    except Exception:  # noqa: BLE001 - a ledger that cannot be opened now: the pages say so when asked
        pass
    app.state.jobs = store  # read by the service's /metrics
    offload = Offload()
    router = APIRouter(include_in_schema=False)

    def who(request: Request) -> Any:
        """The signed-in user (also kept for the page header), or None. Reads the
        database: from a worker thread only."""
        try:
            user = accounts.user(request)
        except Exception:  # an unreachable or busy ledger must not take the public pages down
            user = None
        request.state.user = user
        return user

    app.state.web_user = who  # for the service's /v1/checks/{id}: a signed-in user of the check's unit may read it

    async def who_async(request: Request) -> Any:
        return await offload.thread(who, request)

    def signed_in(page: Callable[[Request, Any], Any]) -> Callable[[Request], Awaitable[Response]]:
        """The page for a signed-in user; others are sent to sign in and back. The whole
        page (database, files, its form's handling) runs in a worker thread."""

        def sync_part(request: Request) -> Any:
            user = who(request)
            if user is None:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/signin?next={_quote(target)}", status_code=303)
            result = page(request, user)
            return _finish(result) if inspect.isawaitable(result) else result

        async def guarded(request: Request) -> Response:
            if request.method == "POST":
                await request.form()  # read on the loop; the page's own read finds it
            return await offload.thread(sync_part, request)

        return guarded

    def ledger_or_message(request: Request | None = None) -> Any:
        try:
            return accounts.ledger()
        except Exception:
            return None

    @router.get("/")
    def check_form(request: Request) -> Response:
        who(request)
        return check.check_form(request)

    @router.post("/")
    async def check_post(request: Request) -> Response:
        async def page(req: Request) -> Response:
            user = who(req)
            return await check.check_post(req, screener, book=checks, user=user, counted=counted)

        return await offload.page(request, page)

    @router.get("/lists")
    def lists_page(request: Request) -> Response:
        who(request)
        return lists.lists_page(request, screener())

    @router.post("/lists")
    async def lists_diff(request: Request) -> Response:
        await request.form()
        await who_async(request)
        return await lists.lists_diff(request, screener(), compare=lambda old, data: offload.process(lists.compare_upload, old, data))

    # -- signing in ------------------------------------------------------------

    @router.get("/signin")
    def signin_form(request: Request) -> Response:
        who(request)
        no_users = ledger_or_message(request) is None
        return render(request, "signin.html", {"errors": Errors(), "next": local_path(request.query_params.get("next", "/")),
                                               "no_users": no_users}, page="signin")

    def signin_sync(request: Request, form: Any) -> Response:
        who(request)
        target = local_path(text(form, "next") or "/")
        errors = Errors()
        status, headers = 200, {}
        outcome = None
        if not csrf_ok(request, form.get(CSRF_FIELD)):
            errors.add("token", "页面已过期，请再登录一次")
        else:
            try:
                outcome = accounts.sign_in(text(form, "token", limit=200), client=client_address(request))
            except Exception:  # a ledger that cannot be opened (or is busy): say so, in words
                errors.add("token", "无法打开台账数据库，暂时不能登录；请联系管理员")
            if outcome is not None and outcome.wait > 0:
                seconds = max(1, int(outcome.wait + 0.999))
                errors.add("token", f"登录失败次数过多，请在 {seconds} 秒后再试")
                status, headers = 429, {"Retry-After": str(seconds)}
            elif outcome is not None and outcome.no_ledger:
                errors.add("token", "本服务还没有台账数据库，没有可登录的用户：请管理员检查 serve 的 --db（或 FANGFEI_DB）")
            elif outcome is not None and outcome.user is None:
                errors.add("token", "令牌不正确，或该用户已停用")
        if errors:
            request.state.user = None
            response = render(request, "signin.html", {"errors": errors, "next": target,
                                                       "no_users": ledger_or_message(request) is None},
                              status=status, page="signin")
            response.headers.update(headers)
            return response
        assert outcome is not None
        response = RedirectResponse(target, status_code=303)
        set_session_cookie(request, response, outcome.sid)
        return response

    @router.post("/signin")
    async def signin(request: Request) -> Response:
        form = await request.form()
        return await offload.thread(signin_sync, request, form)

    def signout_sync(request: Request) -> None:
        try:
            accounts.sign_out(request)  # whatever the form sends: the session ends on the server
        except Exception:
            pass  # the cookie still goes; an unreachable ledger's session cannot be used either

    @router.post("/signout")
    async def signout(request: Request) -> Response:
        await request.form()
        await offload.thread(signout_sync, request)
        response = RedirectResponse("/", status_code=303)
        clear_session_cookie(request, response)
        return response

    # -- bulk ------------------------------------------------------------------

    def job_allowed(user: Any, job_id: str) -> bool:
        state = store.state(job_id)
        return state is None or user.role.value == "admin" or state.get("unit") == user.unit

    def job_route(page: Callable[..., Any]) -> Callable[[Request], Awaitable[Response]]:
        def inner(request: Request, user: Any) -> Any:
            job_id = request.path_params["job_id"]
            if not job_allowed(user, job_id):
                return bulk.not_found(request)  # another unit's job reads as absent
            return page(request, job_id)

        return signed_in(inner)

    router.add_api_route("/bulk", signed_in(lambda r, u: bulk.upload_form(r, store, settings.upload_limit, u)), methods=["GET"])
    router.add_api_route("/bulk/jobs/{job_id}", job_route(lambda r, j: bulk.job_page(r, store, j)), methods=["GET"])
    router.add_api_route("/bulk/jobs/{job_id}/start", job_route(lambda r, j: bulk.start_job(r, store, j)), methods=["POST"])
    router.add_api_route("/bulk/jobs/{job_id}/rerun", job_route(lambda r, j: bulk.rerun_job(r, store, j)), methods=["POST"])
    router.add_api_route("/bulk/jobs/{job_id}/files/{name}",
                         job_route(lambda r, j: bulk.download(r, store, j, r.path_params["name"])), methods=["GET"])
    router.add_api_route("/bulk/jobs/{job_id}/report", job_route(lambda r, j: bulk.report(r, store, j)), methods=["GET"])

    def ingest_route(request: Request, user: Any) -> Any:
        job_id = request.path_params["job_id"]
        if not job_allowed(user, job_id) or user.role.value == "reviewer":
            return bulk.not_found(request)
        return cyclepages.ingest_post(request, store, job_id, accounts, user, missing=bulk.not_found,
                                      show=lambda r, s, j, **kw: bulk.job_page(r, s, j, **kw))

    router.add_api_route("/bulk/jobs/{job_id}/ingest", signed_in(ingest_route), methods=["POST"])

    # -- ledger ----------------------------------------------------------------

    def with_ledger(page: Callable[..., Any]) -> Callable[[Request], Awaitable[Response]]:
        def inner(request: Request, user: Any) -> Any:
            return page(request, accounts.ledger(), user)

        return signed_in(inner)

    router.add_api_route("/ledger", with_ledger(ledgerpages.clues_page), methods=["GET"])
    router.add_api_route("/ledger/entity", with_ledger(ledgerpages.entity_page), methods=["GET"])
    router.add_api_route("/ledger/entity/review", with_ledger(ledgerpages.review_post), methods=["POST"])
    router.add_api_route("/ledger/entity/licence", with_ledger(ledgerpages.licence_post), methods=["POST"])
    router.add_api_route("/ledger/entity/dispose", with_ledger(ledgerpages.dispose_post), methods=["POST"])
    router.add_api_route("/ledger/clues/new", with_ledger(cyclepages.clue_form), methods=["GET"])
    router.add_api_route("/ledger/clues/new", with_ledger(cyclepages.clue_post), methods=["POST"])
    router.add_api_route("/ledger/send", with_ledger(cyclepages.send_post), methods=["POST"])
    router.add_api_route("/ledger/sent/{sent_id}/{which}", with_ledger(cyclepages.sent_download), methods=["GET"])
    router.add_api_route("/ledger/county", with_ledger(cyclepages.county_page), methods=["GET"])
    router.add_api_route("/ledger/county/{which}", with_ledger(cyclepages.county_download), methods=["GET"])
    router.add_api_route("/ledger/entity/key-case", with_ledger(cyclepages.key_case_post), methods=["POST"])
    router.add_api_route("/ledger/reports/{what}",
                         with_ledger(lambda r, led, u: ledgerpages.report_download(r, led, u, r.path_params["what"])), methods=["GET"])

    async def reload_lists(request: Request) -> Response:
        # on the loop: the reload itself builds the new list in a thread, under the service's lock
        await request.form()
        user = await who_async(request)
        if user is None:
            return RedirectResponse("/signin?next=/lists", status_code=303)
        by_user = None if reload is None else (lambda: reload(by=user.name))
        return await lists.lists_reload(request, user, screener=screener, reload=by_user)

    router.add_api_route("/lists/reload", reload_lists, methods=["POST"])

    # -- the check record: one check, its outcome, the written notice ------------

    if checks is not None:
        router.add_api_route("/checks/{check_id}", signed_in(lambda r, u: checkpages.record_page(r, checks, u)), methods=["GET"])
        router.add_api_route("/checks/{check_id}/outcome", signed_in(lambda r, u: checkpages.outcome_post(r, checks, u)),
                             methods=["POST"])
        router.add_api_route("/checks/{check_id}/notice", signed_in(lambda r, u: checkpages.notice_page(r, checks, u)),
                             methods=["GET"])
        router.add_api_route("/checks/{check_id}/notice.pdf", signed_in(lambda r, u: checkpages.notice_pdf(r, checks, u)),
                             methods=["GET"])

    async def uploader(request: Request) -> Any:
        return await who_async(request) or False

    async def busy(request: Request, exc: Exception) -> Response:
        message = "服务正忙，请稍后再试" if isinstance(exc, Busy) else "台账正忙，请稍后再试"
        response = render(request, "busy.html", {"errors": Errors(), "message": message}, status=503)
        response.headers["Retry-After"] = "5"
        return response

    app.add_exception_handler(Busy, busy)
    async def ledger_failed(request: Request, exc: Exception) -> Response:
        # the database refused a write (its disk is full, the file is read-only …)
        response = render(request, "busy.html", {"errors": Errors(), "message": "台账数据库暂时无法写入，请联系管理员"},
                          status=503)
        response.headers["Retry-After"] = "60"
        return response

    try:
        from sqlalchemy.exc import OperationalError

        from ..ledger.db import LedgerBusy
    except ImportError:  # no ledger extra: no users, no ledger pages
        pass
    else:
        app.add_exception_handler(LedgerBusy, busy)
        app.add_exception_handler(OperationalError, ledger_failed)
    app.include_router(router)
    app.mount("/assets", StaticFiles(packages=[("fangfei_screen.web", "static")]), name="web-assets")
    app.add_middleware(UploadGate, endpoint=UploadEndpoint(store, limit=settings.upload_limit, user_of=uploader))
    return ledger_or_message


def _finish(awaitable: Any) -> Any:
    """Run a page's coroutine to its end in this worker thread (its form is already read)."""
    import asyncio

    async def run() -> Any:
        return await awaitable

    return asyncio.run(run())


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="/")
