"""No page, field or query makes the server answer 500: odd values in every form field and
query parameter of every page, over plain HTTP against a real server."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .web_helpers import ROOT, Server, add_user, sign_in, start_server

ODD = ["", " ", "\x00", "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"), "a" * 200_000, "=1+1", "../../etc/passwd",
       "<script>", "%", "-1", "9" * 40, "2025-02-30", "投资" * 1000, "\u202e\u200b", "None", "[]", "{}"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    tmp = tmp_path_factory.mktemp("robust")
    db = f"sqlite:///{tmp / 'ledger.db'}"
    token = add_user(db, "赵六", "城关镇", "admin")
    screened = tmp / "s.csv"
    run = [sys.executable, "-m", "fangfei_screen"]
    subprocess.run([*run, "scan", str(ROOT / "data/samples/entities.csv"), "-o", str(screened)], check=True, capture_output=True)
    subprocess.run([*run, "ledger", "ingest", str(screened), "--month", "2025-06", "--unit", "城关镇", "--by", "赵六", "--db", db],
                   check=True, capture_output=True)
    for s in start_server(env={"FANGFEI_DB": db, "FANGFEI_WEB_JOBS_DIR": str(tmp / "jobs")}):
        yield s, token


def test_no_field_or_query_gives_500(setup: tuple[Server, str], tmp_path: Path) -> None:
    server, token = setup
    with httpx.Client(base_url=server.url, timeout=60) as c:
        sign_in(c, token)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/").text).group(1)
        key = re.findall(r'href="/ledger/entity\?key=([^"]+)"', c.get("/ledger").text)[0]
        up = c.post("/bulk/upload", data={"csrf_token": csrf}, files={"registry": ("s.csv", (ROOT / "data/samples/entities.csv").read_bytes())})
        job = up.headers["location"]
        forms = {
            "/": ["name", "scope", "kind", "before_name", "before_scope", "entity_type", "status", "established_on", "suspended_since"],
            "/ledger/entity/review": ["key", "term_field", "decision", "reason"],
            "/ledger/entity/dispose": ["key", "measure", "date", "amount", "participants", "police", "penalty_type", "case_date"],
            "/signin": ["token", "next"],
            job + "/start": ["col-name", "col-scope", "kind", "as_of"],
            "/lists": ["against"],
        }
        base = {"/ledger/entity/review": {"key": key}, "/ledger/entity/dispose": {"key": key, "measure": "约谈"},
                "/": {"name": "某某投资有限公司"}, job + "/start": {"col-name": "企业名称"}}
        for path, fields in forms.items():
            for field in fields:
                for value in ODD:
                    data = {"csrf_token": csrf, **base.get(path, {}), field: value}
                    r = c.post(path, data=data)
                    assert r.status_code < 500, (path, field, value[:20], r.text[:300])
                    if path == "/signin":
                        sign_in(c, token)
        queries = {
            "/ledger": ["month", "state", "unit"], "/bulk": ["error"], job: ["action", "keyword", "category", "q", "page"],
            "/ledger/entity": ["key", "done"], "/ledger/reports/attachment2": ["month", "unit", "reporter", "filler"],
            "/ledger/reports/attachment3": ["month", "unit"], "/ledger/reports/feedback": ["month"], "/signin": ["next"],
            job + "/report": ["month", "unit", "filler"],
        }
        for path, params in queries.items():
            for p in params:
                for value in ODD:
                    r = c.get(path, params={p: value[:5000]})
                    assert r.status_code < 500, (path, p, value[:20], r.text[:300])
        r = c.post("/", content=b"name=%ED%A0%80&csrf_token=" + csrf.encode(), headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code < 500
