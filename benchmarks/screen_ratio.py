"""screen_many against the bare automaton, side by side in one process, interleaved.

    .venv/bin/python benchmarks/screen_ratio.py --profile registry -n 100000 --rounds 5
    .venv/bin/python benchmarks/screen_ratio.py --src /tmp/before/src   # another checkout's code
    .venv/bin/python benchmarks/screen_ratio.py --before /tmp/before/src  # both, side by side

Each round runs the floor (raw pyahocorasick ``iter`` over name and scope, keeping what
it finds, as in run.py) and then ``Screener.screen_many(kind="existing")`` on the same
records; CPU time (``time.process_time``), the collector frozen after set-up. The
ratio of each round is screen_many / floor of that round, so that a shared machine's
load, which moves both, cancels out as far as it can; the median of the rounds is
printed with the load average. With ``--before``, another checkout's package is loaded
too (a copy named ``fangfei_before``) and each round runs floor, before and after, so
that the two are compared in one process on the same load. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import tempfile
import sys
import time
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--profile", choices=("synthetic", "registry"), default="registry")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=20250530)
    ap.add_argument("--src", type=Path, help="import fangfei_screen from this folder instead")
    ap.add_argument("--before", type=Path, help="also run the fangfei_screen of this src folder, side by side")
    args = ap.parse_args()
    if args.src:
        sys.path.insert(0, str(args.src))
    sys.path.insert(1, str(HERE))
    import fangfei_screen
    from corpus import CorpusMaker

    records = [(r.name, r.scope) for r in CorpusMaker(seed=args.seed).records(args.n, profile=args.profile)]
    engines = [("floor", _floor(records)), (fangfei_screen.__file__, _screen_many(records, fangfei_screen.Screener))]
    if args.before:
        engines.insert(1, (str(args.before), _screen_many(records, _load_copy(args.before).Screener)))
    gc.collect()
    gc.freeze()
    load = os.getloadavg()[0]
    rows = []
    for _ in range(args.rounds):
        # The engines take turns every CHUNK records (each a generator over all of
        # them, as one call of screen_many is), so that a change of load in the middle
        # of a round moves all of them alike.
        running = [make() for _, make in engines]
        row = [0.0] * len(engines)
        for _ in range(0, len(records), CHUNK):
            for k, it in enumerate(running):
                t = time.process_time()
                for _ in islice(it, CHUNK):
                    pass
                row[k] += time.process_time() - t
        rows.append(row)
    print(f"{args.n:,} records ({args.profile}), {args.rounds} rounds, load average {load:.1f} at the start, "
          f"{os.getloadavg()[0]:.1f} at the end")
    floors = [row[0] for row in rows]
    print(f"floor {statistics.median(floors) / args.n * 1e6:.2f} µs/record")
    for k, (label, _) in enumerate(engines[1:], 1):
        ratios = [row[k] / row[0] for row in rows]
        print(f"{label}: screen_many {statistics.median(row[k] for row in rows) / args.n * 1e6:.2f} µs/record, "
              f"ratio median {statistics.median(ratios):.2f}× (rounds: {', '.join(f'{r:.2f}' for r in ratios)})")


CHUNK = 1_000


def _floor(records: list[tuple[str, str]]) -> Callable[[], Iterator[list[str]]]:
    """Raw Automaton.iter over each field of each record, keeping what it finds (run.py's floor)."""
    from run import _raw_automaton

    it = _raw_automaton().iter

    def run() -> Iterator[list[str]]:
        for name, scope in records:
            found = []
            for _, term in it(name):
                found.append(term)
            for _, term in it(scope):
                found.append(term)
            yield found

    return run


def _screen_many(records: list[tuple[str, str]], screener_class: Any) -> Callable[[], Iterator[list[str]]]:
    """screen_many(kind="existing") over the records, keeping the keywords of each (run.py's)."""
    screener = screener_class().warm_up()
    dicts = [{"name": n, "scope": s} for n, s in records]

    def run() -> Iterator[list[str]]:
        for memo in (getattr(screener, "_memo", None), getattr(screener, "_scope_memo", None)):
            if memo is not None:
                memo.cache_clear()  # each round starts cold, as one call of a fresh process does
        for r in screener.screen_many(dicts, kind="existing"):
            yield [h.keyword for h in r.hits + r.suppressed] if r.hits or r.suppressed else []

    return run


def _load_copy(src: Path):  # noqa: ANN202 - a module
    """Another checkout's fangfei_screen, copied and imported as fangfei_before."""
    import importlib

    where = Path(tempfile.mkdtemp(prefix="screen-before-"))
    shutil.copytree(src / "fangfei_screen", where / "fangfei_before")
    for py in (where / "fangfei_before").rglob("*.py"):
        text = py.read_text(encoding="utf-8")
        if '"fangfei_screen"' in text:
            py.write_text(text.replace('"fangfei_screen"', '"fangfei_before"'), encoding="utf-8")
    sys.path.insert(0, str(where))
    return importlib.import_module("fangfei_before")


if __name__ == "__main__":
    main()
