"""An admin reloads the lists from the 清单 page, as /v1/keywords/reload does: a real server
started on a list file that is then edited, real users from `users add`, plain HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fangfei_screen import bundled_list_path

from .web_helpers import Server, add_user, sign_in, start_server


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path, dict[str, str]]]:
    tmp = tmp_path_factory.mktemp("reload")
    db = f"sqlite:///{tmp / 'ledger.db'}"
    tokens = {role: add_user(db, name, "城关镇", role) for role, name in (("admin", "赵六"), ("clerk", "张三"))}
    listfile = tmp / "keywords.yaml"
    listfile.write_text(bundled_list_path().read_text(encoding="utf-8"), encoding="utf-8")
    for s in start_server("--list", str(listfile), env={"FANGFEI_DB": db, "FANGFEI_WEB_JOBS_DIR": str(tmp / "jobs")}):
        yield s, listfile, tokens


def _version(server: Server) -> str:
    return str(httpx.get(server.url + "/v1/keywords", timeout=60).json()["list_version"])


def _post_reload(client: httpx.Client) -> httpx.Response:
    page = client.get("/lists")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf, page.text[:300]
    return client.post("/lists/reload", data={"csrf_token": csrf.group(1)})


def _set_version(listfile: Path, version: str) -> None:
    text = re.sub(r'(?m)^version: .*$', f'version: "{version}"', listfile.read_text(encoding="utf-8"), count=1)
    listfile.write_text(text, encoding="utf-8")


def test_admin_reloads_the_lists_from_the_page(setup: tuple[Server, Path, dict[str, str]]) -> None:
    server, listfile, tokens = setup
    before = _version(server)
    _set_version(listfile, "2099-01-01")
    with httpx.Client(base_url=server.url, timeout=60) as admin:
        sign_in(admin, tokens["admin"])
        assert "重新加载清单" in admin.get("/lists").text
        r = _post_reload(admin)
        assert r.status_code == 200
        assert f"{before} → 2099-01-01" in r.text
    assert _version(server) == "2099-01-01"


def test_a_broken_list_is_refused_and_the_old_one_keeps_serving(setup: tuple[Server, Path, dict[str, str]]) -> None:
    server, listfile, tokens = setup
    serving = _version(server)
    good = listfile.read_text(encoding="utf-8")
    listfile.write_text(good + "  - {term: , category: 2}\n", encoding="utf-8")
    try:
        with httpx.Client(base_url=server.url, timeout=60) as admin:
            sign_in(admin, tokens["admin"])
            r = _post_reload(admin)
        assert r.status_code == 200 and "仍使用原清单" in r.text
        assert _version(server) == serving
    finally:
        listfile.write_text(good, encoding="utf-8")


def test_only_an_admin_may_reload(setup: tuple[Server, Path, dict[str, str]]) -> None:
    server, listfile, tokens = setup
    serving = _version(server)
    _set_version(listfile, "2099-02-02")
    with httpx.Client(base_url=server.url, timeout=60) as clerk:
        sign_in(clerk, tokens["clerk"])
        assert "重新加载清单" not in clerk.get("/lists").text
        r = _post_reload(clerk)
        assert r.status_code == 403 and "只有管理员" in r.text
    with httpx.Client(base_url=server.url, timeout=60) as anonymous:
        r = anonymous.post("/lists/reload", data={})
        assert r.status_code == 303 and r.headers["location"].startswith("/signin")
    assert _version(server) == serving
