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
    misses = re.findall(r"screen_many misses a term (\w+) finds: (\d+)", out)
    assert {peer for peer, _ in misses} == {"naive", "regex", "flashtext", "floor"}
    assert all(n == "0" for _, n in misses), misses
    found = re.search(r"variants found by screen_many: ([\d,]+) of ([\d,]+)", out)
    assert found and found.group(1) == found.group(2) and found.group(2) != "0"
    assert re.search(r"variants found by floor: 0 of", out)
    assert "scan --jobs 2 output identical to --jobs 1: True" in out
    assert "Targets:" in out
