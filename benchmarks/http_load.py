"""Load the HTTP check: 50 concurrent keep-alive clients on loopback for a bounded time.

    .venv/bin/python benchmarks/http_load.py [--seconds 15] [--clients 50] [--url http://127.0.0.1:PORT]

Without --url it starts `fangfei-screen serve` on a free loopback port (one uvicorn
worker) and stops it afterwards. Prints requests/s and p50/p99 latency; the aim is at
least 1,000 checks/s with p99 under 50 ms. The client is raw asyncio HTTP/1.1, so that
it takes as little of the shared CPU as it can. Only loopback addresses are accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import statistics
import subprocess
import sys
import time
from urllib.parse import urlsplit

APPLICATIONS = [
    {"name": "固镇县鑫源商贸有限公司", "scope": "日用百货销售；五金产品零售；家用电器销售"},
    {"name": "固镇县鑫源投资管理有限公司", "scope": "以自有资金从事投资活动；企业管理咨询"},
    {"name": "蚌埠市云牧科技有限公司", "scope": "区块链技术相关软件和服务；数字藏品发行"},
    {"name": "固镇县惠民超市", "scope": "食品销售（不含拍卖）；日用百货销售"},
    {"name": "固镇县诚信用心家电维修部", "scope": "日用电器修理；通信用光缆销售", "kind": "existing"},
    {"name": "固镇县乐龄养老服务有限公司", "scope": "养老服务", "kind": "change", "before_name": "固镇县乐龄养老服务有限公司",
     "before_scope": "养老服务；投资咨询"},
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def client(host: str, port: int, bodies: list[bytes], deadline: float, latencies: list[float], errors: list[str]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    rng = random.Random(id(latencies) ^ port)
    try:
        while time.perf_counter() < deadline:
            body = rng.choice(bodies)
            request = (
                f"POST /v1/check HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            t0 = time.perf_counter()
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - t0)
            if status != 200:
                errors.append(str(status))
    finally:
        writer.close()


async def drive(host: str, port: int, clients: int, seconds: float) -> tuple[list[float], list[str], float]:
    bodies = [json.dumps(a, ensure_ascii=False).encode() for a in APPLICATIONS]
    latencies: list[float] = []
    errors: list[str] = []
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(*(client(host, port, bodies, deadline, latencies, errors) for _ in range(clients)))
    return latencies, errors, time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="a running service on loopback; default: start one")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--warmup", type=float, default=2.0)
    args = ap.parse_args()
    server = None
    if args.url:
        parts = urlsplit(args.url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        if not (host == "localhost" or host.startswith("127.") or host == "::1"):
            sys.exit("only loopback addresses are load-tested")
    else:
        host, port = "127.0.0.1", free_port()
        server = subprocess.Popen([sys.executable, "-m", "fangfei_screen", "serve", "--port", str(port)], stdout=subprocess.DEVNULL)
        for _ in range(300):
            try:
                socket.create_connection((host, port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
    try:
        asyncio.run(drive(host, port, args.clients, args.warmup))
        latencies, errors, elapsed = asyncio.run(drive(host, port, args.clients, args.seconds))
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
    latencies.sort()
    rps = len(latencies) / elapsed
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(f"clients {args.clients}, {elapsed:.1f} s, requests {len(latencies)}, non-200 {len(errors)}")
    print(f"throughput {rps:,.0f} checks/s  p50 {p50:.1f} ms  p99 {p99:.1f} ms")
    print(f"target ≥1,000 checks/s: {'met' if rps >= 1000 else 'NOT met'}; p99 < 50 ms: {'met' if p99 < 50 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
