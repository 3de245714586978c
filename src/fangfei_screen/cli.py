"""The ``fangfei-screen`` command line."""

from __future__ import annotations

import argparse
import errno
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from . import __version__
from .argchinese import ChineseArgumentParser
from .atomic import OutputError, check_distinct
from .lexicon import KeywordListError
from .models import Action, Field, Hit, Kind, Result, SuppressReason
from .report import ReportError
from .rescreen import RescreenError
from .screener import Screener, ScreeningInputError
from .readers import TableError

# Exit codes of `check`, for scripts at the registration desk.
EXIT_PROCEED, EXIT_BLOCK, EXIT_BAD_INPUT, EXIT_FOLLOW_UP = 0, 1, 2, 3
_EXIT_FOR_ACTION = {
    Action.PASS: EXIT_PROCEED,
    Action.ALLOW_REMOVAL: EXIT_PROCEED,
    Action.EXEMPT: EXIT_PROCEED,
    Action.CLOSED: EXIT_PROCEED,
    Action.BLOCK: EXIT_BLOCK,
    Action.ORDER_RENAME: EXIT_FOLLOW_UP,
    Action.PROPOSE_REVOCATION: EXIT_FOLLOW_UP,
    Action.VERIFY_LICENCE: EXIT_FOLLOW_UP,
}
_FIELD_LABEL = {Field.NAME: "名称", Field.SCOPE: "经营范围"}
_REASON_LABEL = {
    SuppressReason.PLACE_NAME: "地名",
    SuppressReason.EXCLUSION: "清单排除项",
    SuppressReason.WORD_BOUNDARY: "跨越词边界",
    SuppressReason.NEGATED: "位于否定条款内",
    SuppressReason.OTHER_SENSE: "非金融词义",
}


_KINDS = [k.value for k in Kind]
# scan's --X-col options, one per field a registry file may hold
_SCAN_COLUMNS = (
    ("name", "名称"), ("scope", "经营范围"), ("credit_code", "统一社会信用代码"), ("entity_type", "企业类型"),
    ("established_on", "成立日期"), ("status", "登记状态"), ("suspended_since", "停业日期"), ("address", "住所"),
)


class UsageError(Exception):
    """A bad invocation: reported in one line with exit code 2."""


def describe_hit(hit: Hit) -> str:
    where = f"{_FIELD_LABEL[hit.field]}第{hit.start + 1}–{hit.end}字「{hit.text}」"
    what = f"{hit.keyword}（类别{hit.category}：{hit.category_name}"
    if hit.methods:
        what += f"；可能的集资方式：{'、'.join(hit.methods)}"
    what += f"；清单 {hit.list_name} {hit.list_version}）"
    if hit.reason is not None:
        return f"{where} → {what}，不计入：{_REASON_LABEL[hit.reason]} {hit.detail}"
    return f"{where} → {what}"


def describe_result(result: Result) -> str:
    lines = [f"结论：{result.action.label}（{result.action.value}）"]
    if result.hits:
        lines.append("命中字样：")
        lines += [f"  {describe_hit(h)}" for h in result.hits]
    if result.watch:
        lines.append("重点监管关注字样（不影响结论）：")
        lines += [f"  {describe_hit(h)}" for h in result.watch]
    if result.before_keywords:
        lines.append(f"变更前字样：{'、'.join(result.before_keywords)}")
    if result.suppressed:
        lines.append("未计入的匹配：")
        lines += [f"  {describe_hit(h)}" for h in result.suppressed]
    if result.institution is not None:
        i = result.institution
        lines.append(f"名称显示的机构类型：{i.kind}（须持{i.regulator}核发的{i.approval}）")
    lines.append(f"依据：{result.basis}")
    lines.append(f"清单版本：{result.list_version}（sha256 {result.list_sha256[:12]}…）")
    if result.licences_file:
        lines.append(f"持牌机构名录：{result.licences_file}（sha256 {result.licences_sha256[:12]}…）")
    return "\n".join(lines)


def _add_list_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--list", dest="lists", action="append", metavar="FILE",
        help="字样清单 YAML，可重复 / keyword list YAML (repeat to combine lists; default: the bundled Attachment 1 list)",
    )
    p.add_argument(
        "--licences", metavar="FILE",
        help="持牌机构名录 CSV/XLSX（机构名称和/或统一社会信用代码列，可有许可证类型、许可证编号、发证机关）/ "
             "register of licensed institutions: those on it are exempt; an institution-kind name not on it gets the strict action",
    )


