"""A seeded corpus of registry records for precision figures (issue 16), built from
real phrasing: each group is a kind of row a county register holds, with the plan's
answer for it.

Sources of the phrasing: the national scope catalogue (data/public/scope_catalogue.txt);
the standard scopes of commercial banks (商业银行法 art. 3), rural credit cooperatives,
property insurers (保险法 art. 95) and securities branches as registered; the rows quoted
in issue 16 (拍卖除外 clauses, 国家企业信用信息公示系统, 危险化学品票据贸易, 外商投资企业
provisos, 互助 and 麦积 names); the five standard conditions attached to investment
scopes. Names are place + 字号 + industry word + form from data/public (places,
companynameparser's trade words, the Company-Names-Corpus short names).

    python benchmarks/precision_corpus.py -n 100000   # prints the group sizes
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT / "data" / "public"
PLACES = ROOT / "src" / "fangfei_screen" / "data" / "places.txt"


@dataclass(frozen=True)
class Record:
    group: str
    name: str
    scope: str


@dataclass(frozen=True)
class Group:
    """A kind of row: ``answer`` is what the plan asks of it: ``act`` (a rename or
    revocation is right), ``verify`` (a licensed kind of institution: verify the
    licence, never order a rename), ``none`` (nothing to act on)."""

    key: str
    answer: str
    weight: float


GROUPS = (
    Group("clean", "none", 0.870),
    Group("bank_branch", "verify", 0.021),
    Group("credit_union", "verify", 0.004),
    Group("insurer_branch", "verify", 0.004),
    Group("securities_branch", "verify", 0.0015),
    Group("auction_company", "verify", 0.002),
    Group("chuwai_clause", "none", 0.0125),
    Group("credit_system_boilerplate", "none", 0.0055),
    Group("hazchem_without_storage", "none", 0.0015),
    Group("foreign_invested_proviso", "none", 0.0012),
    Group("post_office", "none", 0.0008),
    Group("place_led_name", "none", 0.0012),
    Group("name_part_straddle", "none", 0.0008),
    Group("investment_with_conditions", "act", 0.004),
    Group("truly_flagged", "act", 0.033),
)

BANK_SCOPE = (
    "吸收公众存款；发放短期、中期和长期贷款；办理国内外结算；办理票据承兑与贴现；发行金融债券；代理发行、代理兑付、承销政府债券；"
    "买卖政府债券、金融债券；从事同业拆借；买卖、代理买卖外汇；从事银行卡业务；提供信用证服务及担保；代理收付款项及代理保险业务；"
    "提供保管箱服务；经国务院银行业监督管理机构批准的其他业务"
)
CREDIT_UNION_SCOPE = (
    "吸收公众存款；发放短期、中期和长期贷款；办理国内结算；办理票据承兑与贴现；代理发行、代理兑付、承销政府债券；买卖政府债券、金融债券；"
    "从事同业拆借；从事银行卡业务；代理收付款项及代理保险业务；经银行业监督管理机构批准的其他业务"
)
INSURER_SCOPE = (
    "机动车保险，包括机动车交通事故责任强制保险和机动车商业保险；企业财产保险；家庭财产保险；建筑工程保险；安装工程保险；货物运输保险；"
    "责任保险；信用保险；保证保险；短期健康保险和意外伤害保险；上述业务的再保险业务；国家法律、法规允许的保险资金运用业务"
)
SECURITIES_SCOPE = "证券经纪；证券投资咨询；与证券交易、证券投资活动有关的财务顾问；证券资产管理；融资融券；证券投资基金代销；代销金融产品"
CHUWAI = (
    "佣金代理（拍卖除外）",
    "企业管理咨询（金融、证券、期货、教育、投资除外）",
    "信息服务（投融资中介除外）",
    "商务信息咨询（不含投资类咨询），贸易经纪与代理（拍卖除外）",
    "经济信息咨询（金融、证券、期货、保险、投资咨询除外）",
    "二手物品销售（拍卖除外）",
)
CREDIT_SYSTEM = (
    "（依法须经批准的项目，经相关部门批准后方可开展经营活动，具体经营项目以相关部门批准文件或许可证件为准）（市场主体依法自主选择经营项目，开展经营活动，并应当在国家企业信用信息公示系统公示）",
    "登记许可及信用信息公示",
    "（企业依法自主选择经营项目，开展经营活动；依法须经批准的项目，经相关部门批准后依批准的内容开展经营活动；企业应当在国家企业信用信息公示系统公示年度报告）",
)
HAZCHEM = (
    "危险化学品经营（票据式经营，无储存）",
    "危险化学品票据贸易",
    "危险化学品：无储存经营（票据贸易）",
    "成品油批发（仅限票据交易）",
    "燃气经营（无储存票据经营）",
)
FOREIGN = (
    "租赁业务（外商投资企业需持批文、批准证书经营）",
    "货物进出口、技术进出口（外商投资企业需持批文、批准证书经营）",
)
POST_SCOPE = "国内、国际邮件寄递业务；报刊等出版物发行；报刊票据、礼品的递送；邮政汇兑；集邮票品制作、销售"
CONDITIONS = (
    "（1、未经有关部门批准，不得以公开方式募集资金；2、不得公开开展证券类产品和金融衍生品交易活动；3、不得发放贷款；"
    "4、不得对所投资企业以外的其他企业提供担保；5、不得向投资者承诺投资本金不受损失或者承诺最低收益）"
)
CONDITIONED = ("企业管理咨询", "以自有资金从事投资活动", "股权投资", "项目管理", "创业投资")
FLAGGED_SCOPES = (
    "投资咨询；资产管理", "以自有资金从事投资活动", "消费返利活动策划", "区块链技术服务", "股权众筹平台运营", "拍卖业务",
    "二手物品寄卖", "养老服务", "积分兑换服务", "票据信息咨询服务", "企业信用修复服务", "车辆统筹服务", "云养殖项目运营",
)
FLAGGED_NAMES = ("投资管理", "投资咨询", "信用管理", "寄卖", "养老服务", "区块链科技", "众筹")
STRADDLES = ("{parent}麦积分公司", "哈尔滨龙云养殖有限公司", "{place}诚信用品有限公司", "{place}{brand}电子集团股份有限公司麦积分公司")
PLACE_LED = (
    "中国石油天然气股份有限公司青海海东销售分公司互助{brand}加油站",
    "互助{brand}{trade}有限责任公司",
    "中国邮政集团有限公司青海省分公司互助分公司",
    "{parent}互助分公司",
)


LICENSED = ("银行", "信用社", "保险", "证券", "期货", "信托", "基金", "财务", "租赁", "典当", "拍卖", "担保", "贷款", "保理", "支付", "金融")


def _lines(path: Path) -> list[str]:
    return [x.strip() for x in path.read_text(encoding="utf-8").splitlines() if x.strip() and not x.startswith("#")]


class _Material:
    def __init__(self, terms: list[str]) -> None:
        self.places = [p for p in _lines(PLACES) if p.endswith(("市", "县", "区"))]
        self.brands = [b for b in _lines(PUBLIC / "trade_names.txt") if 2 <= len(b) <= 4 and not any(t in b for t in terms)]
        # neither listed words nor the kinds of licensed institution (their rows are groups of their own)
        self.trades = [t for t in _lines(PUBLIC / "trade.txt") if len(t) >= 2 and not any(x in t for x in (*terms, *LICENSED))]
        items = [line.split(maxsplit=1)[1] for line in _lines(PUBLIC / "scope_catalogue.txt") if len(line.split(maxsplit=1)) == 2]
        self.clean_items = [i for i in items if not any(t in i for t in terms) and not i.endswith("、")]


def records(n: int, *, terms: list[str], seed: int = 16) -> list[Record]:
    """``n`` records in the groups' proportions (``terms``: the list's terms, kept out
    of the clean material)."""
    rnd = random.Random(seed)
    m = _Material(terms)
    groups = [g.key for g in GROUPS]
    weights = [g.weight for g in GROUPS]
    out = []
    for _ in range(n):
        key = rnd.choices(groups, weights)[0]
        place, brand, trade = rnd.choice(m.places), rnd.choice(m.brands), rnd.choice(m.trades)
        county = place[:-1] if len(place) > 2 else place
        plain = "；".join(rnd.sample(m.clean_items, rnd.randint(3, 8)))
        parent = f"{place}{brand}{trade}有限公司"
        if key == "clean":
            rec = (f"{place}{brand}{trade}{rnd.choice(['有限公司', '有限责任公司', '经营部', '合作社', '工作室'])}", plain)
        elif key == "bank_branch":
            bank = rnd.choice(["中国工商银行", "中国农业银行", "中国银行", "中国建设银行", "交通银行", "中国邮政储蓄银行"])
            rec = (f"{bank}股份有限公司{county}{rnd.choice(['支行', '分行', '营业部'])}", BANK_SCOPE)
        elif key == "credit_union":
            rec = (f"{county}农村信用合作联社{brand}信用社", CREDIT_UNION_SCOPE)
        elif key == "insurer_branch":
            insurer = rnd.choice(["中国人民财产保险股份有限公司", "中国平安财产保险股份有限公司", "中国太平洋财产保险股份有限公司"])
            rec = (f"{insurer}{county}支公司", INSURER_SCOPE)
        elif key == "securities_branch":
            rec = (f"{brand}证券股份有限公司{county}证券营业部", SECURITIES_SCOPE)
        elif key == "auction_company":  # an auctioneer needs the licence of the Auction Law
            rec = (f"{place}{brand}拍卖有限公司", f"拍卖业务（凭许可证经营）；{plain}")
        elif key == "chuwai_clause":
            rec = (parent, f"{plain}；{rnd.choice(CHUWAI)}")
        elif key == "credit_system_boilerplate":
            rec = (parent, f"{plain}{rnd.choice(CREDIT_SYSTEM)}")
        elif key == "hazchem_without_storage":
            rec = (f"{place}{brand}化工有限公司", f"{rnd.choice(HAZCHEM)}；{plain}")
        elif key == "foreign_invested_proviso":
            rec = (parent, f"{plain}；{rnd.choice(FOREIGN)}")
        elif key == "post_office":
            rec = (f"中国邮政集团有限公司{county}分公司", POST_SCOPE)
        elif key == "place_led_name":
            rec = (rnd.choice(PLACE_LED).format(brand=brand, trade=trade, parent=parent), plain)
        elif key == "name_part_straddle":
            rec = (rnd.choice(STRADDLES).format(brand=brand, place=place, parent=parent), plain)
        elif key == "investment_with_conditions":
            rec = (parent, f"{rnd.choice(CONDITIONED)}{CONDITIONS}")
        else:  # truly flagged
            if rnd.random() < 0.5:
                rec = (f"{place}{brand}{rnd.choice(FLAGGED_NAMES)}有限公司", plain)
            else:
                rec = (parent, f"{plain}；{rnd.choice(FLAGGED_SCOPES)}")
        out.append(Record(key, *rec))
    return out


def main() -> None:
    from collections import Counter

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=100_000)
    args = ap.parse_args()
    from fangfei_screen import Screener

    terms = [t.keyword for t in Screener().terms]
    for key, k in sorted(Counter(r.group for r in records(args.n, terms=terms)).items()):
        print(f"{key}\t{k}")


if __name__ == "__main__":
    main()
