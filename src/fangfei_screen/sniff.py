"""What a registry file is, by its first bytes rather than its suffix.

Government systems' "导出Excel" often writes an HTML table or tab-separated text and
names it ``.xls``; a clerk may rename a PDF or a RAR. Readers ask :func:`sniff` which
reader to use, and :func:`refusal` gives the one-line Chinese message for a file no
reader takes (what the file is and what to do), so that no library's own wording
reaches the user.
"""

from __future__ import annotations

import codecs
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

_HEAD = 1 << 16
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_OLE_SCAN = 16 << 20  # OLE2 directory entries are searched in the first and last bytes
# bytes that text files do not hold (NUL aside): C0 controls but tab, LF, FF, CR, ESC
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27)) + b"\x7f"


class FileKind(StrEnum):
    """What a file holds; the first ones are read, the others refused."""

    XLS = "xls"  # OLE2 with a Workbook stream (BIFF, Excel 97-2003)
    XLSX = "xlsx"  # Office Open XML workbook (also .xlsm)
    ODS = "ods"  # OpenDocument spreadsheet
    ZIP = "zip"  # a zip archive of other files (township files)
    HTML = "html"  # a web page, usually an HTML table saved as .xls
    TEXT = "text"  # delimited text (CSV, TSV, "Unicode 文本") or JSON Lines
    PARQUET = "parquet"
    ENCRYPTED = "encrypted"  # a password-protected Office file (OLE2 with EncryptedPackage)
    PDF = "pdf"
    IMAGE = "image"
    WORD = "word"
    ARCHIVE = "archive"  # RAR, 7z, gzip …: not a zip
    XML_2003 = "xml2003"  # Excel 2003 XML spreadsheet
    MHT = "mht"  # a web archive (MIME)
    EMPTY = "empty"
    BINARY = "binary"  # none of the above


READABLE = frozenset({FileKind.XLS, FileKind.XLSX, FileKind.ODS, FileKind.ZIP, FileKind.HTML, FileKind.TEXT, FileKind.PARQUET})
BOOKS = frozenset({FileKind.XLS, FileKind.XLSX, FileKind.ODS})
BOOK_SUFFIX = {FileKind.XLS: ".xls", FileKind.XLSX: ".xlsx", FileKind.ODS: ".ods"}


@dataclass(frozen=True)
class Sniffed:
    """A file's kind and, for refused kinds, the format's name (PNG, RAR …)."""

    kind: FileKind
    detail: str = ""


