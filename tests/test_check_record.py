"""Every check on record (issue 19, parts 3 and 4): the check record and its outcomes in a
real ledger (SQLite and PostgreSQL), append-only by trigger; keys of calling systems with a
rate limit; /v1/checks/{id}; the desk's outcome; `checks list` and `checks export`;
/metrics, /readyz and `serve --log-json` — on a real server on loopback."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import openpyxl
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from fangfei_screen.cli import main
from fangfei_screen.ledger import Ledger, LedgerError
from fangfei_screen.ledger.checks import (
    Caller, CheckEntry, Outcome, add_outcome, append_checks, count_checks, get_check, input_sha256, list_checks,
    new_check_id,
)
from fangfei_screen.ledger.keys import list_keys, verify_key

from .ledger_db import db_url  # noqa: F401 - the fixture
from .serving import Server
from .web_helpers import add_user, sign_in

# Real phrasing: a scope as 国家企业信用信息公示系统 prints it, and a name with 投资 in the 行业 part.
NAME = "固镇县鑫源投资管理有限公司"
SCOPE = "一般项目：以自有资金从事投资活动；日用百货销售（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"


def _entry(at: datetime, *, action: str = "block", unit: str = "城关镇", name: str = NAME) -> CheckEntry:
    application = {"name": name, "scope": SCOPE, "kind": "new"}
    return CheckEntry(
        id=new_check_id(at), at=at, channel="api", caller=Caller(kind="key", name="0123456789ab", unit=unit, system="登记系统"),
        kind="new", input_sha256=input_sha256(application), list_version="2025-05-30", list_sha256="ab" * 32,
        action=action, terms=("投资",) if action == "block" else (), input=application, result={"action": action},
    )


def test_checks_are_appended_read_back_and_cannot_be_changed(db_url: str) -> None:
    ledger = Ledger.open(db_url)
    june = _entry(datetime(2025, 6, 30, 16, 30, tzinfo=UTC))  # 2025-07-01 00:30 in China: a July check
    may = _entry(datetime(2025, 5, 31, 15, 59, tzinfo=UTC), action="pass", name="固镇县某贸易有限公司")  # 23:59 CST: May
    assert append_checks(ledger, [june, may]) == 2
    found = get_check(ledger, june.id)
    assert found is not None and found.action == "block" and found.terms == ("投资",)
    assert found.input == {"name": NAME, "scope": SCOPE, "kind": "new"}
    assert found.input_sha256 == hashlib.sha256(
        json.dumps(found.input, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    # the API sends every field, the page only those filled: the same application, the same sha256
    assert input_sha256({**found.input, "before_name": None, "licensed": False, "as_of": None}) == found.input_sha256
    assert input_sha256({**found.input, "scope": SCOPE + "；"}) != found.input_sha256
    assert [r.id for r in list_checks(ledger, month="2025-07")] == [june.id]
    assert [r.id for r in list_checks(ledger, month="2025-05")] == [may.id]
    for statement in (f"UPDATE checks SET action = 'pass' WHERE id = '{june.id}'", f"DELETE FROM checks WHERE id = '{june.id}'"):
        with pytest.raises(DBAPIError, match="append-only"):
            with ledger.engine.begin() as conn:
                conn.execute(text(statement))
    assert get_check(ledger, june.id).action == "block"  # type: ignore[union-attr]
    ledger.dispose()


def test_outcomes_are_history_and_the_newest_is_in_force(db_url: str) -> None:
    ledger = Ledger.open(db_url)
    entry = _entry(datetime(2025, 6, 3, 2, 0, tzinfo=UTC))
    append_checks(ledger, [entry])
    with pytest.raises(LedgerError, match="理由"):
        add_outcome(ledger, entry.id, outcome="overridden", by="张三")
    with pytest.raises(LedgerError, match="没有核查记录"):
        add_outcome(ledger, "C20250603-0000000000", outcome="adopted", by="张三")
    add_outcome(ledger, entry.id, outcome="adopted", by="张三")
    rec = add_outcome(ledger, entry.id, outcome="不采纳", reason="申请人提交了地方金融监管部门的批准文件", by="李四")
    assert [o.outcome for o in rec.outcomes] == [Outcome.ADOPTED, Outcome.OVERRIDDEN]
    assert rec.outcome is not None and rec.outcome.by == "李四"
    assert [r.id for r in list_checks(ledger, month="2025-06", outcome="overridden")] == [entry.id]
    assert list_checks(ledger, month="2025-06", outcome="adopted") == []
    with pytest.raises(DBAPIError, match="append-only"):
        with ledger.engine.begin() as conn:
            conn.execute(text("DELETE FROM check_outcomes"))
    ledger.dispose()


def test_checks_export_has_chinese_headers_and_every_check(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    ledger = Ledger.open(db)
    entries = [_entry(datetime(2025, 6, d, 3, 0, tzinfo=UTC)) for d in (2, 3, 4)]
    append_checks(ledger, entries)
    add_outcome(ledger, entries[1].id, outcome="overridden", reason="=HYPERLINK(\"x\")", by="张三")
    out = tmp_path / "核查记录.xlsx"
    assert main(["checks", "export", "--month", "2025-06", "-o", str(out), "--db", db]) == 0
    sheet = openpyxl.load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("核查编号", "核查时间", "渠道", "调用方") and "处理结果" in rows[0]
    assert [r[0] for r in rows[1:]] == [e.id for e in entries]
    outcome_col, reason_col = rows[0].index("处理结果"), rows[0].index("理由")
    assert rows[2][outcome_col] == "不采纳" and rows[2][reason_col] == "'=HYPERLINK(\"x\")"  # not a formula
    assert rows[1][outcome_col] == "未记录"


def test_checks_list_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'l.db'}"
    ledger = Ledger.open(db)
    a, b = _entry(datetime(2025, 6, 2, 3, 0, tzinfo=UTC)), _entry(datetime(2025, 6, 3, 3, 0, tzinfo=UTC))
    append_checks(ledger, [a, b])
    assert main(["checks", "outcome", b.id, "--outcome", "overridden", "--reason", "已取得批准文件", "--by", "张三", "--db", db]) == 0
    capsys.readouterr()
    assert main(["checks", "list", "--month", "2025-06", "--outcome", "overridden", "--json", "--db", db]) == 0
    listed = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert [r["id"] for r in listed] == [b.id] and listed[0]["outcome"]["reason"] == "已取得批准文件"
    assert main(["checks", "list", "--month", "2025-6", "--db", db]) == 0
    out = capsys.readouterr().out
    assert a.id in out and b.id in out and "共 2 条核查记录" in out
    assert main(["checks", "list", "--month", "June", "--db", db]) == 2
    assert "--month 应为 YYYY-MM" in capsys.readouterr().err


def test_keys_are_hashed_at_rest_listed_and_revoked(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "add", "--system", "名称自主申报系统", "--unit", "固镇县市场监督管理局", "--db", db_url]) == 0
    out = capsys.readouterr().out
    token = re.search(r"ffk_[0-9a-f]{12}_[A-Za-z0-9_-]+", out).group(0)  # type: ignore[union-attr]
    ledger = Ledger.open(db_url)
    with ledger.reading() as conn:
        stored = conn.execute(text("SELECT key_hash FROM api_keys")).scalar_one()
    assert token.split("_", 2)[2] not in stored and stored.startswith("$argon2")
    key = verify_key(ledger, token)
    assert key is not None and key.system == "名称自主申报系统" and key.unit == "固镇县市场监督管理局"
    assert verify_key(ledger, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert [k.key_id for k in list_keys(ledger)] == [key.key_id]
    assert main(["keys", "revoke", key.key_id, "--db", db_url]) == 0
    assert verify_key(ledger, token) is None and list_keys(ledger) == []
    assert main(["keys", "revoke", key.key_id, "--db", db_url]) == 2
    assert "没有有效的密钥" in capsys.readouterr().err
    assert main(["keys", "add", "--system", " ", "--unit", "x", "--db", db_url]) == 2
    ledger.dispose()


# --- the service on loopback ----------------------------------------------------------


def _keys_add(db: str, system: str, unit: str) -> str:
    done = subprocess.run([sys.executable, "-m", "fangfei_screen", "keys", "add", "--system", system, "--unit", unit, "--db", db],
                          capture_output=True, text=True, check=True)
    return re.search(r"ffk_[0-9a-f]{12}_[A-Za-z0-9_-]+", done.stdout).group(0)  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    tmp = tmp_path_factory.mktemp("keyed")
    db = f"sqlite:///{tmp / 'ledger.db'}"
    keys = {"desk": _keys_add(db, "名称自主申报系统", "城关镇"), "other": _keys_add(db, "登记系统", "湖沟镇")}
    server = Server("--db", db, "--key-rate", "1000/minute", "--log-json", env={"FANGFEI_WEB_JOBS_DIR": str(tmp / "jobs")})
    yield {"server": server, "db": db, **keys}
    if server.proc.poll() is None:  # the last test stops it to read its log
        err = server.stop()
        assert "Traceback" not in err, err


def _bearer(key: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_key_is_needed_once_any_exists(keyed: dict[str, object]) -> None:
    url = keyed["server"].url  # type: ignore[attr-defined]
    body = {"name": NAME, "scope": SCOPE}
    for headers in ({}, {"Authorization": "Basic eDp5"}, _bearer("ffk_000000000000_" + "x" * 43)):
        r = httpx.post(f"{url}/v1/check", json=body, headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
        assert r.json()["error"] == "unauthorized" and "密钥" in r.json()["detail"]
    # without a key the body is not judged: a stranger learns only that a key is needed
    for path, wrong in (("/v1/check", {"name": 5}), ("/v1/check/batch", {"applications": []})):
        r = httpx.post(f"{url}{path}", json=wrong)
        assert r.status_code == 401 and r.json()["error"] == "unauthorized", (path, r.text)
    r = httpx.post(f"{url}/v1/check", json={"name": 5}, headers=_bearer(keyed["desk"]))
    assert r.status_code == 422  # with the key, the schema's answer
    assert httpx.get(f"{url}/healthz").status_code == 200  # health needs no key


def test_each_check_is_recorded_with_its_key_and_read_back(keyed: dict[str, object]) -> None:
    url = keyed["server"].url  # type: ignore[attr-defined]
    application = {"name": NAME, "scope": SCOPE, "kind": "new"}
    r = httpx.post(f"{url}/v1/check", json=application, headers=_bearer(keyed["desk"]))
    assert r.status_code == 200 and r.json()["action"] == "block"
    check_id = r.json()["check_id"]
    got = httpx.get(f"{url}/v1/checks/{check_id}", headers=_bearer(keyed["desk"])).json()
    desk_id = str(keyed["desk"]).split("_")[1]
    assert got["caller"] == {"kind": "key", "id": desk_id, "system": "名称自主申报系统", "unit": "城关镇"}
    assert got["action"] == "block" and got["keywords"] == ["投资"] and got["list_version"] == r.json()["list_version"]
    assert got["input"]["name"] == NAME and got["input_sha256"] == input_sha256(got["input"])
    # another unit's key does not see it
    assert httpx.get(f"{url}/v1/checks/{check_id}", headers=_bearer(keyed["other"])).status_code == 404
    batch = httpx.post(f"{url}/v1/check/batch", headers=_bearer(keyed["other"]),
                       json={"applications": {"申报-1": {"name": "固镇县某贸易有限公司"}, "申报-2": application}}).json()
    ids = {ref: res["check_id"] for ref, res in batch["results"].items()}
    assert len(set(ids.values())) == 2
    second = httpx.get(f"{url}/v1/checks/{ids['申报-2']}", headers=_bearer(keyed["other"])).json()
    assert second["ref"] == "申报-2" and second["channel"] == "batch" and second["caller"]["unit"] == "湖沟镇"


def test_the_desk_records_its_outcome_through_the_api(keyed: dict[str, object]) -> None:
    url = keyed["server"].url  # type: ignore[attr-defined]
    check_id = httpx.post(f"{url}/v1/check", json={"name": NAME}, headers=_bearer(keyed["other"])).json()["check_id"]
    path = f"{url}/v1/checks/{check_id}/outcome"
    bad = httpx.post(path, json={"outcome": "overridden", "by": "王五"}, headers=_bearer(keyed["other"]))
    assert bad.status_code == 422 and "理由" in bad.json()["detail"]
    assert httpx.post(path, json={"outcome": "maybe", "by": "王五"}, headers=_bearer(keyed["other"])).status_code == 422
    ok = httpx.post(path, json={"outcome": "overridden", "reason": "持牌机构分支", "by": "王五"}, headers=_bearer(keyed["other"]))
    assert ok.status_code == 200 and ok.json()["outcome"]["label"] == "不采纳"
    assert ok.json()["outcome"]["by"].startswith("王五（登记系统 ")
    assert httpx.post(path, json={"outcome": "adopted", "by": "王五"}, headers=_bearer(keyed["desk"])).status_code == 404


def test_over_the_rate_limit_a_key_gets_429_with_retry_after() -> None:
    # a server of its own: the limit (3 a minute) must not be shared with the other tests
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/ledger.db"
        key = _keys_add(db, "名称自主申报系统", "城关镇")
        server = Server("--db", db, "--key-rate", "3/minute", env={"FANGFEI_WEB_JOBS_DIR": f"{tmp}/jobs"})
        try:
            codes = [httpx.post(f"{server.url}/v1/check", json={"name": "某贸易有限公司"}, headers=_bearer(key)) for _ in range(5)]
            assert [r.status_code for r in codes] == [200, 200, 200, 429, 429]
            assert 1 <= int(codes[3].headers["retry-after"]) <= 60 and "请求过于频繁" in codes[3].json()["detail"]
            metrics = httpx.get(f"{server.url}/metrics").text
            assert re.search(r'fangfei_rate_limited_total\{caller="%s"\} 2\.0' % key.split("_")[1], metrics)
            ledger = Ledger.open(db)
            assert count_checks(ledger) == 3  # only the answered checks are on record
            ledger.dispose()
        finally:
            assert "Traceback" not in server.stop()


def test_metrics_and_readiness(keyed: dict[str, object]) -> None:
    url = keyed["server"].url  # type: ignore[attr-defined]
    before = httpx.get(f"{url}/metrics")
    assert before.status_code == 200 and before.headers["content-type"].startswith("text/plain")
    httpx.post(f"{url}/v1/check", json={"name": NAME}, headers=_bearer(keyed["desk"]))
    httpx.post(f"{url}/v1/check", json={"name": NAME})  # 401
    text_ = httpx.get(f"{url}/metrics").text
    desk_id = str(keyed["desk"]).split("_")[1]
    assert re.search(r'fangfei_checks_total\{action="block",caller="%s"\} [1-9]' % desk_id, text_)
    assert "fangfei_check_duration_seconds_bucket" in text_ and 'fangfei_list_info{list_sha256="' in text_
    assert 'fangfei_jobs{state="queued"} 0.0' in text_ and "fangfei_signin_failures_total" in text_
    assert re.search(r"fangfei_api_key_failures_total [1-9]", text_)
    # the desk's checks on the page are counted with the API's (a trial found them missing)
    with httpx.Client(base_url=url, timeout=60) as desk:
        form = desk.get("/").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf
        assert desk.post("/", data={"csrf_token": csrf[1], "name": NAME, "scope": SCOPE, "kind": "new"}).status_code == 200
    text_ = httpx.get(f"{url}/metrics").text
    assert re.search(r'fangfei_checks_total\{action="block",caller="anonymous"\} [1-9]', text_), text_
    assert re.search(r'fangfei_check_duration_seconds_count\{channel="page"\} [1-9]', text_)
    ready = httpx.get(f"{url}/readyz")
    assert ready.status_code == 200 and ready.json()["schema"] == Ledger.open(str(keyed["db"])).revisions()[1]


def test_not_ready_without_a_ledger_and_checks_unrecorded(tmp_path: Path) -> None:
    server = Server("--db", f"sqlite:///{tmp_path / 'none.db'}", env={"FANGFEI_WEB_JOBS_DIR": str(tmp_path / "jobs")})
    try:
        r = httpx.get(f"{server.url}/readyz")
        assert r.status_code == 503 and any("没有台账数据库" in reason for reason in r.json()["detail"])
        answer = httpx.post(f"{server.url}/v1/check", json={"name": NAME}).json()
        assert answer["action"] == "block" and answer["check_id"] is None
        assert not (tmp_path / "none.db").exists()  # serving never creates a ledger
        # signing in here is not the clerk's mistake: not "wrong token", and no failure counted
        with httpx.Client(base_url=server.url, timeout=60) as clerk:
            for _ in range(5):  # past the free tries: still no wait imposed
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', clerk.get("/signin").text)
                assert csrf
                page = clerk.post("/signin", data={"csrf_token": csrf[1], "token": "ff_0123456789ab_" + "x" * 40})
                assert page.status_code == 200 and "还没有台账数据库" in page.text and "令牌不正确" not in page.text
    finally:
        assert "Traceback" not in server.stop()


def test_no_record_text_keeps_only_the_sha256(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    admin = add_user(db, "赵六", "县财政局", "admin")
    server = Server("--db", db, "--no-record-text", env={"FANGFEI_WEB_JOBS_DIR": str(tmp_path / "jobs")})
    try:
        application = {"name": NAME, "scope": SCOPE}
        check_id = httpx.post(f"{server.url}/v1/check", json=application).json()["check_id"]
        with httpx.Client(base_url=server.url, timeout=60) as client:
            assert sign_in(client, admin).status_code == 303
            got = client.get(f"/v1/checks/{check_id}").json()
        assert got["input"] is None and got["action"] == "block" and got["keywords"] == ["投资"]
        with Ledger.open(db).reading() as conn:
            stored = conn.execute(text("SELECT input, input_sha256 FROM checks")).one()
        assert stored[0] is None and len(stored[1]) == 64
    finally:
        assert "Traceback" not in server.stop()


def test_log_json_writes_one_object_per_request_and_decision(keyed: dict[str, object]) -> None:
    # the lines are collected when the module's server stops: stop it here to read them
    server = keyed["server"]
    err = server.stop()  # type: ignore[attr-defined]
    assert "Traceback" not in err, err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    requests = [x for x in lines if x["event"] == "request"]
    decisions = [x for x in lines if x["event"] == "decision"]
    assert requests and all({"method", "path", "status", "ms", "time"} <= set(x) for x in requests)
    assert any(x["status"] == 401 and x["path"] == "/v1/check" for x in requests)
    assert decisions and all(re.fullmatch(r"C\d{8}-[0-9a-f]{10}", x["check_id"]) for x in decisions)
    assert {x["action"] for x in decisions} >= {"block", "pass"}
    assert not [line for line in err.splitlines() if line.strip() and not line.startswith("{")], err


def test_the_openapi_description_says_how_keys_work(tmp_path: Path) -> None:
    from fangfei_screen.server import create_app

    schema = create_app(db=f"sqlite:///{tmp_path / 'none.db'}").openapi()
    assert schema["components"]["securitySchemes"]["apiKey"] == {
        "type": "http", "scheme": "bearer", "description": schema["components"]["securitySchemes"]["apiKey"]["description"]}
    for path in ("/v1/check", "/v1/check/batch"):
        operation = schema["paths"][path]["post"]
        assert operation["security"] == [{}, {"apiKey": []}]  # optional until a key exists
        assert {"401", "429", "503"} <= set(operation["responses"])
    assert "Bearer" in schema["info"]["description"] and "429" in schema["info"]["description"]
    assert {"/v1/checks/{check_id}", "/v1/checks/{check_id}/outcome"} <= set(schema["paths"])


def test_the_key_gate_without_keys_with_require_keys_and_after_a_revocation(tmp_path: Path) -> None:
    from fangfei_screen.ledger.keys import add_key, revoke_key
    from fangfei_screen.serving.callers import KeyGate
    from fangfei_screen.serving.ledgerref import LedgerRef

    db = f"sqlite:///{tmp_path / 'l.db'}"
    ledger = Ledger.open(db)
    open_gate = KeyGate(LedgerRef(db), cache_seconds=0)
    assert open_gate.check(None).caller == Caller()  # no key exists: anyone may check
    strict = KeyGate(LedgerRef(db), require=True, cache_seconds=0)
    assert strict.check(None).status == 401 and strict.check("Token abc").status == 401
    key, token = add_key(ledger, system="名称自主申报系统", unit="城关镇")
    assert open_gate.check(None).status == 401  # a key exists now: keys are needed
    assert open_gate.check(f"Bearer {token}").caller == Caller(kind="key", name=key.key_id, unit="城关镇", system="名称自主申报系统")
    revoke_key(ledger, key.key_id)
    assert open_gate.check(f"Bearer {token}").status == 401  # revoked: refused once the cache has expired
    assert open_gate.check(None).caller == Caller()  # and with no key left the check is open again
    ledger.dispose()


def test_serve_refuses_a_ledger_at_an_older_schema_in_one_line(tmp_path: Path) -> None:
    from alembic import command

    db = f"sqlite:///{tmp_path / 'old.db'}"
    old = Ledger.open(db, check=False)
    with old.engine.begin() as conn:
        command.upgrade(old._config(conn), "0001")
    old.dispose()
    from .serving import free_port

    done = subprocess.run([sys.executable, "-m", "fangfei_screen", "serve", "--db", db, "--port", str(free_port())],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "ledger upgrade" in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_a_check_that_cannot_be_recorded_gets_503_not_an_answer(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = Ledger.open(db)
    with ledger.engine.begin() as conn:  # the database refuses every new check, as a full disk would
        conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON checks BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"))
    ledger.dispose()
    server = Server("--db", db, env={"FANGFEI_WEB_JOBS_DIR": str(tmp_path / "jobs")})
    try:
        r = httpx.post(f"{server.url}/v1/check", json={"name": NAME})
        assert r.status_code == 503 and r.headers["retry-after"] == "5"
        assert r.json()["error"] == "record_unavailable" and "检查未能记录" in r.json()["detail"] and "action" not in r.json()
        assert httpx.get(f"{server.url}/healthz").status_code == 200  # the service lives on
        assert re.search(r"fangfei_check_record_failures_total 1\.0", httpx.get(f"{server.url}/metrics").text)
    finally:
        assert "Traceback" not in server.stop()


def test_a_check_is_never_read_anonymously_even_while_no_key_exists(tmp_path: Path) -> None:
    # no key exists, so /v1/check needs none; the record it leaves holds the applicant's data
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    people = {"admin": add_user(db, "赵六", "县财政局", "admin"), "clerk": add_user(db, "张三", "城关镇", "clerk")}
    server = Server("--db", db, env={"FANGFEI_WEB_JOBS_DIR": str(tmp_path / "jobs")})
    try:
        api_check = httpx.post(f"{server.url}/v1/check", json={"name": NAME, "scope": SCOPE}, timeout=60).json()["check_id"]
        outcome = {"outcome": "adopted", "by": "窗口"}
        r = httpx.get(f"{server.url}/v1/checks/{api_check}", timeout=60)
        assert r.status_code == 401 and "需要本单位的密钥" in r.json()["detail"] and NAME not in r.text
        assert httpx.post(f"{server.url}/v1/checks/{api_check}/outcome", json=outcome, timeout=60).status_code == 401
        with httpx.Client(base_url=server.url, timeout=60) as clerk, httpx.Client(base_url=server.url, timeout=60) as admin:
            assert sign_in(clerk, people["clerk"]).status_code == 303
            assert sign_in(admin, people["admin"]).status_code == 303
            # the clerk's own check on the page is the clerk's unit's: the clerk reads it
            html = clerk.get("/").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
            page = clerk.post("/", data={"csrf_token": token, "name": NAME, "scope": SCOPE, "kind": "new"}).text
            page_check = re.search(r"C\d{8}-[0-9a-f]{10}", page).group(0)
            mine = clerk.get(f"/v1/checks/{page_check}")
            assert mine.status_code == 200 and mine.json()["input"]["name"] == NAME
            # an anonymous API check belongs to no unit: not the clerk's; the admin reads every unit's
            assert clerk.get(f"/v1/checks/{api_check}").status_code == 404
            assert clerk.post(f"/v1/checks/{api_check}/outcome", json=outcome).status_code == 404
            got = admin.get(f"/v1/checks/{api_check}")
            assert got.status_code == 200 and got.json()["input"]["name"] == NAME
            r = admin.post(f"/v1/checks/{api_check}/outcome", json=outcome)
            assert r.status_code == 200 and "赵六" in r.text
            assert admin.get(f"/v1/checks/{page_check}").status_code == 200
        schema = httpx.get(f"{server.url}/openapi.json", timeout=60).json()
        assert "never read anonymously" in schema["paths"]["/v1/checks/{check_id}"]["get"]["description"]
    finally:
        assert "Traceback" not in server.stop()


def test_reading_the_record_never_creates_a_ledger(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a trial: `checks list` in a folder without a ledger left an empty fangfei-ledger.db behind and
    # said the schema version was "None"
    missing = tmp_path / "none.db"
    for argv in (["checks", "list", "--month", "2025-06"], ["checks", "export", "--month", "2025-06", "-o", str(tmp_path / "x.xlsx")]):
        assert main([*argv, "--db", f"sqlite:///{missing}"]) == 2
        err = capsys.readouterr().err
        assert "没有台账数据库" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
        assert not missing.exists()
    empty = tmp_path / "empty.db"
    empty.touch()  # a file with no tables: named, not upgraded behind the user's back
    assert main(["checks", "list", "--month", "2025-06", "--db", f"sqlite:///{empty}"]) == 2
    err = capsys.readouterr().err
    assert "还没有台账" in err and "None" not in err
