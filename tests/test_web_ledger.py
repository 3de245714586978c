"""Signing in and the 台账 pages: a ledger filled by the real commands (users add, scan,
ledger ingest), a real server, a real Chromium."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest

from fangfei_screen.ledger import Ledger, revoke_user

from .web_helpers import ROOT, Server, Watch, add_user, screenshot, sign_in, sign_in_page, start_server

SAMPLE = ROOT / "data" / "samples" / "entities.csv"
MONTH = "2025-06"


@pytest.fixture(scope="module")
def ledger_db(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("ledger")
    db = f"sqlite:///{tmp / 'ledger.db'}"
    people = {
        "clerk": add_user(db, "张三", "城关镇", "clerk"),
        "other": add_user(db, "王五", "湖沟镇", "clerk"),
        "reviewer": add_user(db, "李四", "县市场监管局", "reviewer"),
        "admin": add_user(db, "赵六", "县财政局", "admin"),
        "gone": add_user(db, "钱七", "城关镇", "clerk"),
    }
    screened = tmp / "screened.csv"
    run = [sys.executable, "-m", "fangfei_screen"]
    subprocess.run([*run, "scan", str(SAMPLE), "-o", str(screened), "--as-of", "2025-06-30"], check=True, capture_output=True)
    subprocess.run([*run, "ledger", "ingest", str(screened), "--month", MONTH, "--unit", "城关镇", "--by", "张三", "--db", db],
                   check=True, capture_output=True)
    return {"db": db, **people}


@pytest.fixture(scope="module")
def server(ledger_db: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(env={"FANGFEI_DB": ledger_db["db"], "FANGFEI_WEB_JOBS_DIR": str(tmp_path_factory.mktemp("jobs"))})


@pytest.fixture()
def context(browser: Any) -> Iterator[Any]:
    c = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    yield c
    c.close()


@pytest.fixture()
def page(context: Any, server: Server) -> Iterator[Any]:
    p = context.new_page()
    watch = Watch(server.url)
    watch.attach(p)
    yield p
    watch.check()


def first_entity(client: httpx.Client) -> str:
    keys = re.findall(r'href="/ledger/entity\?key=([^"]+)"', client.get("/ledger").text)
    assert keys
    return keys[0]


def test_sign_in_failures_and_the_session_cookie(page: Any, context: Any, server: Server, ledger_db: dict[str, str]) -> None:
    page.goto(server.url + "/ledger")
    assert page.url.startswith(server.url + "/signin")  # sent to sign in first
    page.get_by_label("登录令牌").fill(ledger_db["clerk"][:-2] + "xx")
    page.get_by_role("button", name="登录").click()
    assert "令牌不正确" in page.locator(".error-summary").inner_text()
    screenshot(page, "signin-error")
    page.get_by_label("登录令牌").fill(ledger_db["clerk"])
    page.get_by_role("button", name="登录").click()
    assert page.url == server.url + "/ledger"  # and back where they were going
    assert "张三（城关镇" in page.locator("#signed-in").inner_text()
    cookie = next(c for c in context.cookies() if c["name"] == "ff_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]  # plain HTTP on loopback
    page.get_by_role("button", name="退出").click()
    page.goto(server.url + "/ledger")
    assert page.url.startswith(server.url + "/signin")


def test_revoked_user_is_out_at_once(server: Server, ledger_db: dict[str, str]) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        assert sign_in(client, ledger_db["gone"]).status_code == 303
        assert client.get("/ledger").status_code == 200
        revoke_user(Ledger.open(ledger_db["db"]), "钱七", by="赵六")
        assert client.get("/ledger").status_code == 303
        r = sign_in(client, ledger_db["gone"])
        assert r.status_code == 200 and "令牌不正确，或该用户已停用" in r.text
        r = client.post("/signin", data={"token": ledger_db["clerk"]})  # no CSRF token
        assert "页面已过期" in r.text and "ff_session" not in r.headers.get("set-cookie", "")


def test_clues_by_state_and_a_clerk_of_another_unit_refused(page: Any, server: Server, ledger_db: dict[str, str]) -> None:
    sign_in_page(page, server.url, ledger_db["clerk"])
    page.goto(server.url + "/ledger")
    shown = page.locator("#clues tbody tr").count()
    new = int(re.search(r"新发 (\d+)", page.locator("#state-counts").inner_text()).group(1))
    assert shown == new > 0
    screenshot(page, "ledger")
    entity_url = page.locator("#clues tbody a").first.get_attribute("href")
    with httpx.Client(base_url=server.url, timeout=60) as other:
        sign_in(other, ledger_db["other"])
        assert "没有符合条件的线索" in other.get("/ledger").text  # 湖沟镇 has none
        r = other.get(entity_url)
        assert r.status_code == 403 and "不能查看城关镇的台账" in r.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', other.get("/ledger").text).group(1)
        key = httpx.URL(server.url + entity_url).params["key"]
        r = other.post("/ledger/entity/dispose", data={"csrf_token": token, "key": key, "measure": "约谈"})
        assert r.status_code == 403
        r = other.get(f"/ledger/reports/attachment2?month={MONTH}&unit=城关镇")  # the unit is theirs, whatever is asked
        rows = [r for r in openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
        assert rows == []


def test_review_a_finding_then_see_it_in_the_ledger_and_history(page: Any, server: Server, ledger_db: dict[str, str]) -> None:
    sign_in_page(page, server.url, ledger_db["reviewer"])
    page.goto(server.url + "/ledger")
    page.locator("#clues tbody a").first.click()
    term = page.locator("#findings-table tbody th").first.inner_text()
    page.get_by_role("radio", name="其他含义（不计入）").check()
    page.get_by_role("button", name="记录认定").click()
    assert "认定为其他含义时，请写明理由" in page.locator(".error-summary").inner_text()
    page.locator(".error-summary a").first.click()
    assert page.evaluate("document.activeElement.id") == "reason"
    page.keyboard.type("此处为企业字号的一部分，并非金融业务")
    page.get_by_role("radio", name="其他含义（不计入）").check()
    page.get_by_role("button", name="记录认定").click()
    assert "认定已记录" in page.locator("#notice").inner_text()
    row = page.locator("#findings-table tbody tr", has=page.locator("th", has_text=term)).first.inner_text()
    assert "其他含义" in row and "李四" in row
    history = page.locator("#history-list").inner_text()
    assert "认定为其他含义" in history and "李四" in history
    assert page.locator("#dispose-form").count() == 0  # reviewers decide; clerks dispose


def test_record_a_disposal_then_see_it_in_the_ledger_history_and_attachment_3(
    page: Any, server: Server, ledger_db: dict[str, str], tmp_path: Path
) -> None:
    sign_in_page(page, server.url, ledger_db["clerk"])
    page.goto(server.url + "/ledger")
    page.locator("#clues tbody a").nth(1).click()
    name = page.locator("#entity-name").inner_text()
    assert page.locator("#review-form").count() == 0  # clerks do not decide findings
    page.get_by_label("处置措施").select_option("约谈")
    page.get_by_label("处置日期").fill("2025-06-20")
    page.get_by_label("风险情况描述").fill("名称含涉金融字样，已约谈负责人")
    page.get_by_text("调查认定（选填）、移送公安（必填）、处罚等").click()  # the optional fields fold away
    page.get_by_label("集资金额（万元）").fill("十万")
    page.get_by_role("button", name="记录处置").click()
    summary = page.locator(".error-summary").inner_text()
    assert "金额「十万」应为非负数" in summary
    page.locator(".error-summary a").first.click()  # the field in error is shown, folded part open
    assert page.evaluate("document.activeElement.id") == "d-amount"
    page.get_by_label("集资金额（万元）").fill("10")
    page.get_by_role("button", name="记录处置").click()
    assert "处置已记录" in page.locator("#notice").inner_text()
    assert "约谈" in page.locator("#disposals-table").inner_text() and "张三" in page.locator("#disposals-table").inner_text()
    assert "记录处置" in page.locator("#history-list").inner_text()
    screenshot(page, "ledger-entity")
    page.goto(server.url + "/ledger?state=disposed")
    assert name in page.locator("#clues").inner_text()
    page.goto(server.url + "/ledger")
    page.get_by_label("处置情况统计表（附件3）：月份").fill(MONTH)
    with page.expect_download() as d:
        page.get_by_role("button", name="下载处置情况统计表").click()
    d.value.save_as(tmp_path / "att3.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "att3.xlsx").active
    assert name in [c for row in sheet.iter_rows(values_only=True) for c in row]


def test_ledger_reports_open_in_excel_and_bad_months_are_said(server: Server, ledger_db: dict[str, str]) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        sign_in(client, ledger_db["admin"])
        for what in ("attachment2", "attachment3", "feedback"):
            r = client.get(f"/ledger/reports/{what}", params={"month": MONTH, "unit": "城关镇"})
            assert r.status_code == 200, r.text[:500]
            book = openpyxl.load_workbook(io.BytesIO(r.content))
            for row in book.active.iter_rows():
                assert all(c.data_type != "f" for c in row)
        r = client.get("/ledger/reports/attachment2", params={"month": "2025-13"})
        assert r.status_code == 200 and "下载报表前，请填写月份" in r.text
        assert client.get("/ledger/reports/nothing?month=2025-06").status_code == 404
        assert client.get("/ledger/entity", params={"key": "../../etc/passwd"}).status_code == 404
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/ledger").text).group(1)
        key = first_entity(client)
        key = httpx.URL("/x?k=" + key).params["k"]
        for data in ({"key": key}, {"key": key, "term_field": "|", "decision": "maybe"}):
            r = client.post("/ledger/entity/review", data={"csrf_token": token, **data})
            assert r.status_code == 200 and 'href="#term_field"' in r.text and 'href="#decision-other_sense"' in r.text
        r = client.post("/ledger/entity/review", data={"csrf_token": token, "key": "无此主体"})
        assert r.status_code == 404 and "台账中没有这个主体" in r.text
        r = client.post("/ledger/entity/dispose", data={"csrf_token": token, "key": key,
                                                        "measure": "约谈", "date": "2025-02-30", "police": "也许"})
        assert r.status_code == 200 and 'href="#d-date"' in r.text and 'href="#d-police"' in r.text


def test_pages_need_no_account_for_checking(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        assert client.get("/").status_code == 200 and client.get("/lists").status_code == 200
        assert client.get("/ledger").status_code == 303


def test_session_cookie_is_secure_over_tls(server: Server, ledger_db: dict[str, str]) -> None:
    # uvicorn takes the scheme from a loopback proxy's X-Forwarded-Proto, as behind a TLS front end
    tls = {"X-Forwarded-Proto": "https"}
    first = httpx.get(server.url + "/signin", headers=tls)
    assert "Secure" in first.headers["set-cookie"]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', first.text).group(1)
    # the cookie jar keeps Secure cookies off plain HTTP, so it is sent by hand here
    r = httpx.post(server.url + "/signin", headers={**tls, "Cookie": f"ff_csrf={csrf}"},
                   data={"csrf_token": csrf, "token": ledger_db["admin"], "next": "/ledger"})
    cookie = r.headers["set-cookie"]
    assert r.status_code == 303 and r.headers["location"] == "/ledger"
    assert "ff_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    with httpx.Client(base_url=server.url, timeout=60) as client:
        assert "Secure" not in sign_in(client, ledger_db["admin"]).headers["set-cookie"]
