"""Bulk screening jobs: one folder per job under the jobs directory, named by a random
id (never by anything the user sent), run in a background thread, state on disk so
that a reload or another tab sees the same job."""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from ..batch import FLAGGED_ACTIONS, JSON_COLUMNS, ColumnMap, Summary, screen_rows
from ..screener import Screener, ScreeningInputError, parse_options
from ..tables import TableError, TableWriter, read_chunks

log = logging.getLogger(__name__)

JOB_ID = re.compile(r"^[0-9a-f]{32}$")
INPUT_SUFFIXES = (".csv", ".xlsx")
CHUNK_ROWS = 5_000
PREVIEW_ROWS = 5
# Where the fields of a row are, as the preview offers them for correction.
COLUMN_FIELDS = (
    ("name", "名称"), ("scope", "经营范围"), ("credit_code", "统一社会信用代码"), ("entity_type", "企业类型"),
    ("established_on", "成立日期"), ("status", "登记状态"), ("suspended_since", "停业日期"), ("address", "住所"),
)


class JobStore:
    """The jobs directory: create, read, run and sweep jobs."""

    def __init__(self, root: Path, *, ttl: float, screener: Callable[[], Screener]) -> None:
        self.root = root
        self.ttl = ttl
        self.screener = screener
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fangfei-web-job")
        self._lock = threading.Lock()

    # -- folders -------------------------------------------------------------

    def create(self, *, owner: str, unit: str, original_name: str, suffix: str) -> tuple[str, Path]:
        """A new job folder; the upload goes to ``input<suffix>`` inside it."""
        if suffix not in INPUT_SUFFIXES:
            raise ValueError(suffix)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        job_id = secrets.token_hex(16)
        folder = self.root / job_id
        folder.mkdir(mode=0o700)
        meta = {"id": job_id, "owner": owner, "unit": unit, "original_name": original_name[:200], "suffix": suffix,
                "created": time.time(), "state": "uploaded", "pid": os.getpid()}
        _write_json(folder / "state.json", meta)
        return job_id, folder

    def folder(self, job_id: str) -> Path | None:
        if not JOB_ID.match(job_id or ""):
            return None
        folder = self.root / job_id
        return folder if (folder / "state.json").is_file() else None

    def state(self, job_id: str) -> dict[str, Any] | None:
        folder = self.folder(job_id)
        if folder is None:
            return None
        try:
            state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if state.get("state") in ("queued", "running") and state.get("pid") != os.getpid():
            state.update(state="failed", message="服务曾重启，这次筛查被中断。请重新上传文件。")
        return dict(state)

    def update(self, folder: Path, **changes: Any) -> dict[str, Any]:
        with self._lock:
            path = folder / "state.json"
            state = json.loads(path.read_text(encoding="utf-8"))
            state.update(changes)
            _write_json(path, state)
            return dict(state)

    def input_path(self, job_id: str) -> Path | None:
        folder = self.folder(job_id)
        state = self.state(job_id)
        if folder is None or state is None:
            return None
        return folder / f"input{state['suffix']}"

    def sweep(self, now: float | None = None) -> int:
        """Remove job folders older than the time limit (running jobs of this process stay)."""
        now = time.time() if now is None else now
        removed = 0
        if not self.root.is_dir():
            return 0
        for folder in self.root.iterdir():
            if not JOB_ID.match(folder.name) or not folder.is_dir():
                continue
            state = self.state(folder.name)
            created = state.get("created", 0) if state else folder.stat().st_mtime
            running = state is not None and state.get("state") in ("queued", "running")
            if now - float(created) > self.ttl and not running:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed

    # -- preview and run ---------------------------------------------------------

    def preview(self, job_id: str) -> dict[str, Any]:
        """The header, a few rows, the sheets and the columns found, for the user to check."""
        path = self.input_path(job_id)
        assert path is not None
        out: dict[str, Any] = {"sheets": [], "header_row": 1, "header": [], "rows": [], "columns": {}, "problem": ""}
        if path.suffix == ".xlsx":
            out["sheets"] = _sheet_names(path)
        try:
            first = next(read_chunks(path, chunk_rows=PREVIEW_ROWS), None)
        except (TableError, ScreeningInputError, OSError, ValueError) as exc:
            out["problem"] = f"无法读取这个文件：{exc}"
            return out
        if first is None:
            out["problem"] = "文件里没有数据行。"
            return out
        out["header"] = [str(c) for c in first.frame.columns]
        out["rows"] = [[str(v) for v in row] for row in first.frame.head(PREVIEW_ROWS).itertuples(index=False, name=None)]
        try:
            found = ColumnMap.find(out["header"])
            out["columns"] = {key: getattr(found, key) or "" for key, _ in COLUMN_FIELDS}
        except ScreeningInputError:
            out["columns"] = {key: "" for key, _ in COLUMN_FIELDS}
            out["problem"] = "没有找到名称列，请在下面选择哪一列是名称。"
        return out

    def start(self, job_id: str, *, columns: dict[str, str], kind: str, as_of: str | None) -> None:
        folder = self.folder(job_id)
        assert folder is not None
        state = self.update(folder, state="queued", options={"columns": columns, "kind": kind, "as_of": as_of},
                            pid=os.getpid(), rows_done=0, total=_estimate_rows(folder / f"input{self.state(job_id)['suffix']}"))
        screener = self.screener()
        self._pool.submit(self._run, folder, state, screener)

    def _run(self, folder: Path, state: dict[str, Any], screener: Screener) -> None:
        work = folder / "work"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        started = time.time()
        self.update(folder, state="running", started=started)
        try:
            summary = self._screen(folder, work, state, screener, started)
        except (TableError, ScreeningInputError, OSError, ValueError) as exc:
            shutil.rmtree(work, ignore_errors=True)
            self.update(folder, state="failed", message=f"筛查没有完成：{exc}", finished=time.time())
            return
        except Exception:  # a job must end in a state the page can show, whatever went wrong
            log.exception("bulk job %s failed", folder.name)
            shutil.rmtree(work, ignore_errors=True)
            self.update(folder, state="failed", message="筛查时出现意外错误，已记录在服务日志中。", finished=time.time())
            return
        for produced in work.iterdir():
            os.replace(produced, folder / produced.name)
        work.rmdir()
        self.update(folder, state="done", finished=time.time(), rows_done=summary["rows"], summary=summary)

    def _screen(self, folder: Path, work: Path, state: dict[str, Any], screener: Screener, started: float) -> dict[str, Any]:
        options = state["options"]
        given = {k: (v or None) for k, v in options["columns"].items()}
        defaults = parse_options({"kind": options["kind"], "as_of": options["as_of"]})
        defaults["as_of"] = defaults["as_of"] or date.today()
        csv_out = TableWriter(work / "screened.csv", json_columns=JSON_COLUMNS)
        xlsx_out: TableWriter | None = TableWriter(work / "screened.xlsx", json_columns=JSON_COLUMNS)
        xlsx_problem = ""
        summary = Summary()
        done = 0
        cols: ColumnMap | None = None
        with (work / "flagged.jsonl").open("w", encoding="utf-8", errors="backslashreplace") as flagged:
            try:
                for chunk in read_chunks(folder / f"input{state['suffix']}", chunk_rows=CHUNK_ROWS):
                    if cols is None:
                        cols = ColumnMap.find([str(c) for c in chunk.frame.columns], **given)
                    screened = screen_rows(chunk.frame, cols, screener, defaults=defaults, read_errors=chunk.errors)
                    summary.add_frame(screened)
                    csv_out.write(screened)
                    if xlsx_out is not None:
                        try:
                            xlsx_out.write(screened)
                        except TableError as exc:  # over Excel's row limit: the CSV still comes
                            xlsx_problem = str(exc)
                            xlsx_out = None
                    _write_flagged(flagged, chunk.frame, screened, cols, done)
                    done += len(screened)
                    self.update(folder, rows_done=done, updated=time.time())
            finally:
                csv_out.close()
                if xlsx_out is not None:
                    xlsx_out.close()
        if xlsx_problem:
            (work / "screened.xlsx").unlink(missing_ok=True)
        return {
            "rows": summary.rows,
            "actions": dict(summary.actions.most_common()),
            "keywords": dict(summary.keywords.most_common()),
            "categories": {str(c): n for c, n in sorted(summary.categories.items())},
            "errors": summary.errors[:100],
            "error_count": len(summary.errors),
            "xlsx_problem": xlsx_problem,
            "seconds": round(time.time() - started, 2),
            "list_version": screener.list_version,
            "list_sha256": screener.list_sha256,
        }


