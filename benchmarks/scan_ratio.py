"""`scan` CSV → CSV against a pandas round trip of the same file, interleaved.

    .venv/bin/python benchmarks/corpus.py --profile registry -n 1000000 -o /tmp/registry.csv
    .venv/bin/python benchmarks/scan_ratio.py /tmp/registry.csv --rounds 3 [--src before=/tmp/old/src]

Each round runs, one after the other as whole processes: pandas ``read_csv(dtype=str)`` +
``to_csv``; then for each code (this checkout, and each ``--src NAME=DIR``) ``scan --jobs 1``
and ``scan --jobs 2``. For each: wall seconds, CPU seconds (user + system, its worker
processes included) and peak RSS of the largest process, as wait4 reports them. Medians
over the rounds, with the load average; the ratios are of medians of the same run. On a
shared machine the CPU seconds are the steadier figure. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall s, CPU s of the process and the children it waited for, peak RSS MB)."""
    import time

    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _digest(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 22):
            h.update(block)
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("csv", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--src", action="append", default=[], help="NAME=DIR: also run the code in DIR (its src folder)")
    ap.add_argument("--jobs", default="1,2")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="scan-ratio-"))
    codes = [("this", None)] + [tuple(s.split("=", 1)) for s in args.src]
    runs: dict[str, list[tuple[float, float, float]]] = {}
    trip = ("import pandas as pd, sys; pd.read_csv(sys.argv[1], dtype=str).to_csv(sys.argv[2], index=False)")
    for _ in range(args.rounds):
        env = dict(os.environ)
        runs.setdefault("pandas round trip", []).append(
            measure([sys.executable, "-c", trip, str(args.csv), str(work / "pandas.csv")], env))
        for name, src in codes:
            env = dict(os.environ)
            if src:
                env["PYTHONPATH"] = src
            for jobs in args.jobs.split(","):
                out = work / f"{name}-{jobs}.csv"
                runs.setdefault(f"{name} scan --jobs {jobs}", []).append(measure(
                    [sys.executable, "-m", "fangfei_screen", "scan", str(args.csv), "-o", str(out),
                     "--as-of", "2025-06-30", "--jobs", jobs], env))
    med = {k: tuple(statistics.median(col) for col in zip(*v)) for k, v in runs.items()}
    base = med["pandas round trip"]
    print(f"{args.csv} ({args.csv.stat().st_size / 1e6:.0f} MB), {args.rounds} rounds, load average "
          f"{os.getloadavg()[0]:.1f} at the end")
    print("| run | wall s | CPU s | peak RSS MB | wall × pandas | CPU × pandas |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for k, (w, c, m) in med.items():
        print(f"| {k} | {w:.2f} | {c:.2f} | {m:.0f} | {w / base[0]:.2f} | {c / base[1]:.2f} |")
    for name, _ in codes:
        one, two = med.get(f"{name} scan --jobs 1"), med.get(f"{name} scan --jobs 2")
        if one and two:
            print(f"{name}: --jobs 2 is {one[0] / two[0]:.2f}× faster than --jobs 1 in wall time; "
                  f"CPU {one[1]:.2f} s against {two[1]:.2f} s")
    outs = sorted(work.glob("*-*.csv"))
    same = len({_digest(p) for p in outs}) == 1 if outs else False
    print(f"every scan output identical: {same} ({len(outs)} files)")


if __name__ == "__main__":
    main()
