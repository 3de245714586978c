"""清单 page: the lists in service with version and sha256, terms by category, and a diff
with an uploaded list, in a real Chromium against a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fangfei_screen import bundled_list_path
from fangfei_screen.lexicon import load_list

from .web_helpers import Server, Watch, screenshot, start_server

WATCH_LIST = bundled_list_path("keywords-watch.yaml")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    yield from start_server("--list", str(bundled_list_path()), "--list", str(WATCH_LIST))


@pytest.fixture()
def page(browser: Any, server: Server) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    p = context.new_page()
    watch = Watch(server.url)
    watch.attach(p)
    yield p
    context.close()
    watch.check()


@pytest.fixture()
def new_list(tmp_path: Path) -> Path:
    """The bundled list with 讨债 removed, a term added and a synonym added to 投资."""
    text = bundled_list_path().read_text(encoding="utf-8")
    text = text.replace('version: "2025-05-30"', 'version: "2025-07-01"')
    text = text.replace("  - term: 讨债\n    category: 2\n    synonyms: [追债]\n", "")
    text = text.replace("  - term: 投资\n    category: 2\n", "  - term: 投资\n    category: 2\n    synonyms: [投个资]\n")
    text = text.replace("terms:\n", "terms:\n  - term: 养老理财\n    category: 5\n    methods: [委托理财]\n", 1)
    path = tmp_path / "新清单.yaml"
    path.write_text(text, encoding="utf-8")
    load_list(path)  # the fixture itself is a valid list
    return path


def test_lists_show_version_sha256_and_terms_by_category(page: Any, server: Server) -> None:
    api = httpx.get(server.url + "/v1/keywords").json()
    page.goto(server.url + "/lists")
    assert page.locator(".list-version").all_inner_texts() == [kl["version"] for kl in api["lists"]]
    assert page.locator(".list-sha256").all_inner_texts() == [kl["sha256"] for kl in api["lists"]]
    first = page.locator(".list-section").first
    terms_shown = first.locator("table.terms tbody th").all_inner_texts()
    bundled = load_list(bundled_list_path())
    assert sorted(terms_shown) == sorted(t.term for t in bundled.terms)
    headings = first.locator("h3").all_inner_texts()
    assert [h.split("类")[0] for h in headings] == sorted({str(int(t.category)) for t in bundled.terms}, key=int)
    nft_row = first.locator("table.terms tbody tr", has=page.locator("th", has_text="NFT")).inner_text()
    assert "数字藏品" in nft_row and "类传销" in nft_row
    excluded = [t for t in bundled.terms if t.exclusions][0]
    row = first.locator("table.terms tbody tr", has=page.locator("th", has_text=excluded.term)).first.inner_text()
    assert excluded.exclusions[0].pattern in row
    assert "仅标记重点监管" in page.locator(".list-section").nth(1).inner_text()
    screenshot(page, "lists", full_page=False)  # the whole list runs to metres


def test_uploaded_list_is_compared_with_the_loaded_one(page: Any, server: Server, new_list: Path) -> None:
    page.goto(server.url + "/lists")
    page.get_by_label("新清单文件").set_input_files(str(new_list))
    page.get_by_role("button", name="比较").click()
    assert "2025-05-30 → 2025-07-01" in page.locator("#diff-title").inner_text()
    assert "养老理财" in page.locator("#diff-added").inner_text()
    assert "讨债" in page.locator("#diff-removed").inner_text()
    assert "新增同义词 投个资" in page.locator("#diff-changed").inner_text()
    screenshot(page, "lists-diff")


def test_a_broken_list_gets_its_problems_with_lines(page: Any, server: Server, tmp_path: Path) -> None:
    bad = tmp_path / "../../etc/passwd.yaml".replace("/", "_")
    bad.write_text('name: x\nversion: "1"\nterms:\n  - term: 投资\n    category: 9\n', encoding="utf-8")
    page.goto(server.url + "/lists")
    page.get_by_role("button", name="比较").click()
    assert "请选择要比较的清单文件" in page.locator(".error-summary").inner_text()
    page.get_by_label("新清单文件").set_input_files(str(bad))
    page.get_by_role("button", name="比较").click()
    summary = page.locator(".error-summary").inner_text()
    assert "第 5 行" in summary and "/tmp" not in summary
    page.locator(".error-summary a").first.click()
    assert page.evaluate("document.activeElement.id") == "list_file"


def test_odd_uploads_never_500(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        html = client.get("/lists").text
        token = html.split('name="csrf_token" value="')[1].split('"')[0]
        for content in (b"\xff\xfe\x00garbage", b"- [unclosed", b"", b"a: !!python/object/apply:os.system ['true']"):
            r = client.post("/lists", data={"csrf_token": token}, files={"list_file": ("x.yaml", content)})
            assert r.status_code == 200 and "error-summary" in r.text, content
        r = client.post("/lists", data={"csrf_token": token, "against": "99"}, files={"list_file": ("x.yaml", b"x")})
        assert r.status_code == 200
        r = client.post("/lists", files={"list_file": ("x.yaml", b"x")})
        assert r.status_code == 403
