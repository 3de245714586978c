"""Whether two checkouts' screen_many give the same results, record by record.

    .venv/bin/python benchmarks/screen_same.py --before /tmp/before/src [-n 100000]

For each corpus (registry, synthetic) and kind (existing, new), screens the records with
this checkout's Screener and with the one under ``--before`` (loaded as a copy named
``fangfei_before``, as screen_ratio.py does) and compares ``to_dict`` of every result;
prints the sha256 of each side and the first records that differ. Exit 1 on any
difference. Nothing here is a test (a hundred thousand records are too many for one).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", type=Path, required=True, help="the src folder of the other checkout")
    ap.add_argument("-n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=20250530)
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    import fangfei_screen
    from corpus import CorpusMaker
    from screen_ratio import _load_copy

    before = _load_copy(args.before).Screener()
    after = fangfei_screen.Screener()
    differ = 0
    for profile in ("registry", "synthetic"):
        records = [{"name": r.name, "scope": r.scope} for r in CorpusMaker(seed=args.seed).records(args.n, profile=profile)]
        for kind in ("existing", "new"):
            shown = 0
            pairs = zip(before.screen_many(records, kind=kind), after.screen_many(records, kind=kind), strict=True)
            sha = [hashlib.sha256(), hashlib.sha256()]
            for i, (b, a) in enumerate(pairs):
                db = json.dumps(b.to_dict(), ensure_ascii=False, sort_keys=True)
                da = json.dumps(a.to_dict(), ensure_ascii=False, sort_keys=True)
                sha[0].update(db.encode())
                sha[1].update(da.encode())
                if db != da:
                    differ += 1
                    if shown < 3:
                        shown += 1
                        print(f"  record {i} differs: {records[i]}\n    before {db}\n    after  {da}")
            digests = [h.hexdigest() for h in sha]
            same = "same" if digests[0] == digests[1] else "DIFFERENT"
            print(f"{profile} {kind}: {len(records):,} records, {same} (before {digests[0][:16]}…, after {digests[1][:16]}…)")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
