"""The preview of an uploaded file: what the reader finds, per table its sheet, header
row, header, first rows and the columns found; the sheets skipped and why.

A workbook is read whole by calamine, so previewing a large one costs memory the
server's allocator may never give back. A workbook whose data expands past an
eighth of the workbook limit (ReadLimits.max_sheet_bytes, 32 MB by default) is
therefore previewed in a child process whose memory ends with it; a larger one than
the limit is refused by the reader before anything is read.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path
from typing import Any

from ..columns import ColumnMap, looks_like_header
from ..readers import ReadLimits, TableError, book_data_bytes, open_source
from ..screener import ScreeningInputError
from ..sniff import FileKind, sniff

PREVIEW_ROWS = 5
# Where the fields of a row are, as the preview offers them for correction.
COLUMN_FIELDS = (
    ("name", "名称"), ("scope", "经营范围"), ("credit_code", "统一社会信用代码"), ("entity_type", "企业类型"),
    ("established_on", "成立日期"), ("status", "登记状态"), ("suspended_since", "停业日期"), ("address", "住所"),
)
CHILD_FRACTION = 8  # data larger than max_sheet_bytes / 8 is previewed in a child process
TOO_LARGE = "预览时内存不足，无法读取这个工作簿：请在 Excel 或 WPS 中另存为 CSV（逗号分隔）后重新上传。"


def read_preview(path: Path, *, header_row: int | None = None, sheets: tuple[str, ...] = (),
                 limits: ReadLimits | None = None) -> dict[str, Any]:
    """``{"parts", "skipped", "problem"}`` of the file: a large workbook read in a child
    process (its memory is given back when it ends), anything else here."""
    limits = limits or ReadLimits.from_env()
    kind = sniff(path).kind
    size = book_data_bytes(path, kind)
    refused = kind != FileKind.ZIP and size is not None and size > limits.max_sheet_bytes  # the reader refuses it unread
    if size is None or size <= limits.max_sheet_bytes // CHILD_FRACTION or refused:
        return _read(path, header_row, sheets, limits)
    context = multiprocessing.get_context("spawn")  # never fork a threaded server
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            return pool.submit(_read, path, header_row, sheets, limits).result()
    except BrokenProcessPool:  # the child died (out of memory)
        return {"parts": [], "skipped": [], "problem": TOO_LARGE}


def _read(path: Path, header_row: int | None, sheets: tuple[str, ...], limits: ReadLimits) -> dict[str, Any]:
    out: dict[str, Any] = {"parts": [], "skipped": [], "problem": ""}
    try:
        with open_source(path, header_test=partial(looks_like_header, name=None), header_row=header_row,
                         sheets=sheets, limits=limits) as source:
            out["skipped"] = list(source.skipped)
            seen: set[int] = set()
            for chunk in source.chunks(chunk_rows=PREVIEW_ROWS):
                if id(chunk.part) in seen:
                    continue
                seen.add(id(chunk.part))
                out["parts"].append(describe_part(chunk.part, chunk.frame))
                if len(seen) == len(source.parts):
                    break
            for part in source.parts:
                if id(part) not in seen:
                    out["parts"].append(describe_part(part, None))
    except (TableError, ScreeningInputError, OSError, ValueError, KeyError) as exc:
        out["problem"] = f"无法读取这个文件：{exc}"
    return out


def describe_part(part: Any, frame: Any) -> dict[str, Any]:
    """One table of the preview: where it is, its header, first rows and the columns found."""
    try:
        found = ColumnMap.find(part.header)
        columns = {key: (found.scope if key == "scope" else getattr(found, key)) or "" for key, _ in COLUMN_FIELDS}
    except ScreeningInputError:
        columns = {key: "" for key, _ in COLUMN_FIELDS}
    rows = [[str(v) for v in row] for row in frame.head(PREVIEW_ROWS).itertuples(index=False, name=None)] if frame is not None else []
    return {"sheet": part.sheet, "header_row": part.header_row, "skipped_above": part.skipped_above,
            "notes": list(part.notes), "header": list(part.header), "rows": rows, "columns": columns}
