"""The record around /v1/check and /v1/check/batch: who calls (keys, rate limit), the check
ids in the answer, the entries appended before the answer goes out, the metrics and the
JSON request log; and /v1/checks/{id}, its outcome, /metrics and /readyz."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Annotated, Any

import anyio

from fastapi import FastAPI, Request
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..ledger.checks import CHECK_ID_PATTERN, Caller, Outcome
from .book import CheckBook, RecordUnavailable
from .callers import KeyGate, Verdict
from .logjson import LOGGER
from .metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(LOGGER)
Run = Callable[[list[str | None]], Awaitable[tuple[bytes, list[dict[str, Any]]] | Response]]


CheckId = Annotated[str, PathParam(pattern=CHECK_ID_PATTERN, description="the id of a check, e.g. C20250603-5f0c9a2e17")]


class OutcomeBody(BaseModel):
    """What the desk did with a check's advice."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome = Field(description="adopted（采纳）or overridden（不采纳）")
    reason: str = Field(default="", max_length=2000, description="why; required when overridden")
    by: str = Field(min_length=1, max_length=200, description="who at the desk records it")


class Refused(Exception):
    """A request turned away before its body is looked at (no key, a wrong one, over the rate):
    the service answers with ``response`` (an exception handler of the app)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


class CheckAPI:
    """One per app: the book, the key gate and the metrics of the service; errors are
    ``json_response`` bodies ``{"error", "detail"}`` like every error of the service."""

    def __init__(self, *, book: CheckBook, gate: KeyGate, metrics: Metrics, json_response: type[JSONResponse] = JSONResponse) -> None:
        self.book = book
        self.gate = gate
        self.metrics = metrics
        self.json_response = json_response

    def error(self, status: int, error: str, detail: Any, headers: dict[str, str] | None = None) -> Response:
        return self.json_response({"error": error, "detail": detail}, status_code=status, headers=headers)

    def refusal(self, verdict: Verdict) -> Response:
        headers = {"WWW-Authenticate": 'Bearer realm="fangfei-screen"'} if verdict.status == 401 else {}
        if verdict.retry_after:
            headers["Retry-After"] = str(verdict.retry_after)
        return self.error(verdict.status, verdict.error, verdict.message, headers)

    def _admit(self, authorization: str | None) -> tuple[Verdict, bool]:
        verdict = self.gate.check(authorization)
        return verdict, (self.book.recording() if verdict.caller is not None else False)

    async def admit(self, request: Request) -> tuple[Caller, bool] | Response:
        """(the caller, whether checks are recorded), or the refusal to send."""
        from ..ledger.db import LedgerError

        try:
            verdict, recording = await anyio.to_thread.run_sync(self._admit, request.headers.get("authorization"))
        except LedgerError as exc:
            return self.error(503, "ledger_unavailable", f"台账数据库不可用，检查未进行 / {exc}", {"Retry-After": "5"})
        if verdict.caller is None:
            if verdict.status == 429:
                self.metrics.rate_limited.labels(caller=verdict.key_id).inc()
            else:
                self.metrics.auth_failures.inc()
            return self.refusal(verdict)
        request.state.caller = verdict.caller
        return verdict.caller, recording

    async def admitted(self, request: Request) -> tuple[Caller, bool]:
        """``admit`` as a route dependency: FastAPI runs it before it validates the body, so a
        caller without a valid key learns that (401), not what the schema wants (422)."""
        admitted = await self.admit(request)
        if isinstance(admitted, Response):
            raise Refused(admitted)
        return admitted

    async def answer(
        self, request: Request, items: list[tuple[str, dict[str, Any]]], *, batch: bool, run: Run,
        admission: tuple[Caller, bool] | None = None,
    ) -> Response:
        """Screen ``items`` with ``run`` (the service's lanes), record every check, answer;
        ``admission`` is the caller already admitted by the route's dependency."""
        started = time.perf_counter()
        admitted = admission if admission is not None else await self.admit(request)
        if isinstance(admitted, Response):
            return admitted
        caller, recording = admitted
        ids: list[str | None] = list(self.book.new_ids(len(items))) if recording else [None] * len(items)
        done = await run(ids)
        if isinstance(done, Response):
            return done
        body, answers = done
        channel = "batch" if batch else "api"
        if recording:
            entries = [
                self.book.entry(check_id=cid, channel=channel, caller=caller, application=app, answer=a,
                                ref=key if batch else None)
                for (key, app), a, cid in zip(items, answers, ids) if cid is not None
            ]
            try:
                await self.book.append(entries)
            except RecordUnavailable as exc:
                self.metrics.record_failures.inc(len(entries))
                return self.error(503, "record_unavailable", f"检查未能记录，请稍后重试 / {exc}", {"Retry-After": "5"})
        self.metrics.count_checks((a["action"] for a in answers), caller=_caller_label(caller), channel=channel,
                                  seconds=time.perf_counter() - started)
        return Response(body, media_type="application/json")


def _caller_label(caller: Caller | None) -> str:
    if caller is None:
        return "unknown"
    return caller.name if caller.kind == "key" else caller.kind


CHECK_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "a key is needed (any key exists, or serve --require-keys) and none or a wrong one was sent"},
    429: {"description": "over the per-key rate limit; see Retry-After"},
}


