"""Closed entities: deregistered, revoked or moved out (issue 11, item 4)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from fangfei_screen import Action, Screener
from fangfei_screen.cli import main
from fangfei_screen.models import ACTIONABLE, Status
from fangfei_screen.values import status_of

from .test_bulk import HEADER, write_csv

CLOSED = {
    "deregistered": "已注销",
    "revoked": "已被吊销营业执照",
    "moved_out": "已迁出本辖区，线索移交迁入地",
}


@pytest.mark.parametrize("status,why", sorted(CLOSED.items()))
def test_a_closed_entity_keeps_its_hits_and_is_ordered_nothing(screener: Screener, status: str, why: str) -> None:
    r = screener.screen("固镇县鑫源投资管理有限公司", "寄卖服务；日用百货", kind="existing", status=status)
    assert r.action is Action.CLOSED and r.action == "closed"
    assert r.keywords == ("投资", "寄卖")  # its hits are still reported
    assert why in r.basis
    assert Action.CLOSED not in ACTIONABLE
    d = r.to_dict()
    assert d["action"] == "closed" and d["action_label"] and d["hits"]


@pytest.mark.parametrize("status", sorted(CLOSED))
def test_closed_wins_over_dormancy_and_licence(screener: Screener, status: str) -> None:
    # even a company established long ago that never opened: it is gone, nothing to revoke
    r = screener.screen(
        "某投资有限公司", "", kind="existing", status=status, established_on="2010-01-01", as_of="2025-06-30", licensed=True
    )
    assert r.action is Action.CLOSED


@pytest.mark.parametrize("status", sorted(CLOSED))
def test_a_closed_entity_without_listed_words_passes(screener: Screener, status: str) -> None:
    assert screener.screen("某商贸有限公司", "日用百货销售", kind="existing", status=status).action is Action.PASS


@pytest.mark.parametrize("kind", ["new", "change"])
def test_status_does_not_matter_to_an_application(screener: Screener, kind: str) -> None:
    r = screener.screen("某投资有限公司", "", kind=kind, before_name="某商贸有限公司", status="deregistered")
    assert r.action is Action.BLOCK


def test_the_other_statuses_are_unchanged(screener: Screener) -> None:
    assert screener.screen("某投资有限公司", "", kind="existing", status="operating").action is Action.ORDER_RENAME
    assert not any(s.closed for s in (Status.OPERATING, Status.NOT_OPENED, Status.SUSPENDED, Status.SUSPENSION_FILED))


@pytest.mark.parametrize("status", sorted(CLOSED))
def test_check_exits_0_for_a_closed_entity(status: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "fangfei_screen", "check", "--name", "某投资有限公司", "--kind", "existing", "--status", status],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "closed" in proc.stdout and "投资" in proc.stdout and CLOSED[status] in proc.stdout


def test_closed_rows_are_screened_but_not_rows_of_attachment_2(tmp_path: Path) -> None:
    rows = [
        ["91340323MA0000011X", "固镇县甲投资有限公司", "有限责任公司", "2019-04-01", "存续", "", "", "投资咨询"],
        ["91340323MA0000012X", "固镇县乙投资有限公司", "有限责任公司", "2019-04-01", "注销", "", "", "投资咨询"],
        ["91340323MA0000013X", "固镇县丙寄卖行", "个体工商户", "2019-04-01", "吊销，未注销", "", "", "寄卖服务"],
        ["91340323MA0000014X", "固镇县丁拍卖有限公司", "有限责任公司", "2019-04-01", "迁出", "", "", "拍卖业务"],
    ]
    src = write_csv(tmp_path / "in.csv", rows, "utf-8")
    out = tmp_path / "screened.csv"
    assert main(["scan", str(src), "-o", str(out), "--as-of", "2025-06-30"]) == 0
    df = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(df.columns[: len(HEADER)]) == HEADER
    assert list(df["action"]) == ["order_rename", "closed", "closed", "closed"]
    assert list(df["keywords"]) == ["投资", "投资", "寄卖", "拍卖"]  # hits still reported
    table = tmp_path / "table.xlsx"
    assert main(["report", str(out), "--month", "2025-06", "--unit", "固镇县市场监督管理局", "-o", str(table)]) == 0
    cells = [list(r) for r in openpyxl.load_workbook(table).active.iter_rows(values_only=True)]
    assert [row[1] for row in cells if isinstance(row[0], int)] == ["固镇县甲投资有限公司"]


@pytest.mark.parametrize(
    "text,status",
    [
        ("注销", Status.DEREGISTERED),
        ("已注销", Status.DEREGISTERED),
        ("吊销，已注销", Status.DEREGISTERED),
        ("吊销,已注销", Status.DEREGISTERED),
        ("吊销", Status.REVOKED),
        ("已吊销", Status.REVOKED),
        ("吊销，未注销", Status.REVOKED),
        ("吊销,未注销", Status.REVOKED),
        ("吊销未注销", Status.REVOKED),
        ("吊销（未注销）", Status.REVOKED),
        (" 吊销 ，未注销 ", Status.REVOKED),
        ("迁出", Status.MOVED_OUT),
        ("已迁出", Status.MOVED_OUT),
        ("moved_out", Status.MOVED_OUT),
        ("存续(在营,开业,在册)", Status.OPERATING),  # the same leniency for the old spellings
        ("迁入", None),  # moved in: a status nobody guesses
    ],
)
def test_registry_spellings_of_the_closed_statuses(text: str, status: Status | None) -> None:
    assert status_of(text) is status


def test_check_reads_the_chinese_spelling_too() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "fangfei_screen", "check", "--name", "某投资有限公司", "--kind", "existing", "--status", "吊销未注销"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0 and CLOSED["revoked"] in proc.stdout, proc.stdout + proc.stderr
