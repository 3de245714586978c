"""Receiving an uploaded registry file: streamed to the job folder under the configured
size limit, before the service's 1 MB limit for API bodies would refuse it.

The endpoint is a plain ASGI app reached through :class:`UploadGate`, the outermost
middleware, so that its body never passes the JSON API's limit; it answers every
request, whatever it holds, with a redirect (never an error page of its own).
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from functools import partial
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import anyio
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .csrf import CSRF_FIELD, csrf_ok
from .jobs import INPUT_SUFFIXES, JobStore

log = logging.getLogger(__name__)

UPLOAD_PATH = "/bulk/upload"
FILE_FIELD = "registry"
_DRAIN_FACTOR = 4  # read (and drop) up to this many times the limit, so the browser sees our answer


class _TooLarge(Exception):
    pass


class UploadGate:
    """Sends POST /bulk/upload to ``endpoint``; everything else to the app."""

    def __init__(self, app: ASGIApp, endpoint: ASGIApp) -> None:
        self.app = app
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == UPLOAD_PATH and scope["method"] == "POST":
            await self.endpoint(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class UploadEndpoint:
    """Creates a job from an upload and redirects to it, or back to the form with an error code."""

    def __init__(self, store: JobStore, *, limit: int, user_of: Callable[[Request], Awaitable[Any]]) -> None:
        self.store = store
        self.limit = limit
        self.user_of = user_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            location = await self._receive(request, receive)
        except Exception:  # the answer is a redirect whatever happened
            log.exception("upload failed")
            location = "/bulk?error=failed"
        await RedirectResponse(location, status_code=303)(scope, receive, send)

    async def _receive(self, request: Request, receive: Receive) -> str:
        user = await self.user_of(request)
        if user is False:  # nobody is signed in
            await self._drain(receive, 0)
            return "/signin?next=/bulk"
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > self.limit:
            await self._drain(receive, 0)
            return "/bulk?error=too_large"
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            await self._drain(receive, 0)
            return "/bulk?error=no_file"
        received, more = 0, True

        async def stream() -> AsyncGenerator[bytes, None]:
            nonlocal received, more
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    more = False
                    raise _TooLarge  # the browser went away: nothing is kept
                chunk = message.get("body", b"")
                received += len(chunk)
                more = bool(message.get("more_body", False))
                if received > self.limit:
                    raise _TooLarge
                if chunk:
                    yield chunk

        try:
            form = await MultiPartParser(request.headers, stream(), max_files=1, max_fields=20).parse()
        except _TooLarge:
            if more:
                await self._drain(receive, received)
            return "/bulk?error=too_large"
        except MultiPartException:
            if more:
                await self._drain(receive, received)
            return "/bulk?error=no_file"
        try:
            if not csrf_ok(request, form.get(CSRF_FIELD)):
                return "/bulk?error=expired"
            upload = form.get(FILE_FIELD)
            if not isinstance(upload, UploadFile) or not upload.filename:
                return "/bulk?error=no_file"
            # Only the suffix of the sent name is used, to pick the reader; the name itself never becomes a path.
            original = upload.filename.replace("\\", "/").rsplit("/", 1)[-1]
            suffix = os.path.splitext(original)[1].lower()
            if suffix not in INPUT_SUFFIXES:
                return "/bulk?error=bad_type"
            upload.file.seek(0, os.SEEK_END)
            if upload.file.tell() == 0:
                return "/bulk?error=empty"
            upload.file.seek(0)
            if length.isdigit() and received != int(length):
                return "/bulk?error=failed"  # cut short: never a job
            try:
                job_id, _ = await anyio.to_thread.run_sync(partial(
                    self.store.create, lambda out: shutil.copyfileobj(upload.file, out, 1 << 20),
                    owner=user.name, unit=user.unit, original_name=original, suffix=suffix))
            except OSError as exc:
                log.warning("upload not kept: %s", exc.strerror or exc)
                return "/bulk?error=disk_full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "/bulk?error=failed"
            return f"/bulk/jobs/{job_id}"
        finally:
            await form.close()

    async def _drain(self, receive: Receive, already: int) -> None:
        """Read what the browser still sends, up to a cap, so it gets to see the answer."""
        total = already
        while total <= self.limit * _DRAIN_FACTOR:
            message = await receive()
            if message["type"] != "http.request":
                return
            total += len(message.get("body", b""))
            if not message.get("more_body", False):
                return
