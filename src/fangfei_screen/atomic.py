"""Outputs that are complete or absent, one writer at a time, never onto an input.

``atomic_output(target)`` yields a temporary path beside the target; only when the
block ends without an exception is the file flushed to disk and renamed over the
target (``os.replace``, atomic on one file system). Whatever else happens — an
exception, Ctrl-C, a kill — the target keeps its previous content. Temporaries and
scratch folders carry the target's name, so that the next run onto the same target
removes what a killed run left behind.

While the block runs, an advisory lock (``flock`` on ``.<name>.lock`` beside the
target) keeps a second writer of the same target out; the kernel drops the lock when
its holder dies, so a stale lock never blocks anyone.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

__all__ = ["OutputError", "OutputBusyError", "atomic_output", "check_distinct", "scratch_dir"]

_TMP_TAG = ".fangfei-tmp-"
_PARTS_TAG = ".fangfei-parts-"


class OutputError(Exception):
    """An output that cannot be written (onto an input, folder missing or read-only)."""


class OutputBusyError(OutputError):
    """Another process is writing the same output."""


def _real_target(target: str | os.PathLike[str]) -> Path:
    """The file that would be written: a symlink's destination, as an absolute path."""
    return Path(os.path.realpath(os.path.abspath(target)))


def check_distinct(inputs: Iterable[str | os.PathLike[str]], output: str | os.PathLike[str]) -> None:
    """OutputError if ``output`` is one of ``inputs`` (same file by any name: ./x and x,
    a symlink, a hard link). Call it before anything is opened for writing."""
    out = Path(output)
    real_out = _real_target(out)
    for given in inputs:
        src = Path(given)
        same = False
        try:
            same = os.path.samefile(src, out)
        except OSError:
            same = _real_target(src) == real_out  # the output does not exist yet
        if same:
            raise OutputError(
                f"输出文件与输入文件是同一个文件，会覆盖输入：{output} / the output is the input file ({given}); choose another output"
            )


def _lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[None]:
    """Hold an exclusive flock on the target's lock file; OutputBusyError if taken."""
    import fcntl

    path = _lock_path(target)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise _unwritable(exc, target) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
            os.close(fd)
            who = f"（进程 {holder}）" if holder.isdigit() else ""
            raise OutputBusyError(
                f"输出文件正在被另一次运行写入{who}：{target} / the output is being written by another process"
                f"{f' (PID {holder})' if who else ''}; wait for it or choose another output"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        # The file may have been unlinked by its last holder between our open and flock:
        # a lock on a deleted inode protects nothing, so take the lock file anew.
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        try:
            os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)  # who holds it, for the message above
        except OSError as exc:
            if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                raise
            # a full disk: the lock holds without its PID; the write itself will say so
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)  # still holding the lock: nobody else can be using this inode
        os.close(fd)


def _remove_leftovers(target: Path) -> None:
    """Temporaries and part folders that an earlier, killed run onto ``target`` left."""
    prefix = f".{target.name}"
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            if not entry.name.startswith(prefix):
                continue
            rest = entry.name[len(prefix) :]
            if rest.startswith(_TMP_TAG):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
            elif rest.startswith(_PARTS_TAG):
                shutil.rmtree(entry.path, ignore_errors=True)


def _unwritable(exc: OSError, target: Path) -> Exception:
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT):
        return OutputError(f"输出目录不可写 / cannot write in the folder {target.parent}: {exc.strerror}")
    return exc


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # some file systems cannot open or sync a folder
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _temp_file(target: Path) -> Path:
    """Create an empty temporary beside ``target`` (same suffix, so writers that go by
    the suffix still work); mode 0666 less the umask, as the target would get."""
    for _ in range(100):
        tmp = target.with_name(f".{target.name}{_TMP_TAG}{os.getpid()}-{secrets.token_hex(4)}{target.suffix}")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue
    raise OutputError(f"无法在 {target.parent} 创建临时文件 / cannot create a temporary file")


def _check_folder(target: Path) -> None:
    if not target.parent.is_dir():
        raise OutputError(f"输出目录不存在 / no such directory: {target.parent}")
    if target.is_dir():
        raise OutputError(f"输出路径是一个目录 / the output is a directory: {target}")


@contextlib.contextmanager
def atomic_output(target: str | os.PathLike[str], *, lock: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``target`` to write the whole output to; on a
    normal exit it replaces ``target`` (after fsync), on any exception it is removed and
    ``target`` is untouched. With ``lock``, a second writer of the same target gets
    OutputBusyError at once. An unwritable folder fails here, before any work."""
    real = _real_target(target)
    _check_folder(real)
    with _locked(real) if lock else contextlib.nullcontext():
        if lock:
            _remove_leftovers(real)
        try:
            tmp = _temp_file(real)
        except OSError as exc:
            raise _unwritable(exc, real) from None
        try:
            yield tmp
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, real)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise disk_full(real) from None
            raise
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_dir(real.parent)


def disk_full(target: Path) -> OutputError:
    """The one line for a disk that filled up while ``target`` was written."""
    kept = "原来的文件未改动" if target.exists() else "没有留下不完整的文件"
    return OutputError(f"磁盘空间不足，{target} 没有写完，{kept} / no space left on the device")


def scratch_dir(target: str | os.PathLike[str]) -> Path:
    """A new folder beside ``target`` for the parts of a parallel write, named so that
    the next ``atomic_output`` onto the same target removes it if this run is killed."""
    real = _real_target(target)
    name = real.name
    if name.startswith(".") and _TMP_TAG in name:  # the temporary of atomic_output: name after its target
        name = name[1 : name.index(_TMP_TAG)]
    for _ in range(100):
        path = real.with_name(f".{name}{_PARTS_TAG}{os.getpid()}-{secrets.token_hex(4)}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise OutputError(f"无法在 {real.parent} 创建临时目录 / cannot create a scratch folder")
