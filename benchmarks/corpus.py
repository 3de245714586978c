"""A realistic, seeded corpus of registry records for benchmarks.

Names are place + trade name + industry word + organisation form; scopes are 3–10
items of the national business-scope catalogue joined by ；. All from the real data in
data/public (see its README and licences). About 4% of records carry a term of the
list, about 1% a variant of one (full-width, traditional, noise inside the term), and
some carry negation clauses and the traps of the core issue (诚信用心, 互助县 …).

``--profile registry`` shapes the corpus like a real registry instead (DESIGN.md,
"Measured on a real registry"): scope lengths log-normal with median 48 characters,
99th percentile 362 and none over 1,024; 6.8% of records to act on, half of them
banks, credit unions, insurers and securities firms whose scopes hold several terms
(their items are the business lists of 商业银行法 art. 3, 保险法 art. 95 and 证券法
art. 120, as registries copy them); about 40% of scopes end with the 除…外 clause
every registry uses (除依法须经批准的项目外，凭营业执照依法自主开展经营活动).
Its rows are as wide as a real registry export (~1.5 KB a record, 34 columns:
法定代表人, 注册资本, 营业期限, 登记机关, 住所, 核准日期, 股东, 主要人员 …), filled
from pca.csv, trade_names.txt, the catalogue and a table of common surnames; those
columns come from a random stream of their own, so that names, scopes and hits are
the same as in the narrow corpus of the same seed (``--narrow`` writes that one).

    python benchmarks/corpus.py -n 100000 -o out/corpus.csv
    python benchmarks/corpus.py --profile registry -n 100000 -o out/registry.csv
"""

from __future__ import annotations

import argparse
import csv
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT / "data" / "public"

