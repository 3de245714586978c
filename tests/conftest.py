from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fangfei_screen import Screener

from .tools import require_tools
from .web_helpers import launch_chromium

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs_tools(*programs): skip without these programs, fail under CI=true")


def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers("needs_tools"):
        require_tools(*mark.args)


@pytest.fixture(scope="session")
def screener() -> Screener:
    return Screener()


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright, one per test module (skips without it, fails under CI)."""
    pw, b = launch_chromium()
    yield b
    b.close()
    pw.stop()
