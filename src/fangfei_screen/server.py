"""The HTTP pre-registration check (FastAPI; install the ``server`` extra).

Every request reads the current screener once and finishes on it; a reload builds a
new screener aside and swaps it in with one assignment, so an answer always comes
from exactly one list version, and a list that fails validation never replaces the
one serving.

Screening and the rendering of its answer never run on the event loop: ordinary
requests in worker threads, requests with much text one at a time in a worker process,
so that /healthz and small checks are answered while a large batch is screened.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import hmac
import json
import multiprocessing
import os
import re
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from datetime import date
from functools import lru_cache
from typing import Annotated, Any, Literal

import anyio
import h11
import uvicorn
from fastapi import Depends, FastAPI, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBearer
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, ValidationInfo
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from . import __version__
from .hook import MAX_FIELD_CHARS, TEXT_FIELDS, answer, check_application, check_field_length
from .lexicon import KeywordList, KeywordListError
from .licences import LicenceRegister, LicenceRegisterError
from .listtools import describe_list
from .models import Status
from .screener import Screener, ScreeningInputError
from .serving.book import CheckBook
from .serving.callers import DEFAULT_RATE, KeyGate
from .serving.checkapi import CHECK_RESPONSES, CheckAPI, Refused, RequestLog, add_record_routes, jobs_of, keys_optional_in_schema
from .serving.ledgerref import LedgerRef
from .serving.metrics import Metrics
from .values import status_of
from .workers import die_with_parent, pool_initargs

MAX_BODY_BYTES = 1_000_000
MAX_BATCH = 1_000
ADMIN_TOKEN_ENV = "FANGFEI_ADMIN_TOKEN"
# A request with more text than this is screened in the heavy lane, one at a time.
HEAVY_CHARS = 20_000
LIGHT_WORKERS = 8
# Heavy requests held at once, one screened and the rest waiting (each holds up to 1 MB
# of parsed text); more get 503 and Retry-After.
HEAVY_WAITING = 8
# Seconds a client has to send a whole request (head and body) once the connection is
# ready for one; idle keep-alive connections close sooner, after KEEP_ALIVE seconds.
READ_TIMEOUT = 20.0
KEEP_ALIVE = 5


class SafeJSONResponse(JSONResponse):
    """JSON that survives any text: lone surrogates (valid in a JSON string escape, not in
    UTF-8) are written as \\uXXXX escapes instead of failing the response."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "backslashreplace")


def _iso_text_only(value: Any) -> Any:
    # pydantic would read a number as a Unix timestamp ("suspended_since": 0 → 1970-01-01)
    if value is not None and not isinstance(value, str):
        raise ValueError("日期应为 'YYYY-MM-DD' 文本 / a date must be an ISO 'YYYY-MM-DD' string")
    return value


IsoDate = Annotated[date | None, BeforeValidator(_iso_text_only)]


def _bounded(value: str, info: ValidationInfo) -> str:
    # pydantic's own max_length would refuse lone surrogates, which JSON allows; checked
    # here so that an over-long field is refused before it waits for a screening lane
    check_field_length(info.field_name or "text", value)
    return value


Text = Annotated[str, AfterValidator(_bounded), Field(json_schema_extra={"maxLength": MAX_FIELD_CHARS})]


# White space as JSON Schema's regular expressions (ECMA-262 \s) know it, so that the schema's
# pattern "\S" and this check refuse exactly the same names.
_BLANK = re.compile("[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*")


def _named(value: str) -> str:
    # as `check` and the page: an application without a name is refused, never screened or recorded
    if _BLANK.fullmatch(value):
        raise ValueError("名称不能为空 / the name is empty")
    return value


def _status(value: Any) -> Any:
    # the registry's own words (存续, 注销, 吊销，未注销 …) as `check --status` reads them, or the values
    if value is None or isinstance(value, Status):
        return value
    if not isinstance(value, str):
        raise ValueError("登记状态应为文字 / status must be a string")
    found = status_of(value)
    if found is None and value.strip():
        raise ValueError(f"登记状态「{value}」不是可识别的状态 / not a recognised status: "
                         f"{', '.join(s.value for s in Status)} or the registry's words")
    return found