NEGATIONS = ("（不含{t}）", "（不得从事{t}业务）", "（除{t}外）")
TRAPS = (
    ("诚信用心", "name"),
    ("通信用光缆销售", "scope"),
    ("电信用户服务", "scope"),
    ("互助县", "name"),
    ("互助土族自治县", "name"),
    ("累积分数卡销售", "scope"),
    ("相互助力", "scope"),
)
FULLWIDTH = {c: chr(ord(c) + 0xFEE0) for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"}
NOISE = (" ", "·", "\u200b", "*", "_", "-", "　")
PROFILES = ("synthetic", "registry")

# Scope length in characters, log-normal: median 48, 99th percentile 362 (z = 2.326).
SCOPE_MEDIAN, SCOPE_P99, SCOPE_MAX = 48, 362, 1024
SCOPE_SIGMA = math.log(SCOPE_P99 / SCOPE_MEDIAN) / 2.326
# The clause that ends most scopes registered since the 2019 reform, and its 许可 twin.
GENERAL_TAIL = "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"
LICENSED_TAIL = "（依法须经批准的项目，经相关部门批准后方可开展经营活动）"
# Institutions: (name pattern, scope items). The items are the business lists of the
# statutes (商业银行法 第三条, 保险法 第九十五条, 证券法 第一百二十条) in the words
# registries copy from them; {place} is a county or city of pca.csv.
INSTITUTIONS = (
    ("{place}农村商业银行股份有限公司", (
        "吸收公众存款", "发放短期、中期和长期贷款", "办理国内结算", "办理票据承兑与贴现", "代理发行、代理兑付、承销政府债券",
        "买卖政府债券、金融债券", "从事同业拆借", "从事银行卡业务", "代理收付款项及代理保险业务", "提供保管箱服务",
        "办理外汇汇款", "提供信用证服务及担保", "代理国外信用卡付款", "经国务院银行业监督管理机构批准的其他业务")),
    ("{place}农村信用合作联社", (
        "吸收公众存款", "发放短期、中期和长期贷款", "办理国内结算", "办理票据承兑与贴现", "代理发行、代理兑付、承销政府债券",
        "买卖政府债券", "从事同业拆借", "代理收付款项及代理保险业务", "提供保管箱服务", "经银行业监督管理机构批准的其他业务")),
    ("中国人民财产保险股份有限公司{place}支公司", (
        "机动车保险，包括机动车交通事故责任强制保险和机动车商业保险", "企业财产损失保险", "家庭财产损失保险", "建筑工程保险",
        "安装工程保险", "货物运输保险", "责任保险", "信用保险", "保证保险", "短期健康保险", "意外伤害保险",
        "上述业务的再保险业务", "国家法律、法规允许的保险资金运用业务", "经中国保监会批准的其他业务")),
    ("{place}证券营业部", (
        "证券经纪", "证券投资咨询", "与证券交易、证券投资活动有关的财务顾问", "证券承销与保荐", "证券自营",
        "证券资产管理", "融资融券", "证券投资基金代销", "代销金融产品")),
)


@dataclass(frozen=True)
class Record:
    name: str
    scope: str
    planted: str  # the canonical term planted, or ""
    variant: bool


def _lines(name: str) -> list[str]:
    return [s.strip() for s in (PUBLIC / name).read_text(encoding="utf-8").splitlines() if s.strip()]


class CorpusMaker:
    def __init__(self, *, seed: int = 20250530) -> None:
        import opencc

        from fangfei_screen import bundled_list_path, load_list

        self.rng = random.Random(seed)
        self.terms = load_list(bundled_list_path()).terms
        forms = [t.term for t in self.terms] + [s for t in self.terms for s in t.synonyms]
        lowered = [f.lower() for f in forms]

        def clean(text: str) -> bool:
            low = text.lower()
            return not any(f in low for f in lowered)

        places = set()
        for line in _lines("pca.csv")[1:]:
            parts = line.split(",")
            places.update(p for p in parts[1:4] if p)
        self._clean = clean
        self.places = sorted(p for p in places if clean(p))
        self.trade_names = [t for t in _lines("trade_names.txt") if 2 <= len(t) <= 4 and clean(t)]
        self.industries = [t for t in _lines("trade.txt") if clean(t)]
        self.suffixes = [s for s in _lines("suffix.txt") if clean(s)]
        items = []
        for line in _lines("scope_catalogue.txt"):
            _, _, item = line.partition(" ")
            if item and not item.endswith(("、", "（", "，")) and item.count("（") == item.count("）") and clean(item):
                items.append(item)
        self.items = items
        self.s2t = opencc.OpenCC("s2t")
        self.counties = sorted({p for p in places if p.endswith(("县", "市", "区")) and len(p) <= 5} & set(self.places))

    def _name(self) -> str:
        r = self.rng
        return r.choice(self.places) + r.choice(self.trade_names) + r.choice(self.industries) + r.choice(self.suffixes)

    def _scope(self) -> list[str]:
        return self.rng.sample(self.items, self.rng.randint(3, 10))

    def _variant(self, form: str) -> str:
        r = self.rng
        how = r.randrange(3)
        if how == 0 and any(c in FULLWIDTH for c in form):
            return "".join(FULLWIDTH.get(c, c) for c in form.upper())
        if how == 1:
            trad = self.s2t.convert(form)
            if trad != form:
                return trad
        return r.choice(NOISE).join(form)

    def records(self, n: int, *, profile: str = "synthetic") -> Iterator[Record]:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}: one of {', '.join(PROFILES)}")
        if profile == "registry":
            yield from self._registry(n)
            return
        r = self.rng
        for _ in range(n):
            name, scope = self._name(), self._scope()
            planted, variant = "", False
            roll = r.random()
            if roll < 0.05:
                term = r.choice(self.terms)
                form = term.term if not term.synonyms or r.random() < 0.7 else r.choice(term.synonyms)
                variant = roll < 0.01
                text = self._variant(form) if variant else form
                planted = term.term
                if r.random() < 0.3:
                    name = r.choice(self.places) + text + r.choice(self.suffixes)
                else:
                    scope.insert(r.randrange(len(scope) + 1), text + r.choice(("服务", "咨询", "", "业务")))
            elif roll < 0.06:
                scope[-1] += r.choice(NEGATIONS).format(t=r.choice(self.terms).term)
            elif roll < 0.07:
                trap, where = r.choice(TRAPS)
                if where == "name":
                    name = trap + r.choice(self.trade_names) + r.choice(self.suffixes)
                else:
                    scope.append(trap)
            yield Record(name, "；".join(scope), planted, variant)


    # -- the registry profile ---------------------------------------------------

    def _scope_length(self) -> int:
        length = round(self.rng.lognormvariate(math.log(SCOPE_MEDIAN), SCOPE_SIGMA))
        return max(4, min(SCOPE_MAX, length))

    def _fill(self, length: int, head: list[str] | None = None) -> str:
        """Catalogue items joined by ；up to about ``length`` characters (never over
        SCOPE_MAX), sometimes ending with the 除…外 clause."""
        r = self.rng
        tail = GENERAL_TAIL if r.random() < 0.4 else ""
        parts = list(head or [])
        size = sum(len(p) + 1 for p in parts) + len(tail)
        while size < length or not parts:
            item = r.choice(self.items)
            grown = size + len(item) + 1
            # stop at the length nearest the target, and never over SCOPE_MAX
            if parts and (grown > SCOPE_MAX or grown - length > length - size):
                break
            parts.append(item)
            size += len(item) + 1
        return "；".join(parts) + tail

    def _institution(self) -> tuple[str, str]:
        r = self.rng
        pattern, items = r.choice(INSTITUTIONS)
        name = pattern.format(place=r.choice(self.counties))
        # the statute's list in order, a few items without a term left out as registries do
        chosen = [it for it in items if not self._clean(it) or r.random() < 0.85]
        tail = LICENSED_TAIL if r.random() < 0.5 else ""
        return name, "；".join(chosen) + tail

    def _registry(self, n: int) -> Iterator[Record]:
        r = self.rng
        for _ in range(n):
            roll = r.random()
            planted, variant = "", False
            if roll < 0.034:
                name, scope = self._institution()
                yield Record(name, scope, "institution", False)
                continue
            name = self._name()
            items: list[str] = []
            if roll < 0.069:  # a term of the list in the name or among the items
                term = r.choice(self.terms)
                form = term.term if not term.synonyms or r.random() < 0.7 else r.choice(term.synonyms)
                variant = roll > 0.065
                text = self._variant(form) if variant else form
                planted = term.term
                if r.random() < 0.3:
                    name = r.choice(self.places) + text + r.choice(self.suffixes)
                else:
                    items.append(text + r.choice(("服务", "咨询", "", "业务")))
            scope = self._fill(self._scope_length(), items)
            if planted == "" and roll < 0.08:
                scope += r.choice(NEGATIONS).format(t=r.choice(self.terms).term)
            elif planted == "" and roll < 0.09:
                trap, where = r.choice(TRAPS)
                if where == "name":
                    name = trap + r.choice(self.trade_names) + r.choice(self.suffixes)
                else:
                    scope = trap + "；" + scope
            yield Record(name, scope, planted, variant)


