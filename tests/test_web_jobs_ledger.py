"""Issue 19, part 5: bulk jobs, their queue and the sign-in limit in the ledger database,
shared by every worker of `serve` and by every `serve` on one ledger. The queue and the
failure counts on real databases (SQLite and PostgreSQL); then real servers on loopback:
a worker killed with SIGKILL, a restart, `serve --workers 2` with the record's options."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from fangfei_screen.ledger import Ledger
from fangfei_screen.ledger.jobs import (
    add_failure, add_job, claim_next, failures_of, get_job, mark_interrupted, renew_leases, worker_id,
)
from fangfei_screen.web.auth import FailureLimit

from .ledger_db import db_url  # noqa: F401 - the fixture
from .serving import Server
from .test_web_workers import _big_registry
from .web_helpers import add_user, sign_in

LEASE = 30.0


def _job(job_id: str, *, state: str = "queued", at: float, **extra: object) -> dict[str, object]:
    return {"id": job_id, "owner": "张三", "unit": "城关镇", "original_name": "名单.csv", "suffix": ".csv", "size": 1,
            "sha256": "0" * 64, "state": state, "created": at, "queued": at, **extra}


def test_each_queued_job_is_taken_by_one_worker_only_in_queue_order(db_url: str) -> None:
    ledger = Ledger.open(db_url)
    others = Ledger.open(db_url)  # a second process's own connections
    try:
        t = time.time()
        ids = [f"{i:032x}" for i in range(12)]
        for i, job_id in enumerate(ids):
            add_job(ledger, _job(job_id, at=t + i))
        taken: dict[str, list[str]] = {"a": [], "b": []}

        def take(name: str, led: Ledger) -> None:
            while (job := claim_next(led, worker=f"host|boot|{name}|x", now=time.time(), at_once=100,
                                     lease_seconds=LEASE)) is not None:
                taken[name].append(str(job["id"]))

        workers = [threading.Thread(target=take, args=("a", ledger)), threading.Thread(target=take, args=("b", others))]
        for w in workers:
            w.start()
        for w in workers:
            w.join(120)
        assert sorted(taken["a"] + taken["b"]) == ids  # every job once, none twice
        assert not set(taken["a"]) & set(taken["b"])
        assert taken["a"] == sorted(taken["a"]) and taken["b"] == sorted(taken["b"])  # oldest first
        # at most `at_once` run on the ledger: 12 run now, so a 13th waits
        add_job(ledger, _job("f" * 32, at=t + 20))
        assert claim_next(ledger, worker="host|boot|c|x", now=time.time(), at_once=12, lease_seconds=LEASE) is None
        assert get_job(ledger, "f" * 32)["state"] == "queued"  # type: ignore[index]
        assert claim_next(ledger, worker="host|boot|c|x", now=time.time(), at_once=13, lease_seconds=LEASE)["id"] == "f" * 32  # type: ignore[index]
    finally:
        ledger.dispose()
        others.dispose()


def test_only_a_job_whose_worker_died_is_called_interrupted(db_url: str) -> None:
    ledger = Ledger.open(db_url)
    me = worker_id()
    host, boot, _, _ = me.split("|")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        now = time.time()
        jobs = {
            "dead": f"{host}|{boot}|{dead.pid}|aaaa",  # a process of this machine that is gone
            "alive": f"{host}|{boot}|{alive.pid}|bbbb",  # another serve, still running, lease fresh
            "far": "elsewhere|other-boot|12345|cccc",  # another machine's worker, lease fresh
            "stale": "elsewhere|other-boot|12346|dddd",  # another machine's worker that stopped renewing
        }
        for i, (name, worker) in enumerate(jobs.items()):
            add_job(ledger, _job(name.ljust(32, "0"), state="running", at=now + i, worker=worker,
                                 lease=now - 60 if name == "stale" else now))
        marked = mark_interrupted(ledger, me=me, now=time.time(), lease_seconds=LEASE, message="中断")
        assert sorted(m.rstrip("0") for m in marked) == ["dead", "stale"]
        for name in ("alive", "far"):
            assert get_job(ledger, name.ljust(32, "0"))["state"] == "running"  # type: ignore[index]
        got = get_job(ledger, "dead".ljust(32, "0"))
        assert got is not None and got["state"] == "failed" and got["interrupted"] is True
        # a worker that renews keeps its job however long it runs; one of this machine whose lease is
        # held up (another process holds SQLite's write lock for minutes) keeps it while its process lives
        assert renew_leases(ledger, worker=jobs["far"], now=time.time() + 1000) == 1
        assert mark_interrupted(ledger, me=me, now=time.time() + 1010, lease_seconds=LEASE, message="中断") == []
        alive.kill()
        alive.wait()
        assert mark_interrupted(ledger, me=me, now=time.time(), lease_seconds=LEASE, message="中断") == ["alive".ljust(32, "0")]
    finally:
        alive.kill()
        alive.wait()
        ledger.dispose()


def test_sign_in_failures_are_one_count_for_every_worker(db_url: str) -> None:
    first, second = Ledger.open(db_url), Ledger.open(db_url)
    try:
        a, b = FailureLimit(lambda: first), FailureLimit(lambda: second)
        keys = ["addr:127.0.0.1", "id:0123456789ab"]
        now = time.time()
        a.failed(keys, now)
        b.failed(keys, now)
        assert a.wait(keys, now) == 0 and b.wait(keys, now) == 0  # three are free
        a.failed(keys, now)
        assert b.wait(keys, now) == pytest.approx(2.0)  # the other worker sees the third failure
        b.failed(["addr:127.0.0.1"], now)
        assert a.wait(["addr:127.0.0.1"], now) == pytest.approx(4.0)  # and the wait doubles
        assert failures_of(first, keys) == {"addr:127.0.0.1": (4, now), "id:0123456789ab": (3, now)}
        b.succeeded(keys)
        assert a.wait(keys, now) == 0 and failures_of(first, keys) == {}
        add_failure(first, ["addr:x"], now=now - 7200, memory=3600)
        add_failure(first, ["addr:y"], now=now, memory=3600)
        assert failures_of(first, ["addr:x", "addr:y"]) == {"addr:y": (1, now)}  # an hour-old failure is forgotten
    finally:
        first.dispose()
        second.dispose()


# -- real servers --------------------------------------------------------------------


def _token(client: httpx.Client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/bulk").text).group(1)  # type: ignore[union-attr]


def _start_job(client: httpx.Client, content: bytes, name: str = "registry.csv") -> str:
    token = _token(client)
    r = client.post("/bulk/upload", data={"csrf_token": token}, files={"registry": (name, content)})
    assert r.status_code == 303 and r.headers["location"].startswith("/bulk/jobs/"), r.text[:500]
    job = r.headers["location"]
    r = client.post(job + "/start", data={"csrf_token": token, "kind": "existing", "col-name": "企业名称", "col-scope": "经营范围"})
    assert r.status_code == 303
    return job


def _wait_for(client: httpx.Client, job: str, marker: str, *, guard: float = 300) -> str:
    deadline = time.monotonic() + guard  # a hang guard, not a timing
    page = ""
    while time.monotonic() < deadline:
        page = client.get(job).text
        if marker in page:
            return page
        time.sleep(0.3)
    raise AssertionError(f"{marker!r} never shown: {page[-1500:]}")


def test_a_killed_workers_job_is_interrupted_and_rerun_and_a_restart_keeps_the_queue(tmp_path: Path, db_url: str) -> None:
    clerk = add_user(db_url, "张三", "城关镇", "clerk")
    env = {"FANGFEI_DB": db_url, "FANGFEI_WEB_JOBS_DIR": str(tmp_path / "jobs"), "FANGFEI_WEB_UPLOAD_MB": "200",
           "FANGFEI_WEB_JOBS_AT_ONCE": "1"}
    big = _big_registry(tmp_path / "registry.csv", 600)  # 30,000 rows: seconds of screening, still running when killed
    small = _big_registry(tmp_path / "small.csv", 2)
    first = Server(env=env)
    try:
        with httpx.Client(base_url=first.url, timeout=60) as a:
            assert sign_in(a, clerk).status_code == 303
            running = _start_job(a, big)
            _wait_for(a, running, "正在筛查")
            waiting = _start_job(a, small, "small.csv")  # one at a time on the ledger: it waits
            assert "排队中" in a.get(waiting).text
    finally:
        first.proc.kill()  # SIGKILL: no clean-up, no last word
        first.proc.communicate()
    second = Server(env=env)
    try:
        with httpx.Client(base_url=second.url, timeout=60) as b:
            assert sign_in(b, clerk).status_code == 303  # the session is the ledger's too
            page = b.get(running).text
            assert "job-failed" in page and "筛查被中断" in page and 'id="rerun"' in page
            # the queue survived the restart: the waiting job runs in the new process
            _wait_for(b, waiting, "done-text")
            token = _token(b)
            r = b.post(running + "/rerun", data={"csrf_token": token})
            assert r.status_code == 303
            assert "中断" not in b.get(running).text
            page = _wait_for(b, running, "done-text")
            assert "共 30,000 行" in page
            assert b.post(running + "/rerun", data={"csrf_token": token}).status_code == 303  # done: nothing to rerun
            assert "done-text" in b.get(running).text
    finally:
        assert "Traceback" not in second.stop()


def _keys_add(db: str) -> str:
    done = subprocess.run([sys.executable, "-m", "fangfei_screen", "keys", "add", "--system", "名称自主申报系统",
                           "--unit", "城关镇", "--db", db], capture_output=True, text=True, check=True)
    return re.search(r"ffk_[0-9a-f]{12}_[A-Za-z0-9_-]+", done.stdout).group(0)  # type: ignore[union-attr]


def test_two_workers_take_the_record_options_and_share_one_sign_in_limit(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    add_user(db, "张三", "城关镇", "clerk")
    key = _keys_add(db)
    # $FANGFEI_DB points elsewhere: the workers must use --db
    env = {"FANGFEI_DB": f"sqlite:///{tmp_path / 'elsewhere.db'}", "FANGFEI_WEB_JOBS_DIR": str(tmp_path / "jobs")}
    server = Server("--workers", "2", "--db", db, "--no-record-text", "--require-keys", "--key-rate", "1000/minute",
                    "--log-json", env=env)
    try:
        body = {"name": "固镇县鑫源投资管理有限公司", "scope": "以自有资金从事投资活动"}
        for _ in range(6):  # a new connection each time: either worker answers
            assert httpx.post(f"{server.url}/v1/check", json=body, timeout=60).status_code == 401  # --require-keys
        ids = []
        for _ in range(6):
            r = httpx.post(f"{server.url}/v1/check", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=60)
            assert r.status_code == 200 and r.json()["check_id"]
            ids.append(r.json()["check_id"])
        # the pages' users are those of --db too, and sign-in failures are one count for both workers
        bad = "ff_0123456789ab_" + "x" * 43
        answers: list[int] = []
        for _ in range(8):
            with httpx.Client(base_url=server.url, timeout=60) as c:
                answers.append(sign_in(c, bad).status_code)
        assert answers[:3] == [200, 200, 200] and answers[3] == 429, answers
    finally:
        err = server.stop()
    assert "Traceback" not in err
    assert not (tmp_path / "elsewhere.db").exists()
    led = Ledger.open(db)
    try:
        from sqlalchemy import text

        with led.reading() as conn:
            rows = conn.execute(text("SELECT id, input, caller_kind FROM checks")).all()
            failures = dict(conn.execute(text("SELECT key, count FROM sign_in_failures")).all())
    finally:
        led.dispose()
    assert sorted(r[0] for r in rows) == sorted(ids) and all(r[1] is None and r[2] == "key" for r in rows)  # --no-record-text
    # one count for both workers: each try let through (200) is one failure, whichever worker took it
    assert failures.get("id:0123456789ab") == answers.count(200) == failures.get("addr:127.0.0.1")
    logged = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert {x["event"] for x in logged} >= {"request"}  # --log-json in the workers
