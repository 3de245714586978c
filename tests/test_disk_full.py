"""Issue 19 part 2: a disk that fills up, in every writer, the report, the SQLite ledger
and the pages' uploads: one line, the previous file intact, nothing half-written left.

A real small tmpfs (`mount -t tmpfs -o size=1m`), filled to a few KB with a filler
file, so that a normal-size output no longer fits. Needs root (skipped otherwise, failed
under CI).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fangfei_screen.cli import main

from .web_helpers import ROOT, Server, add_user, sign_in

SAMPLE = ROOT / "data" / "samples" / "entities.csv"
ROOM = 3_000  # bytes left free: less than any of the sample's outputs


def _fill(folder: Path, *, leave: int = ROOM) -> None:
    st = os.statvfs(folder)
    free = st.f_bavail * st.f_frsize
    with (folder / "filler").open("ab") as f:
        f.write(b"\0" * max(0, free - leave))


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "small"
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(where)], capture_output=True, text=True)
    if done.returncode != 0:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the disk-full tests must run under CI: {done.stderr.strip()}")
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep | {"filler"})


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet", ".jsonl"])
def test_scan_onto_a_full_disk_says_one_line_and_keeps_the_previous_file(
    small_disk: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = small_disk / f"screened{suffix}"
    out.write_bytes(b"previous results")
    _fill(small_disk)
    code = main(["scan", str(SAMPLE), "-o", str(out), "--as-of", "2025-06-30"])
    err = capsys.readouterr().err
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "磁盘空间不足" in lines[0] and "原来的文件未改动" in lines[0], err
    assert out.read_bytes() == b"previous results"
    assert _leftovers(small_disk, {out.name}) == []


def test_xlsx_on_a_full_disk_in_a_terminal_prints_no_traceback(small_disk: Path) -> None:
    # XlsxWriter's half-written zip would otherwise print "Exception ignored" when collected
    out = small_disk / "screened.xlsx"
    _fill(small_disk)
    done = subprocess.run(["script", "-qec", f"{sys.executable} -m fangfei_screen scan {SAMPLE} -o {out}", "/dev/null"],
                          capture_output=True, text=True, errors="replace")
    assert "Traceback" not in done.stdout and "Exception ignored" not in done.stdout
    assert "磁盘空间不足" in done.stdout and "没有留下不完整的文件" in done.stdout
    assert _leftovers(small_disk, set()) == []


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_the_report_onto_a_full_disk(small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    screened = tmp_path / "screened.csv"
    assert main(["scan", str(SAMPLE), "-o", str(screened), "--as-of", "2025-06-30"]) == 0
    out = small_disk / "排查统计表.xlsx"
    out.write_bytes(b"last month")
    _fill(small_disk, leave=1_000)
    capsys.readouterr()
    code = main(["report", str(screened), "-o", str(out), "--month", "2025-06", "--unit", "城关镇"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "磁盘空间不足" in err, err
    assert out.read_bytes() == b"last month"
    assert _leftovers(small_disk, {out.name}) == []


def test_ingest_into_a_ledger_on_a_full_disk(small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    screened = tmp_path / "screened.csv"
    assert main(["scan", str(SAMPLE), "-o", str(screened), "--as-of", "2025-06-30"]) == 0
    db = str(small_disk / "ledger.db")
    assert main(["users", "add", "张三", "--unit", "城关镇", "--role", "clerk", "--db", db]) == 0
    _fill(small_disk, leave=8_000)
    capsys.readouterr()
    code = main(["ledger", "ingest", str(screened), "--month", "2025-06", "--unit", "城关镇", "--by", "张三", "--db", db])
    err = capsys.readouterr().err
    assert code != 0 and len(err.strip().splitlines()) == 1 and "disk is full" in err, err
    (small_disk / "filler").unlink()
    # the ledger is as it was: the user is there, no batch half-ingested
    from fangfei_screen.ledger import Ledger, list_users
    from sqlalchemy import text

    led = Ledger.open(db)
    try:
        assert [u.name for u in list_users(led)] == ["张三"]
        with led.reading() as conn:
            assert conn.execute(text("select count(*) from batches")).scalar() == 0
            assert conn.execute(text("select count(*) from entities")).scalar() == 0
    finally:
        led.dispose()


def test_an_upload_onto_a_full_jobs_folder_leaves_no_job(small_disk: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    clerk = add_user(db, "张三", "城关镇", "clerk")
    server = Server(env={"FANGFEI_DB": db, "FANGFEI_WEB_JOBS_DIR": str(small_disk / "jobs")})
    try:
        _fill(small_disk, leave=20_000)
        content = SAMPLE.read_bytes() * 4  # 60 KB: more than is left
        with httpx.Client(base_url=server.url, timeout=60) as client:
            assert sign_in(client, clerk).status_code == 303
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/bulk").text).group(1)
            r = client.post("/bulk/upload", data={"csrf_token": token}, files={"registry": ("registry.csv", content)})
            assert r.status_code == 303 and r.headers["location"] == "/bulk?error=disk_full"
            page = client.get(r.headers["location"])
            assert "存储空间已满" in page.text and "/bulk/jobs/" not in page.text  # nothing listed
            assert [p.name for p in (small_disk / "jobs").iterdir()] == []
            # with room again, the same upload is a whole job
            (small_disk / "filler").unlink()
            r = client.post("/bulk/upload", data={"csrf_token": token}, files={"registry": ("registry.csv", content)})
            assert r.headers["location"].startswith("/bulk/jobs/")
            job_id = r.headers["location"].rsplit("/", 1)[1]
            assert (small_disk / "jobs" / job_id / "input.csv").read_bytes() == content
    finally:
        assert "Traceback" not in server.stop()
