"""Ledger ingest at scale: a seeded corpus (benchmarks/corpus.py) is screened with
`scan`, then `fangfei-screen ledger ingest` records it into a fresh SQLite ledger twice —
month 1 (every flagged entity a new clue) and month 2 (the same file for the next month:
every clue recurring). Each ingest is a whole process, timed and with its peak RSS.

    .venv/bin/python benchmarks/ledger_ingest.py -n 1000000 [--db URL] [--keep DIR]

With --db the ingests go to that database instead (it must be empty).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).with_name("fangfei-screen")


def timed(cmd: list[str]) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds, peak RSS of the child in MB, stdout) of one command."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{err.read()}")
        return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("--db", help="ledger URL (default: a new SQLite file)")
    ap.add_argument("--profile", choices=("synthetic", "registry"), default="synthetic",
                    help="the corpus (benchmarks/corpus.py --profile)")
    ap.add_argument("--keep", type=Path, help="folder for the corpus and results (default: a temporary one)")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    corpus, screened = work / f"corpus-{args.profile}-{args.n}.csv", work / f"screened-{args.profile}-{args.n}.csv"
    if not screened.exists():
        subprocess.run([sys.executable, str(HERE / "corpus.py"), "--profile", args.profile, "-n", str(args.n),
                        "-o", str(corpus)], check=True)
        subprocess.run([str(BIN), "scan", str(corpus), "-o", str(screened), "--as-of", "2025-06-30", "--jobs", "2"],
                       check=True, capture_output=True)
    db = args.db or f"sqlite:///{work / 'ledger.db'}"
    if not args.db:
        for p in work.glob("ledger.db*"):
            p.unlink()
    results = {"rows": args.n, "profile": args.profile, "db": "sqlite" if db.startswith("sqlite") else "postgresql",
               "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"}
    for month, label in (("2025-06", "month1_new"), ("2025-07", "month2_recurring")):
        seconds, cpu, peak, out = timed([str(BIN), "ledger", "ingest", str(screened), "--month", month, "--unit", "基准",
                                    "--by", "bench", "--db", db])
        results[label] = {"seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2), "peak_rss_mb": round(peak, 1),
                          "load_average": os.getloadavg()[0], "summary": out.strip().splitlines()[1:3]}
        print(f"{label}: {seconds:.2f} s wall, {cpu:.2f} s CPU, peak RSS {peak:.0f} MB, load {os.getloadavg()[0]:.1f}", flush=True)
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
