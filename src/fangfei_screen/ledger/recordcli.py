"""The ``keys`` and ``checks`` commands and ``ledger backup`` (issue 19).

Registered by ``ledger.cli.add_ledger_commands``; the database libraries are imported only
when a command runs.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any


def add_record_commands(
    sub: argparse._SubParsersAction, ledger_sub: argparse._SubParsersAction, *,
    db_option: Callable[[argparse.ArgumentParser], None], guarded: Callable[[Callable[[argparse.Namespace], int]], Any],
) -> None:
    ks = sub.add_parser("keys", help="调用系统的密钥（名称自主申报系统等调用检查接口用；argon2 哈希保存）")
    kc = ks.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    ka = kc.add_parser("add", help="为一个调用系统发放密钥，只显示这一次 / add a key and print it once")
    ka.add_argument("--system", required=True, help="调用系统，如 名称自主申报系统")
    ka.add_argument("--unit", required=True, help="使用单位，如 固镇县市场监督管理局")
    ka.add_argument("--by", default="", metavar="NAME", help="发放人")
    db_option(ka)
    ka.set_defaults(run=guarded(run_keys_add))
    kl = kc.add_parser("list", help="有效的密钥（--all 含已停用的）/ the active keys")
    kl.add_argument("--all", action="store_true")
    kl.add_argument("--json", action="store_true")
    db_option(kl)
    kl.set_defaults(run=guarded(run_keys_list))
    kr = kc.add_parser("revoke", help="停用密钥：调用立即（至多 10 秒内）失效，记录保留 / revoke a key")
    kr.add_argument("key_id", metavar="KEY_ID", help="密钥编号（keys list 所示），或完整密钥")
    kr.add_argument("--by", default="", metavar="NAME")
    db_option(kr)
    kr.set_defaults(run=guarded(run_keys_revoke))

    cs = sub.add_parser("checks", help="核查记录：每次预登记检查及受理结果（采纳/不采纳），供督导")
    cc = cs.add_subparsers(dest="checks_command", required=True, metavar="ACTION")
    cl = cc.add_parser("list", help="某月的核查记录 / the month's checks")
    cl.add_argument("--month", required=True, metavar="YYYY-MM")
    cl.add_argument("--outcome", choices=("adopted", "overridden", "none"),
                    help="按受理结果筛选：adopted 采纳、overridden 不采纳、none 未记录")
    cl.add_argument("--unit")
    cl.add_argument("--json", action="store_true")
    db_option(cl)
    cl.set_defaults(run=guarded(run_checks_list))
    ce = cc.add_parser("export", help="某月的核查记录导出为 Excel（中文表头）/ the month's checks as .xlsx")
    ce.add_argument("--month", required=True, metavar="YYYY-MM")
    ce.add_argument("-o", "--output", required=True, metavar="FILE.xlsx")
    ce.add_argument("--outcome", choices=("adopted", "overridden", "none"))
    ce.add_argument("--unit")
    db_option(ce)
    ce.set_defaults(run=guarded(run_checks_export))
    co = cc.add_parser("outcome", help="记录受理结果 / record what the desk did with a check's advice")
    co.add_argument("check_id", metavar="CHECK_ID")
    co.add_argument("--outcome", required=True, choices=("adopted", "overridden"))
    co.add_argument("--reason", default="")
    co.add_argument("--by", required=True, metavar="NAME")
    db_option(co)
    co.set_defaults(run=guarded(run_checks_outcome))

    bk = ledger_sub.add_parser("backup", help="在线备份 SQLite 台账（不停服务）；PostgreSQL 请用 pg_dump")
    bk.add_argument("-o", "--output", required=True, metavar="FILE")
    db_option(bk)
    bk.set_defaults(run=guarded(run_backup))


def _open(args: argparse.Namespace, *, create: bool = True) -> Any:
    from .db import Ledger, LedgerError, resolve_url

    # reading or annotating the record never creates a ledger: an empty file named like one would
    # hide where the service really records its checks
    ledger = Ledger.open(args.db, create=True) if create else Ledger.open_existing(args.db)
    if ledger is None:
        raise LedgerError(f"没有台账数据库 {resolve_url(args.db)}；检查记录在 serve 所用的台账里，请用 --db 或 FANGFEI_DB 指定")
    print(f"台账 / ledger: {ledger.display}")
    return ledger


def _json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def run_keys_add(args: argparse.Namespace) -> int:
    from .keys import add_key

    key, token = add_key(_open(args), system=args.system, unit=args.unit, by=args.by)
    print(f"已为「{key.system}」（{key.unit}）发放密钥，编号 {key.key_id}")
    print(f"密钥 key（只显示这一次，请妥善保存 / shown once）：{token}")
    print("调用时请求头带 Authorization: Bearer <密钥>；一旦存在有效密钥，检查接口即需要密钥。")
    return 0


def run_keys_list(args: argparse.Namespace) -> int:
    from .keys import list_keys

    keys = list_keys(_open(args), all_keys=args.all)
    if args.json:
        _json([{"key_id": k.key_id, "system": k.system, "unit": k.unit, "active": k.active,
                "created_at": k.created_at, "revoked_at": k.revoked_at} for k in keys])
        return 0
    if not keys:
        print("没有有效的密钥：检查接口无需密钥（除非 serve --require-keys）")
    for k in keys:
        state = "有效" if k.active else f"已停用 {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "已停用"
        print(f"{k.key_id}\t{k.system}\t{k.unit}\t{state}")
    return 0


def run_keys_revoke(args: argparse.Namespace) -> int:
    from .keys import revoke_key

    key = revoke_key(_open(args), args.key_id, by=args.by)
    print(f"已停用密钥 {key.key_id}（{key.system}，{key.unit}）")
    return 0


def run_checks_list(args: argparse.Namespace) -> int:
    from .checks import EXPORT_HEADERS, list_checks, record_cells

    records = list_checks(_open(args, create=False), month=args.month, outcome=args.outcome, unit=args.unit)
    if args.json:
        _json([r.to_dict() for r in records])
        return 0
    shown = ("核查编号", "核查时间", "调用方", "单位", "名称", "检查结论", "计入字样", "处理结果", "理由")
    index = [EXPORT_HEADERS.index(h) for h in shown]
    print("\t".join(shown))
    for r in records:
        cells = record_cells(r)
        print("\t".join(cells[i].replace("\t", " ").replace("\n", " ") for i in index))
    print(f"共 {len(records)} 条核查记录")
    return 0


def run_checks_export(args: argparse.Namespace) -> int:
    from .checks import export_checks

    n = export_checks(_open(args, create=False), month=args.month, output=args.output, outcome=args.outcome, unit=args.unit)
    print(f"{n} 条核查记录已写入 {args.output}")
    return 0


def run_checks_outcome(args: argparse.Namespace) -> int:
    from .checks import add_outcome

    rec = add_outcome(_open(args, create=False), args.check_id, outcome=args.outcome, reason=args.reason, by=args.by)
    assert rec.outcome is not None
    print(f"{rec.id}：已记录「{rec.outcome.outcome.label}」（第 {len(rec.outcomes)} 次记录）")
    return 0


def run_backup(args: argparse.Namespace) -> int:
    from .backup import backup

    ledger = _open(args, create=False)
    size = backup(ledger, args.output)
    print(f"台账已备份到 {args.output}（{size:,} 字节）")
    return 0
