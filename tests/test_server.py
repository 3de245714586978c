"""The HTTP service, started for real in a subprocess on a free loopback port."""

from __future__ import annotations

import json
import select
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from fangfei_screen import bundled_list_path

from .serving import Server

TOKEN = "s3cret-token"


def serve_list(list_path: Path, token: str | None, *options: str) -> Server:
    """The service on one list file, with the admin token given or none."""
    return Server("--list", str(list_path), *options, env={"FANGFEI_ADMIN_TOKEN": token} if token else None)


@pytest.fixture()
def list_file(tmp_path: Path) -> Path:
    path = tmp_path / "keywords.yaml"
    shutil.copy(bundled_list_path(), path)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the tests that do not change its list."""
    path = tmp_path_factory.mktemp("list") / "keywords.yaml"
    shutil.copy(bundled_list_path(), path)
    s = serve_list(path, TOKEN)
    yield s
    err = s.stop()
    assert "Traceback" not in err, err


@pytest.fixture()
def own_server(list_file: Path) -> Iterator[Server]:
    """A server whose list file the test changes."""
    s = serve_list(list_file, TOKEN)
    yield s
    err = s.stop()
    assert "Traceback" not in err, err


def test_check_and_health(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        assert c.get("/healthz").json()["list_version"] == "2025-05-30"
        r = c.post("/v1/check", json={"name": "某投资有限公司", "scope": "寄卖；日用百货（不含拍卖）"})
        assert r.status_code == 200
        d = r.json()
        assert d["action"] == "block" and d["keywords"] == ["投资", "寄卖"]
        assert d["suppressed"][0]["reason"] == "negated"
        r = c.post("/v1/check", json={"name": "某贸易有限公司", "kind": "change", "before_name": "某投资有限公司"})
        assert r.json()["action"] == "allow_removal"
        # a lone surrogate, valid as a JSON escape, and an emoji
        r = c.post("/v1/check", content=b'{"name": "\\ud800\xe6\x8a\x95\xe8\xb5\x84", "scope": "\xf0\x9f\x98\x80"}',
                   headers={"content-type": "application/json"})
        assert r.status_code == 200 and r.json()["hits"][0]["text"] == "投资"


def test_batch_answers_under_the_callers_ids(server: Server) -> None:
    apps = {f"app-{i}": {"name": f"某{'投资' if i % 2 else '贸易'}有限公司"} for i in range(1000)}
    with httpx.Client(base_url=server.url, timeout=60) as c:
        r = c.post("/v1/check/batch", json={"applications": apps})
        assert r.status_code == 200
        results = r.json()["results"]
        assert set(results) == set(apps)
        assert results["app-1"]["action"] == "block" and results["app-2"]["action"] == "pass"
        apps["app-1000"] = {"name": "x"}
        assert c.post("/v1/check/batch", json={"applications": apps}).status_code == 422


def test_keywords_with_etag(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        r = c.get("/v1/keywords")
        assert r.status_code == 200
        body = r.json()
        assert len(body["terms"]) == 37 and body["list_version"] == "2025-05-30"
        assert {"term": "NFT", "category": 1} .items() <= next(t for t in body["terms"] if t["term"] == "NFT").items()
        etag = r.headers["etag"]
        assert etag == f'"{body["list_sha256"]}"'
        assert c.get("/v1/keywords", headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize(
    "body,content_type",
    [
        (b"{not json", "application/json"),
        (b'{"name": 5}', "application/json"),
        (b'{"scope": "x"}', "application/json"),
        (b'{"name": "x", "kind": "renew"}', "application/json"),
        (b'{"name": "x", "licensed": "yes"}', "application/json"),
        (b'{"name": "x", "established_on": "2020-02-30"}', "application/json"),
        (b'{"name": "x", "colour": "red"}', "application/json"),
        (b'["x"]', "application/json"),
        (b"", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b'{"name": "x"}', "text/plain"),
    ],
)
def test_bad_requests_get_422_json(server: Server, body: bytes, content_type: str) -> None:
    r = httpx.post(f"{server.url}/v1/check", content=body, headers={"content-type": content_type})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_request"


def test_bodies_over_1mb_get_413(server: Server) -> None:
    big = b'{"name": "' + b"x" * 1_100_000 + b'"}'
    r = httpx.post(f"{server.url}/v1/check", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "payload_too_large"

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(big), 65536):
            yield big[i : i + 65536]

    r = httpx.post(f"{server.url}/v1/check", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_reload_token_rules(own_server: Server, list_file: Path) -> None:
    with httpx.Client(base_url=own_server.url, timeout=60) as c:
        assert c.post("/v1/keywords/reload").status_code == 401
        assert c.post("/v1/keywords/reload", headers={"Authorization": "Bearer wrong"}).status_code == 401
        list_file.write_text(list_file.read_text(encoding="utf-8") + "  - {term: 投资, category: 2}\n", encoding="utf-8")
        r = c.post("/v1/keywords/reload", headers={"Authorization": f"Bearer {TOKEN}"})
        assert r.status_code == 422 and r.json()["error"] == "invalid_list"
        assert any("重复" in p for p in r.json()["detail"])
        assert c.get("/healthz").json()["list_version"] == "2025-05-30"  # the old list keeps serving
        assert c.post("/v1/check", json={"name": "某投资有限公司"}).json()["action"] == "block"


def test_reload_is_disabled_without_a_token(list_file: Path) -> None:
    s = serve_list(list_file, None)
    try:
        r = httpx.post(f"{s.url}/v1/keywords/reload", headers={"Authorization": "Bearer anything"})
        assert r.status_code == 403
    finally:
        s.stop()


def test_reload_during_concurrent_checks(own_server: Server, list_file: Path) -> None:
    """No request fails, and every answer comes from exactly one list version."""
    text = list_file.read_text(encoding="utf-8")
    new = text.replace('version: "2025-05-30"', 'version: "2025-07-01"') + "  - {term: 配资, category: 3}\n"
    answers: list[tuple[int, str, list[str]]] = []
    failures: list[str] = []
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(base_url=own_server.url, timeout=30) as c:
            n = 0
            while not stop.is_set() and n < 2000:
                n += 1
                try:
                    r = c.post("/v1/check", json={"name": "某配资投资有限公司"})
                    d = r.json()
                    answers.append((r.status_code, d["list_version"], d["keywords"]))
                except Exception as exc:  # any failure is what the test looks for
                    failures.append(repr(exc))

    threads = [threading.Thread(target=client) for _ in range(8)]
    def answered(version: str, at_least: int) -> bool:
        """Wait (a hang guard, not a timing) until the clients have had answers of a version."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not failures:
            if sum(1 for a in list(answers) if a[1] == version) >= at_least:
                return True
            time.sleep(0.01)
        return False

    for t in threads:
        t.start()
    try:
        assert answered("2025-05-30", 20), failures
        list_file.write_text(new, encoding="utf-8")
        r = httpx.post(f"{own_server.url}/v1/keywords/reload", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
        assert r.status_code == 200 and r.json()["list_version"] == "2025-07-01"
        assert answered("2025-07-01", 20), failures
    finally:
        stop.set()
    for t in threads:
        t.join(timeout=60)
    assert not failures
    assert all(code == 200 for code, _, _ in answers)
    versions = {v for _, v, _ in answers}
    assert versions == {"2025-05-30", "2025-07-01"}
    for _, version, words in answers:
        assert words == (["配资", "投资"] if version == "2025-07-01" else ["投资"])


def test_openapi(server: Server) -> None:
    spec = httpx.get(f"{server.url}/openapi.json").json()
    assert {"/v1/check", "/v1/check/batch", "/v1/keywords", "/v1/keywords/reload", "/healthz"} <= set(spec["paths"])


# --- the event loop, bounded work (issue 10, item 12) ---

def _batch_dense_with_words() -> bytes:
    app = {"name": "某投资有限公司", "scope": "投资" * 150}
    return json.dumps({"applications": {f"a{i}": app for i in range(1000)}}, ensure_ascii=False).encode()


def test_health_and_small_checks_are_answered_while_a_large_batch_is_screened(server: Server) -> None:
    """While one ~1 MB batch dense with listed words is screened, /healthz and a small check
    are answered again and again; before, the event loop answered nothing until the batch was done."""
    body = _batch_dense_with_words()
    head = (f"POST /v1/check/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    answered_meanwhile = 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=120) as big, httpx.Client(base_url=server.url, timeout=120) as c:
        big.sendall(head + body)
        for _ in range(2000):  # bounded; ends as soon as the batch's answer starts to arrive
            if select.select([big], [], [], 0)[0]:
                break
            assert c.get("/healthz").status_code == 200
            r = c.post("/v1/check", json={"name": "某投资有限公司"})
            assert r.status_code == 200 and r.json()["action"] == "block"
            if not select.select([big], [], [], 0)[0]:
                answered_meanwhile += 1
        response = b""
        while chunk := big.recv(1 << 20):
            response += chunk
    assert response.startswith(b"HTTP/1.1 200"), response[:200]
    results = json.loads(response.split(b"\r\n\r\n", 1)[1])["results"]
    assert len(results) == 1000
    assert answered_meanwhile >= 20, answered_meanwhile


def test_large_requests_past_the_queue_get_503_and_the_service_stays_up(server: Server) -> None:
    body = _batch_dense_with_words()
    head = (f"POST /v1/check/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    socks = [socket.create_connection(("127.0.0.1", server.port), timeout=300) for _ in range(14)]
    try:
        for sock in socks:
            sock.sendall(head + body)
        assert httpx.get(f"{server.url}/healthz", timeout=60).status_code == 200
        statuses = []
        for sock in socks:
            response = b""
            while chunk := sock.recv(1 << 20):
                response += chunk
            statuses.append(int(response.split(b" ", 2)[1]))
            if statuses[-1] == 503:
                assert b"\r\nretry-after: 1\r\n" in response.lower()
    finally:
        for sock in socks:
            sock.close()
    assert set(statuses) <= {200, 503} and statuses.count(200) >= 8 and 503 in statuses, statuses


def test_large_requests_are_answered_from_the_list_serving_when_they_arrive(own_server: Server, list_file: Path) -> None:
    """Large requests are screened in another process: after a reload they too use the new list."""
    app = {"name": "某配资投资有限公司", "scope": "日用百货销售；" * 1400}  # 9,800 characters
    body = {"applications": {"a": app, "b": app, "c": app}}  # over 20,000: the heavy lane
    with httpx.Client(base_url=own_server.url, timeout=120) as c:
        before = c.post("/v1/check/batch", json=body).json()
        assert before["list_version"] == "2025-05-30" and before["results"]["a"]["keywords"] == ["投资"]
        text = list_file.read_text(encoding="utf-8")
        list_file.write_text(text.replace('version: "2025-05-30"', 'version: "2025-07-01"') + "  - {term: 配资, category: 3}\n",
                             encoding="utf-8")
        assert c.post("/v1/keywords/reload", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        after = c.post("/v1/check/batch", json=body).json()
        assert after["list_version"] == "2025-07-01"
        assert after["results"]["a"]["keywords"] == ["配资", "投资"] == after["results"]["b"]["keywords"]
        assert after["results"]["a"]["list_sha256"] == c.get("/healthz").json()["list_sha256"]


def test_hits_are_listed_up_to_20_per_field_and_the_rest_counted(server: Server) -> None:
    r = httpx.post(f"{server.url}/v1/check", json={"name": "某投资有限公司", "scope": "投资" * 4999 + "寄卖"}, timeout=60)
    assert r.status_code == 200
    d = r.json()
    assert d["action"] == "block" and d["keywords"] == ["投资", "寄卖"]  # every hit counts
    assert [h["field"] for h in d["hits"]] == ["name"] + ["scope"] * 20
    assert d["omitted"] == {"hits": {"scope": 4999 + 1 - 20}, "watch": {}, "suppressed": {}}
    small = httpx.post(f"{server.url}/v1/check", json={"name": "某投资有限公司"}).json()
    assert small["omitted"] == {"hits": {}, "watch": {}, "suppressed": {}}


@pytest.mark.parametrize("field", ["name", "scope", "before_name", "before_scope"])
def test_a_field_over_10000_characters_is_refused(server: Server, field: str) -> None:
    app = {"name": "某贸易有限公司", field: "贸" * 10_001}
    r = httpx.post(f"{server.url}/v1/check", json=app, timeout=60)
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"
    assert "10000" in r.text
    r = httpx.post(f"{server.url}/v1/check/batch", json={"applications": {"x": app}}, timeout=60)
    assert r.status_code == 422


@pytest.mark.parametrize("name", ["", "   ", "\u3000"])
def test_an_application_without_a_name_is_refused_not_screened(server: Server, name: str) -> None:
    """As `check` and the page refuse it: never a "pass" for nothing, never a record of it."""
    r = httpx.post(f"{server.url}/v1/check", json={"name": name, "scope": "投资咨询"}, timeout=60)
    assert r.status_code == 422 and "名称不能为空" in r.text, r.text
    r = httpx.post(f"{server.url}/v1/check/batch", json={"applications": {"a": {"name": name}}}, timeout=60)
    assert r.status_code == 422


@pytest.mark.parametrize(("status", "action"), [
    ("deregistered", "closed"), ("revoked", "closed"), ("moved_out", "closed"), ("cancelled", "closed"),
    ("注销", "closed"), ("吊销，未注销", "closed"), ("迁出企业", "closed"), ("存续（在营、开业、在册）", "order_rename"),
])
def test_every_status_and_the_registry_s_words_are_understood(server: Server, status: str, action: str) -> None:
    """The service reads 登记状态 as `check --status` and scan do (issue 17, item 12)."""
    app = {"name": "某投资有限公司", "kind": "existing", "status": status}
    r = httpx.post(f"{server.url}/v1/check", json=app, timeout=60)
    assert r.status_code == 200 and r.json()["action"] == action, r.text
    r = httpx.post(f"{server.url}/v1/check", json={**app, "status": "乱写"}, timeout=60)
    assert r.status_code == 422 and "不是可识别的状态" in r.text


# --- the contract (issue 10, item 14) ---

@pytest.mark.parametrize("value", [0, 1_600_000_000, 1.5, True])
def test_dates_are_iso_strings_only(server: Server, value: object) -> None:
    app = {"name": "某投资有限公司", "kind": "existing", "status": "suspended", "suspended_since": value}
    r = httpx.post(f"{server.url}/v1/check", json=app)
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "suspended_since"]
    app["suspended_since"] = "1970-01-01"
    assert httpx.post(f"{server.url}/v1/check", json=app).json()["action"] == "propose_revocation"


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "\xff\xfe\xfd"}',  # invalid UTF-8 inside a string
        b'{"name": "x", "scope": "\xe6\x8a"}',  # a character cut in half
        b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",  # nested deeper than any parser goes
        b"[" * 500_000,
    ],
)
def test_unreadable_json_is_422_like_any_bad_json(server: Server, body: bytes) -> None:
    r = httpx.post(f"{server.url}/v1/check", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "method,path,allowed",
    [("GET", "/v1/check", "POST"), ("PUT", "/v1/check/batch", "POST"), ("DELETE", "/healthz", "GET"),
     ("POST", "/v1/keywords", "GET"), ("GET", "/v1/keywords/reload", "POST")],
)
def test_405_says_what_is_allowed(server: Server, method: str, path: str, allowed: str) -> None:
    r = httpx.request(method, f"{server.url}{path}")
    assert r.status_code == 405
    assert allowed in [m.strip() for m in r.headers["allow"].split(",")]