def _write_flagged(out: Any, frame: Any, screened: Any, cols: ColumnMap, base: int) -> None:
    """The rows someone must act on (and the errors), one JSON line each, for the results table."""
    names = frame[cols.name].tolist()
    scopes = frame[cols.scope].tolist() if cols.scope else [""] * len(frame)
    cells = zip(screened["action"], screened["action_label"], screened["keywords"], screened["categories"],
                screened["hits"], screened["supervise"], screened["error"])
    for i, (action, label, keywords, categories, hits, supervise, error) in enumerate(cells):
        if action not in FLAGGED_ACTIONS and supervise != "yes":
            continue
        record = {"row": base + i + 1, "name": str(names[i] or ""), "scope": str(scopes[i] or ""), "action": action,
                  "action_label": label if action != "error" else "无法筛查", "keywords": keywords,
                  "categories": categories, "hits": json.loads(hits or "[]"), "error": error or ""}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


def read_flagged(folder: Path) -> list[dict[str, Any]]:
    path = folder / "flagged.jsonl"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _estimate_rows(path: Path) -> int | None:
    """About how many rows the file holds, for the progress bar (None if unknown)."""
    try:
        if path.suffix == ".csv":
            n = 0
            with path.open("rb") as f:
                while block := f.read(1 << 22):
                    n += block.count(b"\n")
            return max(n - 1, 0) if n else None
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        try:
            rows = book.worksheets[0].max_row
        finally:
            book.close()
        return max(rows - 1, 0) if rows else None
    except Exception:  # an estimate only: the job itself reports a file it cannot read
        return None


def _sheet_names(path: Path) -> list[str]:
    try:
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True)
        try:
            return list(book.sheetnames)
        finally:
            book.close()
    except Exception:  # the preview says the file cannot be read
        return []


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