def write_csv(records: Iterator[Record], path: Path) -> int:
    n = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["统一社会信用代码", "企业名称", "企业类型", "成立日期", "登记状态", "经营范围"])
        for i, rec in enumerate(records):
            w.writerow([f"91340323MA{i:08d}", rec.name, "有限责任公司", "2019-04-01", "存续", rec.scope])
            n += 1
    return n


# -- the wide rows of a registry export ------------------------------------------------

# The most common surnames (百家姓, public domain) and characters of given names.
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
            "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红建国志文辉鹏飞宇浩然欣怡子涵梓轩俊杰思雨晨阳海燕春梅立新"
# 国民经济行业分类 (GB/T 4754-2017) sections, with some divisions of each.
SECTIONS = (
    ("A", "农、林、牧、渔业", ("农业", "林业", "畜牧业", "渔业")),
    ("C", "制造业", ("农副食品加工业", "纺织业", "通用设备制造业", "专用设备制造业", "电气机械和器材制造业")),
    ("E", "建筑业", ("房屋建筑业", "土木工程建筑业", "建筑装饰、装修和其他建筑业")),
    ("F", "批发和零售业", ("批发业", "零售业")),
    ("G", "交通运输、仓储和邮政业", ("道路运输业", "装卸搬运和仓储业")),
    ("H", "住宿和餐饮业", ("住宿业", "餐饮业")),
    ("I", "信息传输、软件和信息技术服务业", ("软件和信息技术服务业", "互联网和相关服务")),
    ("L", "租赁和商务服务业", ("租赁业", "商务服务业")),
    ("M", "科学研究和技术服务业", ("专业技术服务业", "科技推广和应用服务业")),
    ("O", "居民服务、修理和其他服务业", ("居民服务业", "机动车、电子产品和日用产品修理业")),
)
SIZES = ("少于50人", "50-99人", "100-499人", "500-999人")
ROLES = ("执行董事兼总经理", "监事", "经理", "董事", "财务负责人")
SYLLABLES = ("an", "bao", "chang", "da", "feng", "guang", "hua", "jin", "kang", "long", "ming", "rui", "sheng", "tai",
             "xin", "yuan", "zhong", "hong", "li", "tong")