def add_record_routes(
    app: FastAPI, *, api: CheckAPI, error_model: type[BaseModel], security: Any,
    list_info: Callable[[], dict[str, str]], version: str,
    user_of: Callable[[Request], Any] | None = None,
) -> None:
    """/v1/checks/{id}, its outcome, /metrics and /readyz. A check holds registrants' data:
    it is read, and its outcome posted, with a key of its unit or by a user signed in to
    the pages (``user_of(request)``, blocking) of its unit, or an admin; never anonymously."""
    from fastapi import Security

    from ..ledger.db import LedgerError

    errors = {401: {"model": error_model, "description": "neither a key nor a signed-in user's session was sent, or the key is wrong"},
              429: {"model": error_model, "description": CHECK_RESPONSES[429]["description"]},
              503: {"model": error_model, "description": "the ledger database cannot be read; see Retry-After"}}

    async def reader(request: Request) -> tuple[Caller, bool] | Response:
        """(who reads, whether they may read every unit's checks), or the refusal."""
        if (request.headers.get("authorization") or "").strip():
            admitted = await api.admit(request)
            if isinstance(admitted, Response):
                return admitted
            caller, _ = admitted
            if caller.kind == "key":
                return caller, False
        user = await anyio.to_thread.run_sync(user_of, request) if user_of is not None else None
        if user is None:
            api.metrics.auth_failures.inc()
            return api.error(401, "unauthorized", "核查记录含申请人信息：需要本单位的密钥（Authorization: Bearer <密钥>），"
                             "或登录本单位账号 / a key or a signed-in user of the check's unit is needed",
                             {"WWW-Authenticate": 'Bearer realm="fangfei-screen"'})
        caller = Caller(kind="user", name=user.name, unit=user.unit)
        request.state.caller = caller
        return caller, getattr(user.role, "value", user.role) == "admin"

    async def find(request: Request, check_id: str) -> Any:
        admitted = await reader(request)
        if isinstance(admitted, Response):
            return admitted
        caller, every_unit = admitted
        try:
            found = await anyio.to_thread.run_sync(api.book.get, check_id)
        except LedgerError as exc:
            return api.error(503, "ledger_unavailable", str(exc), {"Retry-After": "5"})
        if found is None or (not every_unit and found.unit != caller.unit):
            return api.error(404, "not_found", f"没有核查记录「{check_id[:60]}」/ no such check")
        return found

    @app.get("/v1/checks/{check_id}", response_model=None,
             responses={**errors, 404: {"model": error_model, "description": "no such check (or another unit's)"},
                        422: {"model": error_model, "description": "not a check id"}})
    async def get_check(check_id: CheckId, request: Request, _key: Any = Security(security)) -> Any:
        """One check from the record: who asked, when, the input's sha256 (and the input unless
        serve --no-record-text), the list version, the action, the counted terms and every outcome.

        The record holds registrants' data, so it is never read anonymously, even while no key
        exists: send a key of the check's unit (`Authorization: Bearer`), or the session cookie
        of a user signed in to the pages of that unit (an admin reads every unit's). Another
        unit's check answers 404, as one that does not exist."""
        found = await find(request, check_id)
        return found if isinstance(found, Response) else found.to_dict()

    @app.post("/v1/checks/{check_id}/outcome", response_model=None,
              responses={**errors, 404: {"model": error_model, "description": "no such check (or another unit's)"},
                         422: {"model": error_model, "description": "bad outcome, or overridden without a reason"}})
    async def post_outcome(check_id: CheckId, body: OutcomeBody, request: Request, _key: Any = Security(security)) -> Any:
        """Record what the desk did with the advice: adopted（采纳）or overridden（不采纳，with a
        reason). Appended: earlier outcomes stay in the record's history. Who may: as for
        reading the check (a key or a signed-in user of its unit, or an admin)."""
        found = await find(request, check_id)
        if isinstance(found, Response):
            return found
        caller: Caller = request.state.caller
        by = body.by.strip() + (f"（{caller.system} {caller.name}）" if caller.kind == "key" else f"（{caller.name}）")
        try:
            rec = await anyio.to_thread.run_sync(
                lambda: api.book.add_outcome(check_id, outcome=body.outcome.value, reason=body.reason, by=by, unit=caller.unit)
            )
        except LedgerError as exc:
            return api.error(422, "invalid_outcome", str(exc))
        return rec.to_dict()

    # The operator's endpoints stay out of the API description (a probe's 503 is its answer, not an error).
    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        """Prometheus text format."""
        body = await anyio.to_thread.run_sync(api.metrics.render)
        return Response(body, media_type=CONTENT_TYPE)

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        """Ready when the ledger database answers at the newest schema and a list is loaded."""
        reasons, detail = await anyio.to_thread.run_sync(_readiness, api.book, list_info)
        body = {"status": "ready" if not reasons else "not_ready", "version": version, **detail}
        if reasons:
            return api.json_response({**body, "error": "not_ready", "detail": reasons}, status_code=503, headers={"Retry-After": "5"})
        return api.json_response(body)


