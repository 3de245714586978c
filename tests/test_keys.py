"""Keys the ledger can trust (issue 17, items 1, 2 and 16): credit codes Excel turned
into numbers are no keys, wrapped codes (="…", a tab, an apostrophe) are unwrapped when
read, outputs read back give exactly what was screened, `ledger upgrade` fixes keys an
older version stored wrapped, and every --json command prints JSON alone."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select, text

from fangfei_screen.cli import main
from fangfei_screen.ledger import Ledger
from fangfei_screen.ledger.ingest import ingest
from fangfei_screen.ledger.queries import list_clues
from fangfei_screen.ledger.schema import clue_months, entities, finding_months, findings, history
from fangfei_screen.readers import read_chunks
from fangfei_screen.values import CodeState, check_digit, code_state, unwrap

from .ledger_db import db_url, ledger  # noqa: F401 - fixtures

HEADER = ["统一社会信用代码", "企业名称", "登记状态", "成立日期", "住所", "经营范围"]
# Codes whose check digits other validators accept (Hutool's tests and examples).
REAL_CODES = ("91510100350611266D", "91350500676532779B", "91510100MA6BKY6U36", "91370100780603055K",
              "91330101589882738D", "91310110666007217T", "91350100M000100Y43")
# Nine entities of one township whose codes are all digits and begin alike, as in a real
# county (9134032…): Excel shows every one of them as 9.13403E+17.
NAMES_SCOPES = [
    ("固镇县鑫源投资管理有限公司", "投资管理；投资咨询"),
    ("固镇县聚宝寄卖行", "寄卖服务"),
    ("固镇县链上数字科技有限公司", "区块链技术服务；软件开发"),
    ("固镇县众筹农业发展有限公司", "股权众筹；农业技术推广"),
    ("固镇县惠农互助合作社", "资金互助；农资销售"),
    ("固镇县诚信拍卖有限公司", "拍卖业务"),
    ("固镇县百家汇商贸有限公司", "日用百货销售；会员积分管理服务"),
    ("固镇县优品加盟连锁有限公司", "品牌加盟；日用品销售"),
    ("固镇县福寿养老服务中心", "养老服务；老年产品销售"),
]


def digit_code(n: int) -> str:
    """An all-digit code of 固镇县 (340323) whose check digit is a digit too."""
    while True:
        body = f"91340323{n:09d}"
        digit = check_digit(body)
        if digit.isdigit():
            return body + digit
        n += 1


def digit_codes(count: int) -> list[str]:
    out: list[str] = []
    n = 100_000_000
    while len(out) < count:
        code = digit_code(n)
        out.append(code)
        n = int(code[8:17]) + 7
    return out


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def scan(capsys, src: Path, out: Path) -> str:  # type: ignore[no-untyped-def]
    assert main(["scan", str(src), "-o", str(out), "--as-of", "2025-06-30"]) == 0
    return capsys.readouterr().out


def ledger_entities(led: Ledger) -> dict[str, dict[str, object]]:
    with led.reading() as conn:
        return {r.key: dict(r._mapping) for r in conn.execute(select(entities))}


def contexts(led: Ledger) -> dict[str, set[str]]:
    """Each entity's name → the contexts of its findings."""
    with led.reading() as conn:
        q = select(entities.c.name, finding_months.c.context).join(finding_months, finding_months.c.key == entities.c.key)
        out: dict[str, set[str]] = {}
        for name, ctx in conn.execute(q):
            out.setdefault(name, set()).add(ctx)
        return out


# --- item 1: codes Excel made numbers of ------------------------------------------


def test_the_validator_knows_real_codes_from_what_excel_leaves() -> None:
    assert all(code_state(c) is CodeState.VALID for c in REAL_CODES)
    assert code_state(REAL_CODES[0].lower()) is CodeState.VALID  # lower case as typed
    assert code_state("９１５１０１００３５０６１１２６６Ｄ") is CodeState.VALID  # full width as IMEs type it
    wrong = REAL_CODES[0][:17] + ("E" if REAL_CODES[0][17] != "E" else "F")
    assert code_state(wrong) is CodeState.BAD_CHECK and code_state(wrong).is_key
    for mangled in ("9.13403E+17", "9.134032310000001e+17", "913403231", REAL_CODES[0][:17], "91510100350611266O", "91510100350611266DX"):
        assert code_state(mangled) is CodeState.INVALID and not code_state(mangled).is_key, mangled
    for empty in ("", "  ", "-", "/", "无"):
        assert code_state(empty) is CodeState.EMPTY


