"""`fangfei-screen report` (Attachment 2) on results files of N flagged rows: a registry
of N entities whose names and scopes all hold a listed term (places, trades and scopes
from data/public, as benchmarks/corpus.py builds them) is screened once with `scan`, then
`report` is run on the results as a whole process, timed (wall and CPU).

    .venv/bin/python benchmarks/report_rows.py -n 9432 75000 [--keep DIR] [--rev REV]

With --rev, report.py as it was at that git revision is timed instead, in this process
(report_rows + write_report, CPU seconds), beside today's code in the same process:
how the before/after figures in benchmarks/RESULTS.md were taken.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ledger_ingest import BIN, timed  # noqa: E402

TERMS = ("投资", "寄卖", "区块链", "众筹", "互助", "拍卖", "积分", "加盟", "养老服务", "票据")


def registry(path: Path, n: int, *, seed: int = 17) -> None:
    """N rows, every one flagged: place + trade name + a term + 有限公司, a scope of catalogue items and a term."""
    from corpus import CorpusMaker  # type: ignore[import-not-found]

    public = CorpusMaker(seed=seed)
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["统一社会信用代码", "企业名称", "登记状态", "住所", "经营范围"])
        for i in range(n):
            place = rng.choice(public.places)
            term = rng.choice(TERMS)
            name = f"{place}{rng.choice(public.trade_names)}{term}{rng.choice(('有限公司', '合作社', '商行'))}"
            scope = "；".join(rng.sample(public.items, 4) + [f"{rng.choice(TERMS)}咨询"])
            w.writerow([f"91340323MA{i:07d}X", name, "存续", f"{place}城关镇{i % 300}号", scope])


def load_report(rev: str | None):  # type: ignore[no-untyped-def]
    """fangfei_screen.report, or the module as it was at git revision ``rev``."""
    import importlib.util
    import subprocess

    if rev is None:
        from fangfei_screen import report

        return report
    text = subprocess.run(["git", "show", f"{rev}:src/fangfei_screen/report.py"], cwd=HERE, check=True,
                          capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "report_before.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("fangfei_screen._report_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def in_process(module, screened: Path, out: Path) -> float:  # type: ignore[no-untyped-def]
    """CPU seconds of report_rows + write_report of ``module``."""
    import time

    start = time.process_time()
    rows = module.report_rows(screened)
    module.write_report(rows, module.ReportHeader(month="2025-06", unit="固镇县"), out)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, nargs="+", default=[9432, 75000])
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--rev", help="also time report.py as it was at this git revision, in process")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        for n in args.n:
            src, screened, report = folder / f"registry-{n}.csv", folder / f"screened-{n}.csv", folder / f"report-{n}.xlsx"
            registry(src, n)
            timed([str(BIN), "scan", str(src), "-o", str(screened), "--only-flagged", "--as-of", "2025-06-30"])
            if args.rev:
                now = in_process(load_report(None), screened, report)
                before = in_process(load_report(args.rev), screened, report)
                print(f"rows {n}: in process, CPU {before:.1f} s at {args.rev}, {now:.1f} s now", flush=True)
                continue
            wall, cpu, rss, out = timed([str(BIN), "report", str(screened), "-o", str(report), "--month", "2025-06", "--unit", "固镇县"])
            print(f"rows {n}: report {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {rss:.0f} MB; {out.strip().splitlines()[-1]}", flush=True)


if __name__ == "__main__":
    main()