def test_openapi_names_every_status_answered(server: Server) -> None:
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    assert {"200", "401", "403", "422"} <= set(paths["/v1/keywords/reload"]["post"]["responses"])
    assert {"200", "304"} <= set(paths["/v1/keywords"]["get"]["responses"])
    for path in ("/v1/check", "/v1/check/batch"):
        assert {"200", "413", "422"} <= set(paths[path]["post"]["responses"])


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schemathesis_finds_nothing(server: Server, mode: GenerationMode) -> None:
    """Every operation of /openapi.json, 25 generated requests each (valid ones, then ones
    that break the schema): no server error, and every answer (status, headers, body) as
    documented."""
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/check", "/v1/check/batch", "/v1/keywords", "/healthz"}
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not (
            operation.body or operation.query or operation.headers or operation.path_parameters
        ):
            continue  # nothing a request could get wrong

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(timeout=60)

        check()


# --- read timeouts (issue 10, item 14) ---

@pytest.fixture(scope="module")
def impatient_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    path = tmp_path_factory.mktemp("list") / "keywords.yaml"
    shutil.copy(bundled_list_path(), path)
    s = serve_list(path, None, "--read-timeout", "1")
    yield s
    err = s.stop()
    assert "Traceback" not in err, err


def _closed_by_server(sock: socket.socket) -> bytes:
    """What the server sends before it closes the connection (the socket's own timeout
    guards the test: a server that never closes fails it)."""
    sock.settimeout(30)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


