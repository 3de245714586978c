from __future__ import annotations

from pathlib import Path

import pytest

from fangfei_screen import Screener

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def screener() -> Screener:
    return Screener()


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
