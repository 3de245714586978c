"""The monthly cycle walked in a real Chromium against a real server (issue 18): two
townships and the county finance bureau over two months — upload, 写入台账, a
hand-recorded 群众举报 clue, review, disposal, 报送本月, the county page."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import openpyxl
import pytest

from .test_ledger_cycle import CHENGGUAN, HEADER, WANGZHUANG
from .test_web_bulk import run_job, token
from .tools import pictures_dir
from .web_helpers import ROOT, Server, Watch, add_user, screenshot, sign_in, sign_in_page, start_server

DOCS = pictures_dir("screenshots")  # docs/screenshots with FANGFEI_UPDATE_DOCS=1
TODAY = date.today()
MONTH2 = TODAY.strftime("%Y-%m")
MONTH1 = (TODAY.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
AS_OF1 = (TODAY.replace(day=1) - timedelta(days=1)).isoformat()
# what the county page must say of a unit that has not sent this month
NOT_SENT_NOW = "逾期" if TODAY.day > 25 else "未报送"


@pytest.fixture(scope="module")
def people(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    db = f"sqlite:///{tmp_path_factory.mktemp('db') / 'ledger.db'}"
    return {"db": db, "wang": add_user(db, "王庄镇王", "王庄镇", "clerk"), "li": add_user(db, "李城关", "城关镇", "clerk"),
            "zhao": add_user(db, "赵财政", "县财政局", "reviewer"), "qian": add_user(db, "钱管理", "县财政局", "admin")}


@pytest.fixture(scope="module")
def server(people: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(env={"FANGFEI_DB": people["db"], "FANGFEI_WEB_JOBS_DIR": str(tmp_path_factory.mktemp("jobs"))})


def workbook(folder: Path, name: str, wang: list[tuple[str, ...]], cheng: list[tuple[str, ...]]) -> Path:
    book = openpyxl.Workbook()
    for i, (sheet, rows) in enumerate((("王庄镇", wang), ("城关镇", cheng))):
        ws = book.active if i == 0 else book.create_sheet()
        ws.title = sheet
        ws.append(HEADER)
        for r in rows:
            ws.append(r)
    path = folder / name
    book.save(path)
    return path


def new_page(browser: Any, server: Server, token: str) -> tuple[Any, Any, Watch]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US", accept_downloads=True)
    page = context.new_page()
    watch = Watch(server.url)
    watch.attach(page)
    sign_in_page(page, server.url, token)
    return context, page, watch


def upload_and_screen(page: Any, server: Server, path: Path, as_of: str) -> None:
    page.goto(server.url + "/bulk")
    page.get_by_label("主体名单文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并预览").click()
    page.get_by_label("核查日期").fill(as_of)
    page.get_by_role("button", name="开始筛查").click()
    page.wait_for_selector("#done-text", timeout=60_000)


def shoot(page: Any, name: str) -> None:
    for p in screenshot(page, name):
        if p.parent.resolve() != DOCS.resolve():
            DOCS.mkdir(parents=True, exist_ok=True)
            shutil.copy(p, DOCS / p.name)


def test_two_months_two_townships_and_the_bureau(browser: Any, server: Server, people: dict[str, str], tmp_path: Path) -> None:
    ctx, page, watch = new_page(browser, server, people["wang"])
    # -- month 1, 王庄镇: the county workbook, only the clerk's own sheet goes into the ledger
    pawn = ("91340323MA2W000033", "固镇县王庄镇富民寄卖行", "存续", "固镇县王庄镇王庄街", "寄卖服务；二手物品销售")
    book1 = workbook(tmp_path, "全县登记主体-1.xlsx", [*WANGZHUANG, pawn], CHENGGUAN)
    upload_and_screen(page, server, book1, AS_OF1)
    assert page.get_by_role("button", name="下载筛查结果预览（非报送表）").count() == 1
    assert page.locator(".attachment2-link").count() == 0  # before 写入台账: the preview only
    assert page.locator("#ingest-month").input_value() == MONTH1  # the month of 核查日期
    assert page.locator("#ingest-unit").inner_text() == "王庄镇"
    shoot(page, "cycle-bulk-ingest")
    page.get_by_role("button", name="写入台账").click()
    notice = page.locator(".ingested").inner_text()
    assert "只录入工作表「王庄镇」" in notice and "其他单位的 2 行未录入" in notice and "新发 new: 2" in notice
    link = page.locator(".attachment2-link")
    assert link.inner_text() == f"王庄镇 {MONTH1} 排查统计表（附件2，来自台账）"
    with page.expect_download() as d:
        link.click()
    a2 = tmp_path / "a2.xlsx"
    d.value.save_as(a2)
    rows = [r for r in openpyxl.load_workbook(a2).active.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    assert [r[1] for r in rows] == ["固镇县王庄镇鑫隆农资经营部", "固镇县王庄镇富民寄卖行"]  # the ledger's table, not the preview's
    # pressing it again changes nothing (idempotent)
    page.get_by_role("button", name="写入台账").click()
    assert "台账未变" in page.locator(".ingested").inner_text()

    # -- a hand-recorded 群众举报 clue, first with a mistake
    page.goto(server.url + "/ledger")
    page.get_by_role("link", name="录入线索").click()
    page.get_by_label("风险主体名称/个人姓名（必填）").fill("张某某")
    page.get_by_label("主体类型（必填）").select_option("个人")
    page.get_by_label("线索来源（必填）").select_option("群众举报")
    page.get_by_label("发现时间（必填）").fill(f"{MONTH1}-40")
    page.get_by_label("所属行业领域（必填）").select_option(index=2)
    page.get_by_label("涉及地区（必填）").fill("固镇县王庄镇")
    page.get_by_label("涉及人数（选填）").fill("十几")
    shoot(page, "cycle-clue-form")
    page.get_by_role("button", name="录入线索").click()
    summary = page.locator(".error-summary").inner_text()
    assert "发现时间" in summary and "涉及人数「十几」应为非负整数" in summary
    page.get_by_label("发现时间（必填）").fill(f"{MONTH1}-20")
    page.get_by_label("涉及人数（选填）").fill("12")
    page.get_by_label("备注（选填）").fill("村民举报以高息为名吸收存款")
    page.get_by_role("button", name="录入线索").click()
    assert "线索已录入" in page.locator("#notice").inner_text()
    assert "录入线索：群众举报" in page.locator("#history-list").inner_text()

    # -- 城关镇's clerk writes the same workbook into the ledger: only 城关镇's sheet
    with httpx.Client(base_url=server.url, timeout=60) as li:
        assert sign_in(li, people["li"]).status_code == 303
        job = run_job(li, "全县登记主体-1.xlsx", book1.read_bytes())
        r = li.post(job + "/ingest", data={"csrf_token": token(li), "month": MONTH1, "source": "市场监管登记排查"})
        assert r.status_code == 303
        page_text = li.get(job).text
        assert "只录入工作表「城关镇」" in page_text
        ledger_page = li.get(f"/ledger?month={MONTH1}").text
        assert "固镇县城关镇聚宝寄卖行" in ledger_page and "固镇县王庄镇鑫隆农资经营部" not in ledger_page
        # another file for the same unit and month: a confirmation step, then --replace
        other = workbook(tmp_path, "城关镇-补报.xlsx", [], CHENGGUAN[:1])
        job2 = run_job(li, "城关镇-补报.xlsx", other.read_bytes())
        r = li.post(job2 + "/ingest", data={"csrf_token": token(li), "month": MONTH1, "source": "市场监管登记排查"})
        assert r.status_code == 200 and 'id="confirm-replace"' in r.text and "替换并写入台账" in r.text
        assert "固镇县百家汇商贸有限公司" in li.get(f"/ledger?month={MONTH1}").text  # nothing replaced yet
        r = li.post(job2 + "/ingest", data={"csrf_token": token(li), "month": MONTH1, "source": "市场监管登记排查", "replace": "yes"})
        assert r.status_code == 303
        assert "固镇县百家汇商贸有限公司" not in li.get(f"/ledger?month={MONTH1}").text

    # -- review (the bureau) and disposal (the township)
    zctx, zpage, zwatch = new_page(browser, server, people["zhao"])
    zpage.goto(server.url + "/ledger/entity?key=91340323MA2W000011")
    zpage.get_by_label("确认涉金融").check()
    zpage.get_by_role("button", name="记录认定").click()
    assert "认定已记录" in zpage.locator("#notice").inner_text()
    page.goto(server.url + "/ledger/entity?key=91340323MA2W000011")
    page.get_by_label("处置措施").select_option("约谈")
    page.get_by_label("处置日期").fill(f"{MONTH1}-22")
    page.get_by_label("负责处置的行政机关").fill("固镇县市场监督管理局")
    page.get_by_role("button", name="记录处置").click()
    history = page.locator("#history-list").inner_text()
    assert re.search(r"记录处置：约谈，负责机关 固镇县市场监督管理局", history), history

    # -- 报送本月 for 王庄镇
    page.goto(server.url + f"/ledger?month={MONTH1}")
    assert page.locator("#send-state strong").inner_text() == "逾期"  # last month, not sent, past the 25th
    page.get_by_role("button", name="报送本月").click()
    assert page.locator("#send-state strong").inner_text() == "已报送"
    shoot(page, "cycle-ledger-send")

    # -- month 2: the first entity renamed without the word, the second now invests; 王庄镇 only
    renamed = [("91340323MA2W000011", "固镇县王庄镇鑫隆农资经营部", "存续", WANGZHUANG[0][3], "化肥销售"),
               (*WANGZHUANG[1][:4], "日用百货销售；投资咨询"), pawn]
    upload_and_screen(page, server, workbook(tmp_path, "全县登记主体-2.xlsx", renamed, CHENGGUAN), TODAY.isoformat())
    page.get_by_role("button", name="写入台账").click()
    notice = page.locator(".ingested").inner_text()
    assert "新发 new: 1" in notice and "持续 recurring: 1" in notice and "已消除 resolved: 1" in notice
    page.goto(server.url + f"/ledger?month={MONTH2}")
    counts = page.locator("#state-counts").inner_text()
    assert "新发 1" in counts and "持续 1" in counts and "已消除 1" in counts, counts
    page.goto(server.url + f"/ledger?month={MONTH2}")
    page.get_by_role("button", name="报送本月").click()
    assert page.locator("#send-state strong").inner_text() == "已报送"

    # -- the bureau's page: one unit sent, one not; merged tables say who reported each row
    zpage.goto(server.url + f"/ledger/county?month={MONTH2}")
    units = dict(zip(zpage.locator("#units tbody th").all_inner_texts(),
                     zpage.locator("#units tbody td:nth-child(2)").all_inner_texts()))
    assert units.get("王庄镇") == "已报送" and units.get("城关镇") == NOT_SENT_NOW, units
    zpage.goto(server.url + f"/ledger/county?month={MONTH1}")
    merged = zpage.locator("#merged2").inner_text()
    assert "报送单位：王庄镇" in merged and "张某某" in merged
    assert "报送单位：王庄镇" in zpage.locator("#merged3").inner_text()
    assert zpage.locator("svg.chart rect").count() == 36
    # the merged tables as one form each, for the county to send on: the rows the page shows
    for which, table in (("2", "#merged2"), ("3", "#merged3")):
        got = zctx.request.get(server.url + f"/ledger/county/{which}?month={MONTH1}")
        assert got.status == 200 and "全县汇总" in unquote(got.headers["content-disposition"])
        sheet = openpyxl.load_workbook(io.BytesIO(got.body())).active
        first_data = 4 if which == "2" else 5
        names = [r[1] for r in sheet.iter_rows(min_row=first_data, values_only=True) if isinstance(r[0], int)]
        assert names and names == zpage.locator(f"{table} tbody td:nth-child(2)").all_inner_texts()
    assert ctx.request.get(server.url + f"/ledger/county/2?month={MONTH1}").status == 403  # a township clerk
    shoot(zpage, "cycle-county")
    for c, w in ((ctx, watch), (zctx, zwatch)):
        c.close()
        w.check()


def test_an_admin_maps_each_sheet_to_its_unit(server: Server, people: dict[str, str], tmp_path: Path) -> None:
    book = workbook(tmp_path, "全县-管理员.xlsx", WANGZHUANG, CHENGGUAN)
    with httpx.Client(base_url=server.url, timeout=60) as admin:
        assert sign_in(admin, people["qian"]).status_code == 303
        job = run_job(admin, "全县-管理员.xlsx", book.read_bytes())
        page = admin.get(job).text
        assert "工作表「王庄镇」" in page and "工作表「城关镇」" in page  # one unit box per sheet
        form = {"csrf_token": token(admin), "month": "2024-01", "unit": "", "source": "行政机关移送",
                "sheet": ["王庄镇", "城关镇"], "sheet-unit-0": "王庄镇", "sheet-unit-1": "城关镇"}
        r = admin.post(job + "/ingest", data=form)
        assert r.status_code == 303, r.text[:500]
        done = admin.get(job).text
        assert done.count('class="attachment2-link"') == 2
        ledger = admin.get("/ledger?month=2024-01").text
        assert "固镇县王庄镇鑫隆农资经营部" in ledger and "固镇县城关镇聚宝寄卖行" in ledger
        units = {u: admin.get(f"/ledger?month=2024-01&unit={u}").text for u in ("王庄镇", "城关镇")}
        assert "固镇县城关镇聚宝寄卖行" not in units["王庄镇"] and "固镇县王庄镇鑫隆农资经营部" not in units["城关镇"]
    with httpx.Client(base_url=server.url, timeout=60) as reviewer:  # a reviewer does not write into a unit's ledger
        assert sign_in(reviewer, people["zhao"]).status_code == 303
        assert reviewer.post(job + "/ingest", data={"csrf_token": token(reviewer), "month": "2024-01"}).status_code == 404
