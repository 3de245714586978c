"""The cheap start-up and the per-line shortcuts of `scan` (issue 20, targets 2 and 3):
the plain-line test of csvscan flags exactly the lines that the one regular expression
it replaced flagged, the credit-code check digit by int() in base 34 agrees with the
weighted sum of GB 32100-2015, `scan` starts without SQLAlchemy and jieba, and the wide
registry corpus (benchmarks/corpus.py --profile registry) gives the same bytes for any
--jobs, with and without the shortcut, broken lines and a GBK file included."""

from __future__ import annotations

import csv
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

import fangfei_screen.csvscan as csvscan
from fangfei_screen.batch import RowScreener
from fangfei_screen.columns import ColumnMap
from fangfei_screen.rowkinds import RowKinds
from fangfei_screen.screener import Screener
from fangfei_screen.scanfile import scan_file
from fangfei_screen.tables import FORMULA_START
from fangfei_screen.values import CODE_ALPHABET, CodeState, check_digit, code_state
from bisect import bisect_right
from itertools import accumulate

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["统一社会信用代码", "企业名称", "企业类型", "成立日期", "登记状态", "经营范围"]


def _old_flagged(rows: RowScreener, header: list[str], kinds: RowKinds):  # type: ignore[no-untyped-def]
    """The test as it was before (one regular expression over the block), for reference."""
    from fangfei_screen.values import WRAP_START

    clean = rows.screener.clean
    width, k, j = len(header), rows.name_index, rows.scope_indices[0]
    flags = re.compile(r"\x1e|(?:^|,)[" + re.escape("".join(dict.fromkeys((*FORMULA_START, *WRAP_START)))) + "]"
                       + f"|{kinds.suspects(',')}", re.M)

    def flagged(text: str, lines: list[str]) -> list[int]:
        out = []
        for i, line in enumerate(lines):
            c = line.split(",")
            if len(c) != width or not c[k].strip() or not clean(c[k], c[j]):
                out.append(i)
        starts = [0, *accumulate(len(line) + 1 for line in lines)]
        out.extend(bisect_right(starts, m.start()) - 1 for m in flags.finditer(text))
        return sorted(set(out))

    return flagged


LINES = [
    "91340323MA2N0XXX1A,固镇县某某商贸有限公司,有限责任公司,2019-04-01,存续,日用百货销售",
    "91340323MA2N0XXX1B,固镇县某某商贸有限公司,有限责任公司,2019-04-01,存续,五金交电",
    ",固镇县某某商贸有限公司,有限责任公司,2019-04-01,存续,日用百货销售",  # empty first cell
    "合计,固镇县某某商贸有限公司,,,,",  # a total word first
    "填表人：张三,,,,,",  # a footer, one filled cell
    ",固镇县某某商贸有限公司,,,,",  # the name alone
    "X,固镇县某某商贸有限公司,,,,",  # two filled cells: not one
    " 91340323,固镇县某某商贸有限公司,有限责任公司,2019-04-01,存续,日用",  # white space first
    "统一社会信用代码,企业名称,企业类型,成立日期,登记状态,经营范围",  # the header again
    "A,固镇县某某商贸有限公司,企业类型,2019-04-01,存续,日用",  # one header cell
    "A,固镇县某某商贸有限公司,企业类型X,2019-04-01,存续,日用",  # not a header cell
    "A,=固镇县某某商贸有限公司,有限责任公司,2019-04-01,存续,日用",  # a formula start
    "-A,固镇县某某商贸有限公司,有限责任公司,2019-04-01,存续,日用",  # at the line start
    "A,固镇县某某商贸有限公司,有限责任公司,2019-04-01,存续,'日用",  # a wrapped cell
    "A,固镇县某某商贸有限公司,有限责任公司,2019-04-01,存续,@日用",
    "A,固镇县某某商贸有限公司,有限责任公司,2019-04-01,存续,\t日用",
    "A,固镇县某某商贸有限公司,有限-责任+公司,2019-04-01,存续,日用",  # inside cells of neither field: nothing
    "A,固镇县某某\x1e商贸有限公司,有限责任公司,2019-04-01,存续,日用",  # the marker
    "A,固镇县某某投资有限公司,有限责任公司,2019-04-01,存续,日用",  # a term
    "A,   ,有限责任公司,2019-04-01,存续,日用",  # a blank name
    "A,固镇县某某商贸有限公司,有限责任公司,2019-04-01,存续",  # short
    "A,固镇县某某商贸有限公司,有限责任公司,2019-04-01,存续,日用,多",  # long
    "A,固镇县某某商贸有限公司,有限责任公司,2019-04-01,存续,",  # empty scope
    "",  # a blank line
]


