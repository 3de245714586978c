"""A .zip of township files, unpacked for the readers: each member that a reader may
take is written to a folder, under its name as its writer meant it; the others are
named as skipped. Bounded like a workbook: the members together may not expand past
the unzipped limit, at most ``MAX_MEMBERS`` files, and a member that expands past its
declared size is refused. Knows nothing of tables (readers open each member)."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import BinaryIO

MAX_MEMBERS = 1000  # files in one .zip


class ArchiveError(Exception):
    """A zip that is not read at all (damaged, encrypted, too large); the message is the user's."""


def member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its writer meant it. Without the UTF-8 flag Python decodes it as
    CP437, but Info-ZIP on Linux and macOS write UTF-8 there, and Windows' zip tools GBK:
    UTF-8 is tried first (GBK bytes are almost never valid UTF-8), then GB18030."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _why_not(name: str, suffixes: Sequence[str]) -> str | None:
    """Why a member is not read ("" for one not worth naming), or None to read it."""
    path = PurePosixPath(name)
    if name.endswith("/") or any(p.startswith((".", "__MACOSX")) for p in path.parts):
        return ""  # folders, macOS resource forks and hidden files
    if path.suffix.lower() == ".zip":
        return "压缩包中的压缩包，未读取（请先解压）"
    if path.suffix.lower() not in suffixes:
        return f"不支持的文件类型 '{path.suffix.lower() or '无后缀'}'，未读取"
    return None


def unpack(path: Path, folder: Path, *, max_bytes: int, suffixes: Sequence[str]) -> tuple[list[tuple[str, Path]], list[str]]:
    """The members to read as (name, unpacked file), in the archive's order, and the
    members skipped, each with why. ArchiveError if the archive is not read at all."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = [i for i in z.infolist() if not i.is_dir()]
            total = sum(i.file_size for i in infos)
            if total > max_bytes:
                raise ArchiveError(
                    f"压缩包解压后 {total >> 20} MB，超过上限 {max_bytes >> 20} MB，拒绝读取"
                    "（可用 FANGFEI_MAX_UNZIPPED_MB 调整）/ the archive expands past the limit"
                )
            if len(infos) > MAX_MEMBERS:
                raise ArchiveError(f"压缩包有 {len(infos)} 个文件，超过上限 {MAX_MEMBERS} 个，拒绝读取 / too many files in the archive")
            if any(i.flag_bits & 0x1 for i in infos):
                raise ArchiveError(f"{path.name} 是有密码的压缩包：请解压后逐个筛查 / an encrypted archive")
            members: list[tuple[str, Path]] = []
            skipped: list[str] = []
            for n, info in enumerate(infos):
                name = member_name(info)
                why = _why_not(name, suffixes)
                if why is not None:
                    if why:
                        skipped.append(f"「{name}」：{why}")
                    continue
                target = folder / f"{n:04d}{PurePosixPath(name).suffix.lower()}"
                with z.open(info) as src, target.open("wb") as dst:
                    _copy_bounded(src, dst, info.file_size)
                members.append((name, target))
            return members, skipped
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError):
        raise ArchiveError(f"{path.name} 是已损坏的压缩包，无法读取：请重新压缩 / a damaged zip archive") from None


def _copy_bounded(src: BinaryIO, dst: BinaryIO, size: int) -> None:
    written = 0
    while block := src.read(1 << 20):
        written += len(block)
        if written > size:
            raise ArchiveError("压缩包中的文件比其声明的更大，拒绝读取 / a member expands past its declared size")
        dst.write(block)


__all__ = ["ArchiveError", "MAX_MEMBERS", "member_name", "unpack"]
