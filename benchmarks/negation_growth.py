"""CPU time of screening scopes crowded with negation openers and hits, at n and 2n.

The test suite checks that the work grows linearly by counting (bytecode steps and the
characters sliced or searched, tests/test_negation.py); this prints the seconds, which move
with the machine and its load, so they belong here and in RESULTS.md, not in a test.

    .venv/bin/python benchmarks/negation_growth.py [--sizes 30000 60000 120000 240000]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable

from fangfei_screen import Screener

SHAPES: dict[str, Callable[[int], str]] = {
    "一个子句 n 个命中 (甲不含投资…；乙)": lambda n: "甲不含" + "投资" * n + "；乙",
    "n 个除、无外 (除…投资…)": lambda n: "除" * n + "投资" * n,
}


def cpu_seconds(screener: Screener, text: str, repeats: int) -> float:
    times = []
    gc.collect()
    gc.disable()  # the collector's passes grow with the objects alive, not with the screening
    try:
        for _ in range(repeats):
            t = time.process_time()
            screener.screen("某公司", text)
            times.append(time.process_time() - t)
    finally:
        gc.enable()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30_000, 60_000, 120_000, 240_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    screener = Screener()
    screener.screen("某公司", "不含投资")
    print(f"load average {os.getloadavg()[0]:.2f}; CPU seconds, median of {args.repeats}")
    for name, make in SHAPES.items():
        row = [cpu_seconds(screener, make(n), args.repeats) for n in args.sizes]
        ratios = " ".join(f"{b / a:.2f}×" for a, b in zip(row, row[1:]))
        print(f"{name}: " + " / ".join(f"{n}: {t:.3f}s" for n, t in zip(args.sizes, row)) + f"; 2n/n {ratios}")


if __name__ == "__main__":
    main()
