"""Parquet in (issue 20, target 4): record batches are turned into text cells column by
column in Arrow, not through pandas' conversion of the batch; the cells are the same as
the pandas path gave (kept here as the reference), for every column type."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from fangfei_screen.readers import cell_text, read_chunks


def _reference(path: Path, chunk_rows: int) -> pd.DataFrame:
    """The cells as the pandas path read them before (batch.to_pandas, nulls "", cell_text)."""
    frames = []
    for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
        frame = batch.to_pandas()
        frame = frame.astype(object).where(frame.notna(), "")
        frames.append(frame.map(cell_text))
    return pd.concat(frames, ignore_index=True)


def _every_type(path: Path) -> Path:
    when = dt.datetime(2019, 4, 1)
    columns: dict[str, Any] = {
        "企业名称": pa.array(["甲公司", None, "丙公司", "", "戊商行"]),
        "大字符串": pa.array(["a", None, "b", "c", "d"], pa.large_string()),
        "整数": pa.array([1, None, 3, 10**16, -2]),
        "小数": pa.array([1.0, float("nan"), None, 2.5, 1e20]),
        "是否": pa.array([True, False, None, True, False]),
        "成立日期": pa.array([dt.date(2019, 4, 1), None, dt.date(2020, 1, 2), dt.date(2021, 3, 4), dt.date(1999, 12, 31)]),
        "时间": pa.array([when, dt.datetime(2019, 4, 1, 12, 30, 1, 5), None, when, when]),
        "纳秒": pa.array([when, None, dt.datetime(2020, 1, 1, 1), when, when], pa.timestamp("ns")),
        "时区": pa.array([when, None, when, when, when], pa.timestamp("us", tz="Asia/Shanghai")),
        "金额": pa.array([decimal.Decimal("1.50"), None, decimal.Decimal("2"), decimal.Decimal("3.1"), decimal.Decimal("0")]),
        "类别": pa.array(["a", "b", None, "a", "b"]).dictionary_encode(),
        "列表": pa.array([["x", "y"], None, [], ["z"], ["q"]]),
        "字节": pa.array([b"ab", None, b"", b"c", b"d"]),
    }
    pq.write_table(pa.table(columns), path, row_group_size=2)
    return path


def test_parquet_cells_of_every_type_are_those_of_the_pandas_path(tmp_path: Path) -> None:
    path = _every_type(tmp_path / "名录.parquet")
    for chunk_rows in (2, 3, 50_000):
        chunks = list(read_chunks(path, chunk_rows=chunk_rows))
        got = pd.concat([c.frame for c in chunks], ignore_index=True)
        want = _reference(path, chunk_rows)
        assert list(got.columns) == list(want.columns)
        assert got.to_dict("list") == want.to_dict("list")
        # plain Python strings, not pandas' Arrow strings (iterating those cell by cell was the cost)
        assert all(dtype == object for c in chunks for dtype in c.frame.dtypes)
    assert got["整数"].tolist() == ["1", "", "3", "1e+16", "-2"] and got["成立日期"][0] == "2019-04-01"


def test_the_csv_writer_neutralises_formulas_as_cell_by_cell_did(tmp_path: Path) -> None:
    """The CSV writer of workbook and Parquet input goes column by column; its file is the
    one the per-cell writer wrote (kept here as the reference)."""
    import csv

    from fangfei_screen.tables import neutralise_formula, open_writer

    frame = pd.DataFrame({"企业名称": ["=1+1", "+有限责任公司", "某公司", "@SUM(A1)", "\t制表", "-地址"],
                          "n": [1, 2, 3, 4, 5, 6], "f": [1.5, float("nan"), 2.0, 3.0, 4.0, 5.0],
                          "o": ["=x", None, 7, "", "\rcr", "ok"]})
    frame["o"] = frame["o"].astype(object)
    with open_writer(tmp_path / "new.csv") as writer:
        writer.write(frame)
        writer.write(frame.iloc[:2])
    with (tmp_path / "old.csv").open("w", encoding="utf-8-sig", errors="backslashreplace", newline="") as f:
        out = csv.writer(f)
        out.writerow([neutralise_formula(c) for c in frame.columns])
        for part in (frame, frame.iloc[:2]):
            out.writerows([neutralise_formula(v) for v in row] for row in part.itertuples(index=False, name=None))
    assert (tmp_path / "new.csv").read_bytes() == (tmp_path / "old.csv").read_bytes()
    assert "'=1+1" in (tmp_path / "new.csv").read_text(encoding="utf-8-sig")
