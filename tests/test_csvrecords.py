"""Hostile CSV files (issue 10 items 2, 8, 11): a stray quote, mixed encodings and a
huge field never swallow, invent or blank records; true line numbers; the same rows
for any number of ranges (--jobs)."""

from __future__ import annotations

import csv
import random
import subprocess
import sys
from pathlib import Path

import pytest

from fangfei_screen.batch import OUTPUT_COLUMNS
from fangfei_screen.csvrecords import MAX_SPAN, layout, records

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "fangfei-screen")
HEADER = "统一社会信用代码,企业名称,企业类型,成立日期,登记状态,经营范围\n"
STRAY = 'X1,"固镇县某某商贸有限公司,有限责任公司,2019-04-01,存续,日用百货销售\n'


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, timeout=300)


def read_all(path: Path, parts: int, encoding: str = "utf-8") -> list[tuple[list[str], str, int]]:
    shape = layout(path, encoding, parts=parts)
    return [
        (row, problem, line)
        for rng in shape.ranges
        for row, problem, line, _ in records(path, rng, shape.encoding, len(shape.header), header=shape.header)
    ]


def col(name: str) -> int:
    """Index of an output column in a results row of a six-column input."""
    return 6 + OUTPUT_COLUMNS.index(name)


def output_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))[1:]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    path = tmp_path_factory.mktemp("c") / "c.csv"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "corpus.py"), "-n", "3000", "-o", str(path)], check=True, capture_output=True)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[0] == HEADER
    return lines[1:]


# --- item 2: a stray quote --------------------------------------------------------------


@pytest.fixture(scope="module")
def clean_rows(corpus: list[str], tmp_path_factory: pytest.TempPathFactory) -> list[list[str]]:
    folder = tmp_path_factory.mktemp("clean")
    (folder / "clean.csv").write_text(HEADER + "".join(corpus), encoding="utf-8")
    assert run("scan", folder / "clean.csv", "-o", folder / "clean.out.csv").returncode == 0
    return output_rows(folder / "clean.out.csv")


@pytest.mark.parametrize("jobs", ["1", "3"])
def test_stray_quote_costs_one_error_row_with_its_true_line(tmp_path: Path, corpus: list[str], clean_rows: list[list[str]], jobs: str) -> None:
    src = tmp_path / "strayq.csv"
    src.write_text(HEADER + corpus[0] + STRAY + "".join(corpus[1:]), encoding="utf-8")
    proc = run("scan", src, "-o", tmp_path / "out.csv", "--jobs", jobs)
    assert proc.returncode == 0, proc.stderr
    rows = output_rows(tmp_path / "out.csv")
    assert len(rows) == len(corpus) + 1  # rows in = rows out
    bad = rows[1]
    assert bad[:2] == ["X1", "固镇县某某商贸有限公司"]  # the cells that could be read
    assert bad[col("action")] == "error" and "第3行" in bad[col("error")]
    assert [r for i, r in enumerate(rows) if i != 1] == clean_rows
    assert "errors: 1" in proc.stdout


def test_quote_running_to_the_end_and_near_the_end(tmp_path: Path, corpus: list[str]) -> None:
    body = corpus[:50]
    src = tmp_path / "end.csv"
    src.write_text(HEADER + "".join(body[:-10]) + STRAY + "".join(body[-10:]) + STRAY.rstrip("\n"), encoding="utf-8")
    got = read_all(src, 1)
    assert len(got) == len(body) + 2
    problems = [(line, bool(problem)) for _, problem, line in got if problem]
    assert problems == [(2 + len(body) - 10, True), (2 + len(body) + 1, True)]
    assert [line for _, _, line in got] == list(range(2, 2 + len(body) + 2))


def test_real_multi_line_fields_stay_one_record(tmp_path: Path, corpus: list[str]) -> None:
    multi = '91340000000000000M,"固镇县多行\n有限公司",有限责任公司,2019-04-01,存续,"日用百货销售；\n\n投资咨询"\n'
    src = tmp_path / "multi.csv"
    src.write_text(HEADER + corpus[0] + multi + corpus[1], encoding="utf-8")
    got = read_all(src, 1)
    assert [(line, problem) for _, problem, line in got] == [(2, ""), (3, ""), (7, "")]
    assert got[1][0][1] == "固镇县多行\n有限公司" and got[1][0][5] == "日用百货销售；\n\n投资咨询"


def test_closed_quote_with_the_wrong_width_does_not_swallow_the_lines_between(tmp_path: Path, corpus: list[str]) -> None:
    # Two stray quotes five lines apart close each other: csv alone would read one
    # record of the six lines; they are the stray line plus five good records.
    src = tmp_path / "two.csv"
    src.write_text(HEADER + STRAY + "".join(corpus[:4]) + STRAY + "".join(corpus[4:8]), encoding="utf-8")
    got = read_all(src, 1)
    assert len(got) == 10
    assert [line for _, problem, line in got if problem] == [2, 7]
    assert [row for row, problem, _ in got if not problem] == [next(csv.reader([c])) for c in corpus[:8]]