_IMAGES = ((b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"), (b"BM", "BMP"),
           (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"))
_ARCHIVES = ((b"Rar!", "RAR"), (b"7z\xbc\xaf\x27\x1c", "7z"), (b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"),
             (b"\xfd7zXZ\x00", "xz"))


def sniff(path: Path) -> Sniffed:
    """The kind of ``path`` by its content."""
    with path.open("rb") as f:
        head = f.read(_HEAD)
    if not head:
        return Sniffed(FileKind.EMPTY)
    if head.startswith(_OLE2[:4]):  # a truncated signature is a damaged workbook, not text
        return _ole(path) if head.startswith(_OLE2) else Sniffed(FileKind.BINARY)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip(path)
    if head.startswith(b"%PDF"):
        return Sniffed(FileKind.PDF)
    if head.startswith(b"PAR1"):
        return Sniffed(FileKind.PARQUET)
    for magic, name in _IMAGES:
        if head.startswith(magic):
            return Sniffed(FileKind.IMAGE, name)
    for magic, name in _ARCHIVES:
        if head.startswith(magic):
            return Sniffed(FileKind.ARCHIVE, name)
    if head.startswith(b"{\\rtf"):
        return Sniffed(FileKind.WORD, "RTF")
    if not _is_text(head):
        return Sniffed(FileKind.BINARY)
    return _text_kind(head)


def _is_text(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if b"\x00" in head:
        return False
    controls = sum(head.count(bytes([b])) for b in _CONTROL)
    return controls * 20 <= len(head)  # random bytes hold ~12% controls; text few (a stray \x01 in a name)


def _text_kind(head: bytes) -> Sniffed:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        start = head.decode("utf-16", errors="replace")[:4096]
    else:
        start = head[:4096].decode("utf-8", errors="replace")
    start = start.lstrip("\ufeff \t\r\n").lower()
    if start.startswith("mime-version:"):
        return Sniffed(FileKind.MHT)
    if start.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" in start and "<html" not in start:
        return Sniffed(FileKind.XML_2003)
    if start.startswith("<") and any(t in start for t in ("<html", "<table", "<!doctype html", "<meta", "<body")):
        return Sniffed(FileKind.HTML)
    return Sniffed(FileKind.TEXT)


def _ole(path: Path) -> Sniffed:
    """An OLE2 compound file: a workbook, an encrypted Office file or a Word document,
    told apart by the names of its streams (UTF-16LE in the directory sectors)."""
    size = path.stat().st_size
    with path.open("rb") as f:
        data = f.read(_OLE_SCAN)
        if size > 2 * _OLE_SCAN:
            f.seek(size - _OLE_SCAN)
            data += f.read()
    def has(name: str) -> bool:
        return name.encode("utf-16-le") in data

    if has("EncryptedPackage") or has("EncryptionInfo"):
        return Sniffed(FileKind.ENCRYPTED)
    if has("Workbook") or has("Book"):
        return Sniffed(FileKind.XLS)
    if has("WordDocument"):
        return Sniffed(FileKind.WORD, "doc")
    return Sniffed(FileKind.BINARY)


def _zip(path: Path) -> Sniffed:
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            mimetype = z.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, ValueError, NotImplementedError):
        return Sniffed(FileKind.BINARY, "zip")
    lowered = {n.lower() for n in names}
    if "xl/workbook.xml" in lowered or "xl/workbook.bin" in lowered:
        return Sniffed(FileKind.XLSX)
    if b"opendocument.spreadsheet" in mimetype:
        return Sniffed(FileKind.ODS)
    if "word/document.xml" in lowered or b"opendocument.text" in mimetype:
        return Sniffed(FileKind.WORD, "docx")
    return Sniffed(FileKind.ZIP)


def refusal(sniffed: Sniffed, name: str) -> str:
    """The one-line message for a file of a refused kind: what it is, what to do."""
    export = "请从登记系统导出 Excel（.xlsx）或 CSV 文件后再筛查"
    kind, detail = sniffed.kind, sniffed.detail
    if kind == FileKind.ENCRYPTED:
        return "工作簿有密码保护：请在 Excel 中另存为无密码的文件 / the workbook is password-protected"
    if kind == FileKind.PDF:
        return f"{name} 是 PDF 文件，不是表格：{export} / a PDF, not a table"
    if kind == FileKind.IMAGE:
        return f"{name} 是图片（{detail}），不是表格：{export} / an image, not a table"
    if kind == FileKind.WORD:
        return f"{name} 是 Word 文档，不是表格：请把其中的表格复制到 Excel，另存为 .xlsx 后再筛查 / a Word document"
    if kind == FileKind.ARCHIVE:
        return f"{name} 是 {detail} 压缩包：请解压后逐个筛查，或重新压缩为 .zip / a {detail} archive"
    if kind == FileKind.XML_2003:
        return f"{name} 是 Excel 2003 XML 表格：请在 Excel 或 LibreOffice 中打开，另存为 .xlsx 后再筛查 / an Excel 2003 XML file"
    if kind == FileKind.MHT:
        return f"{name} 是网页存档（MHT）：请在 Excel 中打开，另存为 .xlsx 后再筛查 / a web archive"
    if kind == FileKind.EMPTY:
        return f"{name} 是空文件（0 字节）：请重新导出 / the file is empty"
    return (f"{name} 无法读取：内容不是工作簿、网页或文本（可能已损坏）：{export}，"
            "或在 Excel 中打开后另存为 .xlsx / unrecognised content")


def damaged(name: str) -> str:
    """The message for a workbook its reader cannot open."""
    return (f"{name} 无法读取：工作簿已损坏或不完整，请在 Excel 或 LibreOffice 中打开后另存为 .xlsx 再筛查"
            " / a damaged workbook")


__all__ = ["BOOKS", "BOOK_SUFFIX", "FileKind", "READABLE", "Sniffed", "damaged", "refusal", "sniff"]
