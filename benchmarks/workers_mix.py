"""Small checks beside heavy work and list reloads, with `serve --workers N` (issue 19).

    .venv/bin/python benchmarks/workers_mix.py [--workers 4] [--seconds 20] [--src DIR]

Starts `fangfei-screen serve` on a free loopback port (``--workers N`` when N > 1; ``--src``
runs another checkout's ``src``, e.g. main's, for a before/after), with a ledger database
and an admin token; then runs ``benchmarks/http_load.py --mix`` against it while a thread
posts ``/v1/keywords/reload`` every ``--reload-every`` seconds. Prints http_load's table and
how many reloads were answered. Loopback only; every loop ends at its deadline.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
TOKEN = "bench-" + "t" * 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--reload-every", type=float, default=3.0)
    ap.add_argument("--src", help="run the service from this src folder instead of the installed one")
    args = ap.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="fangfei-bench-") as tmp:
        env = {**os.environ, "FANGFEI_ADMIN_TOKEN": TOKEN, "FANGFEI_DB": f"sqlite:///{tmp}/ledger.db",
               "FANGFEI_WEB_JOBS_DIR": f"{tmp}/jobs"}
        if args.src:
            env["PYTHONPATH"] = args.src
        subprocess.run([sys.executable, "-m", "fangfei_screen", "users", "add", "赵六", "--unit", "县财政局", "--role", "admin"],
                       env=env, check=True, capture_output=True)
        cmd = [sys.executable, "-m", "fangfei_screen", "serve", "--port", str(port)]
        if args.workers > 1:
            cmd += ["--workers", str(args.workers)]
        server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            time.sleep(3)  # every worker up
            stop = threading.Event()
            reloads: list[int] = []

            def reload_loop() -> None:
                while not stop.wait(args.reload_every):
                    try:
                        r = httpx.post(f"http://127.0.0.1:{port}/v1/keywords/reload",
                                       headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
                        reloads.append(r.status_code)
                    except httpx.TransportError:
                        reloads.append(0)

            t = threading.Thread(target=reload_loop)
            t.start()
            try:
                subprocess.run([sys.executable, str(HERE / "http_load.py"), "--mix", "--seconds", str(args.seconds),
                                "--url", f"http://127.0.0.1:{port}"], check=True)
            finally:
                stop.set()
                t.join()
            print(f"workers {args.workers}; list reloads during the run: {len(reloads)}, "
                  f"answered 200: {sum(1 for c in reloads if c == 200)} (statuses {sorted(set(reloads))}; 0: no answer in 60 s)")
        finally:
            server.terminate()
            try:
                server.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
