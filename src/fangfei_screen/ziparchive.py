"""A .zip of township files, read file by file: each member goes through the same
readers as a file of its own, its tables named by the member (the ``file`` column and
the summary). Bounded like a workbook: members together may not expand past the
unzipped limit, and at most ``MAX_MEMBERS`` files are read; a member that cannot be
read is named as skipped, as a sheet without a header is."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from .readers import MAX_MEMBERS, READ_SUFFIXES, HeaderTest, Part, ReadLimits, Source, TableError, open_source


def member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its writer meant it: Windows' zip tools write Chinese names
    in GBK without the UTF-8 flag, which Python decodes as CP437."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _wanted(name: str) -> str | None:
    """Why a member is not read, or None to read it."""
    path = PurePosixPath(name)
    if name.endswith("/") or any(p.startswith((".", "__MACOSX")) for p in path.parts):
        return ""  # folders, macOS resource forks and hidden files: not named
    if path.suffix.lower() == ".zip":
        return "压缩包中的压缩包，未读取（请先解压）"
    if path.suffix.lower() not in READ_SUFFIXES:
        return f"不支持的文件类型 '{path.suffix.lower() or '无后缀'}'，未读取"
    return None


def open_zip(path: Path, *, header_test: HeaderTest, encoding: str | None, header_row: int | None,
             sheets: Sequence[str], limits: ReadLimits) -> Source:
    """Open every member of a zip as a source; their parts make the zip's parts."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = [i for i in z.infolist() if not i.is_dir()]
            total = sum(i.file_size for i in infos)
            if total > limits.max_unzipped_bytes:
                raise TableError(
                    f"压缩包解压后 {total >> 20} MB，超过上限 {limits.max_unzipped_bytes >> 20} MB，拒绝读取"
                    "（可用 FANGFEI_MAX_UNZIPPED_MB 调整）/ the archive expands past the limit"
                )
            if len(infos) > MAX_MEMBERS:
                raise TableError(f"压缩包有 {len(infos)} 个文件，超过上限 {MAX_MEMBERS} 个，拒绝读取 / too many files in the archive")
            if any(i.flag_bits & 0x1 for i in infos):
                raise TableError(f"{path.name} 是有密码的压缩包：请解压后逐个筛查 / an encrypted archive")
            folder = Path(tempfile.mkdtemp(prefix="fangfei-zip-"))
            try:
                return _open_members(path, z, infos, folder, header_test=header_test, encoding=encoding,
                                     header_row=header_row, sheets=sheets, limits=limits)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError):
        raise TableError(f"{path.name} 是已损坏的压缩包，无法读取：请重新压缩 / a damaged zip archive") from None


def _open_members(path: Path, z: zipfile.ZipFile, infos: list[zipfile.ZipInfo], folder: Path, *,
                  header_test: HeaderTest, encoding: str | None, header_row: int | None, sheets: Sequence[str],
                  limits: ReadLimits) -> Source:
    members: list[tuple[Source, dict[int, Part]]] = []
    parts: list[Part] = []
    skipped: list[str] = []
    alarms: list[str] = []
    try:
        for n, info in enumerate(infos):
            name = member_name(info)
            why = _wanted(name)
            if why is not None:
                if why:
                    skipped.append(f"「{name}」：{why}")
                continue
            target = folder / f"{n:04d}{PurePosixPath(name).suffix.lower()}"
            with z.open(info) as src, target.open("wb") as dst:
                _copy_bounded(src, dst, info.file_size)
            try:
                member = open_source(target, header_test=header_test, encoding=encoding, header_row=header_row,
                                     sheets=[s for s in sheets if s], limits=limits, name=name)
            except TableError as exc:
                skipped.append(f"「{name}」：{exc}")
                continue
            named = {id(p): dataclasses.replace(p, file=name) for p in member.parts}
            members.append((member, named))
            parts.extend(named.values())
            skipped.extend(f"「{name}」{s}" for s in member.skipped)
            alarms.extend(f"「{name}」{a}" for a in member.alarms)
    except BaseException:
        for member, _ in members:
            member.close()
        raise
    return Source(path, "book", parts, skipped=skipped, alarms=alarms, members=members, limits=limits, cleanup=folder)


def _copy_bounded(src: object, dst: object, size: int) -> None:
    """Copy a member, refusing one that expands past what its header declares."""
    written = 0
    while block := src.read(1 << 20):  # type: ignore[attr-defined]
        written += len(block)
        if written > size:
            raise TableError("压缩包中的文件比其声明的更大，拒绝读取 / a member expands past its declared size")
        dst.write(block)  # type: ignore[attr-defined]


__all__ = ["member_name", "open_zip"]