_KIND_HELP = (
    "申请类型 kind: new = 设立登记 (a new registration: a listed word blocks it); "
    "change = 变更登记 (a change: compared with the name and scope before it; removing a word is allowed); "
    "existing = 存量主体 (a registered entity: rename, deregister or propose revocation)"
)


def _add_check(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="登记前核查一件申请 / pre-registration check of one application (退出码 exit 0 可办理 proceed, 1 禁止 block, 3 需跟进 follow-up, 2 输入有误 bad input)",
        description="登记前核查一件申请的名称和经营范围 / check one application's name and business scope. " + _KIND_HELP,
    )
    p.add_argument("--name", required=True, help="名称 / entity name (不能为空 / must not be empty)")
    p.add_argument("--scope", default="", help="经营范围 / business scope")
    p.add_argument("--kind", default="new", choices=_KINDS, help=_KIND_HELP)
    p.add_argument("--before-name", help="变更前的名称 / registered name before the change")
    p.add_argument("--before-scope", help="变更前的经营范围 / registered scope before the change")
    p.add_argument("--entity-type", metavar="TYPE", help="企业类型 / entity type, as the registry writes it (有限责任公司, 个体工商户, 农民专业合作社 … or company/individual/…)")
    p.add_argument("--status", metavar="STATUS", help="登记状态 / status, as the registry writes it (存续, 未开业, 停业, 歇业 … or operating/not_opened/…)")
    p.add_argument("--established-on", metavar="DATE", help="成立日期 / date established (2024-06-01, 2024/6/1, 2024年6月1日, 20240601)")
    p.add_argument("--suspended-since", metavar="DATE", help="停业日期 / suspended since (same spellings)")
    p.add_argument("--licensed", action="store_true", help="持有金融牌照或批准 / holds the financial licence or approval")
    p.add_argument("--credit-code", metavar="CODE", help="统一社会信用代码 / credit code (在持牌机构名录中先按它查找 / looked up first on --licences)")
    p.add_argument("--as-of", metavar="DATE", help="核查日期 / date of the screening (默认今天 default: today)")
    p.add_argument("--json", action="store_true", help="输出 JSON / print Result.to_dict() as JSON")
    _add_list_option(p)
    p.set_defaults(run=run_check)


def _value(parse: Any, text: str | None, option: str, what: str) -> Any:
    """A check option through the same value parser as scan's cells; UsageError if not understood."""
    if text is None or not text.strip():
        return None
    try:
        value = parse(text)
    except ValueError:
        value = None
    if value is None:
        raise UsageError(f"{option}「{text}」不是可识别的{what} / not a recognised {what}")
    return value


def run_check(args: argparse.Namespace) -> int:
    from .values import entity_type_of, parse_date, status_of

    if not args.name.strip():
        raise UsageError("--name：名称不能为空 / the name is empty")
    result = Screener(lists=args.lists or None, licences=args.licences).screen(
        args.name,
        args.scope,
        kind=args.kind,
        before_name=args.before_name,
        before_scope=args.before_scope,
        entity_type=_value(entity_type_of, args.entity_type, "--entity-type", "企业类型"),
        status=_value(status_of, args.status, "--status", "登记状态"),
        established_on=_value(parse_date, args.established_on, "--established-on", "日期"),
        suspended_since=_value(parse_date, args.suspended_since, "--suspended-since", "日期"),
        licensed=args.licensed,
        as_of=_value(parse_date, args.as_of, "--as-of", "日期"),
        credit_code=args.credit_code,
    )
    _print_to_reader(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) if args.json else describe_result(result))
    return _EXIT_FOR_ACTION[result.action]