@pytest.mark.parametrize("headers", [
    [HEADER],
    [HEADER, ["名称", "a,b", "多\n行", "经营范围"]],  # header cells holding the delimiter or a line break
])
def test_the_plain_line_test_flags_what_the_old_pattern_flagged(headers: list[list[str]]) -> None:
    screener = Screener()
    cols = ColumnMap.find(HEADER)
    rows = RowScreener(screener, HEADER, cols, {"kind": "existing", "as_of": "2025-06-30"})
    kinds = RowKinds(tuple(tuple(h) for h in headers))
    new = csvscan._plain_screen(rows, HEADER, ",", kinds)
    old = _old_flagged(rows, HEADER, kinds)
    assert new is not None
    rng = random.Random(5)
    extra = ["A,a,b,多", "行,固镇县某某商贸有限公司,x,y,z,w"]  # 'a,b' and a split '多\n行' as cells
    pool = LINES + extra
    for trial in range(300):
        lines = [rng.choice(pool) for _ in range(rng.randint(1, 30))]
        text = "\n".join(lines)
        assert new(text, lines) == old(text, lines), (trial, lines)
    text = "\n".join(LINES)
    got = new(text, LINES)
    assert got == old(text, LINES)
    assert 0 not in got and 1 not in got and 10 not in got and 16 not in got  # the plain ones pass
    assert {2, 3, 4, 5, 7, 8, 9, 11, 12, 13, 14, 15, 17, 18, 19, 20, 21} <= set(got)


def test_the_check_digit_by_base_34_is_the_weighted_sum() -> None:
    rng = random.Random(11)
    weights = [pow(3, i, 31) for i in range(17)]
    for _ in range(20_000):
        body = "".join(rng.choice(CODE_ALPHABET) for _ in range(17))
        total = sum(CODE_ALPHABET.index(ch) * w for ch, w in zip(body, weights))
        digit = CODE_ALPHABET[(31 - total % 31) % 31]
        assert check_digit(body) == digit
        assert code_state(body + digit) is CodeState.VALID
        wrong = next(c for c in CODE_ALPHABET if c != digit)
        assert code_state(body + wrong) is CodeState.BAD_CHECK
    # not 18 characters of the alphabet: the careful way, as before
    assert code_state("91340323MA2N0XXX1I") is CodeState.INVALID  # I is not in the alphabet
    assert code_state("91340323ma2n0xxx1" + check_digit("91340323MA2N0XXX1").lower()) is CodeState.VALID
    assert code_state("9.13403E+17") is CodeState.INVALID and code_state("") is CodeState.EMPTY


def test_scan_starts_without_sqlalchemy_and_jieba_and_the_ledger_commands_stay(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text(",".join(HEADER) + "\n91340323MA2N0XXX1A,固镇县某某商贸有限公司,有限责任公司,2019-04-01,存续,日用百货销售\n",
                   encoding="utf-8")
    probe = (
        "import sys\n"
        "from fangfei_screen.cli import main\n"
        f"code = main(['scan', {str(src)!r}, '-o', {str(tmp_path / 'out.csv')!r}, '--as-of', '2025-06-30'])\n"
        "print(code, sorted(m for m in ('sqlalchemy', 'jieba', 'pandas', 'pkg_resources') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "0 []", proc.stdout + proc.stderr
    with (tmp_path / "out.csv").open(encoding="utf-8-sig", newline="") as f:
        assert [r[6] for r in csv.reader(f)] == ["action", "pass"]
    ledger = subprocess.run([sys.executable, "-m", "fangfei_screen", "ledger", "--help"], capture_output=True, text=True)
    assert ledger.returncode == 0 and "ingest" in ledger.stdout
    import fangfei_screen.ledger as ledger_pkg

    assert ledger_pkg.LedgerError.__name__ == "LedgerError" and "Ledger" in dir(ledger_pkg)
    with pytest.raises(AttributeError):
        ledger_pkg.nothing_here  # noqa: B018


def _wide(tmp_path: Path, n: int) -> Path:
    path = tmp_path / "wide.csv"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "corpus.py"), "--profile", "registry", "-n", str(n),
                    "-o", str(path)], check=True, capture_output=True)
    return path


