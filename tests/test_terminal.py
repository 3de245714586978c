"""The installed console script in a real pseudo-terminal: the paths that run only when
a person sits at the keyboard (progress bars on a tty) are run here too."""

from __future__ import annotations

import fcntl
import os
import struct
import select
import shutil
import subprocess
import sys
import termios
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("fangfei-screen")

pytestmark = pytest.mark.skipif(not SCRIPT.exists() or not hasattr(os, "openpty"), reason="needs the installed script and a pty")


def run_in_pty(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run the console script with stdin, stdout and stderr on one pty; (exit code, all output)."""
    master, slave = os.openpty()
    # a terminal window of 30 × 100, as a person's would be (a new pty has 0 × 0)
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {**os.environ, "COLUMNS": "100", "LINES": "30", "TERM": "xterm"}
    proc = subprocess.Popen([str(SCRIPT), *args], stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env, close_fds=True)
    os.close(slave)
    chunks: list[bytes] = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 120)
            if not ready:
                proc.kill()
                raise AssertionError(f"no output for 120 s from {args}")
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
    code = proc.wait(timeout=120)
    return code, b"".join(chunks).decode("utf-8", "replace")


def test_scan_report_and_check_in_a_terminal(tmp_path: Path, root: Path) -> None:
    src = tmp_path / "entities.csv"
    shutil.copy(root / "data" / "samples" / "entities.csv", src)
    for out in ("out.csv", "out.xlsx"):
        code, text = run_in_pty(["scan", str(src), "-o", out, "--as-of", "2025-06-30"], tmp_path)
        assert code == 0, text
        assert "Traceback" not in text and "读取行数 rows: 50" in text
        assert "筛查" in text  # the progress bar's label, drawn on the terminal
        assert (tmp_path / out).stat().st_size > 0
    code, text = run_in_pty(
        ["report", "out.csv", "--month", "2025-06", "--unit", "固镇县市场监督管理局", "-o", "r.xlsx"], tmp_path
    )
    assert code == 0, text
    assert "Traceback" not in text and "条线索" in text and (tmp_path / "r.xlsx").is_file()
    code, text = run_in_pty(["check", "--name", "固镇县鑫源投资管理有限公司", "--scope", "投资咨询"], tmp_path)
    assert code == 1, text
    assert "禁止" in text or "block" in text
    code, text = run_in_pty(["check", "--name", "固镇县惠民商贸有限公司", "--scope", "日用百货销售"], tmp_path)
    assert code == 0, text
    code, text = run_in_pty(["scan", "missing.csv", "-o", "x.csv"], tmp_path)
    assert code == 2 and "Traceback" not in text and "no such file" in text
