"""Memory for one scan or preview of a workbook is bounded (issue 19, item 2): a workbook
whose sheet data expands past ReadLimits.max_sheet_bytes ($FANGFEI_MAX_SHEET_MB, 256 MB)
is refused before it is read, in one line naming the limit and what to do; a large
workbook within it is previewed in a child process, so the server's memory stays as it
was. Real files (generated here, the large ones deleted afterwards), real processes; the
memory figures are peak RSS of whole processes with generous margins."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fangfei_screen.readers import ReadLimits, TableError, book_data_bytes, open_source

from .test_export_shapes import libreoffice_convert
from .web_helpers import Server, add_user, sign_in, start_server

_CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
       '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_BOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
         'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="名录" sheetId="1" r:id="rId1"/></sheets></workbook>')
_BOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
              '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _cell(text: str) -> str:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'


def expanding_xlsx(path: Path, mb: float, *, how: str = "rows") -> Path:
    """An .xlsx whose data expands to about ``mb`` MB: many rows (inline strings), huge
    shared strings, or one giant cell; written as a stream (constant memory)."""
    target = int(mb * (1 << 20))
    row = f"<row>{_cell('固镇县某某农业科技有限公司')}{_cell('农业技术开发、技术咨询、技术服务；农产品销售')}</row>".encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _BOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _BOOK_RELS)
        strings = b""
        if how == "shared":
            item = "<si><t>固镇县某某农业科技有限公司：农业技术开发、技术咨询、技术服务</t></si>".encode()
            strings = item * (target // len(item) + 1)
        z.writestr("xl/sharedStrings.xml", f'<?xml version="1.0" encoding="UTF-8"?><sst {_NS}>'.encode() + strings + b"</sst>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_NS}><sheetData>'.encode())
            f.write(f"<row>{_cell('企业名称')}{_cell('经营范围')}</row>".encode())
            f.write(row * 3)
            if how == "rows":
                block = row * 10_000
                for _ in range(target // len(block) + 1):
                    f.write(block)
            elif how == "giant":
                f.write(f"<row>{_cell('固镇县某某公司')}<c t=\"inlineStr\"><is><t>".encode())
                piece = "农业技术开发".encode() * 10_000
                for _ in range(target // len(piece) + 1):
                    f.write(piece)
                f.write(b"</t></is></c></row>")
            f.write(b"</sheetData></worksheet>")
    return path


# The program's own high-water mark, read from /proc/self/status at exit: VmHWM belongs to the
# memory of the program after exec, while wait4's ru_maxrss also counts the forked copy of this
# (large, late in a suite) pytest process that the child was before exec.
_PEAK_AT_EXIT = (
    "import atexit, os, runpy, sys\n"
    "def _peak():\n"
    "    with open('/proc/self/status') as f, open(os.environ['FANGFEI_TEST_PEAK'], 'w') as out:\n"
    "        out.write(next(l for l in f if l.startswith('VmHWM:')).split()[1])\n"
    "atexit.register(_peak)\n"
    "sys.argv = ['fangfei-screen', *sys.argv[1:]]\n"
    "runpy.run_module('fangfei_screen', run_name='__main__')\n"
)


def run_with_peak(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, float]:
    """Run ``fangfei-screen args``: exit code, stderr and the program's peak RSS in MB."""
    peak_file = cwd / ".peak-kb"
    proc = subprocess.run([sys.executable, "-c", _PEAK_AT_EXIT, *args], cwd=cwd, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, env={**os.environ, **(env or {}), "FANGFEI_TEST_PEAK": str(peak_file)})
    peak_kb = int(peak_file.read_text())
    peak_file.unlink()
    return proc.returncode, proc.stderr.decode("utf-8"), peak_kb / 1024


def _refused_in_one_line(code: int, err: str, limit_mb: int) -> None:
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in err, err
    assert f"上限 {limit_mb} MB" in lines[0] and "另存为 CSV" in lines[0] and "FANGFEI_MAX_SHEET_MB" in lines[0], err


@pytest.mark.parametrize("how", ["rows", "shared", "giant"])
def test_an_xlsx_past_the_sheet_limit_is_refused_and_within_it_is_read(tmp_path: Path, how: str) -> None:
    book = expanding_xlsx(tmp_path / "名录.xlsx", 1.5, how=how)
    assert book_data_bytes(book) > 1 << 20
    code, err, _ = run_with_peak(["scan", "名录.xlsx", "-o", "out.csv"], tmp_path, {"FANGFEI_MAX_SHEET_MB": "1"})
    _refused_in_one_line(code, err, 1)
    assert not (tmp_path / "out.csv").exists()
    if how != "giant":  # within a limit of 2 MB the same file is read (a giant cell is refused by the cell limit)
        code, err, _ = run_with_peak(["scan", "名录.xlsx", "-o", "out.csv"], tmp_path, {"FANGFEI_MAX_SHEET_MB": "2"})
        assert code == 0, err
        assert (tmp_path / "out.csv").stat().st_size > 0


