"""Bulk screening jobs: one folder per job under the jobs directory, named by a random
id (never by anything the user sent), run in a background thread, state on disk so
that a reload, another tab or another worker of `serve` sees the same job.

A job exists only once its whole upload is in: the file is received aside, its size
and sha256 recorded, and the folder appears by one rename. Before a preview and before
screening the input is checked against them. A queued or running job carries a lease
that its process renews every few seconds; only a job whose lease ran out (its worker
died) is called interrupted, so a second `serve` on the same folder never takes
another's running job for a dead one.
"""

from __future__ import annotations

import csv
import hashlib
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
from pathlib import Path
from typing import Any

from ..batch import FLAGGED_ACTIONS, JSON_COLUMNS, for_people, results_columns
from ..columns import ColumnMap
from ..readers import READ_SUFFIXES, TableError, read_chunks
from ..scanfile import scan_file
from ..screener import Screener, ScreeningInputError
from ..tables import open_writer
from .preview import COLUMN_FIELDS, read_preview

log = logging.getLogger(__name__)

JOB_ID = re.compile(r"^[0-9a-f]{32}$")
# what the page takes is what `scan` reads: an HTML or text ".xls", a .zip of townships …
INPUT_SUFFIXES = READ_SUFFIXES
CHUNK_ROWS = 5_000
LEASE_SECONDS = 30.0  # a queued or running job whose lease is older than this was interrupted
HEARTBEAT_SECONDS = 5.0
INCOMPLETE = "上传的文件不完整或已被改动，请重新上传。"


