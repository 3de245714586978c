"""Every form a unit downloads from the ledger, rendered by LibreOffice to PDF as an
office would print it: A4 landscape, the title on page 1, no text outside its row (the
header above the data, the data above the signature line). A PNG of page 1 of each
form goes to docs/forms/."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fangfei_screen.ledger import Ledger
from fangfei_screen.ledger.clues import Clue, add_clue
from fangfei_screen.ledger.decisions import dispose
from fangfei_screen.ledger.forms import Disposal
from fangfei_screen.ledger.ingest import ingest

from .ledger_db import screened_file
from .tools import pictures_dir, require_tools

ROOT = Path(__file__).resolve().parent.parent
DOCS = pictures_dir("forms")  # docs/forms with FANGFEI_UPDATE_DOCS=1
TOOLS = ("libreoffice", "pdftotext", "pdfinfo", "pdftoppm")
# scopes as registrations phrase them (long ones wrap over several lines)
ROWS = [
    ("91340323MA2W0000A1", "固镇县王庄镇鑫隆投资管理有限公司", "存续", "安徽省蚌埠市固镇县王庄镇王庄村委会东100米",
     "一般项目：以自有资金从事投资活动；企业管理咨询；信息咨询服务（不含许可类信息咨询服务）；农业投资咨询；"
     "社会经济咨询服务（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"),
    ("91340323MA2W0000B2", "固镇县王庄镇聚宝寄卖行", "存续", "固镇县王庄镇振兴路18号", "寄卖服务；二手日用百货销售；旧货销售"),
    ("91340323MA2W0000C3", "固镇县王庄镇链上数字科技有限公司", "存续", "固镇县王庄镇", "区块链技术相关软件和服务；软件开发；信息技术咨询服务"),
]


def _tools() -> None:
    require_tools(*TOOLS)  # skipped on a bare machine, failed under CI


def to_pdf(xlsx: Path) -> Path:
    subprocess.run(["libreoffice", "--headless", "--convert-to", "pdf", "--outdir", str(xlsx.parent), str(xlsx)],
                   check=True, capture_output=True, timeout=240, env={**os.environ, "HOME": str(xlsx.parent)})
    return xlsx.with_suffix(".pdf")


def words(pdf: Path, page: int) -> list[tuple[str, float, float, float, float]]:
    """(text, xMin, yMin, xMax, yMax) of each word on ``page``."""
    html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    return [(m[5], float(m[1]), float(m[2]), float(m[3]), float(m[4]))
            for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html)]


def overlaps(found: list[tuple[str, float, float, float, float]]) -> list[tuple[str, str]]:
    """Pairs of words whose boxes overlap by more than a fifth of the smaller one."""
    out = []
    for i, (a, ax0, ay0, ax1, ay1) in enumerate(found):
        for b, bx0, by0, bx1, by1 in found[i + 1:]:
            w, h = min(ax1, bx1) - max(ax0, bx0), min(ay1, by1) - max(ay0, by0)
            if w > 0 and h > 0 and w * h > 0.2 * min((ax1 - ax0) * (ay1 - ay0), (bx1 - bx0) * (by1 - by0)):
                out.append((a, b))
    return out


def check_form(pdf: Path, *, title: str, header_word: str, data_words: list[str], footer_word: str, png: str) -> None:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert w > h and abs(w - 841.9) < 2, info  # A4 landscape
    assert int(re.search(r"Pages:\s+(\d+)", info)[1]) >= 1
    page1 = words(pdf, 1)
    text = "".join(t for t, *_ in page1)
    assert title in text  # the title on page 1
    header = [wd for wd in page1 if header_word in wd[0]]
    assert header, f"{header_word} not on page 1"
    data = [wd for wd in page1 if any(d in wd[0] for d in data_words)]
    assert data, f"none of {data_words} on page 1"
    footer = [wd for wd in page1 if footer_word in wd[0]]
    assert footer, f"{footer_word} not printed"
    # no overprinting: the header's text ends above the first data row, the data above the signature line,
    # and no two words are printed over each other (text run out of its cell lands on its neighbour's)
    assert max(y1 for *_, y1 in header) <= min(y0 for _, _, y0, _, _ in data) + 0.5
    assert max(y1 for *_, y1 in data) <= min(y0 for _, _, y0, _, _ in footer) + 0.5
    assert overlaps(page1) == []
    DOCS.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(DOCS / png)], check=True)


@pytest.fixture()
def filled(tmp_path: Path) -> str:
    """A ledger with screened and hand-recorded clues, reviewed and disposed, by the real functions."""
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    led = Ledger.open(db)
    try:
        ingest(led, screened_file(tmp_path, "m1", ROWS), month="2025-06", unit="王庄镇", by="王庄镇王")
        add_clue(led, Clue.of({"name": "张某某", "subject_kind": "个人", "origin": "群众举报", "found_on": "2025-06-20",
                               "category": "2", "method": "直接借贷", "region": "固镇县王庄镇", "amount": "35", "people": "12",
                               "remark": "村民举报其以每月2分高息为名，向本村及邻村村民吸收资金，已有部分村民无法按期取回本息"}),
                 unit="王庄镇", by="王庄镇王")
        for key, measure in ((ROWS[0][0], "约谈"), (ROWS[1][0], "责令整改")):
            dispose(led, key, Disposal(measure=measure, date="2025-06-22", authority="固镇县市场监督管理局",
                                       description="名称和经营范围含“投资”“寄卖”等字样，经营者称未开展吸收资金业务，已约谈并督促其变更经营范围",
                                       police="否"), by="王庄镇王")
    finally:
        led.dispose()
    return db


def _cli(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "fangfei_screen", *args], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr


def test_attachment2_from_the_ledger_prints_as_a_form(filled: str, tmp_path: Path) -> None:
    _tools()
    out = tmp_path / "a2.xlsx"
    _cli("report", "--ledger", "--month", "2025-06", "--unit", "王庄镇", "--filler", "王庄镇王", "--db", filled, "-o", str(out))
    check_form(to_pdf(out), title="2025年6月非法金融活动风险线索排查统计表", header_word="风险主体名称",
               data_words=["张某某", "鑫隆投资"], footer_word="负责人", png="attachment2-page1")
    notes = "".join(t for t, *_ in words(to_pdf(out), int(re.search(r"Pages:\s+(\d+)", subprocess.run(
        ["pdfinfo", str(out.with_suffix(".pdf"))], capture_output=True, text=True).stdout)[1])))
    assert "以点击广告做任务为名收取保证金等18种方式" in notes and "控告等）" in notes  # the seed's notes in full


def test_attachment3_prints_as_a_form(filled: str, tmp_path: Path) -> None:
    _tools()
    out = tmp_path / "a3.xlsx"
    _cli("report", "--ledger", "--attachment", "3", "--month", "2025-06", "--unit", "王庄镇", "--filler", "王庄镇王",
         "--db", filled, "-o", str(out))
    check_form(to_pdf(out), title="2025年6月非法金融活动打击处置情况统计表", header_word="行业领域",
               data_words=["鑫隆投资", "聚宝寄卖行"], footer_word="负责人", png="attachment3-page1")


def test_the_feedback_list_prints_as_a_form(filled: str, tmp_path: Path) -> None:
    _tools()
    out = tmp_path / "fb.xlsx"
    _cli("ledger", "feedback", "--month", "2025-06", "--unit", "王庄镇", "--db", filled, "-o", str(out))
    check_form(to_pdf(out), title="2025年6月重点监管对象反馈名单", header_word="主体名称",
               data_words=["鑫隆投资", "本月新发"], footer_word="填表人", png="feedback-page1")
