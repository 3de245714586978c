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