class Application(BaseModel):
    """One application, as a registration system holds it."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[Text, AfterValidator(_named)] = Field(
        description="entity name (名称), not empty",
        json_schema_extra={"maxLength": MAX_FIELD_CHARS, "minLength": 1, "pattern": r"\S"})
    scope: Text | None = Field(default="", description="business scope (经营范围)")
    kind: Literal["new", "change", "existing"] = "new"
    before_name: Text | None = None
    before_scope: Text | None = None
    entity_type: Literal["company", "individual", "cooperative", "partnership", "other"] | None = None
    status: Annotated[Status | None, BeforeValidator(_status)] = Field(
        default=None, description="登记状态: a value, or the registry's words (存续, 未开业, 停业, 注销, 吊销 …)")
    established_on: IsoDate = Field(default=None, description="YYYY-MM-DD")
    suspended_since: IsoDate = Field(default=None, description="YYYY-MM-DD")
    licensed: StrictBool = False
    as_of: IsoDate = Field(default=None, description="YYYY-MM-DD")
    credit_code: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="统一社会信用代码: looked up first on the licence register")

    def chars(self) -> int:
        return sum(len(getattr(self, key) or "") for key in TEXT_FIELDS)


class Batch(BaseModel):
    """Applications keyed by the caller's own ids."""

    model_config = ConfigDict(extra="forbid")

    applications: dict[str, Application] = Field(max_length=MAX_BATCH)


class ErrorBody(BaseModel):
    """Every error answer: a code and what went wrong."""

    error: str
    detail: Any = None


_ERRORS = {
    413: {"model": ErrorBody, "description": "body over 1 MB"},
    422: {"model": ErrorBody, "description": "bad JSON, types or values"},
    503: {"model": ErrorBody, "description": f"over {HEAVY_WAITING} large requests already waiting, or the check "
          "could not be recorded (the ledger database is unavailable); see Retry-After"},
}
_CHECK_ERRORS = {**_ERRORS, **{status: {"model": ErrorBody, **doc} for status, doc in CHECK_RESPONSES.items()}}


