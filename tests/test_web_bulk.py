"""批量排查: upload, preview, background job, results, downloads — in a real Chromium
against a real server, plus the odd uploads over plain HTTP."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest

from .web_helpers import ROOT, Server, Watch, add_user, screenshot, sign_in, sign_in_page, start_server

SAMPLE = ROOT / "data" / "samples" / "entities.csv"


@pytest.fixture(scope="module")
def jobs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jobs")


@pytest.fixture(scope="module")
def tokens(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    db = f"sqlite:///{tmp_path_factory.mktemp('db') / 'ledger.db'}"
    return {"db": db, "clerk": add_user(db, "张三", "城关镇", "clerk"), "other": add_user(db, "王五", "湖沟镇", "clerk")}


@pytest.fixture(scope="module")
def server(jobs_dir: Path, tokens: dict[str, str]) -> Iterator[Server]:
    yield from start_server(env={"FANGFEI_WEB_JOBS_DIR": str(jobs_dir), "FANGFEI_WEB_UPLOAD_MB": "16", "FANGFEI_DB": tokens["db"]})


@pytest.fixture()
def client(server: Server, tokens: dict[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        assert sign_in(c, tokens["clerk"]).status_code == 303
        yield c


@pytest.fixture()
def page(browser: Any, server: Server, tokens: dict[str, str]) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    p = context.new_page()
    watch = Watch(server.url)
    watch.attach(p)
    sign_in_page(p, server.url, tokens["clerk"])
    yield p
    context.close()
    watch.check()


def token(client: httpx.Client) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/bulk").text)
    assert m
    return m.group(1)


def upload(client: httpx.Client, name: str, content: bytes) -> httpx.Response:
    return client.post("/bulk/upload", data={"csrf_token": token(client)}, files={"registry": (name, content)})


def run_job(client: httpx.Client, filename: str, content: bytes, **columns: str) -> str:
    r = upload(client, filename, content)
    assert r.status_code == 303 and r.headers["location"].startswith("/bulk/jobs/"), r.headers
    job = r.headers["location"]
    form = {"csrf_token": token(client), "kind": "existing", **{f"col-{k}": v for k, v in columns.items()}}
    if "col-name" not in form:
        form.update({f"col-{k}": v for k, v in re.findall(r'name="col-(\w+)">.*?<option value="([^"]*)" selected', client.get(job).text, re.S)})
    r = client.post(job + "/start", data=form)
    assert r.status_code == 303, r.text[:2000]
    for _ in range(600):
        page = client.get(job).text
        if "done-text" in page or "job-failed" in page:
            return job
        time.sleep(0.1)
    raise AssertionError("job did not finish")


def wait_for_xlsx(client: httpx.Client, job: str) -> None:
    """The XLSX is written after the results show; the page says so until it is there."""
    for _ in range(600):
        if 'id="xlsx-pending"' not in client.get(job).text:
            return
        time.sleep(0.1)
    raise AssertionError("XLSX never came")


def sample_counts() -> tuple[int, int]:
    """(rows, rows flagged) of the sample, from the CLI's own scan."""
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.csv"
        subprocess.run([sys.executable, "-m", "fangfei_screen", "scan", str(SAMPLE), "-o", str(out)], check=True, capture_output=True)
        rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    return len(rows), sum(r["action"] in ("block", "order_rename", "propose_revocation") or r["supervise"] == "yes" for r in rows)


