"""预登记检查 page: a real server on loopback, a real Chromium, and plain HTTP for the odd inputs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fangfei_screen.models import Field
from fangfei_screen.web.marks import segments

from .web_helpers import Server, Watch, screenshot, start_server

NAME = "固镇县鑫源投资管理有限公司"
SCOPE = "以自有资金从事投资活动；日用百货销售（不含拍卖）"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    yield from start_server()


@pytest.fixture()
def page(browser: Any, server: Server) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    p = context.new_page()
    watch = Watch(server.url)
    watch.attach(p)
    yield p
    context.close()
    watch.check()


def csrf(client: httpx.Client, url: str) -> str:
    html = client.get(url).text
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, html[:500]
    return m.group(1)


def test_typed_name_and_scope_show_marks_and_recommendation(page: Any, server: Server) -> None:
    page.goto(server.url + "/")
    page.get_by_label("名称", exact=True).fill(NAME)
    page.get_by_label("经营范围", exact=True).fill(SCOPE)
    page.get_by_role("button", name="检查").click()
    expected = httpx.post(server.url + "/v1/check", json={"name": NAME, "scope": SCOPE}).json()
    assert page.locator("#answer-title").inner_text() == f"结论：{expected['action_label']}"
    marked = page.locator("mark").all_inner_texts()
    assert marked == [h["text"] for h in expected["hits"]]
    assert marked and all(m in NAME + SCOPE for m in marked)
    # the name and scope read back whole around the marks
    assert page.locator("#marked-name").inner_text() == NAME
    assert page.locator("#marked-scope").inner_text() == SCOPE
    hits = page.locator("#hits tbody tr")
    assert hits.count() == len(expected["hits"])
    first = hits.first.inner_text()
    assert expected["hits"][0]["category_name"] in first and expected["hits"][0]["list"] in first
    suppressed = page.locator("#suppressed").inner_text()
    assert "拍卖" in suppressed and "否定条款" in suppressed
    assert expected["basis"] == page.locator("#basis").inner_text()
    assert expected["list_version"] in page.locator("#list-version").inner_text()
    screenshot(page, "check")


def test_keyboard_alone_change_registration(page: Any, server: Server) -> None:
    page.goto(server.url + "/")
    before = page.locator("#before_name")
    assert not before.is_visible()  # the before fields show only for a change
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # service name
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "kind":
            break
    page.keyboard.press("ArrowRight")  # 设立 → 变更
    assert page.locator("#kind-change").is_checked()
    assert before.is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "name"
    page.keyboard.type("固镇县鑫源商贸有限公司")
    page.keyboard.press("Tab")
    page.keyboard.type("日用百货销售")
    page.keyboard.press("Tab")
    page.keyboard.type(NAME)
    page.keyboard.press("Tab")
    page.keyboard.type("投资咨询")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "检查"
    page.keyboard.press("Enter")
    page.wait_for_selector("#answer-title")
    assert page.locator("#answer-title").inner_text() == "结论：准予登记（去除涉金融字样的变更）"
    assert "投资" in page.locator("body").inner_text()
    assert page.locator("mark").count() == 0


def test_error_summary_links_to_the_field(page: Any, server: Server) -> None:
    page.goto(server.url + "/")
    page.get_by_role("button", name="检查").click()
    summary = page.locator(".error-summary")
    assert "请输入名称" in summary.inner_text()
    assert page.title().startswith("错误：")
    summary.get_by_role("link", name="请输入名称").click()
    assert page.evaluate("document.activeElement.id") == "name"
    screenshot(page, "check-error")


def test_bad_dates_and_forged_posts_are_answered_not_500(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        token = csrf(client, "/")
        r = client.post("/", data={"csrf_token": token, "name": NAME, "kind": "existing", "established_on": "2019-13-40"})
        assert r.status_code == 200 and "成立日期应为" in r.text and 'href="#established_on"' in r.text
        r = client.post("/", data={"name": NAME})  # no token: a cross-site post looks like this
        assert r.status_code == 403 and "页面已过期" in r.text and "<mark>" not in r.text
        r = client.post("/", data={"csrf_token": token, "name": NAME, "kind": "sideways"})
        assert r.status_code == 200 and "请选择登记类型" in r.text and "<mark>" not in r.text in r.text
        r = client.post("/", data={"csrf_token": token, "name": "<script>alert(1)</script>投资", "scope": "\x00\u202e"})
        assert r.status_code == 200 and "<script>alert" not in r.text and "&lt;script&gt;" in r.text
        r = client.post("/", files={"name": ("x.csv", b"a,b"), "csrf_token": (None, token)})
        assert r.status_code == 200 and "请输入名称" in r.text
        r = client.post("/", content=b"\xff\xfe=\xff", headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 403
        r = client.post("/", content=b"--x\r\nbroken", headers={"content-type": "multipart/form-data; boundary=x"})
        assert r.status_code < 500


def test_existing_entity_facts_reach_the_hook(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        token = csrf(client, "/")
        form = {"csrf_token": token, "name": NAME, "kind": "existing", "entity_type": "company", "status": "not_opened",
                "established_on": "2015-01-01"}
        page = client.post("/", data=form).text
        api = client.post("/v1/check", json={k: v for k, v in form.items() if k != "csrf_token"}).json()
        assert f"结论：{api['action_label']}" in page and api["action"] == "propose_revocation"


@given(st.text(max_size=30), st.lists(st.tuples(st.integers(0, 30), st.integers(1, 5)), max_size=5))
def test_segments_keep_the_text_whole(text: str, spans: list[tuple[int, int]]) -> None:
    from fangfei_screen.models import Hit, TermInfo, Via

    term = TermInfo("投资", 2, "x", (), "l", "v")
    hits = [Hit(term, text[s:s + n], Field.NAME, s, s + n, Via.EXACT) for s, n in spans if s + n <= len(text)]
    parts = segments(text, hits, Field.NAME)
    assert "".join(p.text for p in parts) == text
    assert all(p.hit is None or text[p.hit.start:p.hit.end] == p.text for p in parts)
