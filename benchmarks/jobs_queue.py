"""The bulk-job queue in the ledger (issue 19): what a claim, a state read and a progress
write cost on SQLite and PostgreSQL, beside the jobs folder's state.json that it replaces.

    python benchmarks/jobs_queue.py [--jobs 200] [--runs 3] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

Runs are interleaved (folder, SQLite, PostgreSQL, folder, …); each figure is the median of
the runs, in microseconds of wall time per operation, with the load average printed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from fangfei_screen.ledger import Ledger
from fangfei_screen.ledger.jobs import add_job, claim_next, get_job, update_job
from fangfei_screen.web.jobs import _write_json


def _meta(i: int, t: float) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "owner": "张三", "unit": "城关镇", "original_name": f"名单{i}.csv", "suffix": ".csv",
            "size": 1, "sha256": "0" * 64, "state": "queued", "created": t + i, "queued": t + i, "options": {"kind": "existing"}}


def run_ledger(url: str, n: int) -> dict[str, float]:
    ledger = Ledger.open(url)
    try:
        t = time.time()
        metas = [_meta(i, t) for i in range(n)]
        for m in metas:
            add_job(ledger, m)
        began = time.perf_counter()
        claimed = 0
        while claim_next(ledger, worker="h|b|1|x", now=time.time(), at_once=10 * n, lease_seconds=30) is not None:
            claimed += 1
        claim = (time.perf_counter() - began) / max(claimed, 1)
        began = time.perf_counter()
        for m in metas:
            get_job(ledger, m["id"])
        read = (time.perf_counter() - began) / n
        began = time.perf_counter()
        for m in metas:
            update_job(ledger, m["id"], {"rows_done": 5000, "updated": time.time()})
        write = (time.perf_counter() - began) / n
        with ledger.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM bulk_jobs")
        return {"claim": claim * 1e6, "read": read * 1e6, "write": write * 1e6}
    finally:
        ledger.dispose()


def run_folder(root: Path, n: int) -> dict[str, float]:
    import json

    t = time.time()
    metas = [_meta(i, t) for i in range(n)]
    for m in metas:
        (root / m["id"]).mkdir()
        _write_json(root / m["id"] / "state.json", m)
    began = time.perf_counter()
    for m in metas:
        json.loads((root / m["id"] / "state.json").read_text(encoding="utf-8"))
    read = (time.perf_counter() - began) / n
    began = time.perf_counter()
    for m in metas:
        path = root / m["id"] / "state.json"
        state = json.loads(path.read_text(encoding="utf-8"))
        state.update(rows_done=5000, updated=time.time())
        _write_json(path, state)
    write = (time.perf_counter() - began) / n
    return {"claim": float("nan"), "read": read * 1e6, "write": write * 1e6}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=200)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test",
                    help="a PostgreSQL server; a new database is made on it for the run and dropped after")
    args = ap.parse_args()
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(args.pg)
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"ff_bench_jobs_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    pg = base.set(database=name).render_as_string(hide_password=False)
    try:
        _measure(args, pg)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _measure(args: argparse.Namespace, pg: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = f"sqlite:///{Path(tmp) / 'ledger.db'}"
        results: dict[str, list[dict[str, float]]] = {"folder": [], "sqlite": [], "postgresql": []}
        for r in range(args.runs):
            folder = Path(tmp) / f"jobs{r}"
            folder.mkdir()
            results["folder"].append(run_folder(folder, args.jobs))
            results["sqlite"].append(run_ledger(sqlite, args.jobs))
            results["postgresql"].append(run_ledger(pg, args.jobs))
    print(f"load average: {Path('/proc/loadavg').read_text().split()[:3]}; {args.jobs} jobs, median of {args.runs} interleaved runs")
    print("| store | claim µs | state read µs | progress write µs |")
    print("| --- | ---: | ---: | ---: |")
    for name, runs in results.items():
        med = {k: statistics.median(x[k] for x in runs) for k in ("claim", "read", "write")}
        claim = "—" if med["claim"] != med["claim"] else f"{med['claim']:,.0f}"
        print(f"| {name} | {claim} | {med['read']:,.0f} | {med['write']:,.0f} |")


if __name__ == "__main__":
    main()
