"""Issue 19: several workers and restarts. `serve --workers N` shares the sessions (in the
ledger database), a reload reaches every worker, and a second `serve` on the same ledger
and jobs folder never takes another's running job for an interrupted one. Real servers
on loopback, users from the real `users add`, a registry file written as exports are."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx

from fangfei_screen import bundled_list_path

from .web_helpers import ROOT, Server, add_user, sign_in

SAMPLE = ROOT / "data" / "samples" / "entities.csv"
ADMIN_TOKEN = "t" * 40


def _fresh(server: Server, path: str, **kw: object) -> httpx.Response:
    # a new connection each time: the kernel hands it to any of the workers
    with httpx.Client(base_url=server.url, timeout=30, **kw) as c:  # type: ignore[arg-type]
        return c.get(path)


def test_workers_share_sessions_and_follow_a_reload(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    admin = add_user(db, "赵六", "县财政局", "admin")
    listfile = tmp_path / "keywords.yaml"
    listfile.write_text(bundled_list_path().read_text(encoding="utf-8"), encoding="utf-8")
    server = Server("--workers", "3", "--list", str(listfile),
                    env={"FANGFEI_DB": db, "FANGFEI_WEB_JOBS_DIR": str(tmp_path / "jobs"), "FANGFEI_ADMIN_TOKEN": ADMIN_TOKEN})
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            assert sign_in(client, admin).status_code == 303
            sid = client.cookies.get("ff_session")
        for _ in range(24):
            r = _fresh(server, "/ledger", cookies={"ff_session": sid})
            assert r.status_code == 200 and "赵六" in r.text  # signed in whichever worker answers
        text = re.sub(r'(?m)^version: .*$', 'version: "2099-02-02"', listfile.read_text(encoding="utf-8"), count=1)
        listfile.write_text(text, encoding="utf-8")
        r = httpx.post(server.url + "/v1/keywords/reload", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=60)
        assert r.status_code == 200 and r.json()["list_version"] == "2099-02-02"
        sha = r.json()["list_sha256"]
        deadline = time.monotonic() + 30
        seen: list[str] = []
        while time.monotonic() < deadline:
            seen = [_fresh(server, "/healthz").json()["list_sha256"] for _ in range(12)]
            if set(seen) == {sha}:
                break
            time.sleep(0.5)
        assert set(seen) == {sha}  # every worker serves the reloaded list
    finally:
        err = server.stop()
    assert "Traceback" not in err
    from fangfei_screen.ledger import Ledger
    from fangfei_screen.ledger.sessions import list_in_use

    led = Ledger.open(db)
    try:
        used = list_in_use(led)
    finally:
        led.dispose()
    assert used is not None and used.list_version == "2099-02-02" and used.list_sha256 == sha
    assert used.by == "POST /v1/keywords/reload"


def _big_registry(path: Path, copies: int) -> bytes:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(header + "\r\n")
        for i in range(copies):
            for row in rows:
                code, rest = row.split(",", 1)
                f.write(f"{code[:-6]}{i % 1_000_000:06d},{rest}\r\n")
    return path.read_bytes()


def test_a_second_serve_does_not_call_a_running_job_interrupted(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    clerk = add_user(db, "张三", "城关镇", "clerk")
    env = {"FANGFEI_DB": db, "FANGFEI_WEB_JOBS_DIR": str(tmp_path / "jobs"), "FANGFEI_WEB_UPLOAD_MB": "200"}
    content = _big_registry(tmp_path / "registry.csv", 4_000)  # 200,000 rows: long enough to watch
    first, second = Server(env=env), Server(env=env)
    try:
        with httpx.Client(base_url=first.url, timeout=60) as a, httpx.Client(base_url=second.url, timeout=60) as b:
            assert sign_in(a, clerk).status_code == 303
            assert sign_in(b, clerk).status_code == 303
            token = re.search(r'name="csrf_token" value="([^"]+)"', a.get("/bulk").text).group(1)
            r = a.post("/bulk/upload", data={"csrf_token": token}, files={"registry": ("registry.csv", content)})
            assert r.status_code == 303 and r.headers["location"].startswith("/bulk/jobs/")
            job = r.headers["location"]
            r = a.post(job + "/start", data={"csrf_token": token, "kind": "existing", "col-name": "企业名称",
                                             "col-scope": "经营范围"})
            assert r.status_code == 303
            watched = 0
            for _ in range(40):
                page = b.get(job).text
                if "done-text" in page:
                    break
                assert "job-failed" not in page and "中断" not in page, page[-2000:]
                assert 'id="progress-title"' in page  # queued or running, as the first server says
                watched += 1
                time.sleep(0.5)
            assert watched >= 1
            assert "中断" not in a.get(job).text
    finally:
        for s in (first, second):
            assert "Traceback" not in s.stop()