def test_xls_and_ods_past_the_sheet_limit_are_refused(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["企业名称", "经营范围"])
    for i in range(3000):
        sheet.append([f"固镇县第{i}号农业科技有限公司", "农业技术开发、技术咨询、技术服务；农产品销售" * 3])
    book.save(tmp_path / "名录.xlsx")
    for fmt in ("xls", "ods"):
        converted = libreoffice_convert(tmp_path / "名录.xlsx", fmt, tmp_path / fmt)
        size = book_data_bytes(converted)
        assert size is not None and size > 100_000, (fmt, size)
        with pytest.raises(TableError, match="另存为 CSV") as caught:
            open_source(converted, header_test=lambda _c: True, limits=ReadLimits(max_sheet_bytes=100_000))
        assert "FANGFEI_MAX_SHEET_MB" in str(caught.value)
        with open_source(converted, header_test=lambda _c: True, limits=ReadLimits(max_sheet_bytes=size)) as source:
            assert sum(len(c.frame) for c in source.chunks()) == 3000, fmt


def test_a_workbook_expanding_to_300_mb_is_refused_unread_in_little_memory(tmp_path: Path) -> None:
    """A real large-expanding zip (a few MB on disk, 300 MB of sheet XML) under the default
    limit of 256 MB: refused from the zip directory, nothing decompressed. Reading it (as
    before) costs a scan ~1 GB; the refusal costs what starting the program costs."""
    book = expanding_xlsx(tmp_path / "大表.xlsx", 300)
    try:
        assert book.stat().st_size < 40 << 20 and book_data_bytes(book) > 300 << 20
        code, err, peak = run_with_peak(["scan", "大表.xlsx", "-o", "out.csv"], tmp_path, {"FANGFEI_MAX_SHEET_MB": ""})
        _refused_in_one_line(code, err, 256)
        assert peak < 300, peak
    finally:
        book.unlink()


# ---- the preview on the page, on a real server ------------------------------------------

SHEET_MB = 96  # the server's limit here: a workbook past 12 MB of data is previewed in a child


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    db = f"sqlite:///{tmp_path_factory.mktemp('db') / 'ledger.db'}"
    token = add_user(db, "张三", "城关镇", "clerk")
    env = {"FANGFEI_WEB_JOBS_DIR": str(tmp_path_factory.mktemp("jobs")), "FANGFEI_WEB_UPLOAD_MB": "64",
           "FANGFEI_DB": db, "FANGFEI_MAX_SHEET_MB": str(SHEET_MB)}
    for s in start_server(env=env):
        yield s, token


def _status_mb(pid: int, key: str) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    m = re.search(rf"^{key}:\s+(\d+) kB", text, re.M)
    assert m, text
    return int(m.group(1)) / 1024


def _preview(client: httpx.Client, name: str, content: bytes) -> str:
    html = client.get("/bulk").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert csrf
    r = client.post("/bulk/upload", data={"csrf_token": csrf.group(1)}, files={"registry": (name, content)})
    assert r.status_code == 303 and r.headers["location"].startswith("/bulk/jobs/"), r.text[:500]
    return client.get(r.headers["location"]).text


def test_a_large_workbook_preview_leaves_the_server_memory_as_it_was(server: tuple[Server, str], tmp_path: Path) -> None:
    srv, token = server
    big = expanding_xlsx(tmp_path / "大表.xlsx", 80)  # calamine holds ~100 MB reading it
    content = big.read_bytes()
    big.unlink()
    with httpx.Client(base_url=srv.url, timeout=120) as client:
        assert sign_in(client, token).status_code == 303
        # the page's code paths warmed, the child's among them (past 12 MB)
        _preview(client, "warm.xlsx", expanding_xlsx(tmp_path / "warm.xlsx", 14).read_bytes())
        before = _status_mb(srv.proc.pid, "VmHWM")
        page = _preview(client, "大表.xlsx", content)
        assert "固镇县某某农业科技有限公司" in page and "企业名称" in page  # the preview shows the first rows
        grown = _status_mb(srv.proc.pid, "VmHWM") - before
        assert grown < 40, grown  # read in the server's own process it grew by 114 MB
        page = _preview(client, "过大.xlsx", expanding_xlsx(tmp_path / "过大.xlsx", 100).read_bytes())
        assert f"上限 {SHEET_MB} MB" in page and "另存为 CSV" in page


def test_the_preview_read_in_a_child_is_the_one_read_here(tmp_path: Path) -> None:
    from fangfei_screen.web.preview import read_preview

    book = expanding_xlsx(tmp_path / "名录.xlsx", 2)
    here = read_preview(book, limits=ReadLimits(max_sheet_bytes=64 << 20))  # 2 MB < 8 MB: read in this process
    child = read_preview(book, limits=ReadLimits(max_sheet_bytes=4 << 20))  # past 0.5 MB: read in a child
    assert here == child and not here["problem"]
    assert here["parts"][0]["rows"][0] == ["固镇县某某农业科技有限公司", "农业技术开发、技术咨询、技术服务；农产品销售"]
    refused = read_preview(book, limits=ReadLimits(max_sheet_bytes=1 << 20))
    assert "上限 1 MB" in refused["problem"] and not refused["parts"]