class JobStore:
    """The jobs directory: create, read, run and sweep jobs."""

    def __init__(self, root: Path, *, ttl: float, screener: Callable[[], Screener], at_once: int = 1) -> None:
        self.root = root
        self.ttl = ttl
        self.screener = screener
        self._pool = ThreadPoolExecutor(max_workers=max(1, at_once), thread_name_prefix="fangfei-web-job")
        self._lock = threading.Lock()
        self._flagged: dict[str, tuple[int, list[dict[str, Any]]]] = {}
        self._leased: set[Path] = set()  # this process's queued and running jobs
        self._heartbeat: threading.Thread | None = None
        self._verified: dict[str, tuple[int, int]] = {}  # job id → (size, mtime_ns) last found complete

    # -- folders -------------------------------------------------------------

    def create(self, upload: Callable[[Any], None], *, owner: str, unit: str, original_name: str,
               suffix: str) -> tuple[str, Path]:
        """A new job from ``upload(out)``, which writes the whole file to ``out``.

        The file goes to a hidden folder with its size and sha256; the job appears by one
        rename once it is all there and on disk. If anything fails (the disk is full, the
        upload is cut short) nothing is left and the error is raised.
        """
        if suffix not in INPUT_SUFFIXES:
            raise ValueError(suffix)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        job_id = secrets.token_hex(16)
        building = self.root / f".{job_id}.part"
        try:
            building.mkdir(mode=0o700)
            with (building / f"input{suffix}").open("wb") as out:
                hashing = _Hashing(out)
                upload(hashing)
                out.flush()
                os.fsync(out.fileno())
            meta = {"id": job_id, "owner": owner, "unit": unit, "original_name": original_name[:200], "suffix": suffix,
                    "created": time.time(), "state": "uploaded", "pid": os.getpid(),
                    "size": hashing.size, "sha256": hashing.sha256.hexdigest()}
            _write_json(building / "state.json", meta)
            os.replace(building, self.root / job_id)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        return job_id, self.root / job_id

    def verify_input(self, job_id: str) -> bool:
        """Whether the job's input is still the file received: the size and sha256 recorded at upload."""
        path, state = self.input_path(job_id), self.state(job_id)
        if path is None or state is None or "sha256" not in state:
            return False
        try:
            st = path.stat()
        except OSError:
            return False
        if st.st_size != state.get("size"):
            return False
        if self._verified.get(job_id) == (st.st_size, st.st_mtime_ns):
            return True
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
        if digest.hexdigest() != state["sha256"]:
            return False
        with self._lock:
            self._verified[job_id] = (st.st_size, st.st_mtime_ns)
            while len(self._verified) > 256:
                self._verified.pop(next(iter(self._verified)))
        return True

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
        if state.get("state") in ("queued", "running") and time.time() - float(state.get("lease") or 0) > LEASE_SECONDS:
            # no process has renewed its lease: the worker that had it died
            state.update(state="failed", message="服务曾重启，这次筛查被中断。请重新上传文件。")
        return dict(state)

    def recent(self, *, unit: str | None, limit: int = 20) -> list[dict[str, Any]]:
        """The newest jobs of a unit (every unit's when ``unit`` is None), newest first."""
        if not self.root.is_dir():
            return []
        states = [self.state(f.name) for f in self.root.iterdir() if JOB_ID.match(f.name)]
        mine = [s for s in states if s is not None and (unit is None or s.get("unit") == unit)]
        return sorted(mine, key=lambda s: -float(s.get("created", 0)))[:limit]

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
            if folder.name.endswith(".part") and folder.is_dir():
                # an upload cut off by a crash: never a job
                if now - folder.stat().st_mtime > 3600:
                    shutil.rmtree(folder, ignore_errors=True)
                continue
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

    def preview(self, job_id: str, *, header_row: int | None = None, sheets: tuple[str, ...] = ()) -> dict[str, Any]:
        """What the reader finds (the library's own reader): per table its sheet, header row,
        header, first rows and the columns found; the sheets skipped and why."""
        path = self.input_path(job_id)
        assert path is not None
        out: dict[str, Any] = {"parts": [], "skipped": [], "sheets": [], "header": [], "columns": {}, "problem": ""}
        if not self.verify_input(job_id):
            out["problem"] = INCOMPLETE
            return out
        read = read_preview(path, header_row=header_row, sheets=sheets)
        if read["problem"]:
            out["problem"] = read["problem"]
            return out
        out["parts"], out["skipped"] = read["parts"], read["skipped"]
        if path.suffix == ".xlsx":
            out["sheets"] = _sheet_names(path)  # after open_source has checked the workbook is safe to open
        if not out["parts"]:
            out["problem"] = "没有找到可以筛查的表格：" + ("；".join(out["skipped"]) or "文件里没有数据行")
            return out
        out["header"] = list(dict.fromkeys(h for part in out["parts"] for h in part["header"]))
        first = out["parts"][0]
        out["columns"] = first["columns"]
        if not first["columns"].get("name"):
            out["problem"] = "没有找到名称列，请在下面选择哪一列是名称。"
        return out

    def start(self, job_id: str, *, columns: dict[str, str], kind: str, as_of: str | None,
              header_row: int | None = None, sheets: tuple[str, ...] = ()) -> None:
        folder = self.folder(job_id)
        state = self.state(job_id)
        assert folder is not None and state is not None
        options = {"columns": columns, "kind": kind, "as_of": as_of, "header_row": header_row, "sheets": list(sheets)}
        with self._lock:
            self._leased.add(folder)
        state = self.update(folder, state="queued", options=options, pid=os.getpid(), rows_done=0, lease=time.time(),
                            total=_estimate_rows(folder / f"input{state['suffix']}"))
        self._keep_leases()
        serving = self.screener()
        lists = tuple(kl.path for kl in serving.lists)
        licences = serving.licences.path if serving.licences is not None else None
        self._pool.submit(self._run_leased, folder, state, lists, licences)

    def _keep_leases(self) -> None:
        with self._lock:
            if self._heartbeat is not None and self._heartbeat.is_alive():
                return
            self._heartbeat = threading.Thread(target=self._renew, name="fangfei-web-job-lease", daemon=True)
            self._heartbeat.start()

    def _renew(self) -> None:
        """Renew the lease of this process's queued and running jobs while there are any."""
        while True:
            time.sleep(HEARTBEAT_SECONDS)
            with self._lock:
                folders = list(self._leased)
                if not folders:
                    self._heartbeat = None
                    return
            for folder in folders:
                try:
                    self.update(folder, lease=time.time())
                except (OSError, ValueError):
                    pass  # a full disk or a removed folder: the job's own run reports it

    def _run_leased(self, folder: Path, state: dict[str, Any], lists: tuple[str, ...], licences: str | None) -> None:
        try:
            self._run(folder, state, lists, licences)
        finally:
            with self._lock:
                self._leased.discard(folder)

    def _run(self, folder: Path, state: dict[str, Any], lists: tuple[str, ...], licences: str | None = None) -> None:
        if not self.verify_input(folder.name):
            self.update(folder, state="failed", message=INCOMPLETE, finished=time.time())
            return
        work = folder / "work"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        started = time.time()
        self.update(folder, state="running", started=started)
        try:
            summary = self._screen(folder, work, state, lists, started, licences)
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
        self.update(folder, state="done", finished=time.time(), rows_done=summary["rows"], summary=summary, xlsx="pending")
        self._write_xlsx(folder)

    def _write_xlsx(self, folder: Path) -> None:
        """The screened table again as XLSX, after the results are shown (openpyxl writes
        some 2,000 rows a second; the results need not wait for it)."""
        target = folder / "screened.xlsx"
        try:
            with open_writer(target, json_columns=JSON_COLUMNS) as writer:
                for chunk in read_chunks(folder / "screened.csv"):
                    writer.write(for_people(chunk.frame))  # Chinese columns first, the machine ones after
        except (TableError, OSError, ValueError) as exc:  # over Excel's row limit: the CSV is there
            target.unlink(missing_ok=True)
            self.update(folder, xlsx="failed", xlsx_problem=str(exc))
        except Exception:
            log.exception("bulk job %s: XLSX failed", folder.name)
            target.unlink(missing_ok=True)
            self.update(folder, xlsx="failed", xlsx_problem="生成 XLSX 时出现意外错误，请下载 CSV")
        else:
            self.update(folder, xlsx="ready")

    def flagged(self, job_id: str) -> list[dict[str, Any]]:
        """The flagged rows of a finished job, kept in memory for the last few jobs viewed."""
        folder = self.folder(job_id)
        if folder is None:
            return []
        path = folder / "flagged.jsonl"
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            return []
        with self._lock:
            cached = self._flagged.get(job_id)
            if cached is not None and cached[0] == stamp:
                return cached[1]
        rows = read_flagged(folder)
        with self._lock:
            self._flagged[job_id] = (stamp, rows)
            while len(self._flagged) > 4:
                self._flagged.pop(next(iter(self._flagged)))
        return rows

    def _screen(self, folder: Path, work: Path, state: dict[str, Any], lists: tuple[str, ...], started: float,
                licences: str | None = None) -> dict[str, Any]:
        """scan_file, as `fangfei-screen scan` runs it, into CSV; the flagged rows are kept
        aside for the results table."""
        options = state["options"]
        done = 0

        def progress(rows: int) -> None:
            nonlocal done
            done += rows
            self.update(folder, rows_done=done, updated=time.time())

        screened = work / "screened.csv"
        summary = scan_file(
            str(folder / f"input{state['suffix']}"), str(screened), kind=options["kind"], as_of=options["as_of"],
            lists=lists, licences=licences, columns={k: v for k, v in options["columns"].items() if v}, header_row=options["header_row"],
            sheets=tuple(options["sheets"]), progress=progress,
        )
        _write_flagged(screened, work / "flagged.jsonl")
        with screened.open(encoding="utf-8-sig", newline="") as f:
            version = next(csv.DictReader(f), {}).get("list_version", "")
        return {
            "rows": summary.rows,
            "actions": dict(summary.actions.most_common()),
            "keywords": dict(summary.keywords.most_common()),
            "categories": {str(c): n for c, n in sorted(summary.categories.items())},
            "errors": summary.errors[:100],
            "error_count": len(summary.errors),
            "reading": list(summary.reading),
            "alarms": list(summary.alarms),
            "seconds": round(time.time() - started, 2),
            "list_version": version,
        }