def test_excel_s_9_13403e17_is_no_key_nine_entities_stay_nine(ledger: Ledger, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    # An export opened in Excel and saved again as CSV: Excel writes what it shows, and
    # for an 18-digit code that is 9.13403E+17 (GBK, as Excel on a Chinese desk saves).
    rows = [["9.13403E+17", name, "存续", "2019/4/1", "安徽省蚌埠市固镇县城关镇", scope] for name, scope in NAMES_SCOPES]
    rows.append([REAL_CODES[0], "固镇县兴业票据咨询有限公司", "存续", "2020/5/6", "固镇县", "票据咨询"])
    src = write_csv(tmp_path / "excel-saved.csv", rows, encoding="gbk")
    out = tmp_path / "screened.csv"
    summary = scan(capsys, src, out)
    assert "9 行统一社会信用代码无效（可能被 Excel 改成了数字），已按名称对应" in summary
    s = ingest(ledger, out, month="2025-06", unit="城关镇", by="李四")
    assert s.rows == len(rows) and s.codes[CodeState.INVALID] == 9
    assert any("9 行统一社会信用代码无效" in line for line in s.lines())
    found = ledger_entities(ledger)
    # one entity per flagged row of the file, each under its own name, none under the mangled code
    assert sorted(e["name"] for e in found.values()) == sorted([n for n, _ in NAMES_SCOPES] + ["固镇县兴业票据咨询有限公司"])
    assert "9.13403E+17" not in found and found[REAL_CODES[0]]["credit_code"] == REAL_CODES[0]
    assert all(e["credit_code"] is None for k, e in found.items() if k != REAL_CODES[0])
    # each entity's evidence is quoted from its own text
    for name, scope in NAMES_SCOPES:
        assert all(ctx in name or ctx in scope for ctx in contexts(ledger)[name]), name


def test_codes_stored_as_numbers_by_openpyxl_are_no_keys(ledger: Ledger, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    import openpyxl

    codes = digit_codes(len(NAMES_SCOPES))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for code, (name, scope) in zip(codes, NAMES_SCOPES):
        sheet.append([int(code), name, "存续", "2019-04-01", "固镇县", scope])  # a script writing the code as a number
    src = tmp_path / "numbers.xlsx"
    book.save(src)
    out = tmp_path / "screened.xlsx"
    summary = scan(capsys, src, out)
    assert f"{len(codes)} 行统一社会信用代码无效" in summary
    cells = [c for chunk in read_chunks(out) for c in chunk.frame["统一社会信用代码"]]
    # the number is shown as the float it is, never as 18 digits that pass for a code
    assert len(cells) == len(codes) and all(code_state(c) is CodeState.INVALID for c in cells)
    assert not set(cells) & set(codes)
    ingest(ledger, out, month="2025-06", unit="城关镇", by="李四")
    found = ledger_entities(ledger)
    assert sorted(e["name"] for e in found.values()) == sorted(n for n, _ in NAMES_SCOPES)
    assert all(k.startswith("城关镇/") for k in found)


@pytest.mark.needs_tools("libreoffice")
def test_libreoffice_turning_a_csv_s_codes_into_numbers(ledger: Ledger, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    codes = digit_codes(len(NAMES_SCOPES))
    src = write_csv(tmp_path / "名录.csv", [[c, n, "存续", "2019-04-01", "固镇县", s] for c, (n, s) in zip(codes, NAMES_SCOPES)],
                    encoding="utf-8")
    subprocess.run(["libreoffice", "--headless", "--infilter=CSV:44,34,76,1", "--convert-to", "xlsx", "--outdir", str(tmp_path / "lo"),
                    str(src)], check=True, capture_output=True, timeout=180, env={**os.environ, "HOME": str(tmp_path)})
    book = tmp_path / "lo" / "名录.xlsx"
    out = tmp_path / "screened.csv"
    summary = scan(capsys, book, out)
    assert f"{len(codes)} 行统一社会信用代码无效" in summary
    s = ingest(ledger, out, month="2025-06", unit="城关镇", by="李四")
    assert s.rows == len(codes)
    assert sorted(e["name"] for e in ledger_entities(ledger).values()) == sorted(n for n, _ in NAMES_SCOPES)


def test_a_wrong_check_digit_stays_the_key_and_is_warned(ledger: Ledger, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    wrong = "91340302M6BU014GF0"  # the form of a code, but its check digit is not 0
    assert code_state(wrong) is CodeState.BAD_CHECK
    src = write_csv(tmp_path / "in.csv", [[wrong, "固镇县鑫源投资管理有限公司", "存续", "2019-04-01", "", "投资咨询"],
                                           [REAL_CODES[1], "固镇县聚宝寄卖行", "存续", "2019-04-01", "", "寄卖服务"]])
    out = tmp_path / "screened.csv"
    summary = scan(capsys, src, out)
    assert "1 行统一社会信用代码校验位不符" in summary and "无效" not in summary
    ingest(ledger, out, month="2025-06", unit="城关镇", by="李四")
    assert set(ledger_entities(ledger)) == {wrong, REAL_CODES[1]}


def test_report_does_not_quote_or_merge_by_a_mangled_code(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    import openpyxl

    rows = [["9.13403E+17", name, "存续", "2019/4/1", "固镇县", scope] for name, scope in NAMES_SCOPES[:3]]
    src = write_csv(tmp_path / "in.csv", rows)
    out = tmp_path / "screened.csv"
    scan(capsys, src, out)
    reports = []
    for unit in ("城关镇", "湖沟镇"):
        report = tmp_path / f"{unit}.xlsx"
        assert main(["report", str(out), "-o", str(report), "--month", "2025-06", "--unit", unit]) == 0
        reports.append(report)
    merged = tmp_path / "merged.xlsx"
    assert main(["report", "--merge", *map(str, reports), "-o", str(merged), "--month", "2025-06", "--unit", "固镇县"]) == 0
    capsys.readouterr()
    sheet = openpyxl.load_workbook(merged).worksheets[0]
    names = [r[1] for r in sheet.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    remarks = [r[14] for r in sheet.iter_rows(min_row=4, values_only=True) if isinstance(r[0], int)]
    assert sorted(names) == sorted(n for n, _ in NAMES_SCOPES[:3])  # three entities, each once
    assert not any("9.13403" in str(r) for r in remarks)


# --- item 2: wrapped values ---------------------------------------------------------


def test_unwrap_takes_off_every_protection_and_nothing_else() -> None:
    assert unwrap('="91510100350611266D"') == "91510100350611266D"
    assert unwrap("\t91510100350611266D") == unwrap("'91510100350611266D") == "91510100350611266D"
    assert unwrap('="说""明"""') == '说"明"'
    for plain in ("=A1+B1", "=SUM(A:A)", "-投资咨询", "+86 0552", "@某", "固镇县鑫源", ""):
        assert unwrap(plain) == plain
    for value in ('="x"', "'\t'y", "''='z'", "\t\t'=\"w\""):
        assert unwrap(unwrap(value)) == unwrap(value)


WRAPPED_ROWS = [
    # as systems export to keep Excel off the codes: ="…" (the most common), a tab, an apostrophe
    ['="{c}"', "固镇县鑫源投资管理有限公司", "存续", '="2019-04-01"', "固镇县城关镇", "投资管理；投资咨询"],
    ["\t{c}", "固镇县聚宝寄卖行", "存续", "\t2019-04-01", "固镇县城关镇", "寄卖服务"],
    ["'{c}", "固镇县链上数字科技有限公司", "存续", "'2019-04-01", "固镇县城关镇", "区块链技术服务"],
    # cells that start like a formula: the output protects them, the ledger must get them as they were
    ['="{c}"', "固镇县安信商贸有限公司", "存续", "2019-04-01", "-", "-投资咨询；=会员积分服务"],
    ['="{c}"', "固镇县平安五金店", "存续", "2019-04-01", "固镇县", "五金销售"],
]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_wrapped_export_then_a_clean_one_is_recurring(ledger: Ledger, tmp_path, capsys, suffix: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    codes = list(REAL_CODES[: len(WRAPPED_ROWS)])
    wrapped = [[r[0].format(c=c), *r[1:]] for r, c in zip(WRAPPED_ROWS, codes)]
    clean = [[c, *r[1:3], "2019-04-01", *r[4:]] for r, c in zip(WRAPPED_ROWS, codes)]
    # a system's CSV export: ="…" written as the system writes it, unquoted where it can be
    src1 = tmp_path / "2025-06.csv"
    with src1.open("w", encoding="utf-8-sig", newline="") as f:
        f.write(",".join(HEADER) + "\r\n")
        for r in wrapped:
            f.write(",".join(r) + "\r\n")
    out1 = tmp_path / f"2025-06-screened{suffix}"
    summary = scan(capsys, src1, out1)
    assert "无效" not in summary and "无法识别" not in summary  # codes and dates read through their wrapping
    back = [chunk.frame for chunk in read_chunks(out1)][0]
    assert list(back["统一社会信用代码"]) == codes and list(back["成立日期"]) == ["2019-04-01"] * len(codes)
    assert list(back["经营范围"]) == [r[5] for r in WRAPPED_ROWS]  # the output's protection reads back as the input
    s1 = ingest(ledger, out1, month="2025-06", unit="城关镇", by="李四", complete=True)
    assert s1.states["new"] == 4
    assert set(ledger_entities(ledger)) == set(codes[:4])
    # the finding's context is the text screened, not the protected output cell
    found = contexts(ledger)["固镇县安信商贸有限公司"]
    assert all(c in WRAPPED_ROWS[3][5] for c in found) and any(c.startswith("-投资") for c in found), found
    src2 = write_csv(tmp_path / "2025-07.csv", clean)
    out2 = tmp_path / f"2025-07-screened{suffix}"
    scan(capsys, src2, out2)
    s2 = ingest(ledger, out2, month="2025-07", unit="城关镇", by="李四", complete=True)
    assert (s2.states["recurring"], s2.states["new"], s2.states["missing"]) == (4, 0, 0)
    assert s2.reopened == 0
    assert {c["key"]: c["state"] for c in list_clues(ledger, month="2025-07")} == dict.fromkeys(codes[:4], "recurring")


# --- item 2: ledger upgrade fixes keys stored wrapped ------------------------------


def _old_ledger(url: str, revision: str = "0001") -> None:
    """A ledger at schema 0001 holding what versions before 0002 stored from a wrapped
    export: keys '="…" (scan's CSV protected the =), '\\t… and '… for June; the clean
    July export then recorded the same entities again under their real codes."""
    from alembic import command

    led = Ledger.open(url, check=False)
    with led.engine.begin() as conn:
        command.upgrade(led._config(conn), revision)
    june = {"'=\"91510100350611266D\"": "固镇县鑫源投资管理有限公司", "'\t91350500676532779B": "固镇县聚宝寄卖行",
            "'91510100MA6BKY6U36": "固镇县链上数字科技有限公司"}
    terms = {"固镇县鑫源投资管理有限公司": "投资", "固镇县聚宝寄卖行": "寄卖", "固镇县链上数字科技有限公司": "区块链"}
    at = "2025-07-01 08:00:00+00:00"
    with led.engine.begin() as conn:
        conn.execute(text("INSERT INTO batches (id, unit, month, sha256, file_name, rows, flagged, complete, list_versions, \"by\", at)"
                          " VALUES (1, '城关镇', '2025-06', 'a', 'june.csv', 3, 3, true, '', '李四', :at),"
                          " (2, '城关镇', '2025-07', 'b', 'july.csv', 3, 3, true, '', '李四', :at)"), {"at": at})
        conn.execute(text("INSERT INTO unit_months VALUES ('城关镇', '2025-06', 1), ('城关镇', '2025-07', 2)"))
        for i, (old, name) in enumerate(june.items()):
            clean = unwrap(old)
            term = terms[name]
            for key, month, batch, state in ((old, "2025-06", 1, "new"), (old, "2025-07", 2, "missing"), (clean, "2025-07", 2, "new")):
                if not conn.execute(text("SELECT 1 FROM entities WHERE key = :k"), {"k": key}).first():
                    conn.execute(text("INSERT INTO entities VALUES (:k, '城关镇', :c, :n, :s, '', :m)"),
                                 {"k": key, "c": key, "n": name, "s": f"{term}服务", "m": month})
                conn.execute(text("INSERT INTO clue_months VALUES (:k, :m, :b, :st, 'order_rename', :n, :s, '', '存续', '2025-06-30', :q)"),
                             {"k": key, "m": month, "b": batch, "st": state, "n": name, "s": f"{term}服务", "q": i})
                if state != "missing":
                    if not conn.execute(text("SELECT 1 FROM findings WHERE key = :k"), {"k": key}).first():
                        decided = key == old and i == 0  # a reviewer's decision on the old key must survive
                        conn.execute(text("INSERT INTO findings (key, term, field, category, first_month, decision, reason, decided_by)"
                                          " VALUES (:k, :t, 'scope', 2, :m, :d, :r, :by)"),
                                     {"k": key, "t": term, "m": month, "d": "confirmed" if decided else None,
                                      "r": "已核实" if decided else None, "by": "赵审" if decided else None})
                    conn.execute(text("INSERT INTO finding_months VALUES (:k, :t, 'scope', :m, :b, :x, :c, '', '', '', '{}')"),
                                 {"k": key, "t": term, "m": month, "b": batch, "x": term, "c": term})
                conn.execute(text("INSERT INTO history (at, \"by\", key, subject, action, before, after, batch_id)"
                                  " VALUES (:at, '李四', :k, 'entity', :st, NULL, NULL, :b)"), {"at": at, "k": key, "st": state, "b": batch})
        if revision != "0001":  # the tables of later migrations, keyed by the wrapped key too
            old = next(iter(june))
            conn.execute(text("INSERT INTO licence_reviews (key, licensed, licence_no, issuer, \"by\", at)"
                              " VALUES (:k, false, '', '', '赵审', :at)"), {"k": old, "at": at})
            conn.execute(text("INSERT INTO key_cases (key, reason, since, amount, leader, supervised, \"by\", at)"
                              " VALUES (:k, '超过五年', '2019-01-01', '', '王县长', false, '赵审', :at)"), {"k": old, "at": at})
    led.dispose()


@pytest.mark.parametrize("revision", ["0001", "0005"])
def test_ledger_upgrade_fixes_wrapped_keys(db_url: str, capsys, revision: str) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    _old_ledger(db_url, revision)
    assert main(["ledger", "upgrade", "--db", db_url]) == 0
    assert f"{revision} →" in capsys.readouterr().out
    led = Ledger.open(db_url)
    try:
        found = ledger_entities(led)
        assert set(found) == {"91510100350611266D", "91350500676532779B", "91510100MA6BKY6U36"}
        assert {e["first_month"] for e in found.values()} == {"2025-06"}
        assert all(e["credit_code"] == k for k, e in found.items())
        with led.reading() as conn:
            months = {(r.key, r.month): r.state for r in conn.execute(select(clue_months))}
            decided = conn.execute(select(findings.c.decision, findings.c.reason).where(findings.c.key == "91510100350611266D")).one()
            seen = conn.execute(select(finding_months.c.key, finding_months.c.month)).all()
            rekeyed = conn.execute(select(history.c.key).where(history.c.action == "rekeyed")).all()
            keys_in_history = {k for (k,) in conn.execute(select(history.c.key))}
        assert months == {(k, m): s for k in found for m, s in (("2025-06", "new"), ("2025-07", "recurring"))}
        assert tuple(decided) == ("confirmed", "已核实")
        assert sorted(seen) == sorted((k, m) for k in found for m in ("2025-06", "2025-07"))
        assert len(rekeyed) == 3 and keys_in_history == set(found)
        if revision != "0001":
            with led.reading() as conn:
                assert [k for (k,) in conn.execute(text("SELECT key FROM licence_reviews"))] == ["91510100350611266D"]
                assert [k for (k,) in conn.execute(text("SELECT key FROM key_cases"))] == ["91510100350611266D"]
    finally:
        led.dispose()
    # upgrading again changes nothing
    assert main(["ledger", "upgrade", "--db", db_url]) == 0
    capsys.readouterr()
    led = Ledger.open(db_url)
    assert set(ledger_entities(led)) == set(found)
    led.dispose()


# --- item 16: --json is JSON --------------------------------------------------------


def test_every_json_command_prints_json_alone(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "l.db")
    src = write_csv(tmp_path / "in.csv", [[REAL_CODES[0], "固镇县鑫源投资管理有限公司", "存续", "2019-04-01", "固镇县", "投资咨询"]])
    out = tmp_path / "s.csv"
    scan(capsys, src, out)
    assert main(["ledger", "ingest", str(out), "--month", "2025-06", "--unit", "城关镇", "--by", "李四", "--db", db]) == 0
    assert main(["users", "add", "李四", "--unit", "城关镇", "--role", "clerk", "--db", db]) in (0, 2)
    capsys.readouterr()
    bundled = str(Path(__file__).resolve().parent.parent / "src" / "fangfei_screen" / "data" / "keywords.yaml")
    commands = [
        ["check", "--name", "固镇县鑫源投资管理有限公司", "--json"],
        ["keywords", "show", "--json"],
        ["keywords", "diff", bundled, bundled, "--json"],
        ["ledger", "list", "--json", "--db", db],
        ["ledger", "show", REAL_CODES[0], "--json", "--db", db],
        ["ledger", "history", REAL_CODES[0], "--json", "--db", db],
        ["users", "list", "--json", "--db", db],
    ]
    for args in commands:
        code = main(args)
        got = capsys.readouterr()
        assert code in (0, 1, 3), (args, got.err)
        json.loads(got.out)  # stdout is the JSON and nothing else
        if "--db" in args:
            assert "台账 / ledger:" in got.err  # the banner is not lost: it goes to stderr


def test_the_csv_block_path_counts_codes_and_unwraps_like_the_row_path(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    # UTF-8 without BOM: the path that passes clean lines in blocks (csvblocks)
    good = digit_codes(40)
    rows = []
    for i, code in enumerate(good):
        cell = {0: "9.13403E+17", 1: code[:17] + ("1" if code[17] != "1" else "2"), 2: f'="{code}"', 3: f"'{code}"}.get(i % 8, code)
        rows.append([cell, f"固镇县第{i}五金店", "存续", "2019-04-01", "固镇县", "投资咨询" if i % 5 == 0 else "五金销售"])
    src = write_csv(tmp_path / "utf8.csv", rows, encoding="utf-8")
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"out{jobs}.csv"
        assert main(["scan", str(src), "-o", str(out), "--as-of", "2025-06-30", "--jobs", jobs]) == 0
        summary = capsys.readouterr().out
        assert "5 行统一社会信用代码无效" in summary and "5 行统一社会信用代码校验位不符" in summary, summary
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    cells = [c for chunk in read_chunks(tmp_path / "out1.csv") for c in chunk.frame["统一社会信用代码"]]
    assert len(cells) == len(rows)
    assert [c for i, c in enumerate(cells) if i % 8 in (2, 3)] == [c for i, c in enumerate(good) if i % 8 in (2, 3)]
    raw = (tmp_path / "out1.csv").read_text(encoding="utf-8-sig")
    assert '="' not in raw and "\n'" not in raw  # the output holds the unwrapped code, not the wrapping
