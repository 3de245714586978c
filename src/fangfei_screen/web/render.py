"""Pages from the package's Jinja2 templates, with the headers every page carries."""

from __future__ import annotations

import json
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .. import __version__
from .csrf import CSRF_FIELD, csrf_token, keep_csrf_cookie
from .marks import FIELD_LABELS, REASON_LABELS, VIA_LABELS

# Everything a page loads comes from this server; no script runs inline.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

NAV = (("check", "/", "预登记检查"), ("bulk", "/bulk", "批量排查"), ("ledger", "/ledger", "台账"), ("lists", "/lists", "清单"))

_env = Environment(loader=PackageLoader("fangfei_screen.web", "templates"), autoescape=select_autoescape(["html"]))
_env.filters["compact_json"] = lambda v: json.dumps(v, ensure_ascii=False)
_env.globals.update(field_labels=FIELD_LABELS, via_labels=VIA_LABELS, reason_labels=REASON_LABELS, nav=NAV, csrf_field=CSRF_FIELD,
                    version=__version__)


def render(request: Request, template: str, context: dict[str, Any], *, status: int = 200, page: str = "") -> Response:
    """The page ``template`` filled with ``context``; sets the CSRF cookie when new."""
    ctx = {"request": request, "page": page, "csrf": csrf_token(request), "user": getattr(request.state, "user", None)}
    ctx.update(context)
    response = HTMLResponse(_env.get_template(template).render(ctx), status_code=status, headers=SECURITY_HEADERS)
    keep_csrf_cookie(request, response)
    return response
