"""The HTTP pre-registration check (FastAPI; install the ``server`` extra).

Every request reads the current screener once and finishes on it; a reload builds a
new screener aside and swaps it in with one assignment, so an answer always comes
from exactly one list version, and a list that fails validation never replaces the
one serving.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import os
from datetime import date
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .hook import check_application
from .lexicon import KeywordListError
from .listtools import describe_list
from .screener import Screener, ScreeningInputError

MAX_BODY_BYTES = 1_000_000
MAX_BATCH = 1_000
ADMIN_TOKEN_ENV = "FANGFEI_ADMIN_TOKEN"


class SafeJSONResponse(JSONResponse):
    """JSON that survives any text: lone surrogates (valid in a JSON string escape, not in
    UTF-8) are written as \\uXXXX escapes instead of failing the response."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "backslashreplace")


class Application(BaseModel):
    """One application, as a registration system holds it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="entity name (名称)")
    scope: str | None = Field(default="", description="business scope (经营范围)")
    kind: Literal["new", "change", "existing"] = "new"
    before_name: str | None = None
    before_scope: str | None = None
    entity_type: Literal["company", "individual", "cooperative", "partnership", "other"] | None = None
    status: Literal["operating", "not_opened", "suspended", "suspension_filed"] | None = None
    established_on: date | None = None
    suspended_since: date | None = None
    licensed: StrictBool = False
    as_of: date | None = None


class Batch(BaseModel):
    """Applications keyed by the caller's own ids."""

    model_config = ConfigDict(extra="forbid")

    applications: dict[str, Application] = Field(max_length=MAX_BATCH)


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


class ScreenerHolder:
    """The screener in service and the list files it is built from."""

    def __init__(self, list_paths: list[str] | None) -> None:
        self.list_paths = list_paths
        self.screener = self.build()
        self.lock = asyncio.Lock()

    def build(self) -> Screener:
        return Screener(lists=self.list_paths or None).warm_up()


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


def _screen(screener: Screener, app: Application) -> dict[str, Any]:
    return check_application(app.model_dump(), screener=screener).to_dict()


def create_app(*, list_paths: list[str] | None = None, admin_token: str | None = None) -> FastAPI:
    """The service. ``admin_token`` defaults to $FANGFEI_ADMIN_TOKEN; reload is off without one."""
    token = admin_token if admin_token is not None else os.environ.get(ADMIN_TOKEN_ENV) or None
    holder = ScreenerHolder(list_paths)
    app = FastAPI(
        title="fangfei-screen",
        summary="涉金融字样预登记检查 / pre-registration check for words that may involve financial activity",
        default_response_class=SafeJSONResponse,
    )
    app.state.holder = holder

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in exc.errors()
        ]
        return SafeJSONResponse({"error": "invalid_request", "detail": errors}, status_code=422)

    @app.exception_handler(ScreeningInputError)
    async def bad_input(_: Request, exc: ScreeningInputError) -> Response:
        return SafeJSONResponse({"error": "invalid_request", "detail": str(exc)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        return SafeJSONResponse({"error": "http_error", "detail": str(exc.detail)}, status_code=exc.status_code)

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        s = holder.screener
        return {"status": "ok", "list_version": s.list_version, "list_sha256": s.list_sha256}

    @app.post("/v1/check")
    async def check(application: Application) -> dict[str, Any]:
        """Screen one application; the answer is Result.to_dict()."""
        return _screen(holder.screener, application)

    @app.post("/v1/check/batch")
    async def check_batch(batch: Batch) -> dict[str, Any]:
        """Screen up to 1,000 applications keyed by the caller's ids, answered under the same ids."""
        screener = holder.screener
        results = {key: _screen(screener, a) for key, a in batch.applications.items()}
        return {"list_version": screener.list_version, "list_sha256": screener.list_sha256, "results": results}

    @app.get("/v1/keywords")
    async def keywords(request: Request) -> Response:
        screener = holder.screener
        etag = f'"{screener.list_sha256}"'
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers=headers)
        return SafeJSONResponse(_keywords_body(screener), headers=headers)

    @app.post("/v1/keywords/reload")
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
        async with holder.lock:
            old = holder.screener
            try:
                new = await asyncio.to_thread(holder.build)
            except KeywordListError as exc:
                return SafeJSONResponse(
                    {
                        "error": "invalid_list",
                        "detail": [str(p) for p in exc.problems],
                        "serving": {"list_version": old.list_version, "list_sha256": old.list_sha256},
                    },
                    status_code=422,
                )
            holder.screener = new  # one assignment: requests already running keep `old`
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

    mount_web(app, screener=lambda: holder.screener)
    return app
