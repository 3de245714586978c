"""Issue 19: the pages' sessions, sign-in limits and the event loop under a busy ledger.

A ledger filled by the real commands (users add, scan, ledger ingest), real servers on
loopback, another process (here, sqlite3 in the test) holding the ledger's write lock.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .web_helpers import ROOT, Server, add_user, sign_in, start_server

SAMPLE = ROOT / "data" / "samples" / "entities.csv"
MONTH = "2025-06"
SMALL_CHECK = {"name": "固镇县鑫源投资管理有限公司", "scope": "日用百货销售"}


@pytest.fixture(scope="module")
def ledger_db(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("ledger")
    path = tmp / "ledger.db"
    db = f"sqlite:///{path}"
    people = {
        "clerk": add_user(db, "张三", "城关镇", "clerk"),
        "reviewer": add_user(db, "李四", "县市场监管局", "reviewer"),
        "admin": add_user(db, "赵六", "县财政局", "admin"),
    }
    screened = tmp / "screened.csv"
    run = [sys.executable, "-m", "fangfei_screen"]
    subprocess.run([*run, "scan", str(SAMPLE), "-o", str(screened), "--as-of", "2025-06-30"], check=True, capture_output=True)
    subprocess.run([*run, "ledger", "ingest", str(screened), "--month", MONTH, "--unit", "城关镇", "--by", "张三", "--db", db],
                   check=True, capture_output=True)
    return {"db": db, "path": str(path), "jobs": str(tmp / "jobs"), **people}


@pytest.fixture(scope="module")
def server(ledger_db: dict[str, str]) -> Iterator[Server]:
    yield from start_server(env={"FANGFEI_DB": ledger_db["db"], "FANGFEI_WEB_JOBS_DIR": ledger_db["jobs"]})


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, html[:500]
    return m.group(1)


def _entity_with_findings(client: httpx.Client) -> tuple[str, str]:
    """(key, term|field) of an entity of the ledger page, from its own form."""
    for key in re.findall(r'href="/ledger/entity\?key=([^"]+)"', client.get("/ledger").text):
        key = httpx.URL("/x?k=" + key).params["k"]
        page = client.get("/ledger/entity", params={"key": key}).text
        m = re.search(r'<option value="([^"]+\|(?:name|scope))"', page)
        if m:
            return key, m.group(1)
    raise AssertionError("no entity with findings on the ledger page")


def test_a_page_write_while_another_process_holds_the_lock_says_busy_and_the_rest_keeps_answering(
    server: Server, ledger_db: dict[str, str]
) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert sign_in(client, ledger_db["reviewer"]).status_code == 303
        key, term_field = _entity_with_findings(client)
        token = _csrf(client.get("/ledger").text)
        holder = sqlite3.connect(ledger_db["path"], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # as `ledger ingest` holds it for a month's file
        answers: dict[str, httpx.Response] = {}
        held: list[str] = []  # checks answered while the lock was held: on record once it is free
        try:
            def write() -> None:
                answers["review"] = client.post("/ledger/entity/review", data={
                    "csrf_token": token, "key": key, "term_field": term_field, "decision": "confirmed", "reason": ""})

            writer = threading.Thread(target=write)
            writer.start()
            # while the page waits for the lock, the loop still answers the others
            with httpx.Client(base_url=server.url, timeout=3) as other:
                for _ in range(5):
                    assert other.get("/healthz").status_code == 200
                    r = other.post("/v1/check", json=SMALL_CHECK)
                    assert r.status_code == 200 and r.json()["action"] == "block"
                    held.append(r.json()["check_id"])
                    assert other.get("/").status_code == 200
            writer.join(timeout=30)
            assert not writer.is_alive()
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        r = answers["review"]
        assert r.status_code in (200, 503) and "台账正忙，请稍后再试" in r.text
        assert "Traceback" not in r.text
        # once the lock is free the same write goes through
        r = client.post("/ledger/entity/review", data={
            "csrf_token": token, "key": key, "term_field": term_field, "decision": "confirmed", "reason": ""})
        assert r.status_code == 303
        # and every check answered meanwhile is on record (the writer tries again; a hang guard, not a timing)
        assert len(held) == 5 and all(held)
        deadline = time.monotonic() + 60
        missing = list(held)
        with httpx.Client(base_url=server.url, timeout=30) as admin:  # anonymous API checks: an admin reads them
            assert sign_in(admin, ledger_db["admin"]).status_code == 303
            while missing and time.monotonic() < deadline:
                missing = [c for c in missing if admin.get(f"/v1/checks/{c}").status_code != 200]
                time.sleep(0.2)
        assert not missing


def test_sign_in_failures_wait_longer_each_time_per_address_and_per_token_id(tmp_path: Path) -> None:
    # a server and a ledger of its own: the failures are counted in the ledger database (shared by
    # every worker), and must not lock out the other tests
    db = f"sqlite:///{tmp_path / 'limits.db'}"
    ledger_db = {"db": db, "clerk": add_user(db, "张三", "城关镇", "clerk"), "admin": add_user(db, "赵六", "县财政局", "admin")}
    server = Server(env={"FANGFEI_DB": ledger_db["db"], "FANGFEI_WEB_JOBS_DIR": str(tmp_path / "jobs")})
    good = ledger_db["clerk"]
    token_id = good.split("_")[1]
    secret = good.split("_", 2)[2]
    wrong = f"ff_{token_id}_{'x' * 43}"
    here = httpx.Client(base_url=server.url, timeout=30)
    # another client address on loopback, so that the address limit and the token-id limit are seen apart
    there = httpx.Client(base_url=server.url, timeout=30, transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    with here, there:
        codes = [sign_in(here, wrong).status_code for _ in range(4)]
        assert codes[:3] == [200, 200, 200] and codes[3] == 429
        r = sign_in(here, wrong)
        assert r.status_code == 429 and "登录失败次数过多" in r.text and int(r.headers["Retry-After"]) >= 1
        # the right token from the same address waits too: the limit comes before the check
        assert sign_in(here, good).status_code == 429
        # from another address the same token id waits; another user's token does not
        assert sign_in(there, good).status_code == 429
        assert sign_in(there, ledger_db["admin"]).status_code == 303
        assert here.get("/healthz").status_code == 200
    err = server.stop()
    assert "Traceback" not in err
    assert "sign-in failed" in err and token_id in err  # failures are logged, by token id
    assert secret not in err and "x" * 43 not in err  # never the token's secret


def test_a_form_token_of_another_session_is_refused(server: Server, ledger_db: dict[str, str]) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as a, httpx.Client(base_url=server.url, timeout=30) as b:
        assert sign_in(a, ledger_db["reviewer"]).status_code == 303
        assert sign_in(b, ledger_db["admin"]).status_code == 303
        a_token = _csrf(a.get("/ledger").text)
        b_token = _csrf(b.get("/ledger").text)
        assert a_token != b_token
        # b sends a's token and a's form cookie too: double submit alone would take it
        b.cookies.set("ff_csrf", a.cookies.get("ff_csrf") or a_token)
        r = b.post("/", data={"csrf_token": a_token, "name": "某某投资有限公司", "kind": "new"})
        assert r.status_code == 403 and "页面已过期" in r.text
        r = b.post("/", data={"csrf_token": b_token, "name": "某某投资有限公司", "kind": "new"})
        assert r.status_code == 200 and "页面已过期" not in r.text


def test_sign_out_without_a_token_ends_the_session_on_the_server(server: Server, ledger_db: dict[str, str]) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert sign_in(client, ledger_db["clerk"]).status_code == 303
        sid = client.cookies.get("ff_session")
        assert sid and client.get("/ledger").status_code == 200
        assert client.post("/signout", data={}).status_code == 303
    with httpx.Client(base_url=server.url, timeout=30, cookies={"ff_session": sid}) as replay:
        r = replay.get("/ledger")
        assert r.status_code == 303 and r.headers["location"].startswith("/signin")


def test_a_restart_keeps_people_signed_in(tmp_path: Path, ledger_db: dict[str, str]) -> None:
    env = {"FANGFEI_DB": ledger_db["db"], "FANGFEI_WEB_JOBS_DIR": str(tmp_path / "jobs")}
    first = Server(env=env)
    try:
        with httpx.Client(base_url=first.url, timeout=30) as client:
            assert sign_in(client, ledger_db["clerk"]).status_code == 303
            sid = client.cookies.get("ff_session")
    finally:
        assert "Traceback" not in first.stop()
    second = Server(env=env)
    try:
        with httpx.Client(base_url=second.url, timeout=30, cookies={"ff_session": sid}) as client:
            r = client.get("/ledger")
            assert r.status_code == 200 and "张三" in r.text
    finally:
        assert "Traceback" not in second.stop()
