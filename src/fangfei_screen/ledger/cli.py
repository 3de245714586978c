"""The ``ledger`` and ``users`` commands, and the ``--ledger`` options of ``report``.

Registered by ``fangfei_screen.cli`` through ``add_ledger_commands``; the database
libraries are imported only when a ledger command runs.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from typing import Any

from ..models import FIELD_LABELS

EXIT_BAD_INPUT = 2
_STATE_LABEL = {"new": "新发", "recurring": "持续", "resolved": "已消除", "missing": "缺失待核", "closed": "已注销/吊销/撤销/迁出",
                "licence_pending": "待核实牌照", "licensed": "已核实持牌"}


def _db_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="URL", help="台账数据库：sqlite:///文件 或 postgresql+psycopg://…（默认 $FANGFEI_DB，否则 ./fangfei-ledger.db）")


def _guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Ledger failures as one line on stderr with exit code 2, never a traceback."""

    @functools.wraps(run)
    def wrapper(args: argparse.Namespace) -> int:
        from sqlalchemy.exc import SQLAlchemyError

        from fangfei_screen.atomic import OutputError
        from fangfei_screen.report import ReportError
        from fangfei_screen.screener import ScreeningInputError
        from fangfei_screen.tables import TableError

        from .db import LedgerError

        name = " ".join(x for x in (args.command, getattr(args, "ledger_command", None) or getattr(args, "users_command", None)
                                                 or getattr(args, "keys_command", None) or getattr(args, "checks_command", None)) if x)
        try:
            return run(args)
        except (LedgerError, TableError, ScreeningInputError, ReportError, OutputError) as exc:
            print(f"fangfei-screen {name}: {exc}", file=sys.stderr)
        except SQLAlchemyError as exc:
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            print(f"fangfei-screen {name}: 台账数据库出错 / database error: {detail}", file=sys.stderr)
        return EXIT_BAD_INPUT

    return wrapper