def test_upload_preview_run_filter_and_download(page: Any, server: Server, tmp_path: Path) -> None:
    rows, flagged = sample_counts()
    page.goto(server.url + "/bulk")
    page.get_by_label("主体名单文件").set_input_files(str(SAMPLE))
    page.get_by_role("button", name="上传并预览").click()
    assert page.locator(".preview thead th").first.inner_text() == "统一社会信用代码"
    assert page.locator(".preview-header-row").first.inner_text() == "1"
    assert page.locator("#col-name").input_value() == "企业名称"
    assert page.locator("#col-scope").input_value() == "经营范围"
    screenshot(page, "bulk-preview")
    page.get_by_role("button", name="开始筛查").click()
    page.wait_for_selector("#done-text", timeout=60_000)
    assert f"共 {rows} 行" in page.locator("#done-text").inner_text()
    title = page.locator("#flagged-title").inner_text()
    assert f"（{flagged} / {flagged}）" in title
    marks = page.locator("#flagged mark").all_inner_texts()
    assert marks and all(m for m in marks)
    screenshot(page, "bulk-results")
    # filter by a keyword: every row left names it
    keyword = page.locator("#by-keyword th").first.inner_text()
    page.get_by_label("字样").select_option(keyword)
    page.get_by_role("button", name="筛选").click()
    shown = page.locator("#flagged tbody tr")
    assert 0 < shown.count() <= flagged
    assert all(keyword in t for t in page.locator("#flagged tbody tr td:nth-child(5)").all_inner_texts())
    # downloads: the screened file both ways and Attachment 2, opened as a person would
    with page.expect_download() as d:
        page.get_by_role("link", name="筛查结果（CSV）").click()
    csv_path = tmp_path / "screened.csv"
    d.value.save_as(csv_path)
    assert len(list(csv.DictReader(csv_path.open(encoding="utf-8-sig")))) == rows
    for _ in range(600):  # "正在生成，请稍后刷新本页": as a person would, refresh until the link is there
        if not page.locator("#xlsx-pending").count():
            break
        page.wait_for_timeout(100)
        page.reload()
    with page.expect_download() as d:
        page.get_by_role("link", name="筛查结果（XLSX）").click()
    xlsx_path = tmp_path / "screened.xlsx"
    d.value.save_as(xlsx_path)
    sheet = openpyxl.load_workbook(xlsx_path).active
    assert sheet.max_row == rows + 1 and "action" in [c.value for c in sheet[1]]
    page.get_by_label("填报单位").fill("固镇县市场监督管理局")
    page.get_by_label("填报人").fill("张三")
    with page.expect_download() as d:
        page.get_by_role("button", name="下载筛查结果预览（非报送表）").click()
    report = tmp_path / "report.xlsx"
    d.value.save_as(report)
    # before 写入台账 the page offers only a clearly named preview, not the table a unit sends
    assert d.value.suggested_filename.endswith("排查统计表（筛查结果预览，非报送表）.xlsx")
    book = openpyxl.load_workbook(report).active
    assert "排查统计表（筛查结果预览，非报送表）" in book["A1"].value
    data = [r for r in book.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    blocked = sum(1 for r in csv.DictReader(csv_path.open(encoding="utf-8-sig")) if r["action"] in ("block", "order_rename", "propose_revocation"))
    assert len(data) == blocked > 0


def test_progress_survives_reload(page: Any, server: Server, tmp_path: Path) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    big = tmp_path / "big.csv"
    big.write_text("\n".join([lines[0], *(lines[1:] * 800)]) + "\n", encoding="utf-8")  # 40,000 rows, 11 MB
    page.goto(server.url + "/bulk")
    page.get_by_label("主体名单文件").set_input_files(str(big))
    page.get_by_role("button", name="上传并预览").click()
    page.get_by_role("button", name="开始筛查").click()
    job_url = page.url
    page.wait_for_selector("#progress, #done-text")
    if page.locator("#progress").count():
        screenshot(page, "bulk-progress")
        first = int(re.search(r"已处理 ([\d,]+) 行", page.locator("#progress-text").inner_text()).group(1).replace(",", ""))
        page.goto(server.url + "/")  # leave, then come back through the list of recent jobs
        page.get_by_role("link", name="批量排查").click()
        page.locator("#jobs").get_by_role("link", name="big.csv").first.click()
        assert page.url == job_url
        page.wait_for_selector("#progress, #done-text")
        if page.locator("#progress").count():
            again = int(re.search(r"已处理 ([\d,]+) 行", page.locator("#progress-text").inner_text()).group(1).replace(",", ""))
            assert again >= first
    page.wait_for_selector("#done-text", timeout=300_000)  # the page refreshes itself until done
    assert "共 40,000 行" in page.locator("#done-text").inner_text()


def test_columns_can_be_corrected(client: httpx.Client) -> None:
    content = "主体,业务\n某某投资有限公司,投资咨询\n某某商贸有限公司,日用百货销售\n".encode()
    r = upload(client, "odd.csv", content)
    job = r.headers["location"]
    page = client.get(job).text
    assert "没有找到名称列" in page
    r = client.post(job + "/start", data={"csrf_token": token(client), "col-name": "", "kind": "existing"})
    assert r.status_code == 200 and "请选择哪一列是名称" in r.text and 'href="#col-name"' in r.text
    r = client.post(job + "/start", data={"csrf_token": token(client), "col-name": "不存在", "kind": "existing"})
    assert "不在文件中" in r.text
    done = run_job(client, "odd.csv", content, name="主体", scope="业务")
    page = client.get(done).text
    assert "共 2 行" in page and "<mark>投资</mark>" in page


def test_formulas_never_live_in_downloads(client: httpx.Client) -> None:
    content = ('企业名称,经营范围\n"=HYPERLINK(""http://x"",""投资"")",投资咨询\n@SUM(1)投资公司,"+1-2"\n').encode()
    job = run_job(client, "f.csv", content)
    text = client.get(job + "/files/screened.csv").content.decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    wait_for_xlsx(client, job)
    book = openpyxl.load_workbook(io.BytesIO(client.get(job + "/files/screened.xlsx").content))
    for row in book.active.iter_rows():
        for cell in row:
            assert cell.data_type != "f" and not str(cell.value or "").startswith(("=", "+", "@"))
    r = client.get(job + "/report", params={"month": "2025-06", "unit": "=cmd|' /C calc'!A0"})
    assert r.status_code == 200
    report = openpyxl.load_workbook(io.BytesIO(r.content)).active
    for row in report.iter_rows():
        for cell in row:
            assert cell.data_type != "f"


def test_odd_uploads_are_answered_in_words(client: httpx.Client, jobs_dir: Path) -> None:
    before = set(jobs_dir.iterdir())
    r = upload(client, "big.csv", b"a" * (17 * 1024 * 1024))
    assert r.status_code == 303 and r.headers["location"] == "/bulk?error=too_large"
    page = client.get(r.headers["location"]).text
    assert "文件太大：不能超过 16 MB" in page and 'href="#registry"' in page

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit still holds
        boundary = b"--b\r\nContent-Disposition: form-data; name=\"registry\"; filename=\"x.csv\"\r\n\r\n"
        yield boundary
        for _ in range(18):
            yield b"x" * (1024 * 1024)
        yield b"\r\n--b--\r\n"

    r = client.post("/bulk/upload", content=chunks(), headers={"content-type": "multipart/form-data; boundary=b"})
    assert r.headers["location"] == "/bulk?error=too_large"
    assert upload(client, "x.exe", b"MZ").headers["location"] == "/bulk?error=bad_type"
    assert upload(client, "x.csv", b"").headers["location"] == "/bulk?error=empty"
    r = client.post("/bulk/upload", files={"registry": ("x.csv", b"a")})
    assert r.headers["location"] == "/bulk?error=expired"
    r = client.post("/bulk/upload", content=b"--zz\r\ngarbage", headers={"content-type": "multipart/form-data; boundary=zz"})
    assert r.status_code == 303 and r.headers["location"].startswith("/bulk?error=")
    assert set(jobs_dir.iterdir()) == before  # nothing kept from a refused upload

    r = upload(client, "../../../etc/evil.csv", SAMPLE.read_bytes())
    job_id = r.headers["location"].rsplit("/", 1)[-1]
    assert re.fullmatch(r"[0-9a-f]{32}", job_id)
    assert sorted(p.name for p in (jobs_dir / job_id).iterdir()) == ["input.csv"]  # its state is in the ledger
    assert "evil.csv" in client.get(r.headers["location"]).text  # shown as text, not used as a path

    r = upload(client, "broken.xlsx", b"PK\x03\x04not a zip at all")  # a workbook cut short (text would be read as text)
    page = client.get(r.headers["location"]).text
    assert r.status_code == 303 and "无法读取这个文件" in page

    assert client.get("/bulk/jobs/..%2F..%2Fetc").status_code == 404
    for bad in ("/bulk/jobs/" + "Z" * 32, "/bulk/jobs/0123", "/bulk/jobs/" + "0" * 32 + "/files/state.json",
                "/bulk/jobs/" + job_id + "/files/input.csv", "/bulk/jobs/" + job_id + "/report?month=x"):
        r = client.get(bad)
        assert r.status_code == 404 and "找不到这项筛查" in r.text, bad


def test_job_folders_are_removed_after_their_time(tmp_path: Path, tokens: dict[str, str]) -> None:
    jobs = tmp_path / "jobs"
    for s in start_server(env={"FANGFEI_WEB_JOBS_DIR": str(jobs), "FANGFEI_WEB_JOB_HOURS": str(1 / 3600), "FANGFEI_DB": tokens["db"]}):
        with httpx.Client(base_url=s.url, timeout=60) as client:
            sign_in(client, tokens["clerk"])
            job = run_job(client, "s.csv", SAMPLE.read_bytes())
            assert len(list(jobs.iterdir())) == 1
            time.sleep(1.5)
            client.get("/bulk")
            assert list(jobs.iterdir()) == []
            assert client.get(job).status_code == 404


def test_uploads_and_jobs_need_a_user_of_the_unit(server: Server, client: httpx.Client, tokens: dict[str, str], jobs_dir: Path) -> None:
    job = run_job(client, "s.csv", SAMPLE.read_bytes())
    with httpx.Client(base_url=server.url, timeout=60) as anonymous:
        r = anonymous.get("/bulk")
        assert r.status_code == 303 and r.headers["location"].startswith("/signin?next=/bulk")
        before = set(jobs_dir.iterdir())
        r = anonymous.post("/bulk/upload", files={"registry": ("s.csv", SAMPLE.read_bytes())})
        assert r.status_code == 303 and r.headers["location"].startswith("/signin")
        assert set(jobs_dir.iterdir()) == before
        assert anonymous.get(job).status_code == 303
    with httpx.Client(base_url=server.url, timeout=60) as other:
        sign_in(other, tokens["other"])  # a clerk of another unit
        assert other.get("/bulk").status_code == 200
        r = other.get(job)
        assert r.status_code == 404 and "找不到这项筛查" in r.text
        assert other.get(job + "/files/screened.csv").status_code == 404


def test_workbook_sheets_and_header_row_are_found_and_can_be_corrected(page: Any, server: Server, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["本表为 2025 年 6 月主体名单"])
    for sheet, names in (("城关镇", ["城关镇鑫源投资有限公司", "城关镇百货商店"]), ("湖沟镇", ["湖沟镇众筹咨询有限公司"])):
        ws = book.create_sheet(sheet)
        ws.append([f"{sheet} 2025年6月主体名单"])  # a title above the header
        ws.append(["企业名称", "经营范围", "登记状态"])
        for n in names:
            ws.append([n, "日用百货销售", "存续"])
    path = tmp_path / "乡镇名单.xlsx"
    book.save(path)
    page.goto(server.url + "/bulk")
    page.get_by_label("主体名单文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并预览").click()
    parts = page.locator("section.part h3").all_inner_texts()
    assert parts == ["工作表「城关镇」：表头在第 2 行（跳过其上 1 行标题）", "工作表「湖沟镇」：表头在第 2 行（跳过其上 1 行标题）"]
    assert "说明" in page.locator("#preview-skipped").inner_text()
    screenshot(page, "bulk-preview-workbook")
    page.get_by_text("表头行或工作表不对？").click()
    page.get_by_role("checkbox", name="湖沟镇").check()
    page.get_by_role("button", name="重新读取").click()
    assert page.locator("section.part h3").all_inner_texts() == ["工作表「湖沟镇」：表头在第 2 行（跳过其上 1 行标题）"]
    page.get_by_role("button", name="开始筛查").click()
    page.wait_for_selector("#done-text", timeout=60_000)
    assert "共 1 行" in page.locator("#done-text").inner_text()
    assert page.locator("#flagged mark").all_inner_texts() == ["众筹"]
    assert "湖沟镇" in page.locator("#flagged tbody td").first.inner_text()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_scan_file_reports_progress_to_a_function(tmp_path: Path, suffix: str) -> None:
    from fangfei_screen.scanfile import scan_file

    source = SAMPLE
    if suffix == ".xlsx":
        book = openpyxl.Workbook()
        for row in csv.reader(SAMPLE.open(encoding="utf-8")):
            book.active.append(row)
        source = tmp_path / "in.xlsx"
        book.save(source)
    calls: list[int] = []
    summary = scan_file(str(source), str(tmp_path / "out.csv"), progress=calls.append, chunk_rows=7)
    assert calls and sum(calls) == summary.rows == 50


def test_an_html_xls_export_is_screened_on_the_page(client: httpx.Client) -> None:
    """The page takes what `scan` reads: the ".xls" that a registration system's 导出Excel
    sends is a web page in GBK (issue 17, item 8), and a clerk uploads it as it came."""
    from .test_export_shapes import ENTITIES, html_export

    job = run_job(client, "名录.xls", html_export(ENTITIES, charset="gb2312").encode("gbk"))
    page = client.get(job).text
    assert "done-text" in page, page[-2000:]
    assert "固镇县鑫源商贸有限公司" in page  # 投资 in its scope: a flagged row, shown