WIDE_HEADER = (
    "统一社会信用代码", "企业名称", "法定代表人", "企业类型", "登记状态", "成立日期", "注册资本", "实缴资本",
    "营业期限自", "营业期限至", "登记机关", "核准日期", "住所", "经营范围", "所属省份", "所属城市", "所属区县",
    "邮政编码", "联系电话", "电子邮箱", "网址", "行业门类", "所属行业", "人员规模", "参保人数", "纳税人识别号",
    "组织机构代码", "英文名称", "曾用名", "股东", "主要人员", "变更事项", "最新年报地址", "企业简介",
)


class WideRows:
    """The columns of a registry export around a record's name and scope, from a random
    stream of their own. 企业类型, 成立日期 and 登记状态 are those of the narrow corpus
    (they decide the action, which must stay as it is); the credit codes are well formed,
    with the check digit of GB 32100-2015."""

    def __init__(self, maker: CorpusMaker, *, seed: int) -> None:
        from fangfei_screen.values import check_digit

        self.rng = random.Random(seed * 7 + 1)
        self.maker = maker
        self.check_digit = check_digit
        rows = [line.split(",") for line in _lines("pca.csv")[1:]]
        self.places = [r[1:4] for r in rows if len(r) >= 4 and r[3]]
        self.streets = [t for t in maker.trade_names if len(t) == 2]

    def _person(self) -> str:
        r = self.rng
        return r.choice(SURNAMES) + "".join(r.choice(GIVEN) for _ in range(r.choice((1, 2, 2))))

    def _code(self, i: int) -> str:
        from fangfei_screen.values import CODE_ALPHABET

        r = self.rng
        body = f"91{r.randrange(110000, 660000):06d}" + "".join(r.choice(CODE_ALPHABET) for _ in range(9))
        return body + self.check_digit(body)

    def row(self, i: int, rec: Record) -> list[str]:
        r = self.rng
        sheng, shi, qu = r.choice(self.places)
        code = self._code(i)
        capital = r.choice((10, 50, 100, 200, 300, 500, 1000, 3000))
        start = f"{r.randrange(2000, 2024)}-{r.randrange(1, 13):02d}-{r.randrange(1, 29):02d}"
        approved = f"{r.randrange(2019, 2025)}-{r.randrange(1, 13):02d}-{r.randrange(1, 29):02d}"
        section, label, divisions = r.choice(SECTIONS)
        address = (f"{sheng}{shi if shi != sheng else ''}{qu}{r.choice(self.streets)}{r.choice(('路', '街', '大道'))}"
                   f"{r.randrange(1, 999)}号" + (f"{r.randrange(1, 30)}幢{r.randrange(1, 30)}0{r.randrange(1, 9)}室" if r.random() < 0.6 else ""))
        english = ""
        if r.random() < 0.05:  # a few have an English name; "Co., Ltd." is quoted in the file
            english = " ".join(r.choice(SYLLABLES).capitalize() + r.choice(SYLLABLES) for _ in range(2)) + " Co., Ltd."
        m = self.maker  # its lists, not its random stream: the names and scopes stay those of the seed
        former = r.choice(m.places) + r.choice(m.trade_names) + r.choice(m.industries) + r.choice(m.suffixes) if r.random() < 0.3 else ""
        owners = "；".join(f"{self._person()}（认缴{r.randrange(1, 500)}万元）" for _ in range(r.randint(1, 4)))
        people = "；".join(f"{self._person()}（{role}）" for role in r.sample(ROLES, r.randint(1, 4)))
        changes = "；".join(f"{r.choice(('住所变更', '投资人变更', '经营范围变更', '注册资本变更', '法定代表人变更'))}（{r.randrange(2015, 2025)}-{r.randrange(1, 13):02d}-{r.randrange(1, 29):02d}）"
                           for _ in range(r.randint(0, 5)))
        return [
            code, rec.name, self._person(), "有限责任公司", "存续", "2019-04-01", f"{capital}万元人民币",
            f"{r.randrange(0, capital + 1)}万元人民币" if r.random() < 0.4 else "", start,
            "长期" if r.random() < 0.7 else f"{int(start[:4]) + 30}{start[4:]}", f"{qu}市场监督管理局", approved, address,
            rec.scope, sheng, shi, qu, f"{r.randrange(100000, 860000):06d}",
            f"1{r.choice('3578')}{r.randrange(0, 10**9):09d}" if r.random() < 0.7 else f"0{r.randrange(100, 999)}{r.randrange(10**6, 10**7)}",
            f"{r.randrange(10**5, 10**10)}@qq.com" if r.random() < 0.5 else "",
            f"www.{r.choice(SYLLABLES)}{r.choice(SYLLABLES)}.com" if r.random() < 0.1 else "",
            label, r.choice(divisions), r.choice(SIZES), str(r.randrange(0, 60)), code, code[8:17],
            english, former, owners, people, changes, address if r.random() < 0.8 else "",
            # an introduction as data vendors add one: catalogue items, none with a term of the list
            f"{rec.name}成立于{start[:4]}年{int(start[5:7])}月{int(start[8:])}日，注册资本{capital}万元人民币，"
            f"位于{address}，是一家以从事{divisions[0]}为主的企业。经营范围包括{'、'.join(r.sample(self.maker.items, r.randint(6, 16)))}等。"
            if r.random() < 0.9 else "",
        ]


def write_wide_csv(records: Iterator[Record], path: Path, maker: CorpusMaker, *, seed: int) -> int:
    """The registry corpus as a registry exports it: WIDE_HEADER's 34 columns."""
    wide = WideRows(maker, seed=seed)
    n = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(WIDE_HEADER)
        for i, rec in enumerate(records):
            w.writerow(wide.row(i, rec))
            n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("-o", "--output", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=20250530)
    ap.add_argument("--profile", choices=PROFILES, default="synthetic",
                    help="synthetic (the old corpus) or registry (shaped like a real registry)")
    ap.add_argument("--narrow", action="store_true",
                    help="registry: only the six columns of the synthetic corpus (the same names and scopes)")
    args = ap.parse_args()
    maker = CorpusMaker(seed=args.seed)
    records = maker.records(args.n, profile=args.profile)
    if args.profile == "registry" and not args.narrow:
        n = write_wide_csv(records, args.output, maker, seed=args.seed)
    else:
        n = write_csv(records, args.output)
    print(f"wrote {n} records to {args.output}")


if __name__ == "__main__":
    main()
