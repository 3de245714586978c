"""Every help text a clerk reads on the command line says it in Chinese (a trial found
serve, keywords, users and half of ledger's sub-commands explained in English only)."""

from __future__ import annotations

import argparse
import re

from fangfei_screen.cli import build_parser

_CJK = re.compile(r"[\u4e00-\u9fff]")


def _english_only(parser: argparse.ArgumentParser, path: str) -> list[str]:
    found = []
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
