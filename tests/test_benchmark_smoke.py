"""A small run of the benchmark (N=2,000), so that it cannot rot. Times are not checked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


def test_benchmark_runs_and_the_screener_finds_what_the_peers_find(tmp_path: Path, root: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "run.py"), "-n", "2000", "--repeat", "1", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for engine in ("naive", "regex", "flashtext", "floor", "pipeline", "screen_many", "scan --jobs 1", "scan --jobs 2"):
        assert re.search(rf"^\| {re.escape(engine)}[ |]", out, re.M), engine
    # both corpora are reported (benchmarks/corpus.py --profile synthetic and registry)
    assert out.count("### Corpus: synthetic") == 1 and out.count("### Corpus: registry") == 1
    assert re.search(r"Corpus: 2,000 records \(registry\)", out)
    misses = re.findall(r"screen_many misses a term (\w+) finds: (\d+)", out)
    assert len(misses) == 8
    assert {peer for peer, _ in misses} == {"naive", "regex", "flashtext", "floor"}
    assert all(n == "0" for _, n in misses), misses
    found = re.search(r"variants found by screen_many: ([\d,]+) of ([\d,]+)", out)
    assert found and found.group(1) == found.group(2) and found.group(2) != "0"
    assert re.search(r"variants found by floor: 0 of", out)
    assert "scan --jobs 2 output identical to --jobs 1: True" in out
    assert "Targets:" in out


def test_the_registry_profile_has_the_shape_of_a_real_registry(root: Path) -> None:
    """benchmarks/corpus.py --profile registry: scope lengths (median 48, p99 362, none over
    1,024), 6.8% of records to act on, about half of them institutions with several hits,
    and the 除…外 clause of most real scopes (DESIGN.md, "Measured on a real registry")."""
    sys.path.insert(0, str(root / "benchmarks"))
    try:
        from corpus import CorpusMaker
    finally:
        sys.path.remove(str(root / "benchmarks"))
    from fangfei_screen import Action, Screener

    records = list(CorpusMaker().records(20_000, profile="registry"))
    lengths = sorted(len(r.scope) for r in records)
    n = len(lengths)
    assert 44 <= lengths[n // 2] <= 52
    assert 330 <= lengths[int(n * 0.99)] <= 400
    assert max(lengths) <= 1024
    results = list(Screener().screen_many(({"name": r.name, "scope": r.scope} for r in records), kind="existing",
                                          as_of="2025-06-30"))
    acting = [(r, res) for r, res in zip(records, results) if res.action is not Action.PASS]
    assert 0.060 <= len(acting) / n <= 0.076
    institutions = [res for r, res in acting if r.planted == "institution"]
    assert 0.4 <= len(institutions) / len(acting) <= 0.6
    assert sum(len(res.hits) for res in institutions) / len(institutions) >= 2
    assert 0.3 <= sum("除依法须经批准的项目外" in r.scope for r in records) / n <= 0.5
