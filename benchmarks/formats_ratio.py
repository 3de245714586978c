"""`scan` of XLSX (read by calamine) and Parquet files against pandas reading the same file.

    .venv/bin/python benchmarks/formats_ratio.py -n 200000 --rounds 3 [--profile registry] [--before /tmp/before/src]

The corpus (benchmarks/corpus.py) is written once as XLSX (XlsxWriter, constant memory,
as a registry export tool writes it) and as Parquet (pyarrow). Each round runs, as whole
processes: pandas ``read_excel(engine="calamine", dtype=str)``; ``scan`` XLSX → CSV;
pandas ``read_parquet``; pandas ``read_parquet`` + ``to_parquet``; ``scan`` Parquet →
Parquet. Medians of wall and CPU seconds (wait4) and peak RSS, and the ratios of scan
to pandas on the same file. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> None:
    from corpus import CorpusMaker
    from scan_ratio import measure

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--profile", choices=("synthetic", "registry"), default="registry")
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--before", type=Path, help="a src folder of another version (git archive main src): its scans run beside")
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="formats-ratio-"))
    work.mkdir(parents=True, exist_ok=True)
    header = ["统一社会信用代码", "企业名称", "企业类型", "成立日期", "登记状态", "经营范围"]
    xlsx, parquet = work / "corpus.xlsx", work / "corpus.parquet"
    if not xlsx.exists() or not parquet.exists():
        import pyarrow as pa
        import pyarrow.parquet as pq
        import xlsxwriter

        rows = [[f"91340323MA{i:08d}", r.name, "有限责任公司", "2019-04-01", "存续", r.scope]
                for i, r in enumerate(CorpusMaker().records(args.n, profile=args.profile))]
        book = xlsxwriter.Workbook(str(xlsx), {"constant_memory": True})
        sheet = book.add_worksheet("Sheet1")
        sheet.write_row(0, 0, header)
        for i, row in enumerate(rows, start=1):
            sheet.write_row(i, 0, row)
        book.close()
        pq.write_table(pa.table({h: [r[k] for r in rows] for k, h in enumerate(header)}), parquet)
    py = sys.executable
    scan = [py, "-m", "fangfei_screen", "scan", "--as-of", "2025-06-30", "--jobs", "1"]
    cmds = {
        "pandas read_excel (calamine)": [py, "-c", "import pandas as pd,sys; pd.read_excel(sys.argv[1], dtype=str, engine='calamine')", str(xlsx)],
        "scan XLSX → CSV": [*scan, str(xlsx), "-o", str(work / "xlsx-out.csv")],
        "pandas read_parquet": [py, "-c", "import pandas as pd,sys; pd.read_parquet(sys.argv[1])", str(parquet)],
        "pandas read_parquet + to_parquet": [py, "-c", "import pandas as pd,sys; pd.read_parquet(sys.argv[1]).to_parquet(sys.argv[2])", str(parquet), str(work / "pandas.parquet")],
        "scan Parquet → Parquet": [*scan, str(parquet), "-o", str(work / "parquet-out.parquet")],
    }
    envs = {name: dict(os.environ) for name in cmds}
    if args.before:
        for name in ("scan XLSX → CSV", "scan Parquet → Parquet"):
            cmds[f"{name} (before)"] = [c.replace("-out.", "-before.") for c in cmds[name]]
            envs[f"{name} (before)"] = {**os.environ, "PYTHONPATH": str(args.before.resolve())}
    runs: dict[str, list[tuple[float, float, float]]] = {}
    for _ in range(args.rounds):
        for name, cmd in cmds.items():
            runs.setdefault(name, []).append(measure(cmd, envs[name]))
    med = {k: tuple(statistics.median(c) for c in zip(*v)) for k, v in runs.items()}
    print(f"{args.n:,} records ({args.profile}); XLSX {xlsx.stat().st_size / 1e6:.0f} MB, Parquet "
          f"{parquet.stat().st_size / 1e6:.0f} MB; {args.rounds} rounds; load average {os.getloadavg()[0]:.1f} at the end")
    print("| run | wall s | CPU s | peak RSS MB |")
    print("| --- | ---: | ---: | ---: |")
    for k, (w, c, m) in med.items():
        print(f"| {k} | {w:.2f} | {c:.2f} | {m:.0f} |")
    pairs = [("scan XLSX → CSV", "pandas read_excel (calamine)"), ("scan Parquet → Parquet", "pandas read_parquet"),
             ("scan Parquet → Parquet", "pandas read_parquet + to_parquet")]
    if args.before:
        pairs += [(f"{a} (before)", b) for a, b in pairs]
    for scan_name, base in pairs:
        print(f"{scan_name} / {base}: wall {med[scan_name][0] / med[base][0]:.2f}×, CPU {med[scan_name][1] / med[base][1]:.2f}×")


if __name__ == "__main__":
    main()