def _open(args: argparse.Namespace) -> Any:
    from .db import Ledger

    ledger = Ledger.open(args.db)
    # with --json, stdout holds the JSON alone: the banner goes to stderr
    print(f"台账 / ledger: {ledger.display}", file=sys.stderr if getattr(args, "json", False) else sys.stdout)
    return ledger


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def add_ledger_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``ledger`` and ``users`` to the top-level subcommands, and ``--ledger`` to ``report``."""
    p = sub.add_parser("ledger", help="台账：按月录入筛查结果，复核、处置，导出导入（SQLite 或 PostgreSQL）")
    lg = p.add_subparsers(dest="ledger_command", required=True, metavar="ACTION")

    up = lg.add_parser("upgrade", help="把台账数据库升级到最新结构 / migrate the ledger database to the newest schema")
    _db_option(up)
    up.set_defaults(run=_guarded(run_upgrade))

    ing = lg.add_parser("ingest", help="把一个单位某月的筛查结果记入台账（同一文件同一月份只记一次）/ record a month's scan results for a unit")
    ing.add_argument("screened", metavar="SCREENED", help="scan 的结果文件（.csv、.xlsx、.parquet、.jsonl）/ results of `scan`")
    ing.add_argument("--month", required=True, metavar="YYYY-MM")
    ing.add_argument("--unit", required=True, help="填报单位（乡镇、部门）")
    ing.add_argument("--by", required=True, metavar="NAME", help="记录人 / who records it")
    ing.add_argument("--complete", action="store_true", help="文件是本单位的全部登记主体：文件中没有的未结线索记为缺失待核 / the file is the unit's whole register")
    ing.add_argument("--replace", action="store_true", help="替换本单位本月已记入的文件 / replace the file already recorded for this unit and month")
    ing.add_argument("--sheet", metavar="SHEET", help="只录入这个工作表（默认：以本单位命名的工作表，或所属乡镇/单位列为本单位的行）")
    from .clues import SCREENING_ORIGINS

    ing.add_argument("--source", choices=tuple(SCREENING_ORIGINS), default=None,
                     help="本次筛查线索的来源（附件2 线索来源；默认 市场监管登记排查，报为「其他（市场监管登记排查）」）")
    _db_option(ing)
    ing.set_defaults(run=_guarded(run_ingest))

    from .clues import FIELDS, ORIGINS

    ac = lg.add_parser("add-clue", help="录入线索：网格排查、群众举报、公安平台交办等来源发现的线索（附件2各项）/ a clue from another source (the fields of Attachment 2)")
    for name, label, required in FIELDS:
        opt = f"--{name.replace('_', '-')}"
        # choices are checked by the one validator (a Chinese line naming the field), not argparse
        if name == "origin":
            ac.add_argument(opt, dest=name, required=True, help=f"{label}：{'、'.join(ORIGINS)}")
        elif name == "subject_kind":
            ac.add_argument(opt, dest=name, default="单位", help=f"{label}：单位 或 个人（默认 单位）")
        else:
            ac.add_argument(opt, dest=name, required=required, default="", help=label + ("" if required else "（选填）"))
    ac.add_argument("--unit", required=True, help="填报单位")
    ac.add_argument("--month", metavar="YYYY-MM", help="记入哪个月（默认：发现时间所在月）")
    ac.add_argument("--by", required=True, metavar="NAME")
    _db_option(ac)
    ac.set_defaults(run=_guarded(run_add_clue))

    ic = lg.add_parser("import-clues", help="从表格（.xlsx/.csv，表头为附件2各栏）批量录入线索，全部无误才录入 / clues from a sheet; all or nothing")
    ic.add_argument("sheet", metavar="SHEET")
    ic.add_argument("--unit", required=True, help="填报单位")
    ic.add_argument("--month", metavar="YYYY-MM", help="记入哪个月（默认：各线索发现时间所在月）")
    ic.add_argument("--by", required=True, metavar="NAME")
    _db_option(ic)
    ic.set_defaults(run=_guarded(run_import_clues))

    ls = lg.add_parser("list", help="列出某月的线索及状态（默认：每条线索的最近月份）/ clues with their state in a month")
    ls.add_argument("--month", metavar="YYYY-MM")
    ls.add_argument("--unit")
    from .queries import LIST_STATES

    ls.add_argument("--state", choices=LIST_STATES)
    ls.add_argument("--json", action="store_true")
    _db_option(ls)
    ls.set_defaults(run=_guarded(run_list))

    for name, helptext, runner in (("show", "查看一个主体：各月记录、发现的字样、处置 / one entity: months, findings, disposals", run_show),
                                   ("history", "一个主体的全部变更记录，按时间先后 / every change to one entity, oldest first", run_history)):
        s = lg.add_parser(name, help=helptext)
        s.add_argument("key", metavar="KEY", help="统一社会信用代码, the ledger key (单位/名称) or the entity name")
        s.add_argument("--json", action="store_true")
        _db_option(s)
        s.set_defaults(run=_guarded(runner))

    rv = lg.add_parser("review", help="复核发现的字样：认定为其他含义或确认涉金融；或记录待核实牌照主体的牌照核实结果 / decide a finding, or record a licence review")
    rv.add_argument("key", metavar="KEY")
    rv.add_argument("--term", help="复核的字样，如 积分（--other-sense、--confirm 时必填）/ the listed term")
    rv.add_argument("--field", choices=("name", "scope"), help="只复核这一字段中的发现（name 名称 或 scope 经营范围；默认两者）/ only the finding in this field")
    which = rv.add_mutually_exclusive_group(required=True)
    which.add_argument("--other-sense", action="store_true", help="认定为其他含义：不再计入报表，直到文字变化 / not financial here: leaves the reports until the text changes")
    which.add_argument("--confirm", action="store_true", help="确认为线索 / confirmed as a clue")
    which.add_argument("--licensed", action="store_true", help="核实持牌（须 --licence-no、--issuer）：免于限制 / holds the licence: exempt")
    which.add_argument("--unlicensed", action="store_true", help="核实无牌照：作为风险线索（附件2）/ no licence: a clue like any other")
    rv.add_argument("--licence-no", default="", metavar="NO", help="许可证编号 / licence number (with --licensed)")
    rv.add_argument("--issuer", default="", help="发证机关 / issuer of the licence (with --licensed)")
    rv.add_argument("--reason", default="", help="理由（--other-sense 时必填）/ why (required with --other-sense)")
    rv.add_argument("--by", required=True, metavar="NAME")
    _db_option(rv)
    rv.set_defaults(run=_guarded(run_review))

    from .forms import MEASURES, PENALTY_TYPES

    dp = lg.add_parser("dispose", help="记录对线索的处置（附件3各项）/ record what was done about a clue (the fields of Attachment 3)")
    dp.add_argument("key", metavar="KEY")
    dp.add_argument("--measure", required=True, help="、".join(MEASURES))
    dp.add_argument("--date", default="", metavar="YYYY-MM-DD", help="处置日期（默认今天）/ when (default: today)")
    dp.add_argument("--by", required=True, metavar="NAME")
    for option, helptext in _DISPOSAL_OPTIONS:
        dp.add_argument(f"--{option.replace('_', '-')}", dest=option, default="", help=helptext)
    dp.epilog = "处罚类型：" + "、".join(PENALTY_TYPES)
    _db_option(dp)
    dp.set_defaults(run=_guarded(run_dispose))

    report = sub.choices.get("report")
    if report is not None:
        _extend_report(report)

    fb = lg.add_parser("feedback", help="本月列入重点监管的主体，报地方金融管理部门（工作方案第七条）/ entities under key supervision this month (plan §7)")
    fb.add_argument("--month", required=True, metavar="YYYY-MM")
    fb.add_argument("--unit", help="只列这个单位（默认全部）/ only this unit (default: all)")
    fb.add_argument("-o", "--output", required=True, help="输出文件：.xlsx、.csv、.parquet 或 .jsonl / the output file")
    _db_option(fb)
    fb.set_defaults(run=_guarded(run_feedback))

    ex = lg.add_parser("export", help="导出本月未结线索为 Excel，附件3各列待填写 / the month's open clues as a sheet with the Attachment 3 columns to fill")
    ex.add_argument("--month", required=True, metavar="YYYY-MM")
    ex.add_argument("--unit", help="只列这个单位（默认全部）/ only this unit (default: all)")
    ex.add_argument("-o", "--output", required=True, help="导出的表格，.xlsx / the sheet, .xlsx")
    _db_option(ex)
    ex.set_defaults(run=_guarded(run_export))

    im = lg.add_parser("import", help="导入填好的导出表：先逐格检查，全部无误才导入 / apply a filled export: all cells valid, or nothing applied")
    im.add_argument("sheet", metavar="SHEET", help="填好的 ledger export 表格（.xlsx）/ a filled `ledger export` sheet")
    im.add_argument("--by", required=True, metavar="NAME")
    _db_option(im)
    im.set_defaults(run=_guarded(run_import))

    us = sub.add_parser("users", help="台账与网页的用户（令牌以 argon2 散列保存）/ users of the ledger and the web pages")
    uc = us.add_subparsers(dest="users_command", required=True, metavar="ACTION")
    ua = uc.add_parser("add", help="添加用户，令牌只显示这一次 / add a user and print their token once")
    ua.add_argument("name")
    ua.add_argument("--unit", required=True)
    ua.add_argument("--role", required=True, choices=("clerk", "reviewer", "admin"))
    _db_option(ua)
    ua.set_defaults(run=_guarded(run_users_add))
    ur = uc.add_parser("revoke", help="停用用户：其令牌随即失效（记录保留）/ deactivate a user (history kept)")
    ur.add_argument("name")
    ur.add_argument("--by", default="", metavar="NAME")
    _db_option(ur)
    ur.set_defaults(run=_guarded(run_users_revoke))
    ul = uc.add_parser("list", help="列出在用的用户 / the active users")
    ul.add_argument("--json", action="store_true")
    _db_option(ul)
    ul.set_defaults(run=_guarded(run_users_list))

    from .recordcli import add_record_commands  # keys, checks, ledger backup (issue 19)

    add_record_commands(sub, lg, db_option=_db_option, guarded=_guarded)


_DISPOSAL_OPTIONS = (
    ("description", "风险情况描述"),
    ("authority", "负责处置的行政机关"),
    ("region", "涉及地区"),
    ("channel", "集资渠道"),
    ("amount", "集资金额（万元）"),
    ("unrefunded_amount", "未清退金额（万元）"),
    ("participants", "参与集资人数"),
    ("unrefunded_people", "未清退人数"),
    ("police", "是否移送公安：是/否"),
    ("case_date", "立案时间 YYYY-MM-DD"),
    ("admin_finding", "行政认定"),
    ("penalty_date", "作出处罚时间 YYYY-MM-DD"),
    ("penalty_type", "处罚类型（《行政处罚法》第九条）"),
    ("refunded_amount", "已清退资金金额（万元）"),
    ("remark", "备注"),
)


def run_upgrade(args: argparse.Namespace) -> int:
    from .db import Ledger

    ledger = Ledger.open(args.db, check=False)
    print(f"台账 / ledger: {ledger.display}")
    before, after = ledger.upgrade()
    print(f"结构版本 schema: {before or '（空库 / empty）'} → {after}")
    return 0


def run_ingest(args: argparse.Namespace) -> int:
    from .ingest import ingest

    ledger = _open(args)
    summary = ingest(ledger, args.screened, month=args.month, unit=args.unit, by=args.by, complete=args.complete, replace=args.replace,
                     sheet=args.sheet, source=args.source or "")
    print("\n".join(summary.lines()))
    return 0


def run_add_clue(args: argparse.Namespace) -> int:
    from .clues import Clue, add_clue

    clue = Clue.of({n: getattr(args, n) for n in Clue.names()})
    problems = clue.problems()
    if problems:
        from .clues import LABELS

        for n, message in problems.items():
            print(f"fangfei-screen ledger add-clue: --{n.replace('_', '-')}（{LABELS[n]}）：{message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    ledger = _open(args)
    added = add_clue(ledger, clue, unit=args.unit, by=args.by, month=args.month)
    if added.recorded:
        print(f"已录入线索：{clue.name}（{added.key}），{added.month} 新发，线索来源 {clue.source}")
    else:
        print(f"{clue.name} 在 {added.month} 已有线索，未重复录入 / already recorded")
    return 0


def run_import_clues(args: argparse.Namespace) -> int:
    from .clues import add_clues, read_clue_sheet

    clues, problems = read_clue_sheet(args.sheet)
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        print(f"fangfei-screen ledger import-clues: {len(problems)} 处问题，未录入任何线索 / nothing recorded", file=sys.stderr)
        return EXIT_BAD_INPUT
    ledger = _open(args)
    added = add_clues(ledger, clues, unit=args.unit, by=args.by, month=args.month, file_name=str(args.sheet)[-500:])
    new = sum(a.recorded for a in added)
    print(f"读取 {len(clues)} 条线索：新录入 {new} 条，已有未重复 {len(clues) - new} 条")
    return 0


def _state_text(item: dict[str, Any]) -> str:
    text = f"{_STATE_LABEL.get(item['state'], item['state'])}"
    if item["other_sense"]:
        text += "·其他含义"
    if item["disposed"]:
        text += "·已处置"
    return text


def run_list(args: argparse.Namespace) -> int:
    from .months import parse_month
    from .queries import list_clues

    month = parse_month(args.month) if args.month else None
    ledger = _open(args)
    items = list_clues(ledger, month=month, unit=args.unit, state=args.state)
    if args.json:
        _print_json([{k: v for k, v in i.items() if k != "findings"} for i in items])
        return 0
    for i in items:
        print(f"{i['month']}\t{_state_text(i)}\t{i['key']}\t{i['name']}\t{'、'.join(i['terms'])}")
    print(f"共 {len(items)} 条 / clue(s)")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from .queries import show

    ledger = _open(args)
    info = show(ledger, args.key)
    if args.json:
        _print_json(info)
        return 0
    print(f"{info['key']}  {info['name']}（{info['unit']}）")
    print(f"经营范围：{info['scope']}")
    for m in info["months"]:
        print(f"  {m['month']} {_STATE_LABEL.get(m['state'], m['state'])}（批次 {m['batch_id']}）{m['name']}")
    print("发现 findings:")
    for f in info["findings"]:
        decision = {"other_sense": "其他含义", "confirmed": "已确认", None: "待复核"}[f["decision"]]
        if f["decision"] is None and not f.get("current", True):
            decision = f"已不在最新登记中（最近见于 {f['months'][-1]}）" if f["months"] else "已不在最新登记中"
        print(f"  {f['term']}（{FIELD_LABELS.get(f['field'], f['field'])}「{f['context']}」，清单 {f['list_version']}）{decision}"
              + (f"：{f['reason']}（{f['decided_by']}）" if f["reason"] else ""))
    if info["disposals"]:
        print("处置 disposals:")
        for d in info["disposals"]:
            print(f"  {d['date']} {d['measure']}（{d['by']}）{d['description']}")
    return 0


def run_history(args: argparse.Namespace) -> int:
    from .queries import history_of

    ledger = _open(args)
    key, rows = history_of(ledger, args.key)
    if args.json:
        _print_json({"key": key, "history": rows})
        return 0
    from .history import sentence

    for r in rows:  # as a clerk reads it: 2025-06-20 王城关 记录处置：约谈，负责机关 …
        print(sentence(r))
    print(f"{key}：共 {len(rows)} 条记录 / history row(s)")
    return 0


def run_review(args: argparse.Namespace) -> int:
    from .db import LedgerError
    from .decisions import review, review_licence

    if args.licensed or args.unlicensed:
        if args.term or args.field:
            raise LedgerError("--licensed/--unlicensed 针对主体，不用 --term/--field / a licence is the entity's, not a term's")
        done = review_licence(_open(args), args.key, licensed=args.licensed, by=args.by,
                              licence_no=args.licence_no, issuer=args.issuer)
        what = f"核实持牌（许可证编号 {done['licence_no']}，发证机关 {done['issuer']}），免于限制" if args.licensed else "经核实无金融牌照，作为风险线索"
        print(f"{done['key']}：{what}" + (f"；{done['month']} 状态：{_STATE_LABEL.get(done['state'], done['state'])}" if "state" in done else ""))
        return 0
    if not args.term:
        raise LedgerError("--other-sense/--confirm 须写明 --term / the term is required")
    if args.licence_no or args.issuer:
        raise LedgerError("--licence-no/--issuer 只用于 --licensed / only with --licensed")
    ledger = _open(args)
    decision = "other_sense" if args.other_sense else "confirmed"
    changed = review(ledger, args.key, term=args.term, decision=decision, by=args.by, reason=args.reason, field=args.field)
    label = "其他含义（不再计入报表，文字变化时重新打开）" if args.other_sense else "确认"
    for c in changed:
        print(f"{args.key} {FIELD_LABELS.get(c['field'], c['field'])}中的“{c['term']}”：{label}")
    return 0


def run_dispose(args: argparse.Namespace) -> int:
    from .decisions import dispose
    from .forms import Disposal

    ledger = _open(args)
    form = Disposal(measure=args.measure, date=args.date, **{k: getattr(args, k) for k, _ in _DISPOSAL_OPTIONS})
    key, recorded = dispose(ledger, args.key, form, by=args.by)
    if recorded:
        print(f"{key}：已记录处置「{args.measure}」")
    else:
        print(f"{key}：相同的处置已记录，未重复 / the same disposal is already recorded")
    return 0


def run_users_add(args: argparse.Namespace) -> int:
    from .users import add_user

    ledger = _open(args)
    user, token = add_user(ledger, name=args.name, unit=args.unit, role=args.role)
    print(f"已添加用户 {user.name}（{user.unit}，{user.role.value}）")
    print(f"令牌 token（只显示这一次，请妥善保存 / shown once）：{token}")
    return 0


def run_users_revoke(args: argparse.Namespace) -> int:
    from .users import revoke_user

    ledger = _open(args)
    revoke_user(ledger, args.name, by=args.by)
    print(f"已停用用户 {args.name}，其令牌不再有效")
    return 0


def run_users_list(args: argparse.Namespace) -> int:
    from .users import list_users

    ledger = _open(args)
    people = list_users(ledger)
    if args.json:
        _print_json([{"name": u.name, "unit": u.unit, "role": u.role.value} for u in people])
    else:
        for u in people:
            print(f"{u.name}\t{u.unit}\t{u.role.value}")
    return 0


def _extend_report(report: argparse.ArgumentParser) -> None:
    """``report --ledger [--attachment 3]``: the same command, its rows from the ledger."""
    report.add_argument("--ledger", action="store_true", help="从台账生成（附件2：只列本月新发线索）/ rows from the ledger (Attachment 2: the month's new clues only)")
    report.add_argument("--attachment", type=int, choices=(2, 3), default=2, help="2: 排查统计表 (default); 3: 处置情况统计表 (needs --ledger)")
    report.add_argument("--county", action="store_true",
                        help="与 --ledger 同用：全县汇总表，按各单位报送时的表格合并（--unit 为汇总单位，如 县财政局）/ the county's roll-up, as sent")
    _db_option(report)
    for action in report._actions:
        if action.dest == "inputs":
            action.nargs = "*"  # results files are not needed when the rows come from the ledger
    plain = report.get_default("run")

    def run(args: argparse.Namespace) -> int:
        if args.county and not args.ledger:
            print("fangfei-screen report: --county 须与 --ledger 同用 / --county needs --ledger", file=sys.stderr)
            return EXIT_BAD_INPUT
        if args.ledger:
            return _guarded(run_ledger_report)(args)
        if args.attachment == 3:
            print("fangfei-screen report: 附件3（处置情况统计表）来自台账，请加 --ledger / Attachment 3 needs --ledger", file=sys.stderr)
            return EXIT_BAD_INPUT
        if not args.inputs:
            print("fangfei-screen report: 请给出 scan 的结果文件，或用 --ledger / give RESULTS files or --ledger", file=sys.stderr)
            return EXIT_BAD_INPUT
        return int(plain(args))

    report.set_defaults(run=run)


def run_ledger_report(args: argparse.Namespace) -> int:
    from fangfei_screen.report import ReportError, ReportHeader, write_report

    from .months import parse_month
    from .reports import attachment2_rows, attachment3_rows, write_attachment3

    if args.inputs or args.merge:
        print("fangfei-screen report: --ledger 不与结果文件或 --merge 同用 / --ledger takes no RESULTS", file=sys.stderr)
        return EXIT_BAD_INPUT
    month = parse_month(args.month)
    ledger = _open(args)
    if args.county:  # the bureau's roll-up of what the units sent (the page's 全县汇总表)
        return _county_report(ledger, args, month)
    unit = _known_unit(ledger, args.unit)
    if unit is None:
        return EXIT_BAD_INPUT
    args.unit = unit
    try:
        if args.attachment == 3:
            rows = attachment3_rows(ledger, month=month, unit=args.unit)
            n = write_attachment3(rows, month=month, unit=args.unit, output=args.output, filler=args.filler)
            what = "处置情况统计表（附件3）"
        else:
            header = ReportHeader(month=month, unit=args.unit, filler=args.filler)
            n = write_report(attachment2_rows(ledger, month=month, unit=args.unit), header, args.output)
            what = f"《{header.title}》（附件2，仅本月新发线索）"
    except ReportError as exc:
        print(f"fangfei-screen report: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{what}：{n} 条，已写入 {args.output}")
    return 0


def _county_report(ledger: Any, args: argparse.Namespace, month: str) -> int:
    from fangfei_screen.report import ReportHeader

    from .county import county_month, write_county_form
    from .sending import SendState

    county = county_month(ledger, month=month)
    for u in county.units:
        if u.state is not SendState.SENT:
            print(f"！注意 WARNING: {u.unit} {month} {u.state.label}" + ("，按上次报送的表格计入" if u.sent else "，不在汇总中"),
                  file=sys.stderr)
    n = write_county_form(county, attachment=args.attachment, unit=args.unit, filler=args.filler, output=args.output)
    what = ("处置情况统计表（附件3）全县汇总" if args.attachment == 3
            else f"《{ReportHeader(month=month, unit=args.unit).title}》（附件2）全县汇总")
    sent = sum(1 for u in county.units if u.sent)
    print(f"{what}：{sent} 个单位已报送，{n} 条，已写入 {args.output}")
    return 0


def _known_unit(ledger: Any, unit: str) -> str | None:
    """The unit as the ledger writes it (城关 → 城关镇); None, after one line naming the
    units there are, when the ledger has never heard of it: an empty form for a misspelt
    unit would look like a month without clues."""
    from .sending import reporting_units
    from .units import names_unit

    known = reporting_units(ledger)
    if not known or unit in known:
        return unit
    named = [u for u in known if names_unit(unit, u)]
    if len(named) == 1:
        print(f"单位「{unit}」按台账中的「{named[0]}」报送 / unit read as {named[0]}", file=sys.stderr)
        return named[0]
    print(f"fangfei-screen report: 台账中没有单位「{unit}」；已有的单位：{'、'.join(known)} / no such unit in the ledger",
          file=sys.stderr)
    return None


def run_feedback(args: argparse.Namespace) -> int:
    from .months import parse_month
    from .reports import feedback_rows, write_feedback

    month = parse_month(args.month)
    ledger = _open(args)
    n = write_feedback(feedback_rows(ledger, month=month, unit=args.unit), month=month, output=args.output, unit=args.unit or "")
    print(f"{month} 列入重点监管的主体：{n} 个，已写入 {args.output}（供地方金融管理部门，工作方案第七条）")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from .months import parse_month
    from .sheets import export_sheet

    month = parse_month(args.month)
    ledger = _open(args)
    n = export_sheet(ledger, month=month, output=args.output, unit=args.unit)
    print(f"{month} 未结线索 {n} 条，已写入 {args.output}（填写处置各列后用 ledger import 导入）")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from .sheets import import_sheet

    ledger = _open(args)
    report = import_sheet(ledger, args.sheet, by=args.by)
    if report.problems:
        for p in report.problems:
            print(p, file=sys.stderr)
        print(f"fangfei-screen ledger import: {len(report.problems)} 处问题，未导入任何内容 / nothing applied", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"读取 {report.rows} 行：新记录处置 {report.recorded} 条，已有未重复 {report.already} 条")
    return 0
