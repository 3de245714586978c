"""Shared by the web tests: a real server on loopback and a real Chromium driven by Playwright."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
from .serving import Server, start_server  # noqa: F401 - the web tests take them from here
from .tools import skip_or_fail

CHROMIUM = os.environ.get("FANGFEI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SCREENSHOTS = Path(os.environ.get("FANGFEI_SCREENSHOTS") or ROOT / "out" / "screenshots")
WIDTHS = {"desktop": (1280, 900), "narrow": (390, 844)}


def launch_chromium() -> Any:
    """(playwright, browser); skips without Chromium or Playwright, but fails under CI."""
    reason = ""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "playwright is not installed"
    if not reason and not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if reason:
        skip_or_fail(f"browser tests: {reason}")
    pw = sync_playwright().start()
    return pw, pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@dataclass
class Watch:
    """What a page did that it should not: console errors, page errors, requests elsewhere."""

    origin: str
    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        page.on("request", self._request)
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))

    def _request(self, request: Any) -> None:
        url = request.url
        if not (url.startswith(self.origin + "/") or url == self.origin or url.startswith("data:")):
            self.foreign_requests.append(url)

    def check(self) -> None:
        assert self.console_errors == [], self.console_errors
        assert self.foreign_requests == [], self.foreign_requests


def screenshot(page: Any, name: str, *, full_page: bool = True) -> list[Path]:
    """The page at desktop and narrow widths, into SCREENSHOTS (not committed)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    out = []
    original = page.viewport_size
    for label, (w, h) in WIDTHS.items():
        page.set_viewport_size({"width": w, "height": h})
        # nothing runs off the side: wide tables scroll in their own box
        assert page.evaluate("document.documentElement.scrollWidth") <= w, f"{name} overflows at {w}px"
        path = SCREENSHOTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=full_page)
        out.append(path)
    if original:
        page.set_viewport_size(original)
    return out


def add_user(db: str, name: str, unit: str, role: str) -> str:
    """A user added with the real `users add` command; returns the token it prints once."""
    done = subprocess.run(
        [sys.executable, "-m", "fangfei_screen", "users", "add", name, "--unit", unit, "--role", role, "--db", db],
        capture_output=True, text=True, check=True,
    )
    return next(w for w in done.stdout.replace("：", " ").split() if w.startswith("ff_"))


def sign_in(client: httpx.Client, token: str) -> httpx.Response:
    import re

    html = client.get("/signin").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert csrf, html[:500]
    return client.post("/signin", data={"csrf_token": csrf.group(1), "token": token, "next": "/"})


def sign_in_page(page: Any, base: str, token: str) -> None:
    page.goto(base + "/signin")
    page.get_by_label("登录令牌").fill(token)
    page.get_by_role("button", name="登录").click()
    page.wait_for_selector("#signed-in")