def keys_optional_in_schema(app: FastAPI) -> None:
    """Say in /openapi.json that the key is optional (``security: [{}, {"apiKey": []}]``):
    it is needed only once a key exists or with serve --require-keys, as the 401 describes."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        for methods in schema.get("paths", {}).values():
            for operation in methods.values():
                security = operation.get("security")
                if security and {} not in security:
                    operation["security"] = [{}, *security]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _readiness(book: CheckBook, list_info: Callable[[], dict[str, str]]) -> tuple[list[str], dict[str, Any]]:
    from ..ledger.db import LedgerError

    reasons: list[str] = []
    detail: dict[str, Any] = {}
    info = list_info()
    detail["list_version"] = info.get("list_version")
    if not info.get("terms") or info.get("terms") == "0":
        reasons.append("清单未加载 / no list loaded")
    try:
        ledger = book.ledger.get()
    except LedgerError as exc:
        reasons.append(f"台账数据库不可用 / {exc}")
        return reasons, detail
    if ledger is None:
        reasons.append("没有台账数据库，检查不会被记录（先运行 fangfei-screen ledger upgrade）/ no ledger database")
        return reasons, detail
    detail["database"] = ledger.display
    try:
        current, head = ledger.revisions()
    except Exception as exc:  # noqa: BLE001 - unreachable now: a reason, not a 500
        reasons.append(f"台账数据库无法连接 / {str(getattr(exc, 'orig', None) or exc).strip().splitlines()[0]}")
        return reasons, detail
    detail["schema"] = current
    if current != head:
        reasons.append(f"台账结构版本 {current}，最新 {head}：请运行 fangfei-screen ledger upgrade")
    return reasons, detail


class RequestLog:
    """Per request: the status class into the metrics, sign-in failures (a POST /signin
    answered with anything but its redirect), and one JSON line with ``serve --log-json``."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def watching(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watching)
        finally:
            self.metrics.requests.labels(status=f"{status // 100}xx").inc()
            if scope.get("path") == "/signin" and scope.get("method") == "POST" and status != 303:
                self.metrics.signin_failures.inc()
            if log.isEnabledFor(logging.INFO):
                state = scope.get("state") or {}
                caller = state.get("caller")
                user = state.get("user")
                log.info("request", extra={"json": {
                    "event": "request", "method": scope.get("method"), "path": scope.get("path"), "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                    "client": (scope.get("client") or ("", 0))[0],
                    "caller": caller.name if caller is not None else (getattr(user, "name", None) or ""),
                }})


def jobs_of(app: FastAPI) -> Iterable[dict[str, Any]]:
    """The pages' bulk jobs (web/jobs.JobStore.recent), for the metrics."""
    store = getattr(app.state, "jobs", None)
    if store is None:
        return ()
    try:
        return store.recent(unit=None, limit=100_000)
    except Exception:  # noqa: BLE001 - an unreadable folder or a busy ledger: no job figures this time
        return ()
