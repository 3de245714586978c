"""The block reader (csvblocks) gives the same rows, cells, problems and line numbers as
the careful line-by-line reader (csvrecords) on every kind of damage, and `scan` writes
the same bytes with and without its plain-line shortcut, for any --jobs (issue 20 item 2).

Files are made the way exports are: csv.writer (benchmarks/corpus.py, both profiles),
pandas' to_csv, and by hand for the damage (stray quotes, multi-line quoted fields, a
GBK line in a UTF-8 file, undecodable bytes, CRLF, a bare CR, NUL, blank lines, rows of
the wrong width, formula cells, empty and blank names, a huge field, no final newline)."""

from __future__ import annotations

import csv
import random
import subprocess
import sys
from pathlib import Path

import pytest

import fangfei_screen.csvscan as csvscan
from fangfei_screen.csvblocks import Lines, blocks, plain_row
from fangfei_screen.csvrecords import layout, records
from fangfei_screen.scanfile import scan_file

ROOT = Path(__file__).resolve().parent.parent
HEADER = "统一社会信用代码,企业名称,企业类型,成立日期,登记状态,经营范围\n"
DAMAGE = [
    'X1,"固镇县某某商贸有限公司,有限责任公司,2019-04-01,存续,日用百货销售\n',  # stray quote
    '9134,"a,b\n',
    '"\n',
    'Q,"多行\n正常",x,y,z,w\n',  # a real multi-line field
    'R,a"b,c,d,e,f\n',  # a sloppy quote inside one line
    '"""\n',
    "\n",
    "\r\n",
    "S,某某投资有限公司,x,y,z\n",  # one cell short
    "T,某某商贸有限公司,x,y,z,w,extra\n",  # one cell over
    "U,=HYPERLINK(1),x,y,z,投资咨询\n",  # a formula cell
    "V,+某某,x,y,z,日用百货\n",
    "W,,x,y,z,日用百货销售\n",  # empty name
    "Y,   ,x,y,z,日用百货销售\n",  # blank name
    "Z,某某商贸\r有限公司,x,y,z,w\n",  # a bare CR
    "N,某某\x00商贸,x,y,z,w\n",  # NUL
    "M,某某\x1e商贸,x,y,z,w\n",  # the writer's marker character
    "L,某某 投 资有限公司,x,y,z,日用百货\n",  # noise inside a term
    "K,ＮＦＴ数码有限公司,x,y,z,w\n",  # full width
    "J,某某商贸有限公司,x,y,z,办理票据承兑与贴现；提供信用证服务及担保\n",
    "H,某某商贸有限公司,x,y,z," + "软件开发；" * 30_000 + "\n",  # a field over the csv limit
]


def _corpus(tmp_path: Path, profile: str, n: int) -> list[str]:
    path = tmp_path / f"{profile}.csv"
    narrow = ["--narrow"] if profile == "registry" else []  # the six columns of HEADER
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "corpus.py"), "--profile", profile, "-n", str(n),
                    "-o", str(path), *narrow], check=True, capture_output=True)
    lines = path.read_bytes().decode("utf-8").splitlines(keepends=True)
    assert lines[0].rstrip("\r\n") == HEADER.rstrip("\n")
    return lines[1:]


def _careful(path: Path, parts: int = 1) -> list[tuple[list[str], str, int]]:
    shape = layout(path, "utf-8", parts=parts)
    return [(row, problem, line) for rng in shape.ranges
            for row, problem, line, _ in records(path, rng, shape.encoding, len(shape.header), header=shape.header)]


def _blocked(path: Path, parts: int = 1, block: int = 1 << 20) -> list[tuple[list[str], str, int]]:
    shape = layout(path, "utf-8", parts=parts)
    width = len(shape.header)
    out = []
    for rng in shape.ranges:
        for item in blocks(path, rng, width, header=shape.header, block=block):
            if isinstance(item, Lines):
                for i, line in enumerate(item.lines):
                    got = plain_row(line, item.first + i, width, ",")
                    if got is not None:
                        out.append((got[0], got[1], item.first + i))
            else:
                row, problem, line, _ = item
                out.append((row, problem, line))
    return out


@pytest.mark.parametrize("profile", ["synthetic", "registry"])
def test_blocks_read_what_the_careful_reader_reads_whatever_the_damage(tmp_path: Path, profile: str) -> None:
    corpus = _corpus(tmp_path, profile, 1200)
    rng = random.Random(20)
    for trial in range(5):
        lines = list(corpus)
        for _ in range(rng.randint(1, 15)):
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(DAMAGE))
        raw = (HEADER + "".join(lines)).encode("utf-8")
        if trial % 2:
            # a GBK line and undecodable bytes in the UTF-8 file; CRLF endings; no final newline
            raw = raw.replace("J,某某商贸有限公司".encode(), "J,某某商贸有限公司".encode("gbk"))
            raw = raw.replace(b"\n", b"\r\n").rstrip(b"\r\n") + b"\xff\xfe"
        src = tmp_path / f"t{trial}.csv"
        src.write_bytes(raw)
        careful = _careful(src)
        assert len(careful) >= len(corpus)
        for block in (1 << 20, 4096, 300):
            assert _blocked(src, block=block) == careful, (trial, block)
        for parts in (2, 5):
            assert _blocked(src, parts=parts, block=4096) == _careful(src, parts=parts) == careful, (trial, parts)


def _scan(src: Path, out: Path, jobs: int) -> bytes:
    scan_file(str(src), str(out), as_of="2025-06-30", jobs=jobs)
    return out.read_bytes()


def test_scan_writes_the_same_bytes_with_and_without_the_plain_line_shortcut(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = _corpus(tmp_path, "registry", 3000)
    rng = random.Random(7)
    lines = list(corpus)
    for _ in range(40):
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(DAMAGE))
    src = tmp_path / "damaged.csv"
    src.write_text(HEADER + "".join(lines), encoding="utf-8", newline="")
    fast = {jobs: _scan(src, tmp_path / f"fast{jobs}.csv", jobs) for jobs in (1, 2)}
    monkeypatch.setattr(csvscan, "_plain_screen", lambda *a, **k: None)
    slow = {jobs: _scan(src, tmp_path / f"slow{jobs}.csv", jobs) for jobs in (1, 2)}
    assert fast[1] == fast[2] == slow[1] == slow[2]
    with (tmp_path / "fast1.csv").open(encoding="utf-8-sig", newline="") as f:
        out = list(csv.reader(f))[1:]
    assert len(out) == len(_careful(src))
    assert {r[6] for r in out} >= {"pass", "order_rename", "error"}


def test_scan_of_a_pandas_export_is_the_same_with_and_without_the_shortcut(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    pd = pytest.importorskip("pandas")
    corpus = _corpus(tmp_path, "registry", 2000)
    src = tmp_path / "corpus.csv"
    src.write_text(HEADER + "".join(corpus), encoding="utf-8")
    frame = pd.read_csv(src, dtype=str, keep_default_na=False)
    frame.loc[3, "经营范围"] = "日用百货销售, 五金交电"  # an ASCII comma: pandas quotes the cell
    frame.loc[5, "企业名称"] = '某某"商贸"有限公司'
    exported = tmp_path / "pandas.csv"
    frame.to_csv(exported, index=False)
    fast = _scan(exported, tmp_path / "fast.csv", 1)
    monkeypatch.setattr(csvscan, "_plain_screen", lambda *a, **k: None)
    assert fast == _scan(exported, tmp_path / "slow.csv", 1)
