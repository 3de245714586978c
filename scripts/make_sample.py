"""Write data/samples/entities.csv: a realistic registry extract for the README demo.

Names of the clean rows are real entity names (data/public/full_names.txt); scopes are
items of the national business-scope catalogue (data/public/scope_catalogue.txt). The
flagged rows are written out below so that each rule of the plan shows once.
Run: python scripts/make_sample.py
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from fangfei_screen.values import check_digit

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = ROOT / "data" / "public"
BOILERPLATE = "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"

FLAGGED = [
    # name, type, established, status, suspended since, address, scope
    ("固镇县鑫源投资管理有限公司", "有限责任公司", "2019-04-01", "存续", "", "安徽省蚌埠市固镇县谷阳路88号",
     "以自有资金从事投资活动；企业管理咨询"),
    ("固镇县聚宝寄卖行", "个体工商户", "2021-03-15", "存续", "", "安徽省蚌埠市固镇县城关镇",
     "寄卖服务；二手日用百货销售"),
    ("蚌埠市云牧云养殖科技有限公司", "有限责任公司", "2023-02-10", "未开业", "", "安徽省蚌埠市固镇县新马桥镇",
     "牲畜饲养；互联网销售（除销售需要许可的商品）"),
    ("固镇县乐龄养老服务有限公司", "有限责任公司", "2020-06-18", "停业", "2024-11-20", "安徽省蚌埠市固镇县湖沟镇",
     "养老服务；健康咨询服务（不含诊疗服务）"),
    ("安徽链上数字科技有限公司", "有限责任公司", "2022-08-08", "存续", "", "安徽省蚌埠市固镇县经济开发区",
     "区块链技术相关软件和服务；数字藏品发行服务"),
    ("固镇县诚信用心家电维修部", "个体工商户", "2018-05-20", "存续", "", "安徽省蚌埠市固镇县王庄镇",
     "日用电器修理；通信用光缆销售"),
    ("青海互助青稞酒固镇经销部", "个体工商户", "2017-09-09", "存续", "", "安徽省蚌埠市固镇县连城镇",
     "酒类经营；食品销售（仅销售预包装食品）"),
    ("固镇县惠民商贸有限公司", "有限责任公司", "2016-01-12", "存续", "", "安徽省蚌埠市固镇县任桥镇",
     "日用百货销售；五金产品零售（不得从事吸收存款、集资收款、受托贷款、发行票据、发放贷款等国家金融监管及财政信用业务）"),
    ("固镇县众乐汽车服务有限公司", "有限责任公司", "2021-11-30", "存续", "", "安徽省蚌埠市固镇县石湖乡",
     "汽车车身、挂车制造；机动车统筹服务；车险理赔咨询"),
    ("固镇县百家汇商贸有限公司", "有限责任公司", "2015-07-07", "歇业", "", "安徽省蚌埠市固镇县濠城镇",
     "品牌加盟；消费返利平台运营；企业会员积分管理服务"),
    ("固镇县万家福超市", "个体工商户", "2014-03-03", "存续", "", "安徽省蚌埠市固镇县杨庙乡",
     "日用百货销售（不含拍卖）；食品销售"),
    ("固镇县ＮＦＴ艺术品有限公司", "有限责任公司", "2022-01-20", "未开业", "", "安徽省蚌埠市固镇县仲兴乡",
     "工艺美术品及礼仪用品销售（象牙及其制品除外）"),
    ("固镇县金穗农民专业合作社", "农民专业合作社", "2019-10-10", "存续", "", "安徽省蚌埠市固镇县刘集镇",
     "谷物种植；资金互助；认养果树"),
    ("固镇县安居房地产营销策划有限公司", "有限责任公司", "2020-02-02", "存续", "", "安徽省蚌埠市固镇县谷阳镇",
     "房地产经纪；商铺售后返租；约定回购"),
]


def main() -> None:
    rng = random.Random(20250530)
    names = [n for n in (PUBLIC / "full_names.txt").read_text(encoding="utf-8").split() if n]
    items = []
    for line in (PUBLIC / "scope_catalogue.txt").read_text(encoding="utf-8").splitlines():
        _, _, item = line.partition(" ")
        if item and not item.endswith(("、", "（", "，")) and item.count("（") == item.count("）"):
            items.append(item)
    rows = []
    statuses = ["存续"] * 8 + ["在业", "未开业", "停业"]
    for name in rng.sample(names, 36):
        status = rng.choice(statuses)
        established = f"{rng.randint(2005, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        scope = "；".join(rng.sample(items, rng.randint(3, 7))) + BOILERPLATE
        kind = "有限责任公司" if "公司" in name else ("农民专业合作社" if "合作社" in name else "个体工商户")
        rows.append((name, kind, established, status, "2025-01-01" if status == "停业" else "", "", scope))
    rows[8:8] = FLAGGED[:7]
    rows[30:30] = FLAGGED[7:]
    out = ROOT / "data" / "samples" / "entities.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["统一社会信用代码", "企业名称", "企业类型", "成立日期", "登记状态", "停业日期", "住所", "经营范围"])
        for i, (name, kind, est, status, since, addr, scope) in enumerate(rows):
            code = f"91340323MA{rng.randrange(16**6):06X}{i:02d}"
            code = code[:17] + check_digit(code[:17])  # a valid GB 32100-2015 check digit, as real codes have
            w.writerow([code, name, kind, est, status, since, addr, scope])
    print(f"wrote {len(rows)} rows to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
