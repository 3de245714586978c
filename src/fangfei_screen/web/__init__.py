"""The pages for the registration desk and the township offices (issue 13).

Server-rendered Chinese pages on the same FastAPI app as the HTTP service, calling the
same library functions as the CLI. Every asset is a file of this package.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from ..screener import Screener
from .settings import WebSettings

__all__ = ["WebSettings", "mount_web"]


def mount_web(app: FastAPI, *, screener: Callable[[], Screener], settings: WebSettings | None = None) -> None:
    """Add the pages to ``app``; ``screener`` returns the screener serving right now.

    Call it after the app's own middleware is added: the upload endpoint sits outside
    them, with its own size limit.
    """
    from . import bulk, check, lists
    from .jobs import JobStore
    from .upload import UploadEndpoint, UploadGate

    settings = settings or WebSettings.from_env()
    store = JobStore(settings.jobs_dir, ttl=settings.job_ttl, screener=screener)
    store.sweep()
    router = APIRouter(include_in_schema=False)

    async def anyone(_: Request) -> Any:
        return None

    @router.get("/")
    def check_form(request: Request) -> Response:
        return check.check_form(request)

    @router.post("/")
    async def check_post(request: Request) -> Response:
        return await check.check_post(request, screener)

    @router.get("/lists")
    def lists_page(request: Request) -> Response:
        return lists.lists_page(request, screener())

    @router.post("/lists")
    async def lists_diff(request: Request) -> Response:
        return await lists.lists_diff(request, screener())

    @router.get("/bulk")
    def bulk_form(request: Request) -> Response:
        return bulk.upload_form(request, store, settings.upload_limit)

    @router.get("/bulk/jobs/{job_id}")
    def job_page(request: Request, job_id: str) -> Response:
        return bulk.job_page(request, store, job_id)

    @router.post("/bulk/jobs/{job_id}/start")
    async def job_start(request: Request, job_id: str) -> Response:
        return await bulk.start_job(request, store, job_id)

    @router.get("/bulk/jobs/{job_id}/files/{name}")
    def job_file(request: Request, job_id: str, name: str) -> Response:
        return bulk.download(request, store, job_id, name)

    @router.get("/bulk/jobs/{job_id}/report")
    def job_report(request: Request, job_id: str) -> Response:
        return bulk.report(request, store, job_id)

    app.include_router(router)
    app.mount("/assets", StaticFiles(packages=[("fangfei_screen.web", "static")]), name="web-assets")
    app.add_middleware(UploadGate, endpoint=UploadEndpoint(store, limit=settings.upload_limit, user_of=anyone))
