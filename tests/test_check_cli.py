"""`check` at the registration desk: bad input is exit 2, and it takes the registry's
own spellings through the same value parsers as `scan`."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from fangfei_screen.cli import main
from fangfei_screen.models import EntityType, Status
from fangfei_screen.values import entity_type_of, parse_date, status_of


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fangfei_screen", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", ["", "   ", "\t"])
def test_an_empty_name_is_bad_input(name: str) -> None:
    proc = run("check", "--name", name, "--scope", "投资咨询")
    assert proc.returncode == 2
    assert "名称" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "status,entity_type,established,suspended",
    [
        ("停业", "有限责任公司", "2019/4/1", "2024年6月1日"),
        ("suspended", "company", "2019-04-01", "20240601"),
    ],
)
def test_check_takes_the_spellings_scan_takes(status: str, entity_type: str, established: str, suspended: str) -> None:
    args = ["check", "--name", "固镇县鑫源投资管理有限公司", "--kind", "existing", "--as-of", "2025-06-30",
            "--status", status, "--entity-type", entity_type, "--established-on", established, "--suspended-since", suspended]
    assert main(args) == 3  # follow-up: suspended over six months → propose revocation


def test_check_and_scan_agree_on_every_spelling(tmp_path: Path) -> None:
    spellings = [("未开业", "个体工商户", "2024/6/1"), ("停业", "农民专业合作社", "2019年4月1日"), ("存续", "有限责任公司", "43497")]
    src = tmp_path / "in.csv"
    pd.DataFrame({"企业名称": ["固镇县某投资店"] * 3, "登记状态": [s for s, _, _ in spellings],
                  "企业类型": [t for _, t, _ in spellings], "成立日期": [d for _, _, d in spellings],
                  "停业日期": ["2024-01-01"] * 3}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    assert main(["scan", str(src), "-o", str(out), "--as-of", "2025-06-30"]) == 0
    scanned = list(pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")["action"])
    exit_of = {"pass": 0, "block": 1, "order_rename": 3, "propose_revocation": 3}
    for (status, kind, day), action in zip(spellings, scanned):
        code = main(["check", "--name", "固镇县某投资店", "--kind", "existing", "--as-of", "2025-06-30", "--status", status,
                     "--entity-type", kind, "--established-on", day, "--suspended-since", "2024-01-01"])
        assert code == exit_of[action], (status, kind, day, action)
    assert status_of("停业") is Status.SUSPENDED and entity_type_of("个体工商户") is EntityType.INDIVIDUAL
    assert parse_date("2024年6月1日") == parse_date("2024/6/1") == parse_date("20240601") == date(2024, 6, 1)
    assert parse_date("43497") == date(2019, 2, 1)


@pytest.mark.parametrize("option,value", [("--status", "半死不活"), ("--established-on", "去年"), ("--as-of", "2025-02-30")])
def test_check_refuses_values_it_cannot_read(option: str, value: str) -> None:
    proc = run("check", "--name", "某公司", "--kind", "existing", option, value)
    assert proc.returncode == 2 and value in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("command", ["check", "scan", "report", "rescreen"])
def test_help_texts_are_chinese_with_english(command: str) -> None:
    proc = run(command, "--help")
    assert proc.returncode == 0
    text = proc.stdout
    options = [line for line in text.splitlines() if line.strip().startswith("--") and "help" not in line]
    assert options
    for line in text.split("\n  -")[1:]:  # every option's help names it in both languages
        if line.startswith(("h, --help", "-ledger", "-attachment", "-db")):  # help; the ledger's own options, worded there
            continue
        assert any("\u4e00" <= ch <= "\u9fff" for ch in line) and any("a" <= ch <= "z" for ch in line.split(" ", 1)[-1]), line
    if command in ("check", "scan"):
        assert "设立登记" in text and "变更登记" in text and "存量主体" in text


def test_a_reader_that_stops_early_keeps_the_action_s_exit_code() -> None:
    """`check … | head -1`: the registration system reads the exit code, so a closed pipe is
    not bad input (exit 2) but still the action's code (1: block)."""
    scope = "投资；" * 6000  # far more than one pipe buffer of output
    proc = subprocess.Popen([sys.executable, "-m", "fangfei_screen", "check", "--name", "某公司", "--scope", scope],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline().decode("utf-8")
    proc.stdout.close()  # as head does after its line
    err = proc.stderr.read().decode("utf-8")
    assert proc.wait(timeout=120) == 1, err
    assert "不予登记" in first and "Broken pipe" not in err and "Traceback" not in err
