"""Every help text a clerk reads on the command line says it in Chinese (a trial found
serve, keywords, users and half of ledger's sub-commands explained in English only)."""

from __future__ import annotations

import argparse
import re

import pytest

from fangfei_screen.cli import build_parser, main

_HAN = re.compile(r"[\u4e00-\u9fff]")
_ENGLISH_FIRST = re.compile(r"^[A-Za-z]+,? [a-z]+")  # "the listed term, e.g. 积分": English with a Chinese example


class _Chinese:
    """Help that explains in Chinese first: Han characters, and not an English phrase leading."""

    @staticmethod
    def search(text: str) -> bool:
        return bool(_HAN.search(text)) and not _ENGLISH_FIRST.match(text)


_CJK = _Chinese()


def _english_only(parser: argparse.ArgumentParser, path: str) -> list[str]:
    found = [f"{path} (description): {parser.description}"] if parser.description and not _CJK.search(parser.description) else []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found += [f"{path} {c.dest}: {c.help}" for c in action._choices_actions if c.help and not _CJK.search(c.help)]
            for name, sub in action.choices.items():
                found += _english_only(sub, f"{path} {name}")
        elif isinstance(action, argparse._HelpAction):
            continue  # argparse's own -h line
        elif action.help and action.help != argparse.SUPPRESS and not _CJK.search(action.help):
            found.append(f"{path} {'/'.join(action.option_strings) or action.dest}: {action.help}")
    return found


def test_every_command_and_option_is_explained_in_chinese() -> None:
    parser = build_parser()
    assert _english_only(parser, "fangfei-screen") == []
    # the walk reaches the nested commands (a walk that saw nothing would pass vacuously)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert {"scan", "ledger", "serve", "checks"} <= set(sub.choices)


def test_a_wrong_command_line_is_told_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    for argv, said in ((["scan", "x.csv"], "缺少必需的参数：-o/--output"),
                       (["scan", "x.csv", "-o", "y.csv", "--kind", "foo"], "参数 --kind 的值 'foo' 无效"),
                       (["scan", "x.csv", "-o", "y.csv", "--jobs", "two"], "参数 --jobs 的值 'two' 无效"),
                       (["keywords", "show", "--bogus"], "无法识别的参数")):
        with pytest.raises(SystemExit) as stopped:
            main(argv)
        err = capsys.readouterr().err
        assert stopped.value.code == 2 and said in err and "Traceback" not in err, (argv, err)
    with pytest.raises(SystemExit):
        main(["scan", "--help"])
    assert "显示本帮助后退出" in capsys.readouterr().out


def test_a_misspelt_name_column_names_the_header_s_columns(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    # a trial: with the header in row 3, --name-col 名称不存在 listed the title row's cells as "the columns"
    src = tmp_path / "名录.csv"
    src.write_text("固镇县市场主体名录（2025年6月）,,\r\n填报单位：城关镇,,\r\n统一社会信用代码,企业名称,经营范围\r\n"
                   "91340323MA2N0XXX1X,固镇县鑫源投资管理有限公司,投资咨询\r\n", encoding="gbk")
    assert main(["scan", str(src), "-o", str(tmp_path / "o.csv"), "--name-col", "名称不存在"]) == 2
    err = capsys.readouterr().err
    assert "找不到列 '名称不存在'；文件的列：统一社会信用代码、企业名称、经营范围" in err and "名录（2025年6月）" not in err


def test_a_reader_that_stops_early_is_no_traceback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import fcntl
    import os
    import subprocess
    import sys

    # `… | head -1`: the reader goes away after a line; no "Broken pipe:" message, the shell's SIGPIPE status.
    # The pipe holds one page, less than `keywords show` prints (~5 KB), so the output cannot all fit
    # before the reader goes (a 64 KB pipe takes it whole and the program never sees the reader leave).
    read_end, write_end = os.pipe()
    fcntl.fcntl(read_end, fcntl.F_SETPIPE_SZ, 4096)
    proc = subprocess.Popen([sys.executable, "-m", "fangfei_screen", "keywords", "show"], stdout=write_end,
                            stderr=subprocess.PIPE, cwd=tmp_path)
    os.close(write_end)
    assert os.read(read_end, 16)  # the first bytes of the table, then the reader leaves
    os.close(read_end)
    err = proc.stderr.read().decode() if proc.stderr else ""
    assert proc.wait(timeout=60) == 141 and "Broken pipe" not in err and "Traceback" not in err, err
