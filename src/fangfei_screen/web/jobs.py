"""Bulk screening jobs: one folder per job under the jobs directory, named by a random
id (never by anything the user sent), run in a background thread, state on disk so
that a reload, another tab or another worker of `serve` sees the same job.

A job exists only once its whole upload is in: the file is received aside, its size
and sha256 recorded, and the folder appears by one rename. Before a preview and before
screening the input is checked against them.

With a ledger database the job's state and the queue are rows of it (``ledger.jobs``):
every worker of `serve`, and every `serve` on that ledger, shares them, a restart keeps
the queue, and a job runs in whichever worker takes it first, at most ``at_once`` at a
time on the whole ledger. Without one, the state is the folder's state.json and each
process runs its own queue. Either way a running job carries a lease that its process
renews every few seconds; only a job whose worker died (its lease ran out, or with the
database its process on this machine is gone) is called interrupted, and it can be run
again from its page.
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
QUEUE_POLL_SECONDS = 1.0  # how often a worker looks for queued jobs in the ledger
INTERRUPTED = "处理这次筛查的服务进程已停止，筛查被中断。可以点“重新筛查”再筛一次，不必重新上传。"
INCOMPLETE = "上传的文件不完整或已被改动，请重新上传。"


class JobStore:
    """The jobs directory: create, read, run and sweep jobs."""

    def __init__(self, root: Path, *, ttl: float, screener: Callable[[], Screener], at_once: int = 1,
                 ledger: Callable[[], Any] | None = None) -> None:
        """``ledger`` opens the ledger database (None while there is none): then the jobs
        and their queue are kept there; otherwise in the folder."""
        self.root = root
        self.ttl = ttl
        self.screener = screener
        self.at_once = max(1, at_once)
        self._ledger = ledger
        self._pool = ThreadPoolExecutor(max_workers=self.at_once, thread_name_prefix="fangfei-web-job")
        self._me = ""
        self._queue: threading.Thread | None = None
        self._wake = threading.Event()
        self._running_here = 0
        self._lock = threading.Lock()
        self._flagged: dict[str, tuple[int, list[dict[str, Any]]]] = {}
        self._leased: set[Path] = set()  # this process's queued and running jobs
        self._heartbeat: threading.Thread | None = None
        self._verified: dict[str, tuple[int, int]] = {}  # job id → (size, mtime_ns) last found complete

    # -- where the state is ----------------------------------------------------

    def _db(self) -> Any:
        """The ledger database holding the jobs, or None (the folder holds them)."""
        if self._ledger is None:
            return None
        return self._ledger()  # a ledger that cannot be opened raises: the pages say so, the queue waits

    def _worker(self) -> str:
        if not self._me:
            from ..ledger.jobs import worker_id

            self._me = worker_id()
        return self._me

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
            ledger = self._db()
            if ledger is None:
                _write_json(building / "state.json", meta)
            os.replace(building, self.root / job_id)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
        if ledger is not None:
            from ..ledger.jobs import add_job

            try:
                add_job(ledger, meta)  # the job exists from here on
            except BaseException:
                shutil.rmtree(self.root / job_id, ignore_errors=True)
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
        if self._db() is not None:
            return folder if folder.is_dir() else None
        return folder if (folder / "state.json").is_file() else None

    def state(self, job_id: str) -> dict[str, Any] | None:
        folder = self.folder(job_id)
        if folder is None:
            return None
        ledger = self._db()
        if ledger is not None:
            from ..ledger.jobs import get_job, interrupted

            found = get_job(ledger, job_id)
            if found is not None and interrupted(found, me=self._worker(), now=time.time(), lease_seconds=LEASE_SECONDS):
                found.update(state="failed", interrupted=True, message=INTERRUPTED)  # recorded by the next sweep
            return found
        try:
            state = json.loads((folder / "state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if state.get("state") in ("queued", "running") and time.time() - float(state.get("lease") or 0) > LEASE_SECONDS:
            # no process has renewed its lease: the worker that had it died
            state.update(state="failed", interrupted=True, message=INTERRUPTED)
        return dict(state)

    def recent(self, *, unit: str | None, limit: int = 20) -> list[dict[str, Any]]:
        """The newest jobs of a unit (every unit's when ``unit`` is None), newest first."""
        ledger = self._db()
        if ledger is not None:
            from ..ledger.jobs import interrupted, recent_jobs

            now, me = time.time(), self._worker()
            found = recent_jobs(ledger, unit=unit, limit=limit)
            for state in found:
                if interrupted(state, me=me, now=now, lease_seconds=LEASE_SECONDS):
                    state.update(state="failed", interrupted=True, message=INTERRUPTED)
            return found
        if not self.root.is_dir():
            return []
        states = [self.state(f.name) for f in self.root.iterdir() if JOB_ID.match(f.name)]
        mine = [s for s in states if s is not None and (unit is None or s.get("unit") == unit)]
        return sorted(mine, key=lambda s: -float(s.get("created", 0)))[:limit]

    def update(self, folder: Path, **changes: Any) -> dict[str, Any]:
        ledger = self._db()
        if ledger is not None:
            from ..ledger.jobs import update_job

            done = update_job(ledger, folder.name, changes)
            if done is None:
                raise OSError(f"no such job: {folder.name}")
            return done
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
        """Remove job folders older than the time limit (running jobs of this process stay).
        With the ledger: record the jobs whose worker died as interrupted, remove the old
        ones, and make sure this process takes its share of the queue."""
        now = time.time() if now is None else now
        removed = 0
        ledger = self._db()
        if ledger is not None:
            self._serve_queue()
            return self._sweep_ledger(ledger, now)
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

    def _sweep_ledger(self, ledger: Any, now: float) -> int:
        from ..ledger.jobs import delete_jobs, mark_interrupted, recent_jobs

        mark_interrupted(ledger, me=self._worker(), now=now, lease_seconds=LEASE_SECONDS, message=INTERRUPTED)
        old = [s["id"] for s in recent_jobs(ledger, unit=None, limit=100_000)
               if now - float(s.get("created") or 0) > self.ttl and s.get("state") not in ("queued", "running")]
        delete_jobs(ledger, old)
        for job_id in old:
            shutil.rmtree(self.root / job_id, ignore_errors=True)
        if self.root.is_dir():
            for folder in self.root.iterdir():
                if folder.name.endswith(".part") and folder.is_dir() and now - folder.stat().st_mtime > 3600:
                    shutil.rmtree(folder, ignore_errors=True)
        return len(old)

    # -- the queue in the ledger -------------------------------------------------

    def _serve_queue(self) -> None:
        """Start this process's queue thread (once): it takes queued jobs from the ledger."""
        with self._lock:
            if self._queue is not None and self._queue.is_alive():
                return
            self._queue = threading.Thread(target=self._take_jobs, name="fangfei-web-job-queue", daemon=True)
            self._queue.start()

    def _take_jobs(self) -> None:
        from ..ledger.jobs import claim_next, renew_leases

        renewed, said = 0.0, ""
        while True:
            self._wake.wait(QUEUE_POLL_SECONDS)
            self._wake.clear()
            try:
                ledger = self._db()
                if ledger is None:
                    continue
                now = time.time()
                if self._running_here and now - renewed >= HEARTBEAT_SECONDS:
                    renew_leases(ledger, worker=self._worker(), now=now)
                    renewed = now
                # a process shutting down (its main thread is over) finishes its jobs but takes no more
                while self._running_here < self.at_once and threading.main_thread().is_alive():
                    job = claim_next(ledger, worker=self._worker(), now=time.time(), at_once=self.at_once,
                                     lease_seconds=LEASE_SECONDS)
                    if job is None:
                        break
                    with self._lock:
                        self._running_here += 1
                    serving = self.screener()
                    lists = tuple(kl.path for kl in serving.lists)
                    licences = serving.licences.path if serving.licences is not None else None
                    self._pool.submit(self._run_taken, self.root / job["id"], job, lists, licences)
            except Exception as exc:  # noqa: BLE001 - a busy or unreachable ledger: try again at the next poll
                if str(exc) != said:  # once per kind of trouble, not every second
                    log.warning("bulk jobs: the queue could not be read: %s", exc)
                    said = str(exc)
            else:
                said = ""

    def _run_taken(self, folder: Path, state: dict[str, Any], lists: tuple[str, ...], licences: str | None) -> None:
        try:
            self._run(folder, state, lists, licences)
        except Exception:  # noqa: BLE001 - the job's state could not be written (the ledger is gone)
            log.exception("bulk job %s: its state could not be recorded", folder.name)
        finally:
            with self._lock:
                self._running_here -= 1
            self._wake.set()

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
        self._queue_job(folder, state, options)

    def rerun(self, job_id: str) -> bool:
        """Queue an interrupted job again with the options it had; False if it was not
        interrupted (or its input is no longer the file received)."""
        folder, state = self.folder(job_id), self.state(job_id)
        if folder is None or state is None or not state.get("interrupted") or state.get("state") != "failed":
            return False
        if not self.verify_input(job_id):
            return False
        ledger = self._db()
        if ledger is not None:
            from ..ledger.jobs import mark_interrupted, update_job

            # the interrupted run as recorded first, so two clicks (or two workers) queue it once
            mark_interrupted(ledger, me=self._worker(), now=time.time(), lease_seconds=LEASE_SECONDS, message=INTERRUPTED)
            queued = update_job(ledger, job_id, {"state": "queued", "queued": time.time(), "rows_done": 0, "interrupted": False,
                                                 "message": "", "worker": None, "lease": None},
                                only_if={"state": "failed"})
            self._wake.set()
            return queued is not None
        self._queue_job(folder, state, state.get("options") or {})
        return True

    def _queue_job(self, folder: Path, state: dict[str, Any], options: dict[str, Any]) -> None:
        total = _estimate_rows(folder / f"input{state['suffix']}")
        ledger = self._db()
        if ledger is not None:
            from ..ledger.jobs import update_job

            update_job(ledger, folder.name, {"state": "queued", "options": options, "rows_done": 0, "total": total,
                                             "queued": time.time(), "interrupted": False})
            self._serve_queue()
            self._wake.set()
            return
        with self._lock:
            self._leased.add(folder)
        state = self.update(folder, state="queued", options=options, pid=os.getpid(), rows_done=0, lease=time.time(),
                            total=total, interrupted=False)
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
            try:
                self.update(folder, rows_done=done, updated=time.time())
            except Exception:
                if self._ledger is None:
                    raise  # the folder's state cannot be written (a full disk): the job reports it
                # a busy ledger (another process's long write lock): the progress shown waits, the job goes on

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
