"""Load the HTTP check on loopback for a bounded time.

    .venv/bin/python benchmarks/http_load.py [--seconds 15] [--clients 50] [--url http://127.0.0.1:PORT]
    .venv/bin/python benchmarks/http_load.py --mix [--seconds 20] [--large-clients 3]

Default: 50 concurrent keep-alive clients post small checks as fast as they can; prints
requests/s and p50/p99 latency (the aim: at least 1,000 checks/s with p99 under 50 ms).

``--mix``: paced small checks (``--small-clients`` clients, one request every
``--pace`` seconds each) and a /healthz probe run twice: first alone, then while
``--large-clients`` clients send the largest requests the service takes — a ~996 KB
single check (one scope of listed words) and a ~990 KB batch of 1,000 applications
dense with listed words — one after another. Prints p50/p99 of the small checks and
of /healthz in both phases, and what the large requests got.

Without --url it starts `fangfei-screen serve` on a free loopback port (one uvicorn
worker) and stops it afterwards. The client is raw asyncio HTTP/1.1, so that it takes
as little of the shared CPU as it can. Only loopback addresses are accepted; every
loop ends at its deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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
BODY_LIMIT = 1_000_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def large_bodies() -> list[tuple[str, str, bytes]]:
    """(label, path, body): the largest single check and batch under the body limit."""
    single = json.dumps({"name": "某投资有限公司", "scope": "投资" * 165_900}, ensure_ascii=False).encode()
    app = {"name": "某投资有限公司", "scope": "投资" * 150}
    batch = json.dumps({"applications": {f"a{i}": app for i in range(1000)}}, ensure_ascii=False).encode()
    assert len(single) <= BODY_LIMIT and len(batch) <= BODY_LIMIT, (len(single), len(batch))
    return [("single", "/v1/check", single), ("batch", "/v1/check/batch", batch)]


async def request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, method: str, path: str,
                  body: bytes = b"") -> int:
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
    if method == "POST":
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    writer.write((head + "\r\n").encode() + body)
    await writer.drain()
    response_head = await reader.readuntil(b"\r\n\r\n")
    status = int(response_head.split(b" ", 2)[1])
    length = next(
        (int(line.split(b":")[1]) for line in response_head.split(b"\r\n") if line.lower().startswith(b"content-length")), 0
    )
    await reader.readexactly(length)
    return status


async def client(host: str, port: int, bodies: list[bytes], deadline: float, latencies: list[float], errors: list[str]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    rng = random.Random(id(latencies) ^ port)
    try:
        while time.perf_counter() < deadline:
            body = rng.choice(bodies)
            t0 = time.perf_counter()
            status = await request(reader, writer, host, "POST", "/v1/check", body)
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


async def paced(host: str, port: int, method: str, path: str, bodies: list[bytes], pace: float, deadline: float,
                latencies: list[float], errors: list[str], seed: int) -> None:
    """One keep-alive client sending a request every ``pace`` seconds until ``deadline``.

    A connection the server drops counts as an error (with the time it took), and the
    client connects again."""
    rng = random.Random(seed)
    await asyncio.sleep(rng.uniform(0, pace))
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            try:
                status = await request(reader, writer, host, method, path, rng.choice(bodies))
            except (asyncio.IncompleteReadError, ConnectionError):
                errors.append("connection dropped")
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                status = 0
            took = time.perf_counter() - t0
            latencies.append(took)
            if status not in (0, 200):
                errors.append(str(status))
            await asyncio.sleep(max(0.0, pace - took))
    finally:
        writer.close()


async def heavy(host: str, port: int, deadline: float, seed: int, outcomes: list[tuple[str, int, float]]) -> None:
    """One client sending large requests back to back until ``deadline``."""
    reader, writer = await asyncio.open_connection(host, port)
    kinds = large_bodies()
    i = seed
    try:
        while time.perf_counter() < deadline:
            label, path, body = kinds[i % len(kinds)]
            i += 1
            t0 = time.perf_counter()
            try:
                status = await request(reader, writer, host, "POST", path, body)
            except (asyncio.IncompleteReadError, ConnectionError):
                status = 0  # dropped by the server
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
            outcomes.append((label, status, time.perf_counter() - t0))
    finally:
        writer.close()


def _p(latencies: list[float], q: float) -> float:
    ordered = sorted(latencies)
    return ordered[max(0, int(len(ordered) * q) - 1)] * 1000


async def mixed_phase(host: str, port: int, args: argparse.Namespace, large_clients: int) -> dict[str, object]:
    small_bodies = [json.dumps(a, ensure_ascii=False).encode() for a in APPLICATIONS]
    small: list[float] = []
    health: list[float] = []
    errors: list[str] = []
    outcomes: list[tuple[str, int, float]] = []
    deadline = time.perf_counter() + args.seconds
    tasks = [paced(host, port, "POST", "/v1/check", small_bodies, args.pace, deadline, small, errors, n)
             for n in range(args.small_clients)]
    tasks.append(paced(host, port, "GET", "/healthz", [b""], args.pace, deadline, health, errors, 999))
    tasks += [heavy(host, port, deadline, n, outcomes) for n in range(large_clients)]
    # a stalled server must not hang the benchmark: allow the slowest large request to finish, then stop
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=args.seconds + 180)
    return {"small": small, "health": health, "errors": errors, "large": outcomes}


def _cpu_seconds(pid: int | None) -> float:
    """CPU time the server process has used (a figure the shared machine's load does not inflate much)."""
    if pid is None:
        return float("nan")
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def run_mix(host: str, port: int, args: argparse.Namespace, server_pid: int | None) -> None:
    asyncio.run(drive(host, port, 4, args.warmup))
    rows = []
    for label, n_large in (("small only", 0), (f"with {args.large_clients} large clients", args.large_clients)):
        cpu0 = _cpu_seconds(server_pid)
        r = asyncio.run(mixed_phase(host, port, args, n_large))
        cpu = _cpu_seconds(server_pid) - cpu0
        small, health, large = r["small"], r["health"], r["large"]
        assert isinstance(small, list) and isinstance(health, list) and isinstance(large, list)
        large_desc = ", ".join(
            f"{kind}: {sum(1 for k, _, _ in large if k == kind)}× "
            f"status {sorted({s for k, s, _ in large if k == kind})} "
            f"median {statistics.median([t for k, _, t in large if k == kind]):.2f} s"
            for kind in ("single", "batch") if any(k == kind for k, _, _ in large)
        ) or "–"
        rows.append(
            f"| {label} | {len(small)} | {statistics.median(small) * 1000:.1f} | {_p(small, 0.99):.1f} | "
            f"{max(small) * 1000:.0f} | {len(health)} | {statistics.median(health) * 1000:.1f} | {_p(health, 0.99):.1f} | "
            f"{len(r['errors'])} | {cpu:.1f} | {large_desc} |"  # type: ignore[arg-type]
        )
    print(f"small clients {args.small_clients} (one request per {args.pace * 1000:.0f} ms each) + /healthz probe, "
          f"{args.seconds:.0f} s per phase")
    print(f"load average at the end: {' / '.join(f'{x:.1f}' for x in os.getloadavg())} (1/5/15 min)")
    print("| phase | small checks | p50 ms | p99 ms | max ms | /healthz | p50 ms | p99 ms | failed (non-200 or dropped) "
          "| server CPU s | large requests |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    print("\n".join(rows))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="a running service on loopback; default: start one")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--mix", action="store_true", help="small checks and /healthz alone, then beside large requests")
    ap.add_argument("--small-clients", type=int, default=10)
    ap.add_argument("--pace", type=float, default=0.05, help="seconds between one small client's requests")
    ap.add_argument("--large-clients", type=int, default=3)
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
        if args.mix:
            run_mix(host, port, args, server.pid if server is not None else None)
            return 0
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
