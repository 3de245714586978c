"""What telling non-entity rows (rowkinds) costs and whether it takes records for them.

On the seeded corpus (benchmarks/corpus.py): how many records, as full rows and as
rows holding a name alone, RowKinds.of takes for a non-entity (should be 0), and its
time per row beside the csv module's parsing of the same line (best of 5).

    python benchmarks/rowkinds.py -n 100000
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CorpusMaker  # noqa: E402

from fangfei_screen.rowkinds import RowKinds  # noqa: E402

HEADER = ("序号", "统一社会信用代码", "企业名称", "登记状态", "经营范围")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=100_000)
    args = parser.parse_args()
    maker = CorpusMaker()
    records = list(maker.records(args.n))
    rows = [[str(i), f"91340323MA{i:08d}", r.name, "存续", r.scope] for i, r in enumerate(records, start=1)]
    kinds = RowKinds((HEADER,))
    full = [kinds.of(r) for r in rows]
    alone = [kinds.of(["", "", r.name, "", ""]) for r in records]
    print(f"records taken for non-entities: {sum(k is not None for k in full)} of {len(rows)} full rows, "
          f"{sum(k is not None for k in alone)} of {len(rows)} name-only rows")
    for kind, row in [(k, r) for k, r in zip(alone, rows) if k is not None][:10]:
        print(f"  {kind}: {row[2]}")
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    lines = text.getvalue().splitlines(keepends=True)

    def best(fn: object) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            fn()  # type: ignore[operator]
            times.append(time.perf_counter() - start)
        return min(times) / len(rows) * 1e6

    parse = best(lambda: sum(1 for _ in csv.reader(lines)))
    look = best(lambda: sum(1 for r in rows if kinds.of(r) is not None))
    print(f"csv parsing {parse:.2f} µs/row; RowKinds.of {look:.2f} µs/row ({look / parse:.2f}× the parsing)")


if __name__ == "__main__":
    main()
