"""screen_many against the bare automaton, side by side in one process, interleaved.

    .venv/bin/python benchmarks/screen_ratio.py --profile registry -n 100000 --rounds 5
    .venv/bin/python benchmarks/screen_ratio.py --src /tmp/before/src   # another checkout's code

Each round runs the floor (raw pyahocorasick ``iter`` over name and scope, keeping what
it finds, as in run.py) and then ``Screener.screen_many(kind="existing")`` on the same
records; CPU time (``time.process_time``), the collector frozen after set-up. The
ratio of each round is screen_many / floor of that round, so that a shared machine's
load, which moves both, cancels out as far as it can; the median of the rounds is
printed with the load average. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--profile", choices=("synthetic", "registry"), default="registry")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=20250530)
    ap.add_argument("--src", type=Path, help="import fangfei_screen from this folder instead")
    args = ap.parse_args()
    if args.src:
        sys.path.insert(0, str(args.src))
    sys.path.insert(1, str(HERE))
    import fangfei_screen
    from corpus import CorpusMaker
    from run import engine_floor, engine_screen_many

    records = [(r.name, r.scope) for r in CorpusMaker(seed=args.seed).records(args.n, profile=args.profile)]
    floor, screen = engine_floor(records), engine_screen_many(records)
    gc.collect()
    gc.freeze()
    rows = []
    for _ in range(args.rounds):
        t = time.process_time()
        floor()
        f = time.process_time() - t
        t = time.process_time()
        screen()
        s = time.process_time() - t
        rows.append((f, s, s / f))
    med = [statistics.median(col) for col in zip(*rows)]
    print(f"{fangfei_screen.__file__}: {args.n:,} records ({args.profile}), {args.rounds} rounds, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"floor {med[0] / args.n * 1e6:.2f} µs/record, screen_many {med[1] / args.n * 1e6:.2f} µs/record, "
          f"ratio median {med[2]:.2f}× (rounds: {', '.join(f'{r:.2f}' for _, _, r in rows)})")


if __name__ == "__main__":
    main()