class BodyLimit:
    """Refuse bodies over ``limit`` bytes with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for key, value in scope.get("headers", []):
            if key == b"content-length" and value.isdigit() and int(value) > self.limit:
                await _too_large(send)
                return
        received = 0
        too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    too_large = True
                    raise _BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            # Once the body is refused, whatever the app makes of the cut-off read
            # (FastAPI turns it into a 400) is dropped in favour of the 413.
            if not too_large:
                await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _BodyTooLarge:
            pass
        if too_large:
            await _too_large(send)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    body = SafeJSONResponse(
        {"error": "payload_too_large", "detail": f"请求体超过 {MAX_BODY_BYTES} 字节 / body over {MAX_BODY_BYTES} bytes"}
    ).body
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


FOLLOW_SECONDS = 2.0  # how often each worker looks for a list reloaded by another


class ScreenerHolder:
    """The screener in service and the list files it is built from.

    With a ledger database, each load is recorded there (version, sha256, when, by whom)
    and every worker follows the newest record: a reload in one worker reaches the others
    within :data:`FOLLOW_SECONDS`.
    """

    def __init__(self, list_paths: list[str] | None, licences_path: str | None = None) -> None:
        self.list_paths = list_paths
        self.licences_path = licences_path
        self.screener = self.build()
        self.loaded_at = time.time()
        self.lock = asyncio.Lock()
        self.ledger: Callable[[], Any] = lambda: None  # the pages' ledger, once they are mounted

    def build(self) -> Screener:
        return Screener(lists=self.list_paths or None, licences=self.licences_path or None).warm_up()

    async def reload(self, *, by: str = "") -> tuple[Screener, Screener]:
        """Re-read the list files, build the new screener aside and swap it in: (old, new).

        An invalid list raises KeywordListError and the old screener keeps serving. The API's
        /v1/keywords/reload and the admin's button on the 清单 page both come here.
        """
        async with self.lock:
            old, new = await self._swap()
            await asyncio.to_thread(self._record, new, by or "重新加载", always=True)
        return old, new

    async def _swap(self) -> tuple[Screener, Screener]:
        old = self.screener
        new = await asyncio.to_thread(self.build)
        self.screener = new  # one assignment: requests already running keep `old`
        self.loaded_at = time.time()
        if gc.isenabled() and gc.get_freeze_count():
            await asyncio.to_thread(_freeze_heap)  # the new list's objects too; the old one's freed
        return old, new

    def _record(self, screener: Screener, by: str, *, always: bool) -> None:
        from .ledger.sessions import list_in_use, record_list

        ledger = self.ledger()
        if ledger is None:
            return
        latest = list_in_use(ledger)
        if always or latest is None or latest.list_sha256 != screener.list_sha256:
            record_list(ledger, list_version=screener.list_version, list_sha256=screener.list_sha256, by=by)

    def _newer_elsewhere(self) -> bool:
        from .ledger.sessions import list_in_use

        ledger = self.ledger()
        latest = list_in_use(ledger) if ledger is not None else None
        return latest is not None and latest.at > self.loaded_at and latest.list_sha256 != self.screener.list_sha256

    async def follow(self) -> None:
        """Record the list this worker starts with, then follow reloads recorded by others."""
        try:
            await asyncio.to_thread(self._record, self.screener, "启动服务", always=False)
        except Exception:  # noqa: BLE001 - no ledger, or busy: serving goes on
            pass
        while True:
            await asyncio.sleep(FOLLOW_SECONDS)
            try:
                if await asyncio.to_thread(self._newer_elsewhere):
                    async with self.lock:
                        await self._swap()
            except KeywordListError:
                self.loaded_at = time.time()  # the files are broken now: keep serving, look again after the next reload
            except Exception:  # noqa: BLE001 - an unreachable ledger: keep serving the list in hand
                pass


def _keywords_body(screener: Screener) -> dict[str, Any]:
    return {
        "list_version": screener.list_version,
        "list_sha256": screener.list_sha256,
        "lists": [describe_list(kl) for kl in screener.lists],
        "terms": [
            {"term": t.keyword, "category": t.category, "category_name": t.category_name, "methods": list(t.methods),
             "list": t.list_name, "effect": t.effect.value}
            for t in screener.terms
        ],
    }


def _json(content: Any) -> bytes:
    return SafeJSONResponse(content).body


def _answers(
    screener: Screener, items: list[tuple[str, dict[str, Any]]], batch: bool, ids: list[str | None] | None = None
) -> tuple[bytes, list[dict[str, Any]]]:
    """The rendered answer to one check or a batch, and each application's answer;
    ``items`` are (caller's id, application), ``ids`` the check ids (None: not recorded)."""
    ids = ids or [None] * len(items)
    answers = [answer(check_application(app, screener=screener)) | {"check_id": cid} for (_, app), cid in zip(items, ids)]
    if not batch:
        return _json(answers[0]), answers
    results = {key: a for (key, _), a in zip(items, answers)}
    body = {"list_version": screener.list_version, "list_sha256": screener.list_sha256, "results": results}
    return _json(body), answers


@lru_cache(maxsize=2)
def _worker_screener(lists: tuple[KeywordList, ...], licences: LicenceRegister | None = None) -> Screener:
    # one per list version in the heavy lane's process: the lists come with each request,
    # so the answer is always from the version serving when the request arrived
    return Screener(lists=list(lists), licences=licences).warm_up()


def _answers_in_worker(
    lists: tuple[KeywordList, ...], licences: LicenceRegister | None, items: list[tuple[str, dict[str, Any]]],
    batch: bool, ids: list[str | None],
) -> tuple[bytes, list[dict[str, Any]]]:
    return _answers(_worker_screener(lists, licences), items, batch, ids)


class Lanes:
    """Where screening runs, never on the event loop: ordinary requests in a pool of
    threads; requests with much text one at a time in a process of their own, so that
    they hold neither the interpreter lock nor the collector of the serving process.
    Used from the event loop only."""

    def __init__(self) -> None:
        self.light = anyio.CapacityLimiter(LIGHT_WORKERS)
        self.heavy_waiting = 0
        self._pool: ProcessPoolExecutor | None = None

    def _heavy_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                initializer=die_with_parent, initargs=pool_initargs(),
            )
        return self._pool

    def start(self, screener: Screener) -> None:
        """Start the heavy lane's process and build its screener before the first request."""
        self._heavy_pool().submit(_worker_screener, screener.lists, screener.licences)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    async def run(
        self, screener: Screener, items: list[tuple[str, dict[str, Any]]], chars: int, *, batch: bool,
        ids: list[str | None],
    ) -> tuple[bytes, list[dict[str, Any]]] | Response:
        """(the answer's body, each application's answer), or a 503 when the heavy lane is full."""
        if chars <= HEAVY_CHARS:
            return await anyio.to_thread.run_sync(_answers, screener, items, batch, ids, limiter=self.light)
        if self.heavy_waiting >= HEAVY_WAITING:
            return _busy()
        self.heavy_waiting += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(
                self._heavy_pool(), _answers_in_worker, screener.lists, screener.licences, items, batch, ids
            )
        except BrokenProcessPool:
            self._pool = None  # the process died (killed, out of memory): the next request starts another
            return _busy()
        finally:
            self.heavy_waiting -= 1


