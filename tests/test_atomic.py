"""atomic_output and check_distinct on real files: complete or absent, one writer,
never onto an input."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fangfei_screen.atomic import OutputBusyError, OutputError, atomic_output, check_distinct, scratch_dir


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_success_replaces_the_target_and_leaves_nothing_beside_it(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old", encoding="utf-8")
    with atomic_output(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target and tmp.suffix == ".csv"
        tmp.write_text("new", encoding="utf-8")
        assert target.read_text(encoding="utf-8") == "old"  # not before the block ends
    assert target.read_text(encoding="utf-8") == "new"
    assert _leftovers(tmp_path) == []


def test_new_file_gets_the_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        with atomic_output(tmp_path / "out.csv") as tmp:
            tmp.write_text("x", encoding="utf-8")
    finally:
        os.umask(old)
    assert (tmp_path / "out.csv").stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("error", [ValueError, KeyboardInterrupt, SystemExit])
def test_failure_leaves_the_previous_file_untouched(tmp_path: Path, error: type[BaseException]) -> None:
    target = tmp_path / "out.parquet"
    target.write_bytes(b"previous results")
    before = target.stat()
    with pytest.raises(error), atomic_output(target) as tmp:
        tmp.write_bytes(b"half")
        raise error()
    assert target.read_bytes() == b"previous results"
    assert target.stat().st_ino == before.st_ino
    assert _leftovers(tmp_path) == []


def test_failure_without_a_previous_file_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), atomic_output(tmp_path / "out.csv") as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []


def test_second_writer_is_refused_while_the_first_writes(tmp_path: Path) -> None:
    target = tmp_path / "same.csv"
    with atomic_output(target) as tmp:
        tmp.write_text("first", encoding="utf-8")
        with pytest.raises(OutputBusyError) as info, atomic_output(target):
            pass
        assert "正在被另一次运行写入" in str(info.value) and str(os.getpid()) in str(info.value)
    assert target.read_text(encoding="utf-8") == "first"
    with atomic_output(target) as tmp:  # free again once the first is done
        tmp.write_text("second", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "second"


def test_lock_held_by_another_process_is_seen(tmp_path: Path) -> None:
    target = tmp_path / "same.csv"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys,fcntl,os;f=open(sys.argv[1],'w');fcntl.flock(f,fcntl.LOCK_EX);"
         "print('held',flush=True);sys.stdin.read()", str(tmp_path / ".same.csv.lock")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(OutputBusyError), atomic_output(target):
            pass
    finally:
        holder.communicate("")
    with atomic_output(target) as tmp:  # the holder exited: the lock went with it
        tmp.write_text("ok", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "ok"


def test_stale_lock_file_of_a_dead_process_does_not_block(tmp_path: Path) -> None:
    (tmp_path / ".out.csv.lock").write_text("999999999", encoding="ascii")
    with atomic_output(tmp_path / "out.csv") as tmp:
        tmp.write_text("ok", encoding="utf-8")
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == "ok"
    assert not (tmp_path / ".out.csv.lock").exists()


def test_without_lock_two_writers_may_overlap(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with atomic_output(target, lock=False) as a, atomic_output(target, lock=False) as b:
        a.write_text("a", encoding="utf-8")
        b.write_text("b", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "a"  # the outer block ends last


def test_leftovers_of_a_killed_run_onto_the_same_target_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    parts = scratch_dir(target)
    (parts / "00000.csv").write_text("part", encoding="utf-8")
    stale = tmp_path / ".out.csv.fangfei-tmp-12345-abcdef01.csv"
    stale.write_text("half", encoding="utf-8")
    other = tmp_path / ".other.csv.fangfei-tmp-12345-abcdef01.csv"
    other.write_text("someone else's", encoding="utf-8")
    with atomic_output(target) as tmp:
        # parts of the temporary are named after the target too
        assert scratch_dir(tmp).name.startswith(".out.csv.fangfei-parts-")
        tmp.write_text("new", encoding="utf-8")
    assert not parts.exists() and not stale.exists()
    assert other.exists()


def test_symlinked_target_writes_through_the_link(tmp_path: Path) -> None:
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    (real_dir / "out.csv").write_text("old", encoding="utf-8")
    (tmp_path / "link.csv").symlink_to(real_dir / "out.csv")
    with atomic_output(tmp_path / "link.csv") as tmp:
        assert tmp.parent == real_dir
        tmp.write_text("new", encoding="utf-8")
    assert (tmp_path / "link.csv").is_symlink()
    assert (real_dir / "out.csv").read_text(encoding="utf-8") == "new"


def test_missing_folder_and_directory_target_are_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="输出目录不存在"), atomic_output(tmp_path / "nope" / "out.csv"):
        pass
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(OutputError, match="是一个目录"), atomic_output(tmp_path / "dir.csv"):
        pass


def test_output_onto_an_input_is_refused_by_any_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "in.csv"
    src.write_text("a\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sym.csv").symlink_to(src)
    os.link(src, tmp_path / "hard.csv")
    for out in ("in.csv", "./in.csv", str(src), "sub/../in.csv", "sym.csv", "hard.csv"):
        with pytest.raises(OutputError, match="同一个文件"):
            check_distinct(["in.csv"], out)
        with pytest.raises(OutputError, match="同一个文件"):
            check_distinct(["other.csv", out], "in.csv")
    check_distinct(["in.csv"], "out.csv")  # a new file
    (tmp_path / "copy.csv").write_text("a\n", encoding="utf-8")
    check_distinct(["in.csv"], "copy.csv")  # equal content, another file


def test_lock_file_is_flocked_while_writing(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with atomic_output(target):
        with open(tmp_path / ".out.csv.lock", "rb") as f, pytest.raises(BlockingIOError):
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
