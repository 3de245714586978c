"""``fangfei-screen serve`` in a subprocess on a free loopback port, for the service's and the
pages' tests alike."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``fangfei-screen serve`` in a subprocess on a free loopback port."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # the caller's own settings only: nothing of the web's or the admin token leaks in from outside
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("FANGFEI_WEB_") and k != "FANGFEI_ADMIN_TOKEN"}
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "fangfei_screen", "serve", "--port", str(self.port), *args],
            env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.stop()}")

    def stop(self) -> str:
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err


def start_server(*args: str, env: dict[str, str] | None = None) -> Iterator[Server]:
    s = Server(*args, env=env)
    yield s
    err = s.stop()
    assert "Traceback" not in err, err