def test_ranges_read_the_same_rows_as_the_whole_file_whatever_the_damage(tmp_path: Path, corpus: list[str]) -> None:
    rng = random.Random(10)
    damage = [STRAY, '9134,"a,b\n', '"\n', 'Q,"多行\n正常",x,y,z,w\n', 'R,a"b,c,d,e,f\n', '"""\n', "\n"]
    for trial in range(6):
        lines = list(corpus[: 1500 + 300 * trial])
        for _ in range(rng.randint(1, 12)):
            lines.insert(rng.randrange(len(lines) + 1), rng.choice(damage))
        src = tmp_path / f"t{trial}.csv"
        src.write_text(HEADER + "".join(lines), encoding="utf-8")
        whole = read_all(src, 1)
        assert sum(1 for line in lines if line.strip()) >= len(whole) >= len(lines) - lines.count("\n") - 2 * lines.count('Q,"多行\n正常",x,y,z,w\n')
        for parts in (2, 5, 9):
            assert read_all(src, parts) == whole, (trial, parts)
        # every line of the file is in one row: line numbers strictly increase
        numbers = [line for _, _, line in whole]
        assert numbers == sorted(set(numbers))


def test_splitter_cuts_a_file_without_damage(tmp_path: Path, corpus: list[str]) -> None:
    src = tmp_path / "c.csv"
    src.write_text(HEADER + "".join(corpus), encoding="utf-8")
    assert len(layout(src, "utf-8", parts=4).ranges) == 4
    assert MAX_SPAN < len(corpus) // 4


# --- item 8: mixed encodings ---------------------------------------------------------------

ROWS = [f"9134{i:014d},某某{i}贸易有限公司,有限责任公司,2019-04-01,存续,日用百货销售\n" for i in range(5)]
INVEST = "91340000000000000X,固镇县某投资有限公司,有限责任公司,2019-04-01,存续,投资咨询\n"


@pytest.mark.parametrize(("base", "odd"), [("gbk", "utf-8"), ("utf-8", "gbk")])
def test_a_line_in_another_encoding_is_read_in_its_own(tmp_path: Path, base: str, odd: str) -> None:
    src = tmp_path / "mixed.csv"
    src.write_bytes(
        (HEADER + "".join(ROWS[:2])).encode(base) + INVEST.encode(odd) + "".join(ROWS[2:]).encode(base)
    )
    proc = run("scan", src, "-o", tmp_path / "out.csv")
    assert proc.returncode == 0, proc.stderr
    rows = output_rows(tmp_path / "out.csv")
    assert len(rows) == 6
    assert rows[2][:2] == ["91340000000000000X", "固镇县某投资有限公司"]
    assert "投资" in rows[2][col("keywords")]
    assert [r[1] for r in rows] == [line.split(",")[1] for line in [*ROWS[:2], INVEST, *ROWS[2:]]]


def test_an_undecodable_line_is_an_error_row_naming_its_line(tmp_path: Path) -> None:
    src = tmp_path / "bad.csv"
    src.write_bytes(HEADER.encode() + ROWS[0].encode() + b"91340000000000000Y,\xff\xfe\x80bad,x,2019-04-01,y,z\n" + ROWS[1].encode())
    proc = run("scan", src, "-o", tmp_path / "out.csv")
    assert proc.returncode == 0, proc.stderr
    rows = output_rows(tmp_path / "out.csv")
    assert len(rows) == 3
    assert rows[1][0] == "91340000000000000Y" and rows[1][1] == "\\xff\\xfe\\x80bad"
    assert rows[1][col("action")] == "error" and "第3行" in rows[1][col("error")]
    assert [r[col("action")] for r in (rows[0], rows[2])] == ["pass", "pass"]


# --- item 11: a huge field -------------------------------------------------------------------


@pytest.mark.parametrize("quoted", [False, True])
def test_huge_field_error_row_keeps_the_cells_that_could_be_read(tmp_path: Path, quoted: bool) -> None:
    huge = "投资" * 600_000
    if quoted:
        huge = f'"{huge}，含""引号"""'
    src = tmp_path / "huge.csv"
    src.write_text(
        HEADER + ROWS[0] + f"91340000000000000Z,固镇县巨字段有限公司,有限责任公司,2019-04-01,存续,{huge}\n" + ROWS[1],
        encoding="utf-8",
    )
    proc = run("scan", src, "-o", tmp_path / "out.csv")
    assert proc.returncode == 0, proc.stderr
    rows = output_rows(tmp_path / "out.csv")
    assert len(rows) == 3
    assert rows[1][:5] == ["91340000000000000Z", "固镇县巨字段有限公司", "有限责任公司", "2019-04-01", "存续"]
    assert rows[1][col("action")] == "error" and "第3行" in rows[1][col("error")] and "经营范围" in rows[1][col("error")]
