"""The pages for the registration desk and the township offices (issue 13).

Server-rendered Chinese pages on the same FastAPI app as the HTTP service, calling the
same library functions as the CLI. Every asset is a file of this package.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from ..screener import Screener
from .settings import WebSettings

__all__ = ["WebSettings", "mount_web"]


def mount_web(app: FastAPI, *, screener: Callable[[], Screener], settings: WebSettings | None = None) -> None:
    """Add the pages to ``app``; ``screener`` returns the screener serving right now."""
    from . import check, lists

    settings = settings or WebSettings.from_env()
    router = APIRouter(include_in_schema=False)

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

    app.include_router(router)
    app.mount("/assets", StaticFiles(packages=[("fangfei_screen.web", "static")]), name="web-assets")
