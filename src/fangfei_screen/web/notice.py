"""The written notice for a check that refuses registration or orders follow-up
(企业名称登记管理规定：不予登记并书面说明理由): its content from the check record, and
its PDF, rendered from the same HTML by LibreOffice."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..ledger.checks import CST, KIND_LABELS, CheckRecord
from ..models import ACTIONABLE, APPLICATION_FIELD_LABELS

FIELD_NAMES = APPLICATION_FIELD_LABELS
NOTICE_ACTIONS = frozenset(a.value for a in ACTIONABLE)  # refuse or order follow-up: a written notice
# The law behind a written refusal or order, quoted on the notice (article numbers checked against the
# text of 国务院令第734号, 2020 revision: both duties are paragraphs of art. 20; art. 19 is about transfers).
LAW = {
    "block": "《企业名称登记管理规定》（国务院令第734号）第二十条第一款：企业登记机关在办理企业登记时，发现企业名称不符合本规定的，"
             "不予登记并书面说明理由。",
    "order_rename": "《企业名称登记管理规定》（国务院令第734号）第二十条第二款：企业登记机关发现已经登记的企业名称不符合本规定的，应当及时纠正。",
    "propose_revocation": "《中华人民共和国公司法》第二百六十条第一款：公司成立后无正当理由超过六个月未开业的，或者开业后自行停业"
                          "连续六个月以上的，公司登记机关可以吊销营业执照。",
}
TITLES = {"block": "不予登记说明", "order_rename": "限期整改说明", "propose_revocation": "限期整改说明"}
CONTEXT_CHARS = 8
PDF_TIMEOUT = 120.0


class NoticeError(Exception):
    """The notice cannot be made (no such action, or the PDF could not be rendered)."""


@dataclass(frozen=True, slots=True)
class Word:
    keyword: str
    text: str
    where: str  # 名称第 7–8 字
    context: str  # the text around it, when the input is on record
    category: str


def _context(text: str, start: int, end: int) -> str:
    if not text:
        return ""
    before = text[max(0, start - CONTEXT_CHARS) : start]
    after = text[end : end + CONTEXT_CHARS]
    return f"{'…' if start > CONTEXT_CHARS else ''}{before}【{text[start:end]}】{after}{'…' if end + CONTEXT_CHARS < len(text) else ''}"


def notice_context(rec: CheckRecord) -> dict[str, Any]:
    """What the notice says, from the record alone (the list version the check used)."""
    if rec.action not in NOTICE_ACTIONS:
        raise NoticeError("该核查结论无需书面说明（仅不予登记、限期整改、提请吊销）")
    result = rec.result or {}
    given = rec.input or {}
    words = []
    for h in result.get("hits", []):
        field = str(h.get("field", ""))
        text = str(given.get(field) or "")
        words.append(Word(
            keyword=str(h.get("keyword", "")), text=str(h.get("text", "")),
            where=f"{FIELD_NAMES.get(field, field)}第 {int(h.get('start', 0)) + 1}–{int(h.get('end', 0))} 字",
            context=_context(text, int(h.get("start", 0)), int(h.get("end", 0))),
            category=f"{h.get('category', '')}类：{h.get('category_name', '')}",
        ))
    omitted = sum((result.get("omitted") or {}).get("hits", {}).values())
    return {
        "record": rec, "title": TITLES[rec.action], "action": rec.action, "words": words, "omitted": omitted,
        "name": given.get("name") if rec.input is not None else None,
        "kind_label": KIND_LABELS.get(rec.kind, rec.kind), "basis": result.get("basis", ""), "law": LAW[rec.action],
        "date": rec.at.astimezone(CST).strftime("%Y年%m月%d日"), "unit": rec.unit,
    }


DECISIONS = {
    "block": "根据上述规定，本机关对该申请不予登记。申请人可去除上述字样后重新申请；依法取得金融业务许可或经依法批准的，请提交相关批准文件。",
    "order_rename": "请你（单位）自收到本说明之日起 ______ 日内，到市场监督管理部门办理名称、经营范围的变更登记或注销登记；逾期未办理的，依法处理。",
    "propose_revocation": "你（单位）经认定长期停业未经营，请自收到本说明之日起 ______ 日内到市场监督管理部门办理变更或注销登记；"
                          "逾期未办理的，将依照《公司法》提请吊销营业执照。",
}
INTRO = {
    "block": "经核查，你（单位）申请办理的{kind}，其名称或经营范围含有下列可能涉及金融活动的字样：",
    "order_rename": "经核查，你（单位）已登记的名称或经营范围含有下列可能涉及金融活动的字样：",
    "propose_revocation": "经核查，你（单位）已登记的名称或经营范围含有下列可能涉及金融活动的字样：",
}
_WIDTHS = (6, 12, 18, 38, 20)  # A–E, in characters: 序号, 字样, 所在位置, 原文, 类别


def write_notice_xlsx(ctx: dict[str, Any], path: Path) -> None:
    """The notice as a one-sheet workbook laid out for A4 portrait, as Attachment 2 is."""
    import xlsxwriter

    from ..report import wrapped_lines as _lines
    from ..tables import xlsx_safe

    total = sum(_WIDTHS)
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    sheet = book.add_worksheet("说明")
    base = {"font_name": "Noto Serif CJK SC", "font_size": 12, "text_wrap": True, "valign": "top"}
    fmt = {
        "title": book.add_format({**base, "font_size": 18, "bold": True, "align": "center", "valign": "vcenter"}),
        "right": book.add_format({**base, "align": "right"}),
        "text": book.add_format(base),
        "head": book.add_format({**base, "bold": True, "border": 1, "align": "center"}),
        "cell": book.add_format({**base, "border": 1}),
        "meta": book.add_format({**base, "font_size": 10}),
        "seal": book.add_format({**base, "align": "center", "valign": "vcenter", "border": 3, "font_color": "#555555"}),
    }
    for col, width in enumerate(_WIDTHS):
        sheet.set_column(col, col, width)
    row = 0

    def line(text: str, style: str = "text", *, height: float | None = None) -> None:
        nonlocal row
        sheet.merge_range(row, 0, row, len(_WIDTHS) - 1, xlsx_safe(text), fmt[style])
        sheet.set_row(row, height or _lines(text, total) * 17.0 + 4)
        row += 1

    record = ctx["record"]
    line(ctx["title"], "title", height=36)
    line(f"核查编号：{record.id}", "right")
    line(f"{ctx['name']}：" if ctx["name"] else "名称：________________________________（核查记录未保存原文，请填写）：")
    line(INTRO[ctx["action"]].format(kind=ctx["kind_label"]))
    for col, head in enumerate(("序号", "字样", "所在位置", "原文", "类别")):
        sheet.write(row, col, head, fmt["head"])
    row += 1
    for i, w in enumerate(ctx["words"], start=1):
        cells = [str(i), w.keyword, w.where, w.context or w.text, w.category]
        for col, value in enumerate(cells):
            sheet.write(row, col, xlsx_safe(value), fmt["cell"])
        sheet.set_row(row, max(_lines(v, width) for v, width in zip(cells, _WIDTHS)) * 17.0 + 4)
        row += 1
    if ctx["omitted"]:
        line(f"另有 {ctx['omitted']} 处同类字样未逐一列出。")
    line("依据：")
    line(ctx["basis"])
    line(ctx["law"])
    line(DECISIONS[ctx["action"]])
    line(f"筛查清单版本：{record.list_version}（sha256 {record.list_sha256[:16]}…）；核查日期：{ctx['date']}", "meta")
    row += 1
    sheet.merge_range(row, 2, row, 4, f"{ctx['unit'] or '登记机关'}（盖章）", fmt["right"])
    row += 1
    sheet.merge_range(row, 3, row + 5, 4, "盖章处", fmt["seal"])
    row += 7
    sheet.merge_range(row, 2, row, 4, "______年____月____日", fmt["right"])
    sheet.set_paper(9)  # A4
    sheet.set_portrait()
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=0.8, right=0.8, top=0.9, bottom=0.9)
    sheet.center_horizontally()
    sheet.print_area(0, 0, row, len(_WIDTHS) - 1)
    sheet.hide_gridlines(2)
    book.close()


def render_pdf(ctx: dict[str, Any], *, timeout: float = PDF_TIMEOUT) -> bytes:
    """The notice's PDF: its workbook printed by LibreOffice (headless, a private profile per
    call so that calls never share one), the route of the project's other forms. Blocking:
    call it from a worker thread."""
    office = shutil.which("libreoffice") or shutil.which("soffice")
    if office is None:
        raise NoticeError("本机未安装 LibreOffice，无法生成 PDF；请用浏览器打印本页")
    with tempfile.TemporaryDirectory(prefix="fangfei-notice-") as tmp:
        folder = Path(tmp)
        source = folder / "notice.xlsx"
        write_notice_xlsx(ctx, source)
        profile = (folder / "profile").as_uri()
        try:
            done = subprocess.run(
                [office, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                 "--convert-to", "pdf", "--outdir", str(folder), str(source)],
                capture_output=True, timeout=timeout, env={**os.environ, "HOME": str(folder)}, check=False,
            )
        except subprocess.TimeoutExpired:
            raise NoticeError("生成 PDF 超时；请用浏览器打印本页") from None
        pdf = folder / "notice.pdf"
        if done.returncode != 0 or not pdf.is_file():
            raise NoticeError("LibreOffice 未能生成 PDF；请用浏览器打印本页")
        return pdf.read_bytes()