@pytest.mark.parametrize(
    "sent",
    [
        b"",  # connects and says nothing
        b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-",  # half a head
        b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n{\"name\": ",  # a body that never ends
    ],
)
def test_incomplete_requests_are_cut_off(impatient_server: Server, sent: bytes) -> None:
    with socket.create_connection(("127.0.0.1", impatient_server.port)) as sock:
        sock.sendall(sent)
        received = _closed_by_server(sock)
    assert received.startswith(b"HTTP/1.1 408"), received
    assert httpx.get(f"{impatient_server.url}/healthz").status_code == 200


def test_a_head_sent_a_byte_at_a_time_is_cut_off(impatient_server: Server) -> None:
    """The deadline is for the whole request, not for each byte (slowloris)."""
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Padding: " + b"a" * 200 + b"\r\n\r\n"
    cut_off = False
    with socket.create_connection(("127.0.0.1", impatient_server.port)) as sock:
        for byte in head:  # bounded: the head is 250 bytes, one every 50 ms
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                cut_off = True
                break
            if select.select([sock], [], [], 0.05)[0]:
                cut_off = True
                break
        received = _closed_by_server(sock) if cut_off else b""
    assert cut_off and received.startswith(b"HTTP/1.1 408"), received


def test_a_kept_alive_connection_serves_several_requests_then_idles_out(impatient_server: Server) -> None:
    with socket.create_connection(("127.0.0.1", impatient_server.port)) as sock:
        sock.settimeout(30)
        reader = sock.makefile("rb")
        for _ in range(3):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            status = reader.readline()
            assert status.startswith(b"HTTP/1.1 200"), status
            length = 0
            while (line := reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            assert json.loads(reader.read(length))["status"] == "ok"
        assert _closed_by_server(sock).startswith(b"HTTP/1.1 408")


def test_the_mixed_load_benchmark_runs(root: Path) -> None:
    """A short run of benchmarks/http_load.py --mix, so that it cannot rot (times are not checked)."""
    proc = subprocess.run(
        [sys.executable, str(root / "benchmarks" / "http_load.py"), "--mix", "--seconds", "1", "--warmup", "0.5",
         "--large-clients", "1", "--small-clients", "2"],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| small only") or line.startswith("| with 1 large")]
    assert len(rows) == 2, proc.stdout
    failed = [int(row.split("|")[9]) for row in rows]
    assert failed == [0, 0], proc.stdout
    assert "single:" in rows[1] and "status [422]" in rows[1], rows[1]  # the first large request: over 10,000 characters


def test_a_port_that_cannot_be_served_is_refused_in_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # a trial: --port 99999 printed "serving on …" and then a 23-frame traceback; a port in use
    # printed uvicorn's English error and exit code 3 (check's "follow-up")
    import socket
    import subprocess
    import sys

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        for port, said in ((99999, "--port 应为 1 到 65535"), (taken.getsockname()[1], "端口已被其他程序占用")):
            proc = subprocess.run([sys.executable, "-m", "fangfei_screen", "serve", "--port", str(port)],
                                  capture_output=True, text=True, timeout=120, cwd=tmp_path)
            assert proc.returncode == 2 and said in proc.stderr, (port, proc.stderr)
            assert "serving on" not in proc.stdout and "Traceback" not in proc.stderr
            assert len(proc.stderr.strip().splitlines()) == 1
    finally:
        taken.close()
