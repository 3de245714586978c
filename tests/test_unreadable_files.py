"""Issue 19 part 2: every reader error is one line in Chinese on the command line and a
message on the page, never a traceback or a 500 — random bytes and bare CR bytes under
every suffix the readers take, through `scan` and through the pages' upload and preview."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fangfei_screen.cli import main
from fangfei_screen.readers import READ_SUFFIXES

from .web_helpers import Server, add_user, sign_in, start_server


def _contents() -> dict[str, bytes]:
    rng = random.Random(19)
    return {
        "random": bytes(rng.randrange(256) for _ in range(6000)),
        "random-small": bytes(rng.randrange(256) for _ in range(7)),
        "bare-cr": b"\r" * 3000,
        # a header, then records whose lines end in CR with one CR inside a field
        "cr-lines": "企业名称,经营范围\r某某投资有限公司,投资\r\r咨询\r".encode("gb18030") + bytes(rng.randrange(256) for _ in range(300)),
        "random-with-crlf": b"\r\n".join(bytes(rng.randrange(256) for _ in range(80)) for _ in range(50)),
    }


CONTENTS = _contents()


@pytest.mark.parametrize("suffix", READ_SUFFIXES)
def test_scan_says_one_line_for_any_bytes(tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]) -> None:
    for label, data in CONTENTS.items():
        src = tmp_path / f"{label}{suffix}"
        src.write_bytes(data)
        out = tmp_path / f"{label}-out.csv"
        code = main(["scan", str(src), "-o", str(out)])
        err = capsys.readouterr().err
        assert "Traceback" not in err
        if code == 0:  # read as rows (each in error or screened): the output is whole
            assert out.is_file()
            continue
        assert code == 2, (label, err)
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1, (label, err)
        assert re.search(r"[\u4e00-\u9fff]", lines[0]), lines[0]  # said in Chinese
        assert "fangfei-utf8-" not in lines[0]  # the user's file is named, not a copy of it


def test_scan_in_a_terminal_on_random_bytes(tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    src.write_bytes(CONTENTS["random"])
    done = subprocess.run(["script", "-qec", f"{sys.executable} -m fangfei_screen scan {src} -o {tmp_path / 'o.csv'}", "/dev/null"],
                          capture_output=True, text=True, errors="replace")
    assert "Traceback" not in done.stdout + done.stderr
    assert "fangfei-screen scan:" in done.stdout


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    tmp = tmp_path_factory.mktemp("unreadable")
    db = f"sqlite:///{tmp / 'ledger.db'}"
    clerk = add_user(db, "张三", "城关镇", "clerk")
    for s in start_server(env={"FANGFEI_DB": db, "FANGFEI_WEB_JOBS_DIR": str(tmp / "jobs")}):
        yield s, clerk


@pytest.mark.parametrize("suffix", READ_SUFFIXES)
def test_the_pages_say_what_is_wrong_with_any_bytes(served: tuple[Server, str], suffix: str) -> None:
    server, clerk = served
    with httpx.Client(base_url=server.url, timeout=60) as client:
        assert sign_in(client, clerk).status_code == 303
        for label, data in CONTENTS.items():
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/bulk").text).group(1)
            r = client.post("/bulk/upload", data={"csrf_token": token}, files={"registry": (f"{label}{suffix}", data)})
            assert r.status_code == 303
            where = r.headers["location"]
            page = client.get(where)
            assert page.status_code == 200, (label, page.text[-1000:])
            assert "Traceback" not in page.text
            if where.startswith("/bulk?error="):
                assert "只能上传主体名单文件" in page.text
                continue
            # a preview that says what it could not read, or a table to correct
            assert ("无法读取这个文件" in page.text or "没有找到" in page.text or 'name="col-name"' in page.text), page.text[-1500:]
            r = client.post(where + "/start", data={"csrf_token": token, "kind": "existing", "col-name": "企业名称"})
            assert r.status_code in (200, 303) and "Traceback" not in r.text
            for _ in range(300):
                shown = client.get(where)
                assert shown.status_code == 200
                if 'id="progress-title"' not in shown.text:
                    break
    assert server.proc.poll() is None
