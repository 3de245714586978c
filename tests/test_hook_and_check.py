"""The Python hook and the `check` command with its exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fangfei_screen import Action, ScreeningInputError
from fangfei_screen.hook import RegistrationBlocked, check_application, enforce


def test_check_application_takes_what_a_registration_system_holds() -> None:
    r = check_application(
        {"name": "某贸易有限公司", "scope": "日用百货", "kind": "change", "before_name": "某投资有限公司", "before_scope": "日用百货"}
    )
    assert r.action is Action.ALLOW_REMOVAL and r.before_keywords == ("投资",)
    r = check_application(
        {"name": "某投资有限公司", "kind": "existing", "entity_type": "company", "status": "suspended",
         "suspended_since": "2024-01-01", "as_of": "2025-01-01"}
    )
    assert r.action is Action.PROPOSE_REVOCATION


def test_enforce_raises_with_the_result_on_block() -> None:
    with pytest.raises(RegistrationBlocked) as err:
        enforce({"name": "某众筹有限公司", "scope": "寄卖服务"})
    assert err.value.result.action is Action.BLOCK
    assert "众筹" in str(err.value) and "寄卖" in str(err.value)
    assert enforce({"name": "某贸易有限公司"}).action is Action.PASS
    assert enforce({"name": "某投资有限公司", "licensed": True}).action is Action.EXEMPT


@pytest.mark.parametrize(
    "application,message",
    [
        ({"scope": "x"}, "name is required"),
        ({"name": 5}, "name must be text"),
        ({"name": "x", "kind": "renew"}, "kind must be one of"),
        ({"name": "x", "licensed": "yes"}, "licensed must be true or false"),
        ({"name": "x", "colour": "red"}, "unknown field"),
        ({"name": "x", "kind": "existing", "established_on": "2020-02-30"}, "established_on"),
    ],
)
def test_bad_applications_are_refused_clearly(application: dict, message: str) -> None:
    with pytest.raises(ScreeningInputError, match=message):
        check_application(application)


def run_check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fangfei_screen", "check", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "args,code",
    [
        (["--name", "某贸易有限公司", "--scope", "日用百货"], 0),
        (["--name", "某贸易有限公司", "--kind", "change", "--before-name", "某投资有限公司"], 0),
        (["--name", "某投资有限公司", "--licensed"], 0),
        (["--name", "某投资有限公司"], 1),
        (["--name", "某投资有限公司", "--kind", "existing"], 3),
        (["--name", "某投资有限公司", "--kind", "existing", "--status", "not_opened", "--established-on", "2020-01-01"], 3),
        (["--name", "某投资有限公司", "--kind", "nope"], 2),
        (["--name", "某投资有限公司", "--as-of", "soon"], 2),
        (["--scope", "x"], 2),
    ],
)
def test_check_exit_codes(args: list[str], code: int) -> None:
    proc = run_check(*args)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr


def test_check_explains_each_word_where_and_why() -> None:
    proc = run_check("--name", "固镇县鑫源投资管理有限公司", "--scope", "日用百货（不含拍卖）；寄賣服务")
    out = proc.stdout
    assert "结论：不予登记（block）" in out
    assert "名称第6–7字「投资」 → 投资（类别2" in out
    assert "经营范围第12–13字「寄賣」 → 寄卖（类别4" in out
    assert "不计入：位于否定条款内" in out and "拍卖" in out
    assert "依据：固政办〔2025〕10号" in out


def test_check_json_is_result_to_dict() -> None:
    proc = run_check("--name", "某ＮＦＴ有限公司", "--json")
    d = json.loads(proc.stdout)
    assert d["action"] == "block" and d["hits"][0]["keyword"] == "NFT" and d["hits"][0]["via"] == "variant"
    assert d["list_version"] == "2025-05-30"


def test_a_field_over_the_limit_is_refused_and_answers_list_20_hits_per_field() -> None:
    from fangfei_screen.hook import MAX_FIELD_CHARS, answer

    with pytest.raises(ScreeningInputError, match="scope"):
        check_application({"name": "某公司", "scope": "贸" * (MAX_FIELD_CHARS + 1)})
    result = check_application({"name": "某投资有限公司", "scope": "投资" * 100 + "拍卖（不含拍卖）" * 30})
    body = answer(result)
    scope_hits = sum(h.field == "scope" for h in result.hits)
    assert scope_hits == 130 and [h["field"] for h in body["hits"]] == ["name"] + ["scope"] * 20
    assert body["hits"] == [h.to_dict() for h in result.hits[:21]]
    assert body["omitted"] == {"hits": {"scope": 110}, "watch": {}, "suppressed": {"scope": len(result.suppressed) - 20}}
    assert body["keywords"] == ["投资", "拍卖"] == list(result.keywords)
    assert answer(result, max_hits_per_field=1000) == {**result.to_dict(), "omitted": {"hits": {}, "watch": {}, "suppressed": {}}}
