"""CSRF protection for form posts.

A signed-in request's token is its session's own (kept with the session in the ledger
database), so a token taken from another user's page is refused. Before signing in,
a random token in a SameSite=Strict cookie that each form repeats in a hidden field
(double submit). :meth:`Accounts.user` puts the session's token on ``request.state``.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

CSRF_COOKIE = "ff_csrf"
CSRF_FIELD = "csrf_token"


def _cookie_token(request: Request) -> str:
    token = request.cookies.get(CSRF_COOKIE, "")
    if len(token) != 43 or not token.replace("-", "").replace("_", "").isalnum():
        return ""
    return token


def csrf_token(request: Request) -> str:
    """The token a form of this request carries: the session's, else the cookie's, else a
    new one (set by :func:`keep_csrf_cookie`)."""
    bound = getattr(request.state, "session_csrf", "")
    if bound:
        return bound
    token = _cookie_token(request)
    if not token:
        token = getattr(request.state, "new_csrf", "") or secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


def keep_csrf_cookie(request: Request, response: Response) -> None:
    token = getattr(request.state, "new_csrf", "")
    if token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/")


def csrf_ok(request: Request, submitted: object) -> bool:
    """Whether ``submitted`` is this request's token: the session's when signed in."""
    expected = getattr(request.state, "session_csrf", "") or _cookie_token(request)
    return bool(expected) and isinstance(submitted, str) and hmac.compare_digest(expected.encode(), submitted.encode("utf-8", "surrogatepass"))
