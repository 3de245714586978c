"""Reading an ".xls" that is an HTML table (a registration system's "导出Excel"):
time and peak memory of ``scan`` on a GBK page of N rows, against the same rows as a
CSV, in one fresh process each (so the peak RSS is the file's own).

    python benchmarks/html_xls.py -n 20000
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CorpusMaker  # noqa: E402


def run(src: Path, out: Path) -> tuple[float, float]:
    start = time.perf_counter()
    code = ("import resource, sys; from fangfei_screen.cli import main; rc = main(['scan', sys.argv[1], '-o', sys.argv[2]]);"
            " print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code, str(src), str(out)], capture_output=True, text=True, check=True)
    return time.perf_counter() - start, int(proc.stderr.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=20_000)
    args = parser.parse_args()
    records = list(CorpusMaker().records(args.n))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        page = ['<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body><table>',
                '<tr><td colspan="4">固镇县市场主体名录</td></tr>',
                "<tr><td>序号</td><td>统一社会信用代码</td><td>企业名称</td><td>经营范围</td></tr>"]
        page += [f"<tr><td>{i}</td><td>91340323MA{i:08d}</td><td>{r.name}</td><td>{r.scope}</td></tr>"
                 for i, r in enumerate(records, start=1)]
        page.append("</table></body></html>")
        (folder / "名录.xls").write_bytes("\r\n".join(page).encode("gb18030"))
        with (folder / "名录.csv").open("w", encoding="gb18030", newline="") as f:
            w = csv.writer(f)
            w.writerow(["序号", "统一社会信用代码", "企业名称", "经营范围"])
            w.writerows([i, f"91340323MA{i:08d}", r.name, r.scope] for i, r in enumerate(records, start=1))
        for name in ("名录.xls", "名录.csv"):
            src = folder / name
            seconds, mb = run(src, folder / "out.csv")
            print(f"{name}: {src.stat().st_size / 1e6:.1f} MB, scan {seconds:.2f} s, peak RSS {mb:.0f} MB ({args.n:,} rows)")


if __name__ == "__main__":
    main()
