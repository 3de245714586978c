"""Faults a hostile but honest tester provokes with the installed CLI (issue 10):
output onto input, failed and killed runs, two writers, orphaned workers."""

from __future__ import annotations

import csv
import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "fangfei-screen")


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)


def _default_sigint() -> None:
    # A test run started in the background inherits SIGINT ignored, and Python keeps it
    # ignored; Ctrl-C at a terminal is what these tests play.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(*args: str | Path, **options: object) -> subprocess.Popen[str]:
    """The CLI started in the background, with Ctrl-C as at a terminal."""
    return subprocess.Popen([CLI, *map(str, args)], text=True, preexec_fn=_default_sigint, **options)  # type: ignore[call-overload]


def make_corpus(path: Path, n: int) -> Path:
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "corpus.py"), "-n", str(n), "-o", str(path)], check=True, capture_output=True)
    return path


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))[1:]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus") / "c1000.csv", 1000)


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Large enough that a scan is still running when the test acts on it."""
    return make_corpus(tmp_path_factory.mktemp("big") / "c200k.csv", 200_000)


def one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


# --- item 1: output onto input ---------------------------------------------------------


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("name", ["io.csv", "./io.csv", "sym.csv", "hard.csv", "sub/../io.csv"])
def test_scan_refuses_to_write_onto_its_input(tmp_path: Path, corpus: Path, name: str, jobs: str) -> None:
    src = tmp_path / "io.csv"
    src.write_bytes(corpus.read_bytes())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sym.csv").symlink_to(src)
    os.link(src, tmp_path / "hard.csv")
    proc = run("scan", "io.csv", "-o", name, "--jobs", jobs, cwd=tmp_path)
    assert "同一个文件" in one_line_error(proc)
    assert src.read_bytes() == corpus.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hard.csv", "io.csv", "sub", "sym.csv"]


def test_report_and_rescreen_refuse_to_write_onto_an_input(tmp_path: Path, corpus: Path) -> None:
    results = tmp_path / "r.csv"
    assert run("scan", corpus, "-o", results).returncode == 0
    before = results.read_bytes()
    proc = run("rescreen", results, corpus, "-o", results)
    assert "同一个文件" in one_line_error(proc)
    assert results.read_bytes() == before
    report = tmp_path / "t.xlsx"
    assert run("report", results, "--month", "2025-05", "--unit", "固镇县", "-o", report).returncode == 0
    report_before = report.read_bytes()
    proc = run("report", report, "--merge", "--month", "2025-05", "--unit", "固镇县", "-o", report)
    assert "同一个文件" in one_line_error(proc)
    assert report.read_bytes() == report_before


# --- item 4: failed runs leave the previous output as it was ----------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet", ".jsonl"])
def test_failed_scan_leaves_the_previous_output_untouched(tmp_path: Path, corpus: Path, suffix: str) -> None:
    out = tmp_path / f"out{suffix}"
    assert run("scan", corpus, "-o", out).returncode == 0
    before = out.read_bytes()
    proc = run("scan", corpus, "-o", out, "--name-col", "没有这一列")
    one_line_error(proc)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def test_failed_report_leaves_the_previous_table_untouched(tmp_path: Path, corpus: Path) -> None:
    results = tmp_path / "r.csv"
    assert run("scan", corpus, "-o", results).returncode == 0
    report = tmp_path / "t.xlsx"
    assert run("report", results, "--month", "2025-05", "--unit", "固镇县", "-o", report).returncode == 0
    before = report.read_bytes()
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    proc = run("report", results, tmp_path / "bad.csv", "--month", "2025-05", "--unit", "固镇县", "-o", report)
    one_line_error(proc)
    assert report.read_bytes() == before


def test_xlsx_row_limit_is_checked_before_screening(tmp_path: Path) -> None:
    src = tmp_path / "huge.csv"
    with src.open("w", encoding="utf-8") as f:
        f.write("企业名称,经营范围\n")
        f.write("某公司,销售\n" * 1_048_576)
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"previous")
    message = one_line_error(run("scan", src, "-o", out))
    assert "1,048,575" in message and ".csv" in message
    assert out.read_bytes() == b"previous"


def test_xlsx_row_limit_for_a_parquet_input(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = tmp_path / "huge.parquet"
    pq.write_table(pa.table({"企业名称": ["某公司"] * 1_048_576, "经营范围": ["销售"] * 1_048_576}), src)
    message = one_line_error(run("scan", src, "-o", tmp_path / "out.xlsx"))
    assert "1,048,575" in message
    assert not (tmp_path / "out.xlsx").exists()


def test_unwritable_folder_is_refused_before_screening(tmp_path: Path, corpus: Path) -> None:
    if os.getuid() == 0:
        folder = Path("/sys")  # root writes anywhere, but not into sysfs
        if not folder.is_dir():
            pytest.skip("no unwritable folder for root here")
    else:
        folder = tmp_path / "ro"
        folder.mkdir(mode=0o555)
    proc = run("scan", corpus, "-o", folder / "fangfei-out.csv")
    assert "不可写" in one_line_error(proc)
    assert not (folder / "fangfei-out.csv").exists()


# --- item 5: one writer per output ---------------------------------------------------


def test_second_scan_onto_an_output_being_written_is_refused(tmp_path: Path, corpus: Path) -> None:
    out = tmp_path / "same.csv"
    out.write_bytes(b"previous")
    with open(tmp_path / ".same.csv.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as a scan onto same.csv holds it
        message = one_line_error(run("scan", corpus, "-o", out))
    assert "正在被另一次运行写入" in message
    assert out.read_bytes() == b"previous"


def test_two_scans_at_once_onto_one_output_never_duplicate_rows(tmp_path: Path, big: Path) -> None:
    out = tmp_path / "same.csv"
    procs = [start("scan", big, "-o", out, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    results = [p.communicate(timeout=300) + (p.returncode,) for p in procs]
    codes = sorted(r[2] for r in results)
    assert codes in ([0, 0], [0, 2]), results
    for _, err, code in results:
        if code == 2:
            assert "正在被另一次运行写入" in err
    assert len(csv_rows(out)) == 200_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.csv"]


# --- item 6: workers die with their parent, part folders go ---------------------------


def _children(pid: int) -> set[int]:
    kids: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text()
        kids.update(int(x) for x in text.split())
    return kids


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_for(condition: object, *, limit: float = 120) -> bool:
    """Poll until ``condition()`` holds; a generous limit only so that a broken build ends."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.005)
    return False