def _write_flagged(screened: Path, out_path: Path) -> None:
    """The rows someone must act on (and the errors), one JSON line each, for the results table."""
    cache: dict[str, ColumnMap] = {}
    with screened.open(encoding="utf-8-sig", newline="") as f, out_path.open("w", encoding="utf-8") as out:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            return
        at = {h: i for i, h in enumerate(header)}
        for number, row in enumerate(reader, start=1):
            cell = dict(zip(header, row))
            action, supervise = cell.get("action", ""), cell.get("supervise", "")
            if action not in FLAGGED_ACTIONS and supervise != "yes":
                continue
            try:
                cols = results_columns(header, cell.get("columns", ""), cache=cache)
            except ScreeningInputError:
                cols = None
            name = row[at[cols.name]] if cols is not None and cols.name in at else ""
            scopes = [(c, row[at[c]]) for c in (cols.scopes if cols is not None else ()) if c in at]
            try:
                hits = json.loads(cell.get("hits") or "[]")
            except ValueError:
                hits = []
            record = {"row": int(cell["sheet_row"]) if cell.get("sheet_row", "").isdigit() else number,
                      "sheet": cell.get("sheet", ""), "name": name, "scopes": scopes, "action": action,
                      "action_label": cell.get("action_label", "") if action != "error" else "无法筛查",
                      "keywords": cell.get("keywords", ""), "categories": cell.get("categories", ""),
                      "hits": hits if isinstance(hits, list) else [], "error": cell.get("error", "")}
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


class _Hashing:
    """A binary file that counts and hashes what is written to it."""

    def __init__(self, out: Any) -> None:
        self.out = out
        self.size = 0
        self.sha256 = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.out.write(data)
        self.size += len(data)
        self.sha256.update(data)
        return len(data)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # the previous state stays as it was
        raise
