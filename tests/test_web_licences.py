"""`serve --licences`: the HTTP check answers from the register, and the 台账 page records a
licence finding with the same function as `ledger review --licensed/--unlicensed`. A real
server on loopback, a ledger filled by the real commands."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .serving import Server, start_server
from .web_helpers import add_user, sign_in

BANK = ("91340323MA0000011A", "中国工商银行股份有限公司固镇支行", "存续", "固镇县谷阳路",
        "吸收公众存款；发放短期、中期和长期贷款；办理票据承兑与贴现；代理国外信用卡付款；提供信用证服务及担保")
UNION = ("91340323MA0000012B", "固镇县农村信用合作联社湖沟分社", "存续", "固镇县湖沟镇", "吸收公众存款；办理票据承兑与贴现")


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("lic")
    db = f"sqlite:///{tmp / 'ledger.db'}"
    registry = tmp / "registry.csv"
    with registry.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["统一社会信用代码", "企业名称", "登记状态", "住所", "经营范围"])
        w.writerows([BANK, UNION])
    register = tmp / "持牌机构名录.csv"
    register.write_text("机构名称,许可证编号,发证机关\n中国工商银行股份有限公司,B0001H134030001,国家金融监督管理总局\n", encoding="utf-8")
    run = [sys.executable, "-m", "fangfei_screen"]
    screened = tmp / "screened.csv"
    subprocess.run([*run, "scan", str(registry), "-o", str(screened), "--as-of", "2025-06-30"], check=True, capture_output=True)
    subprocess.run([*run, "ledger", "ingest", str(screened), "--month", "2025-06", "--unit", "城关镇", "--by", "张三", "--db", db],
                   check=True, capture_output=True)
    return {"db": db, "register": str(register), "reviewer": add_user(db, "李四", "县市场监管局", "reviewer"),
            "clerk": add_user(db, "张三", "城关镇", "clerk"), "jobs": str(tmp / "jobs")}


@pytest.fixture(scope="module")
def server(setup: dict[str, str]) -> Iterator[Server]:
    Path(setup["jobs"]).mkdir(exist_ok=True)
    yield from start_server("--licences", setup["register"], env={"FANGFEI_DB": setup["db"], "FANGFEI_WEB_JOBS_DIR": setup["jobs"]})


def test_the_service_answers_from_the_register(server: Server) -> None:
    on = httpx.post(server.url + "/v1/check", json={"name": BANK[1], "scope": BANK[4], "kind": "existing"}, timeout=30).json()
    assert on["action"] == "exempt" and on["licences"] == "持牌机构名录.csv" and len(on["licences_sha256"]) == 64
    assert "B0001H134030001" in on["basis"]
    off = httpx.post(server.url + "/v1/check", json={"name": UNION[1], "scope": UNION[4], "kind": "existing",
                                                      "credit_code": UNION[0]}, timeout=30).json()
    assert off["action"] == "order_rename" and "不在持牌机构名录中" in off["basis"]
    assert off["institution"]["kind"] == "农村信用合作联社"


def test_a_broken_register_is_refused_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("名单\n甲\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "fangfei_screen", "serve", "--port", "1", "--licences", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "bad.csv" in done.stderr and "Traceback" not in done.stderr


def _csrf(client: httpx.Client, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


def test_the_ledger_page_records_a_licence_finding(server: Server, setup: dict[str, str]) -> None:
    page = f"/ledger/entity?key={BANK[0]}"
    with httpx.Client(base_url=server.url, timeout=30) as clerk:
        sign_in(clerk, setup["clerk"])
        assert 'id="licence-form"' not in clerk.get(page).text  # reviewers record licences
        r = clerk.post("/ledger/entity/licence", data={"csrf_token": _csrf(clerk, page), "key": BANK[0], "licence": "unlicensed"})
        assert r.status_code == 403
    with httpx.Client(base_url=server.url, timeout=30) as client:
        sign_in(client, setup["reviewer"])
        html = client.get(page).text
        assert 'id="licence-form"' in html and "待核实牌照" in html
        token = _csrf(client, page)
        r = client.post("/ledger/entity/licence", data={"csrf_token": token, "key": BANK[0], "licence": "licensed", "licence_no": ""})
        assert r.status_code == 200 and "持牌时请填写许可证编号" in r.text and "持牌时请填写发证机关" in r.text
        r = client.post("/ledger/entity/licence", data={"csrf_token": token, "key": BANK[0], "licence": "licensed",
                                                          "licence_no": "B0001B234030002", "issuer": "国家金融监督管理总局蚌埠监管分局"})
        assert r.status_code == 303
        html = client.get(page).text
        assert "B0001B234030002" in html and "已核实持牌" in html
        r = client.post("/ledger/entity/licence", data={"csrf_token": token, "key": UNION[0], "licence": "unlicensed"})
        assert r.status_code == 303
        assert "经核实无金融牌照" in client.get(f"/ledger/entity?key={UNION[0]}").text
    listed = subprocess.run([sys.executable, "-m", "fangfei_screen", "ledger", "list", "--month", "2025-06", "--db", setup["db"]],
                            capture_output=True, text=True, check=True).stdout
    assert "已核实持牌" in listed and "新发" in listed


def test_a_reviewer_records_a_missing_licence_in_chromium_with_the_keyboard(
    browser: Any, server: Server, setup: dict[str, str]
) -> None:
    from .web_helpers import Watch, screenshot, sign_in_page

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    watch = Watch(server.url)
    watch.attach(page)
    try:
        sign_in_page(page, server.url, setup["reviewer"])
        page.goto(f"{server.url}/ledger/entity?key={UNION[0]}")
        # UNION is recorded as unlicensed by the test above: a reviewer may correct a finding
        form = page.locator("#licence-form")
        assert form.is_visible()
        page.get_by_label("持有金融牌照（免于限制）").check()
        page.get_by_role("button", name="记录核实结果").click()
        summary = page.locator(".error-summary")
        assert "持牌时请填写许可证编号" in summary.inner_text() and "持牌时请填写发证机关" in summary.inner_text()
        screenshot(page, "licence-error")
        page.get_by_label("无金融牌照（作为风险线索）").focus()
        page.keyboard.press("Space")
        page.get_by_role("button", name="记录核实结果").focus()
        page.keyboard.press("Enter")
        page.wait_for_selector("#notice")
        assert "牌照核实结果已记录" in page.locator("#notice").inner_text()
        assert "经核实无金融牌照" in page.locator("#licence-finding").inner_text()
        screenshot(page, "licence-recorded")
    finally:
        context.close()
    watch.check()