def test_the_wide_corpus_keeps_names_scopes_and_has_the_width_of_an_export(tmp_path: Path) -> None:
    wide = _wide(tmp_path, 2000)
    narrow = tmp_path / "narrow.csv"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "corpus.py"), "--profile", "registry", "-n", "2000",
                    "-o", str(narrow), "--narrow"], check=True, capture_output=True)
    with wide.open(encoding="utf-8", newline="") as f:
        w = list(csv.reader(f))
    with narrow.open(encoding="utf-8", newline="") as f:
        n = list(csv.reader(f))
    assert len(w[0]) >= 30 and len(w) == len(n) == 2001
    name, scope = w[0].index("企业名称"), w[0].index("经营范围")
    assert [(r[name], r[scope]) for r in w[1:]] == [(r[1], r[5]) for r in n[1:]]
    assert 1200 <= wide.stat().st_size / 2000 <= 1800  # bytes a record, as the real file (~1.5 KB)
    assert all(code_state(r[0]) is CodeState.VALID for r in w[1:])
    assert any('"' in line for line in wide.read_text(encoding="utf-8").splitlines())  # some cells are quoted


def _scan(src: Path, out: Path, jobs: int, encoding: str | None = None) -> bytes:
    scan_file(str(src), str(out), as_of="2025-06-30", jobs=jobs, encoding=encoding)
    return out.read_bytes()


def test_the_wide_corpus_scans_to_the_same_bytes_for_any_jobs_and_path(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    wide = _wide(tmp_path, 700)
    lines = wide.read_bytes().split(b"\n")
    rng = random.Random(3)
    damage = [b'X1,"broken quote,a,b', b"\xff\xfe not utf-8", "合计,1500户".encode(), b"", b",,,",
              "固镇县某某投资有限公司,=1+2".encode(), lines[0]]
    for _ in range(25):
        lines.insert(rng.randrange(2, len(lines)), rng.choice(damage))
    damaged = tmp_path / "damaged.csv"
    damaged.write_bytes(b"\n".join(lines))
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(wide.read_text(encoding="utf-8").encode("gbk", errors="replace"))
    for src, enc in ((damaged, None), (gbk, "gbk")):
        fast = {jobs: _scan(src, tmp_path / f"fast{jobs}.csv", jobs, enc) for jobs in (1, 2)}
        with monkeypatch.context() as m:
            m.setattr(csvscan, "_plain_screen", lambda *a, **k: None)
            slow = _scan(src, tmp_path / "slow.csv", 1, enc)
        assert fast[1] == fast[2] == slow, src.name
        with (tmp_path / "fast1.csv").open(encoding="utf-8-sig", newline="") as f:
            out = list(csv.reader(f))
        assert len(out) > 700 and {r[len(out[0]) - 15] for r in out[1:]} >= {"pass", "order_rename"}


def test_blocks_hand_back_after_each_quoted_record_and_read_what_the_careful_reader_reads(tmp_path: Path) -> None:
    """Plain reading resumes at the second record the careful reader reads (not a
    hundred lines on): quoted cells every few lines, a multi-line field, a broken quote."""
    from tests.test_csvblocks import _blocked, _careful

    rng = random.Random(9)
    out = [",".join(HEADER)]
    for i in range(1500):
        roll = rng.random()
        if roll < 0.2:
            out.append(f'A{i},"某某, 商贸有限公司",有限责任公司,2019-04-01,存续,日用百货销售')
        elif roll < 0.22:
            out.append(f'B{i},某某商贸有限公司,有限责任公司,2019-04-01,存续,"日用\n百货"')
        elif roll < 0.23:
            out.append(f'C{i},"某某商贸有限公司,有限责任公司,2019-04-01,存续,日用百货')  # never closed
        else:
            out.append(f"D{i},固镇县某某商贸有限公司,有限责任公司,2019-04-01,存续,五金交电")
    src = tmp_path / "quoted.csv"
    src.write_text("\n".join(out) + "\n", encoding="utf-8")
    careful = _careful(src)
    assert len(careful) >= 1400
    for block in (1 << 20, 4096, 300):
        assert _blocked(src, block=block) == careful, block
    assert _blocked(src, parts=3, block=4096) == _careful(src, parts=3) == careful
