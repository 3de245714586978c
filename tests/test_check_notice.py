"""The page's checks on record, the desk's outcome form, and the printed 不予登记/限期整改
说明 as HTML and as PDF (rendered by LibreOffice, read back with pdftotext) — a real ledger,
a real server on loopback, the real `users add`."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fangfei_screen.ledger import Ledger
from fangfei_screen.ledger.checks import get_check

from .web_helpers import Server, add_user, sign_in, start_server

# A name and scope in the shape 国家企业信用信息公示系统 shows them.
NAME = "固镇县鑫源投资管理有限公司"
SCOPE = "一般项目：企业管理咨询；投融资咨询服务；日用百货销售（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    tmp = tmp_path_factory.mktemp("desk")
    db = f"sqlite:///{tmp / 'ledger.db'}"
    people = {"clerk": add_user(db, "张三", "城关镇", "clerk"), "other": add_user(db, "王五", "湖沟镇", "clerk")}
    for server in start_server(env={"FANGFEI_DB": db, "FANGFEI_WEB_JOBS_DIR": str(tmp / "jobs")}):
        yield {"server": server, "db": db, "tmp": tmp, **people}


def _check_on_page(client: httpx.Client, **fields: str) -> httpx.Response:
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text).group(1)  # type: ignore[union-attr]
    return client.post("/", data={"csrf_token": csrf, **fields})


def _check_id(html: str) -> str:
    m = re.search(r'id="check-id">核查编号 <strong>(C\d{8}-[0-9a-f]{10})</strong>', html)
    assert m, html[:3000]
    return m.group(1)


def test_an_anonymous_check_on_the_page_is_recorded(desk: dict[str, object]) -> None:
    server: Server = desk["server"]  # type: ignore[assignment]
    with httpx.Client(base_url=server.url, timeout=60) as client:
        r = _check_on_page(client, kind="new", name=NAME, scope=SCOPE)
        assert r.status_code == 200 and "结论：不予登记" in r.text
        check_id = _check_id(r.text)
        assert "登录后可以记录受理结果" in r.text
    rec = get_check(Ledger.open(str(desk["db"])), check_id)
    assert rec is not None and rec.channel == "page" and rec.caller_kind == "anonymous" and rec.unit == ""
    assert rec.action == "block" and set(rec.terms) == {"投资", "投融资"} and rec.input["scope"] == SCOPE  # type: ignore[index]


@pytest.mark.needs_tools("libreoffice", "pdftotext", "pdfinfo")
def test_the_desk_records_an_outcome_and_prints_the_notice(desk: dict[str, object]) -> None:
    server: Server = desk["server"]  # type: ignore[assignment]
    with httpx.Client(base_url=server.url, timeout=60) as client:
        sign_in(client, str(desk["clerk"]))
        page = _check_on_page(client, kind="new", name=NAME, scope=SCOPE)
        check_id = _check_id(page.text)
        assert f'href="/checks/{check_id}/notice"' in page.text and "打印不予登记说明" in page.text
        record = client.get(f"/checks/{check_id}")
        assert record.status_code == 200 and "尚未记录受理结果" in record.text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', record.text).group(1)  # type: ignore[union-attr]
        # 不采纳 without a reason: the form says so, nothing is recorded
        again = client.post(f"/checks/{check_id}/outcome", data={"csrf_token": csrf, "outcome": "overridden"})
        assert again.status_code == 200 and "不采纳时请写明理由" in again.text
        done = client.post(f"/checks/{check_id}/outcome", data={"csrf_token": csrf, "outcome": "adopted"})
        assert done.status_code == 303
        assert "采纳" in client.get(f"/checks/{check_id}").text
        # another unit's clerk does not see it
        with httpx.Client(base_url=server.url, timeout=60) as other:
            sign_in(other, str(desk["other"]))
            assert other.get(f"/checks/{check_id}").status_code == 404
            assert other.get(f"/checks/{check_id}/notice.pdf").status_code == 404

        notice = client.get(f"/checks/{check_id}/notice")
        assert notice.status_code == 200
        for part in ("不予登记说明", check_id, NAME, "投资", "投融资", "经营范围第", "第二十条第一款", "盖章", "2025-05-30"):
            assert part in notice.text, part
        pdf = client.get(f"/checks/{check_id}/notice.pdf", timeout=180)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    out = Path(str(desk["tmp"])) / "notice.pdf"
    out.write_bytes(pdf.content)
    printed = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", printed)
    for part in ("不予登记说明", check_id, NAME, "投资", "投融资", "名称第6–7字", "第二十条第一款", "不予登记并书面说明理由",
                 "固政办〔2025〕10号", "2025-05-30", "城关镇（盖章）"):
        assert part in flat, (part, printed[:2000])
    pages = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Pages:\s+1\b", pages) and "595" in pages  # one A4 page (595 × 842 pt)
    rec = get_check(Ledger.open(str(desk["db"])), check_id)
    assert rec is not None and rec.caller == "张三" and rec.unit == "城关镇" and rec.outcome.outcome.value == "adopted"  # type: ignore[union-attr]


def test_a_check_that_passes_has_no_notice(desk: dict[str, object]) -> None:
    server: Server = desk["server"]  # type: ignore[assignment]
    with httpx.Client(base_url=server.url, timeout=60) as client:
        sign_in(client, str(desk["clerk"]))
        page = _check_on_page(client, kind="new", name="固镇县某某商贸有限公司", scope="日用百货销售")
        check_id = _check_id(page.text)
        assert "/notice" not in page.text
        assert client.get(f"/checks/{check_id}/notice").status_code == 404
        assert client.get("/checks/C20250101-0000000000").status_code == 404


def test_the_version_is_on_every_page_and_in_healthz(desk: dict[str, object]) -> None:
    from fangfei_screen import __version__

    server: Server = desk["server"]  # type: ignore[assignment]
    with httpx.Client(base_url=server.url, timeout=60) as client:
        for path in ("/", "/lists", "/signin"):
            footer = client.get(path).text.split('<footer', 1)[1]
            assert f"fangfei-screen {__version__}" in footer, path
        assert client.get("/healthz").json()["version"] == __version__
    done = subprocess.run([sys.executable, "-m", "fangfei_screen", "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"fangfei-screen {__version__}"


def test_sign_in_failures_are_counted_in_the_metrics(desk: dict[str, object]) -> None:
    server: Server = desk["server"]  # type: ignore[assignment]

    def failures() -> float:
        m = re.search(r"^fangfei_signin_failures_total (\S+)$", httpx.get(f"{server.url}/metrics").text, re.M)
        assert m
        return float(m.group(1))

    before = failures()
    with httpx.Client(base_url=server.url, timeout=60) as client:
        assert sign_in(client, "ff_000000000000_" + "x" * 43).status_code == 200  # the form again, with its error
        assert sign_in(client, str(desk["clerk"])).status_code == 303
    assert failures() == before + 1
