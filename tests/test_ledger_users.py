"""Users in the ledger database: argon2-hashed tokens shown once, authentication."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from sqlalchemy import select

from fangfei_screen.ledger import Ledger, LedgerError, Role, add_user, authenticate, list_users, revoke_user
from fangfei_screen.ledger.schema import history, users

from .ledger_db import db_url, ledger  # noqa: F401 - fixtures


def test_token_authenticates_its_user_and_only_its_hash_is_stored(ledger: Ledger) -> None:
    user, token = add_user(ledger, name="张三", unit="城关镇", role="clerk")
    other, other_token = add_user(ledger, name="李四", unit="湖沟镇", role=Role.REVIEWER)
    assert authenticate(ledger, token) == user
    assert authenticate(ledger, other_token) == other
    assert (user.name, user.unit, user.role) == ("张三", "城关镇", Role.CLERK)
    with ledger.reading() as conn:
        stored = conn.execute(select(users.c.token_hash, users.c.token_id).where(users.c.name == "张三")).one()
        logged = conn.execute(select(history.c.action, history.c.after)).all()
    secret = token.split("_", 2)[2]
    assert stored.token_hash.startswith("$argon2") and secret not in stored.token_hash
    assert [a for a, _ in logged] == ["user_added", "user_added"]
    assert all(secret not in (after or "") for _, after in logged)


@pytest.mark.parametrize("mangle", [lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), lambda t: "", lambda t: "ff_000000000000_" + "x" * 43,
                                    lambda t: t.replace("ff_", "xx_"), lambda t: t + " extra"])
def test_wrong_tokens_are_refused(ledger: Ledger, mangle) -> None:  # type: ignore[no-untyped-def]
    _, token = add_user(ledger, name="张三", unit="城关镇", role="admin")
    assert authenticate(ledger, mangle(token)) is None


def test_revoked_user_and_bad_input(ledger: Ledger) -> None:
    _, token = add_user(ledger, name="王五", unit="城关镇", role="reviewer")
    with pytest.raises(LedgerError, match="已存在"):
        add_user(ledger, name="王五", unit="湖沟镇", role="clerk")
    with pytest.raises(LedgerError, match="角色"):
        add_user(ledger, name="赵六", unit="城关镇", role="boss")
    with pytest.raises(LedgerError, match="为空"):
        add_user(ledger, name=" ", unit="城关镇", role="clerk")
    revoke_user(ledger, "王五", by="管理员")
    assert authenticate(ledger, token) is None
    assert list_users(ledger) == []


def test_users_add_command_prints_the_token_once(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path / 'l.db'}"
    cmd = [sys.executable, "-m", "fangfei_screen", "users", "add", "张三", "--unit", "城关镇", "--role", "clerk", "--db", db]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    # a whole token, matched as users.split_token reads one (its secret may itself hold "ff_")
    tokens = re.findall(r"(?<![0-9A-Za-z_-])ff_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}", done.stdout)
    assert len(tokens) == 1, done.stdout
    token = tokens[0]
    led = Ledger.open(db)
    assert authenticate(led, token).name == "张三"  # type: ignore[union-attr]
    from fangfei_screen.cli import main

    assert main(cmd[3:]) == 2
    err = capsys.readouterr().err
    assert "已存在" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as exit_info:
        main([*cmd[3:-4], "--role", "boss", "--db", db])
    assert exit_info.value.code == 2 and "invalid choice" in capsys.readouterr().err
    assert main(["users", "list", "--json", "--db", db]) == 0
    listed = capsys.readouterr().out
    assert '"张三"' in listed and token.split("_", 2)[2] not in listed  # never the secret


def test_users_revoke_command(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from fangfei_screen.cli import main

    db = f"sqlite:///{tmp_path / 'l.db'}"
    led = Ledger.open(db)
    _, token = add_user(led, name="张三", unit="城关镇", role="clerk")
    assert main(["users", "revoke", "张三", "--by", "管理员", "--db", db]) == 0
    assert authenticate(led, token) is None
    assert main(["users", "revoke", "张三", "--db", db]) == 2
    assert "没有有效用户" in capsys.readouterr().err
