"""An argparse parser that tells a wrong command line in Chinese (argparse's own messages
are English): the usage line, then one line saying what is wrong, exit code 2."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any, NoReturn

# argparse's messages (Python 3.11-3.13) and how a clerk reads them
_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^the following arguments are required: (.+)$"), "缺少必需的参数：{0}"),
    (re.compile(r"^argument (.+?): invalid choice: (.+?) \(choose from (.+)\)$"), "参数 {0} 的值 {1} 无效，可选：{2}"),
    (re.compile(r"^argument (.+?): invalid (\w+) value: (.+)$"), "参数 {0} 的值 {2} 无效（应为 {1}）"),
    (re.compile(r"^argument (.+?): expected one argument$"), "参数 {0} 后面需要一个值"),
    (re.compile(r"^argument (.+?): expected at least one argument$"), "参数 {0} 后面至少需要一个值"),
    (re.compile(r"^argument (.+?): not allowed with argument (.+)$"), "参数 {0} 不能与 {1} 同时使用"),
    (re.compile(r"^argument (.+?): ignored explicit argument (.+)$"), "参数 {0} 不带值，却给了 {1}"),
    (re.compile(r"^unrecognized arguments: (.+)$"), "无法识别的参数：{0}"),
    (re.compile(r"^one of the arguments (.+) is required$"), "须给出以下参数之一：{0}"),
    (re.compile(r"^ambiguous option: (.+?) could match (.+)$"), "参数 {0} 不明确，可能是：{1}"),
)


def in_chinese(message: str) -> str:
    """argparse's English message as a clerk reads it (unknown ones are kept as they are)."""
    for pattern, chinese in _MESSAGES:
        m = pattern.match(message)
        if m:
            return chinese.format(*m.groups())
    return message


class ChineseArgumentParser(argparse.ArgumentParser):
    """argparse.ArgumentParser whose errors and -h line are in Chinese (with the English after)."""

    def __init__(self, *args: Any, add_help: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, add_help=False, **kwargs)
        if add_help:
            self.add_argument("-h", "--help", action="help", default=argparse.SUPPRESS,
                              help="显示本帮助后退出 / show this help and exit")

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: 错误：{in_chinese(message)} / {message}\n")