def _print_to_reader(text: str) -> None:
    """Print, as `check … | head` wants: a reader that stops early is not bad input, and
    the exit code still says the action (what the registration system acts on)."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit


def _add_scan(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "scan",
        help="批量筛查登记表 / screen a registry file into a results file, one row per input row",
        description=(
            "批量筛查登记表：每个输入行输出一次，附筛查结果 / screen a registry file, every input row once, in order. "
            "读取 reads: CSV/TSV/TXT (UTF-8, UTF-8 BOM, GBK/GB18030, Excel 的 Unicode 文本 = UTF-16), "
            ".xlsx/.xlsm/.xls/.ods (每个有表头的工作表 every sheet with a header), .parquet, .jsonl."
        ),
    )
    p.add_argument("input", help="登记表 / registry extract (.csv .txt .tsv .xlsx .xlsm .xls .ods .parquet .jsonl)")
    p.add_argument("-o", "--output", required=True, help="结果文件 / results: .csv, .xlsx, .parquet or .jsonl")
    p.add_argument("--kind", default="existing", choices=_KINDS, help=_KIND_HELP.replace("申请类型", "主体类型"))
    p.add_argument("--as-of", metavar="DATE", help="筛查日期 / date of the screening (默认今天 default: today)")
    p.add_argument("--encoding", help="文本编码 / text encoding (默认自动识别 default: detected)")
    p.add_argument("--header-row", type=int, metavar="N",
                   help="表头所在行（从 1 数）/ the header's row, counted from 1 (默认：前 30 行中第一个含名称列的行 default: the first row with a name column)")
    p.add_argument("--sheet", dest="sheets", action="append", metavar="NAME",
                   help="只读这个工作表，可重复 / read only this sheet (repeatable; default: every sheet with a header)")
    for key, label in _SCAN_COLUMNS:
        if key == "scope":
            p.add_argument("--scope-col", action="append", metavar="COLUMN",
                           help="经营范围列，可重复（如一般项目、许可项目两列）/ column of the scope (repeatable: several are screened together)")
            continue
        p.add_argument(
            f"--{key.replace('_', '-')}-col", metavar="COLUMN", help=f"{label}列 / column of {label} (默认按常用表头查找 default: found by its usual header)"
        )
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="并行进程数 / screen in N processes (结果相同 same results)")
    p.add_argument("--only-flagged", action="store_true", help="只输出需处置的行和错误 / write only rows to act on (and errors)")
    p.add_argument("--chunk-rows", type=int, default=20_000, help=argparse.SUPPRESS)
    _add_list_option(p)
    p.set_defaults(run=run_scan)


def run_scan(args: argparse.Namespace) -> int:
    from .scanfile import scan_file
    from .values import parse_date

    if args.jobs < 1:
        raise UsageError("--jobs 至少为 1 / --jobs must be at least 1")
    columns = {key: getattr(args, f"{key}_col") for key, _ in _SCAN_COLUMNS}
    summary = scan_file(
        args.input,
        args.output,
        kind=args.kind,
        as_of=_value(parse_date, args.as_of, "--as-of", "日期"),  # 2025-06-30, 2025年6月30日 … as check reads it
        encoding=args.encoding,
        lists=args.lists or (),
        licences=args.licences,
        jobs=args.jobs,
        only_flagged=args.only_flagged,
        chunk_rows=args.chunk_rows,
        progress=sys.stderr.isatty(),
        columns=columns,
        header_row=args.header_row,
        sheets=args.sheets or (),
    )
    print("\n".join(summary.lines()))
    print(f"结果已写入 {args.output}")
    if summary.rows == len(summary.errors):
        # nothing was screened: a clerk must not take this file for a clean one
        what = "文件没有数据行" if summary.rows == 0 else "每一行都无法筛查"
        print(f"fangfei-screen scan: {what}，没有筛查任何主体 / nothing was screened in {args.input}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def _add_report(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report", help="生成附件2月报表 / write the monthly Attachment 2 table (排查统计表) from scan results",
        description="由 scan 的结果生成《非法金融活动风险线索排查统计表》/ write Attachment 2 from scan results (or merge units' reports)",
    )
    p.add_argument("inputs", nargs="+", metavar="RESULTS", help="scan 的结果文件（--merge 时为各单位报表）/ results of `scan` (or, with --merge, units' reports)")
    p.add_argument("--month", required=True, metavar="YYYY-MM", help="报告月份 / the month reported")
    p.add_argument("--unit", required=True, help="填报单位 / reporting unit")
    p.add_argument("--filler", default="", help="填报人 / person filling in the form")
    p.add_argument("--date", metavar="DATE", help="填报时间 / date filled in (默认今天 default: today)")
    p.add_argument("--merge", action="store_true", help="合并各单位报表，重新编号、去重 / merge units' reports into one, numbered anew, duplicates removed")
    p.add_argument("-o", "--output", required=True, help="报表 / the table, .xlsx")
    p.set_defaults(run=run_report)


def run_report(args: argparse.Namespace) -> int:
    from .report import ReportHeader, merged_rows, reported_rows, write_report
    from .values import parse_date

    filled_on = _value(parse_date, args.date, "--date", "日期")
    header = ReportHeader(month=args.month, unit=args.unit, filler=args.filler, filled_on=filled_on)
    header.title  # noqa: B018 - fail on a bad month before reading anything
    check_distinct(args.inputs, args.output)
    if args.merge:
        merged = merged_rows(args.inputs, month=args.month)
        for warning in merged.warnings:
            print(f"！注意 WARNING: {warning}")
        rows = merged.rows
    else:
        reported = reported_rows(args.inputs)
        for warning in reported.warnings:
            print(f"！注意 WARNING: {warning}")
        rows = reported.rows
    n = write_report(rows, header, args.output)
    print(f"《{header.title}》：{n} 条线索，已写入 {args.output}")
    return 0


def _add_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="运行预登记检查的 HTTP 服务和网页（需要 [server] 组件）/ run the HTTP pre-registration check (needs the [server] extra)")
    p.add_argument("--host", default="127.0.0.1", help="监听地址（默认只监听本机 127.0.0.1）/ address to bind (default: loopback only)")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--access-log", action="store_true", help="记录每个请求 / log every request")
    p.add_argument("--read-timeout", type=float, default=20.0, metavar="SECONDS",
                   help="客户端发完一个请求的时限，秒（默认 20）/ seconds a client has to send a whole request")
    p.add_argument("--db", metavar="URL", help="台账数据库，记录每次检查（默认 $FANGFEI_DB，否则 ./fangfei-ledger.db；不存在时不记录）")
    p.add_argument("--no-record-text", action="store_true",
                   help="核查记录只保存输入的 sha256，不保存名称和经营范围原文 / keep only the input's sha256")
    p.add_argument("--require-keys", action="store_true",
                   help="检查接口一律需要密钥（默认：存在任一有效密钥时才需要）/ always require an API key")
    p.add_argument("--key-rate", default="600/minute", metavar="RATE",
                   help="每个密钥的频率限制，如 600/minute、20/second（默认 600/minute）")
    p.add_argument("--log-json", action="store_true", help="每个请求、每次检查结论各写一行 JSON 到标准错误 / JSON lines on stderr")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="工作进程数，共用端口、登录会话和批量任务（默认 1）/ worker processes sharing the port, the sessions and the jobs")
    _add_list_option(p)
    p.set_defaults(run=run_serve)


def _can_listen(host: str, port: int) -> None:
    """Refuse, in one line and before anything is loaded or printed, a port that cannot be
    served: out of range, taken by another program, or an address this machine does not have."""
    import socket

    if not 1 <= port <= 65535:
        raise UsageError(f"--port 应为 1 到 65535 之间的整数，而非 {port} / --port must be 1-65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise UsageError(f"--host「{host}」不是本机能监听的地址 / not an address to bind") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is no obstacle
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(f"无法在 {host}:{port} 提供服务：端口已被其他程序占用，请换一个 --port / port in use") from None
            raise UsageError(f"无法在 {host}:{port} 提供服务：本机没有这个地址或无权监听（{exc.strerror}），"
                             f"请检查 --host / cannot listen there") from None


def run_serve(args: argparse.Namespace) -> int:
    try:
        from .server import create_app, serve
    except ImportError as exc:
        raise UsageError(f"the HTTP service needs the server extra: pip install 'fangfei-screen[server]' ({exc.name})") from None
    if not args.read_timeout > 0:
        raise UsageError("--read-timeout 应为正数（秒）/ --read-timeout must be a positive number of seconds")
    _can_listen(args.host, args.port)
    from limits import parse

    try:
        parse(args.key_rate)
    except ValueError:
        raise UsageError(f"--key-rate 应为“次数/时间单位”，如 600/minute，而非 '{args.key_rate}'") from None
    if args.log_json:
        from .serving.logjson import configure

        configure()
    if not 1 <= args.workers <= 64:
        raise UsageError("--workers 应为 1 到 64 之间的整数 / --workers must be between 1 and 64")
    if args.workers > 1:
        from .server import serve_workers

        Screener(lists=args.lists or None, licences=args.licences or None)  # a broken list is refused here, in one line, before any worker starts
        from .serving.book import CheckBook
        from .serving.ledgerref import LedgerRef

        ref = LedgerRef(args.db)  # a database that cannot be opened is refused here too, in one line
        try:
            recording = _recording_line(CheckBook(ref, record_text=not args.no_record_text), text=not args.no_record_text)
        finally:
            ref.dispose()
        print(f"fangfei-screen {__version__} serving on http://{args.host}:{args.port} ({args.workers} workers)", flush=True)
        print(recording, flush=True)
        serve_workers(workers=args.workers, list_paths=args.lists, licences_path=args.licences, host=args.host, port=args.port,
                      access_log=args.access_log, read_timeout=args.read_timeout, db=args.db,
                      record_text=not args.no_record_text, require_keys=args.require_keys, key_rate=args.key_rate,
                      log_json=args.log_json)
        return 0
    app = create_app(list_paths=args.lists, licences_path=args.licences, db=args.db, record_text=not args.no_record_text,
                     require_keys=args.require_keys, key_rate=args.key_rate)
    print(f"fangfei-screen {__version__} serving on http://{args.host}:{args.port} "
          f"(list {app.state.holder.screener.list_version})", flush=True)
    print(_recording_line(app.state.checks, text=not args.no_record_text), flush=True)
    serve(app, host=args.host, port=args.port, access_log=args.access_log, read_timeout=args.read_timeout)
    return 0


def _recording_line(book: Any, *, text: bool) -> str:
    from .ledger.db import LedgerError

    try:
        ledger = book.ledger.get()
    except LedgerError as exc:
        raise UsageError(f"台账数据库无法使用，检查无法记录：{exc}") from None
    if ledger is None:
        return ("核查记录：未开启——没有台账数据库（fangfei-screen ledger upgrade 可创建）/ checks are not recorded")
    return f"核查记录 / check record: {ledger.display}" + ("" if text else "（只保存输入的 sha256）")


def _add_keywords(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("keywords", help="检查、比较、查看字样清单 / check, compare and show keyword lists")
    kw = p.add_subparsers(dest="keywords_command", required=True, metavar="ACTION")
    v = kw.add_parser("validate", help="检查清单，列出每个问题及其行号（有问题时退出码 1）/ every problem in a list, each with its line")
    v.add_argument("file")
    v.set_defaults(run=run_keywords_validate)
    d = kw.add_parser("diff", help="比较两份清单：增加、删除或改动的字样、同义词、排除词和类别 / what changed between two lists")
    d.add_argument("old")
    d.add_argument("new")
    d.add_argument("--json", action="store_true")
    d.set_defaults(run=run_keywords_diff)
    s = kw.add_parser("show", help="以表格显示清单（默认：内置清单）/ the list as a table (default: the bundled list)")
    s.add_argument("file", nargs="?")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=run_keywords_show)


def run_keywords_validate(args: argparse.Namespace) -> int:
    from .lexicon import validate_list

    problems = validate_list(args.file)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} 处问题 / problem(s) in {args.file}")
        return 1
    print(f"{args.file}: 清单有效 / the list is valid")
    return 0


def run_keywords_diff(args: argparse.Namespace) -> int:
    from .lexicon import load_list
    from .listtools import diff_lists

    diff = diff_lists(load_list(args.old), load_list(args.new))
    if args.json:
        print(json.dumps(diff.to_dict(), ensure_ascii=False, indent=2))
    else:
        print("\n".join(diff.lines()))
    return 0


def run_keywords_show(args: argparse.Namespace) -> int:
    from .lexicon import bundled_list_path, load_list
    from .listtools import describe_list, describe_term, table_lines

    kl = load_list(args.file or bundled_list_path())
    if args.json:
        body = {**describe_list(kl), "terms": [describe_term(t) for t in kl.terms]}
        print(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        print("\n".join(table_lines(kl)))
    return 0


def _add_rescreen(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "rescreen", help="清单更新后重新筛查，只输出结果变化的主体 / screen again with a new list and write only the entities whose outcome changed",
        description="清单更新后重新筛查登记表，与上次 scan 的结果逐个主体比较，只输出结论或字样有变化的主体（新命中、不再命中、处置变化、字样变化）。"
                    "输出可直接用 ledger ingest 记入台账。",
    )
    p.add_argument("previous", metavar="PREVIOUS_RESULTS", help="上次 scan 的结果 / results of an earlier `scan`")
    p.add_argument("input", metavar="NEW_INPUT", help="要筛查的登记表（可与上次相同）/ the registry to screen (may be the same file as before)")
    p.add_argument("-o", "--output", required=True, help="变化清单 / the changes: .csv, .xlsx, .parquet or .jsonl")
    p.add_argument("--kind", default="existing", choices=_KINDS, help=_KIND_HELP.replace("申请类型", "主体类型"))
    p.add_argument("--as-of", metavar="DATE", help="筛查日期 / date of the screening (默认今天 default: today)")
    p.add_argument("--encoding", help="文本编码 / text encoding (默认自动识别 default: detected)")
    p.add_argument("--name-col", metavar="COLUMN", help="名称列 / column of the name")
    p.add_argument("--scope-col", action="append", metavar="COLUMN", help="经营范围列，可重复 / column of the scope (repeatable)")
    _add_list_option(p)
    p.set_defaults(run=run_rescreen)


def run_rescreen(args: argparse.Namespace) -> int:
    from .rescreen import rescreen

    from .values import parse_date

    summary = rescreen(
        args.previous, args.input, args.output, lists=args.lists or (), licences=args.licences, kind=args.kind,
        as_of=_value(parse_date, args.as_of, "--as-of", "日期"),
        encoding=args.encoding, columns={"name": args.name_col, "scope": args.scope_col},
    )
    print("\n".join(summary.lines()))
    print(f"变化清单已写入 {args.output}")
    return 0


# The commands of the core; the ledger's subcommands are added to the parser only when
# the command line may need them (building them imports SQLAlchemy: ~0.5 s of start-up).
# Not `report`: the ledger adds its --ledger, --attachment and --db options.
CORE_COMMANDS = ("check", "scan", "serve", "keywords", "rescreen")


def build_parser(*, ledger: bool = True) -> argparse.ArgumentParser:
    """The command line's parser; ``ledger=False`` leaves out the ledger's subcommands
    (for a command line that names a core command)."""
    parser = ChineseArgumentParser(
        prog="fangfei-screen",
        description="筛查经营主体名称和经营范围中可能涉及金融活动的字样（固政办〔2025〕10号 附件1）",
    )
    parser.add_argument("--version", action="version", version=f"fangfei-screen {__version__}",
                        help="显示版本号后退出 / show the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_check(sub)
    _add_scan(sub)
    _add_report(sub)
    _add_serve(sub)
    _add_keywords(sub)
    _add_rescreen(sub)
    if ledger:
        from .ledger.cli import add_ledger_commands  # the ledger's own subcommands

        add_ledger_commands(sub)
    return parser


# Outputs are written whole or not at all (atomic.py) and the ledger in one transaction, so an
# interrupted command leaves nothing half-written: the clerk is told so.
INTERRUPTED = "fangfei-screen: 已中断：没有写出不完整的结果，原有文件保持不变 / interrupted, nothing half-written"


def _terminated(signum: int, _frame: object) -> None:
    # SIGTERM unwinds like Ctrl-C, so that temporaries are removed and nothing half-written stays
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser(ledger=not (words and words[0] in CORE_COMMANDS))
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return 130
    args = parser.parse_args(words)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminated)
    try:
        return int(args.run(args))
    except (UsageError, ScreeningInputError, KeywordListError, TableError, ReportError, RescreenError, OutputError) as exc:
        print(f"fangfei-screen {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # the reader stopped early (… | head): nothing more to say to it, and not a success either
        # (the work may have stopped with it; outputs are whole or absent): a shell's SIGPIPE status
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except OSError as exc:
        print(f"fangfei-screen {args.command}: {exc.strerror or exc}: {exc.filename or ''}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