def _busy() -> Response:
    return SafeJSONResponse(
        {"error": "busy", "detail": "大批量请求过多，请稍后重试 / too many large requests waiting; retry later"},
        status_code=503,
        headers={"Retry-After": "1"},
    )


def create_app(
    *,
    list_paths: list[str] | None = None,
    admin_token: str | None = None,
    licences_path: str | None = None,
    db: str | None = None,
    record_text: bool = True,
    require_keys: bool = False,
    key_rate: str = DEFAULT_RATE,
) -> FastAPI:
    """The service. ``admin_token`` defaults to $FANGFEI_ADMIN_TOKEN; reload is off without one.
    ``licences_path`` is the register of licensed institutions (re-read on reload).

    Every check is appended to the check record of the ledger database ``db`` ($FANGFEI_DB,
    else the ledger's default) when it exists; ``record_text=False`` keeps the input's sha256
    only. Keys are needed once any key exists (always with ``require_keys``), each limited to
    ``key_rate`` requests (``"600/minute"``).
    """
    token = admin_token if admin_token is not None else os.environ.get(ADMIN_TOKEN_ENV) or None
    holder = ScreenerHolder(list_paths, licences_path)
    lanes = Lanes()
    ledger = LedgerRef(db)
    book = CheckBook(ledger, record_text=record_text)

    def list_info() -> dict[str, str]:
        s = holder.screener
        return {"list_version": s.list_version, "list_sha256": s.list_sha256, "terms": str(len(s.terms))}

    metrics = Metrics(list_info=list_info, jobs=lambda: jobs_of(app))
    api = CheckAPI(book=book, gate=KeyGate(ledger, require=require_keys, rate=key_rate), metrics=metrics,
                   json_response=SafeJSONResponse)
    bearer = HTTPBearer(
        auto_error=False, scheme_name="apiKey",
        description="`fangfei-screen keys add` 发放的密钥（Authorization: Bearer ffk_…）；存在任一有效密钥或 "
        "`serve --require-keys` 时，/v1/check 与 /v1/check/batch 必须携带 / a key of a calling system, "
        "required once any key exists",
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        lanes.start(holder.screener)
        book.recorder.start()
        following = asyncio.create_task(holder.follow())
        yield
        following.cancel()
        lanes.close()
        await asyncio.to_thread(book.close)  # what is queued is written before the end
        ledger.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="fangfei-screen",
        version=__version__,
        summary="涉金融字样预登记检查 / pre-registration check for words that may involve financial activity",
        description="每次检查都记入台账数据库的核查记录（编号见答复的 `check_id`）。调用系统的密钥：`fangfei-screen keys add`；"
        "存在任一有效密钥（或 `serve --require-keys`）时检查接口须带 `Authorization: Bearer <密钥>`，缺少或无效得 401，"
        "超过每个密钥的频率限制得 429 与 Retry-After。 / Every check is recorded; keys are required once any exists.",
        default_response_class=SafeJSONResponse,
    )
    app.state.holder = holder
    app.state.checks = book

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in exc.errors()
        ]
        return SafeJSONResponse({"error": "invalid_request", "detail": errors}, status_code=422)

    @app.exception_handler(Refused)
    async def refused(_: Request, exc: Refused) -> Response:
        return exc.response  # no key, a wrong one, or over the rate: before the body is judged

    @app.exception_handler(ScreeningInputError)
    async def bad_input(_: Request, exc: ScreeningInputError) -> Response:
        return SafeJSONResponse({"error": "invalid_request", "detail": str(exc)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 400 and isinstance(exc.__cause__, (ValueError, RecursionError)):
            # FastAPI's answer to a body json cannot read (invalid UTF-8, nested too deep):
            # bad JSON, as the README promises, is a 422 like any other
            return SafeJSONResponse(
                {"error": "invalid_request", "detail": f"请求体不是可读的 JSON / unreadable JSON body: {type(exc.__cause__).__name__}"},
                status_code=422,
            )
        return SafeJSONResponse(
            {"error": "http_error", "detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        s = holder.screener
        return {"status": "ok", "version": __version__, "list_version": s.list_version, "list_sha256": s.list_sha256}

    async def screened(request: Request, applications: dict[str, Application], *, batch: bool,
                       admission: tuple[Any, bool]) -> Response:
        screener = holder.screener  # one list version for the whole request
        items = [(key, app.model_dump(mode="json")) for key, app in applications.items()]
        # JSON mode hands dates on as ISO text: hook.check_application is the one check
        chars = sum(app.chars() for app in applications.values())
        return await api.answer(request, items, batch=batch, admission=admission,
                                run=lambda ids: lanes.run(screener, items, chars, batch=batch, ids=ids))

    @app.post("/v1/check", response_model=None, responses=_CHECK_ERRORS)
    async def check(application: Application, request: Request, _key: Any = Security(bearer),
                    admission: tuple[Any, bool] = Depends(api.admitted)) -> Response:
        """Screen one application; the answer is Result.to_dict(), listing at most 20 hits of
        each kind per field, with `omitted` counting the rest, and `check_id`: the check's id
        in the record (null when no ledger database exists)."""
        return await screened(request, {"": application}, batch=False, admission=admission)

    @app.post("/v1/check/batch", response_model=None, responses=_CHECK_ERRORS)
    async def check_batch(batch: Batch, request: Request, _key: Any = Security(bearer),
                          admission: tuple[Any, bool] = Depends(api.admitted)) -> Response:
        """Screen up to 1,000 applications keyed by the caller's ids, answered under the same ids,
        each with its own `check_id`."""
        return await screened(request, batch.applications, batch=True, admission=admission)

    add_record_routes(app, api=api, error_model=ErrorBody, security=bearer, list_info=list_info, version=__version__,
                      user_of=lambda request: app.state.web_user(request))  # the pages' signed-in user (mount_web)
    keys_optional_in_schema(app)

    @app.get("/v1/keywords", responses={304: {"description": "unchanged since the ETag given in If-None-Match"}})
    async def keywords(request: Request) -> Response:
        screener = holder.screener
        etag = f'"{screener.list_sha256}"'
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers=headers)
        return SafeJSONResponse(_keywords_body(screener), headers=headers)

    @app.post(
        "/v1/keywords/reload",
        responses={
            401: {"model": ErrorBody, "description": "missing or wrong bearer token"},
            403: {"model": ErrorBody, "description": f"reload is disabled ({ADMIN_TOKEN_ENV} not set)"},
            422: {"model": ErrorBody, "description": "the list is invalid; the old one keeps serving"},
        },
    )
    async def reload(request: Request) -> Response:
        if not token:
            return SafeJSONResponse(
                {"error": "reload_disabled", "detail": f"未设置 {ADMIN_TOKEN_ENV}，重新加载已停用 / reload is disabled"},
                status_code=403,
            )
        given = request.headers.get("authorization", "")
        if not given.startswith("Bearer ") or not hmac.compare_digest(given[7:].encode(), token.encode()):
            return SafeJSONResponse(
                {"error": "unauthorized", "detail": "需要 Authorization: Bearer <token>"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        try:
            old, new = await holder.reload(by="POST /v1/keywords/reload")
        except KeywordListError as exc:
            serving = holder.screener
            return SafeJSONResponse(
                {
                    "error": "invalid_list",
                    "detail": [str(p) for p in exc.problems],
                    "serving": {"list_version": serving.list_version, "list_sha256": serving.list_sha256},
                },
                status_code=422,
            )
        except LicenceRegisterError as exc:
            serving = holder.screener
            return SafeJSONResponse(
                {
                    "error": "invalid_licences",
                    "detail": [str(exc)],
                    "serving": {"list_version": serving.list_version, "list_sha256": serving.list_sha256},
                },
                status_code=422,
            )
        return SafeJSONResponse(
            {
                "status": "reloaded",
                "previous": {"list_version": old.list_version, "list_sha256": old.list_sha256},
                "list_version": new.list_version,
                "list_sha256": new.list_sha256,
            }
        )

    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)
    from .web import mount_web  # the pages at / (issue 13); after BodyLimit, so uploads get their own limit

    from .web import WebSettings

    settings = WebSettings.from_env()
    if db:  # the pages' users, sessions and jobs live where the checks are recorded
        settings = dataclasses.replace(settings, db=db)
    holder.ledger = mount_web(app, screener=lambda: holder.screener, reload=holder.reload, checks=book, settings=settings,
                             counted=metrics.count_checks)
    app.add_middleware(RequestLog, metrics=metrics)  # outermost: sees every answer, the uploads' too
    return app


def _request_timeout_bytes() -> bytes:
    body = SafeJSONResponse({"error": "request_timeout", "detail": "请求未在时限内收齐 / request not received in time"}).body
    head = f"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: {len(body)}\r\n\r\n"
    return head.encode() + body


_REQUEST_TIMEOUT = _request_timeout_bytes()


class ReadTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for reading each request.

    uvicorn closes a keep-alive connection that stays idle after a response, but waits
    forever for a request that never comes, or comes one byte at a time. Here a client
    has ``read_timeout`` seconds, counted from when the connection is ready for a request
    (not reset by each byte), to send the whole of it, head and body; then it gets 408
    and the connection is closed.
    """

    read_timeout = READ_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._read_deadline: asyncio.TimerHandle | None = None
        self._arm_read_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE and self.conn.their_state is not h11.SEND_BODY:
            self._disarm_read_deadline()  # the whole request is in (or the connection is done)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.conn.their_state is h11.IDLE or self.conn.their_state is h11.SEND_BODY:
            self._arm_read_deadline()  # waiting for the next request on this connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_read_deadline()
        super().connection_lost(exc)

    def _arm_read_deadline(self) -> None:
        self._disarm_read_deadline()
        self._read_deadline = self.loop.call_later(self.read_timeout, self._read_timed_out)

    def _disarm_read_deadline(self) -> None:
        deadline = getattr(self, "_read_deadline", None)
        if deadline is not None:
            deadline.cancel()
            self._read_deadline = None

    def _read_timed_out(self) -> None:
        self._read_deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete or not self.cycle.response_started:
            self.transport.write(_REQUEST_TIMEOUT)
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True  # the handler waiting for the body sees http.disconnect
            self.cycle.message_event.set()
        self.transport.close()


def serve(app: FastAPI, *, host: str, port: int, access_log: bool = False, read_timeout: float = READ_TIMEOUT) -> None:
    """Run ``app`` with uvicorn (h11, one worker), with a read deadline on every request."""
    protocol = type("ReadTimeoutH11Protocol", (ReadTimeoutH11Protocol,), {"read_timeout": read_timeout})
    config = uvicorn.Config(
        app, host=host, port=port, access_log=access_log, log_level="warning", http=protocol,
        timeout_keep_alive=KEEP_ALIVE,
    )
    _freeze_heap()
    uvicorn.Server(config).run()


WORKER_LISTS_ENV = "FANGFEI_SERVE_LISTS"
WORKER_LICENCES_ENV = "FANGFEI_SERVE_LICENCES"
WORKER_READ_TIMEOUT_ENV = "FANGFEI_SERVE_READ_TIMEOUT"
WORKER_RECORD_ENV = "FANGFEI_SERVE_RECORD"  # JSON: db, record_text, require_keys, key_rate, log_json


class WorkerH11Protocol(ReadTimeoutH11Protocol):
    """The read deadline for ``serve --workers N``: each worker process reads it from the
    environment its parent set (uvicorn starts workers by import, not by pickling a class)."""

    @property  # type: ignore[override]
    def read_timeout(self) -> float:
        return float(os.environ.get(WORKER_READ_TIMEOUT_ENV) or READ_TIMEOUT)


def worker_app() -> FastAPI:
    """The app of one worker process of ``serve --workers N`` (uvicorn's factory), with the
    record's options its parent set (``--db``, ``--no-record-text``, ``--require-keys``,
    ``--key-rate``, ``--log-json``)."""
    lists = json.loads(os.environ.get(WORKER_LISTS_ENV) or "null")
    record = json.loads(os.environ.get(WORKER_RECORD_ENV) or "{}")
    if record.get("log_json"):
        from .serving.logjson import configure

        configure()
    app = create_app(list_paths=lists, licences_path=os.environ.get(WORKER_LICENCES_ENV) or None,
                     db=record.get("db") or None, record_text=bool(record.get("record_text", True)),
                     require_keys=bool(record.get("require_keys", False)), key_rate=record.get("key_rate") or DEFAULT_RATE)
    _freeze_heap()
    return app


def serve_workers(*, workers: int, list_paths: list[str] | None, host: str, port: int, access_log: bool = False,
                  read_timeout: float = READ_TIMEOUT, licences_path: str | None = None, db: str | None = None,
                  record_text: bool = True, require_keys: bool = False, key_rate: str = DEFAULT_RATE,
                  log_json: bool = False) -> None:
    """Run ``workers`` processes of the service on one socket (uvicorn's supervisor). They
    share the sessions and the bulk jobs (in the ledger database), follow the list in use
    recorded there, and each records checks with the same options."""
    os.environ[WORKER_LISTS_ENV] = json.dumps(list_paths)
    os.environ[WORKER_LICENCES_ENV] = licences_path or ""
    os.environ[WORKER_READ_TIMEOUT_ENV] = str(read_timeout)
    os.environ[WORKER_RECORD_ENV] = json.dumps({"db": db, "record_text": record_text, "require_keys": require_keys,
                                                "key_rate": key_rate, "log_json": log_json})
    uvicorn.run(
        "fangfei_screen.server:worker_app", factory=True, workers=workers, host=host, port=port,
        access_log=access_log, log_level="warning", http="fangfei_screen.server:WorkerH11Protocol",
        timeout_keep_alive=KEEP_ALIVE,
    )


def _freeze_heap() -> None:
    """Move the objects alive now (the screener, jieba's dictionary, the app) out of the
    garbage collector's sight: a full collection set off by a large request then walks
    only that request's objects, and stops the event loop for ~6 ms instead of ~70 ms.
    Done by the serving process only, never on import."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
