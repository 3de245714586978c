"""The ``fangfei-screen`` command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .lexicon import KeywordListError
from .models import Action, Field, Hit, Result, SuppressReason
from .screener import Screener, ScreeningInputError

# Exit codes of `check`, for scripts at the registration desk.
EXIT_PROCEED, EXIT_BLOCK, EXIT_BAD_INPUT, EXIT_FOLLOW_UP = 0, 1, 2, 3
_EXIT_FOR_ACTION = {
    Action.PASS: EXIT_PROCEED,
    Action.ALLOW_REMOVAL: EXIT_PROCEED,
    Action.EXEMPT: EXIT_PROCEED,
    Action.BLOCK: EXIT_BLOCK,
    Action.ORDER_RENAME: EXIT_FOLLOW_UP,
    Action.PROPOSE_REVOCATION: EXIT_FOLLOW_UP,
}
_FIELD_LABEL = {Field.NAME: "名称", Field.SCOPE: "经营范围"}
_REASON_LABEL = {
    SuppressReason.PLACE_NAME: "地名",
    SuppressReason.EXCLUSION: "清单排除项",
    SuppressReason.WORD_BOUNDARY: "跨越词边界",
    SuppressReason.NEGATED: "位于否定条款内",
}


class UsageError(Exception):
    """A bad invocation: reported in one line with exit code 2."""


def build_screener(list_paths: Sequence[str] | None) -> Screener:
    """The bundled list, or the list files given with --list (several combine)."""
    return Screener(lists=list(list_paths)) if list_paths else Screener()


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
    lines.append(f"依据：{result.basis}")
    lines.append(f"清单版本：{result.list_version}（sha256 {result.list_sha256[:12]}…）")
    return "\n".join(lines)


def _add_list_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--list", dest="lists", action="append", metavar="FILE",
        help="keyword list YAML (repeat to combine lists; default: the bundled Attachment 1 list)",
    )


def _add_check(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="pre-registration check of one application (exit 0 proceed, 1 block, 3 follow-up, 2 bad input)")
    p.add_argument("--name", required=True, help="entity name (名称)")
    p.add_argument("--scope", default="", help="business scope (经营范围)")
    p.add_argument("--kind", default="new", choices=["new", "change", "existing"])
    p.add_argument("--before-name", help="registered name before the change")
    p.add_argument("--before-scope", help="registered scope before the change")
    p.add_argument("--entity-type", choices=["company", "individual", "cooperative", "partnership", "other"])
    p.add_argument("--status", choices=["operating", "not_opened", "suspended", "suspension_filed"])
    p.add_argument("--established-on", metavar="YYYY-MM-DD")
    p.add_argument("--suspended-since", metavar="YYYY-MM-DD")
    p.add_argument("--licensed", action="store_true", help="holds the financial licence or approval")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="date of the screening (default: today)")
    p.add_argument("--json", action="store_true", help="print Result.to_dict() as JSON")
    _add_list_option(p)
    p.set_defaults(run=run_check)


def run_check(args: argparse.Namespace) -> int:
    screener = build_screener(args.lists)
    result = screener.screen(
        args.name,
        args.scope,
        kind=args.kind,
        before_name=args.before_name,
        before_scope=args.before_scope,
        entity_type=args.entity_type,
        status=args.status,
        established_on=args.established_on,
        suspended_since=args.suspended_since,
        licensed=args.licensed,
        as_of=args.as_of,
    )
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(describe_result(result))
    return _EXIT_FOR_ACTION[result.action]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fangfei-screen",
        description="筛查经营主体名称和经营范围中可能涉及金融活动的字样（固政办〔2025〕10号 附件1）",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_check(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except (UsageError, ScreeningInputError) as exc:
        print(f"fangfei-screen {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeywordListError as exc:
        print(f"fangfei-screen {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("fangfei-screen: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