def _parts(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if "fangfei-parts" in p.name]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_killed_parallel_scan_leaves_no_workers_and_next_run_removes_its_parts(tmp_path: Path, big: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_bytes(b"previous")
    proc = start("scan", big, "-o", out, "--jobs", "2", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait_for(lambda: _parts(tmp_path) and any((p / "00000.csv").exists() for p in _parts(tmp_path)) and len(_children(proc.pid)) >= 2)
        workers = _children(proc.pid)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert _wait_for(lambda: not any(_alive(w) for w in workers)), "workers outlived their parent"
    assert out.read_bytes() == b"previous"
    assert _parts(tmp_path), "the kill came before any part was written"
    proc = run("scan", big, "-o", out, "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    assert len(csv_rows(out)) == 200_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_parallel_scan_stops_its_workers_and_cleans_up(tmp_path: Path, big: Path, sig: signal.Signals) -> None:
    out = tmp_path / "out.csv"
    out.write_bytes(b"previous")
    proc = start("scan", big, "-o", out, "--jobs", "2", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert _wait_for(lambda: _parts(tmp_path) and len(_children(proc.pid)) >= 2)
    workers = _children(proc.pid)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "Traceback" not in err, err
    assert _wait_for(lambda: not any(_alive(w) for w in workers))
    assert out.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]




# --- report: a flagged name holding a control character (item 9, report part) -----------


def test_report_with_a_control_character_in_a_flagged_name(tmp_path: Path) -> None:
    src = tmp_path / "ctl.csv"
    src.write_text("统一社会信用代码,企业名称,经营范围\n913400000000000001,固镇县\x01投资有限公司,日用百货\n", encoding="utf-8")
    assert run("scan", src, "-o", tmp_path / "r.csv").returncode == 0
    proc = run("report", tmp_path / "r.csv", "--month", "2025-05", "--unit", "固镇县\x02", "-o", tmp_path / "t.xlsx")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    import openpyxl

    book = openpyxl.load_workbook(tmp_path / "t.xlsx", read_only=True)
    values = [v for row in book.worksheets[0].iter_rows(values_only=True) for v in row if isinstance(v, str)]
    book.close()
    assert "固镇县\ufffd投资有限公司" in values


# --- Done when: a scan killed at random points -----------------------------------------


def _same_table(a: Path, b: Path) -> bool:
    if a.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(a).equals(pq.read_table(b))
    return a.read_bytes() == b.read_bytes()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_scan_killed_at_random_points_leaves_the_earlier_output_or_the_complete_one(tmp_path: Path) -> None:
    """Several runs killed (SIGKILL, SIGINT) at random moments: the output is always
    the earlier one or the complete new one, byte for byte, never a part; no worker is
    left; the next run removes what a killed one left beside the output."""
    import random

    src = make_corpus(tmp_path / "c50k.csv", 50_000)
    small = tmp_path / "c100.csv"
    small.write_text("".join(src.read_text(encoding="utf-8").splitlines(keepends=True)[:101]), encoding="utf-8")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    rng = random.Random(int.from_bytes(os.urandom(4), "big"))
    runs = [
        (".csv", "1", signal.SIGKILL), (".csv", "2", signal.SIGKILL), (".csv", "2", signal.SIGINT),
        (".csv", "1", signal.SIGINT), (".parquet", "1", signal.SIGKILL), (".parquet", "1", signal.SIGINT),
    ]
    names = {f"out{s}" for s, _, _ in runs}
    references: dict[tuple[str, str], tuple[Path, Path, float]] = {}
    for suffix, jobs, sig in runs:
        if (suffix, jobs) not in references:
            earlier, complete = tmp_path / f"earlier{jobs}{suffix}", tmp_path / f"complete{jobs}{suffix}"
            assert run("scan", small, "-o", earlier).returncode == 0
            started = time.monotonic()
            assert run("scan", src, "-o", complete, "--jobs", jobs).returncode == 0
            references[(suffix, jobs)] = (earlier, complete, time.monotonic() - started)
        earlier, complete, duration = references[(suffix, jobs)]
        out = out_dir / f"out{suffix}"
        out.write_bytes(earlier.read_bytes())
        delay = rng.uniform(0.05, 1.1) * duration  # where in the run the kill lands: anywhere, even after it
        proc = start("scan", src, "-o", out, "--jobs", jobs, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(delay)
        workers = _children(proc.pid) if proc.poll() is None else set()
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
        where = f"{suffix} --jobs {jobs} {sig.name} after {delay:.2f}s of {duration:.2f}s, exit {proc.returncode}"
        # Ctrl-C while Python is still importing the package is Python's own traceback,
        # before anything is opened; from main() on it is one line
        assert "Traceback" not in err or "sys.exit(main())" not in err, where + err
        assert _wait_for(lambda: not any(_alive(w) for w in workers)), where
        visible = {p.name for p in out_dir.iterdir() if not p.name.startswith(".")}
        assert out.name in visible and visible <= names, where
        assert _same_table(out, earlier) or _same_table(out, complete), where
        if sig == signal.SIGINT or proc.returncode == 0:
            # cleaned up on the way out (what an earlier SIGKILLed run left may still be there)
            mine = [p for p in out_dir.iterdir() if f"-{proc.pid}-" in p.name]
            lock = out_dir / f".{out.name}.lock"
            assert not mine and not (lock.exists() and lock.read_text() == str(proc.pid)), where
    # what the SIGKILLed runs left beside their outputs goes with the next run onto them
    for name in names:
        assert run("scan", small, "-o", out_dir / name).returncode == 0
    assert {p.name for p in out_dir.iterdir()} == names
