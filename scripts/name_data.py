"""Build the package's data for reading registered names by their parts
(src/fangfei_screen/data/name_trades.txt and name_forms.txt) from data/public.

    .venv/bin/python scripts/name_data.py          # rewrite both files
    .venv/bin/python scripts/name_data.py --check  # exit 1 when they are out of date

Industry words (行业或经营特点): companynameparser's trade.txt, and the words of the
national scope catalogue's items as jieba segments them (评级, 水电 …). Organisation
forms (组织形式): companynameparser's suffix.txt, and the forms of branches and of
financial institutions' branches that it lacks. Both Apache-2.0 (see
LICENSE.companynameparser); the catalogue is an official document.
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path

import jieba

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT / "data" / "public"
DATA = ROOT / "src" / "fangfei_screen" / "data"
_HAN = re.compile(r"^[\u4e00-\u9fff]{2,8}$")
# Branch and other organisation forms that suffix.txt does not hold.
EXTRA_FORMS = (
    "分公司", "支公司", "分行", "支行", "分理处", "储蓄所", "营业部", "营业所", "分社", "信用社", "联社",
    "分店", "分部", "办事处", "加油站", "加气站", "门市部", "经营部", "服务部", "服务站", "事务所",
    "分厂", "分场", "分中心", "分所", "代表处", "合作社", "联合社", "专业合作社", "股份合作社",
    "有限责任公司", "股份有限公司", "有限公司", "集团有限公司", "集团股份有限公司", "有限合伙企业", "合伙企业",
    "个人独资企业", "工作室", "商行", "商店", "店", "厂", "场", "站", "部", "所", "中心", "公司", "集团",
)


def lines(path: Path) -> list[str]:
    return [x.strip() for x in path.read_text(encoding="utf-8").splitlines() if x.strip() and not x.startswith("#")]


def industry_words() -> list[str]:
    words = {w for w in lines(PUBLIC / "trade.txt") if _HAN.match(w)}
    jieba.setLogLevel(logging.WARNING)  # a script's own run: no "Building prefix dict" chatter
    tk = jieba.Tokenizer()
    tk.initialize()
    for line in lines(PUBLIC / "scope_catalogue.txt"):
        parts = line.split(maxsplit=1)
        if len(parts) == 2:
            words.update(w for w in tk.cut(parts[1], HMM=False) if _HAN.match(w))
    return sorted(words)


def forms() -> list[str]:
    return sorted({w for w in lines(PUBLIC / "suffix.txt") if re.match(r"^[\u4e00-\u9fff]{1,8}$", w)} | set(EXTRA_FORMS))


HEADERS = {
    "name_trades.txt": "# Industry words of registered names (行业或经营特点), one a line: companynameparser's trade.txt\n"
    "# (Apache-2.0, see LICENSE.companynameparser) and the words of the national scope catalogue's items.\n"
    "# Built by scripts/name_data.py from data/public; do not edit by hand.\n",
    "name_forms.txt": "# Organisation forms ending a registered name or a branch's own name (组织形式), one a line:\n"
    "# companynameparser's suffix.txt (Apache-2.0, see LICENSE.companynameparser) and branch forms.\n"
    "# Built by scripts/name_data.py from data/public; do not edit by hand.\n",
}


def build() -> dict[str, str]:
    return {
        "name_trades.txt": HEADERS["name_trades.txt"] + "\n".join(industry_words()) + "\n",
        "name_forms.txt": HEADERS["name_forms.txt"] + "\n".join(forms()) + "\n",
    }


def main(argv: list[str]) -> int:
    built = build()
    if "--check" in argv:
        stale = [n for n, text in built.items() if not (DATA / n).exists() or (DATA / n).read_text(encoding="utf-8") != text]
        for n in stale:
            print(f"{n} 已过期，请运行 scripts/name_data.py / out of date")
        return 1 if stale else 0
    for n, text in built.items():
        (DATA / n).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
