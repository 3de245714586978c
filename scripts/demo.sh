#!/usr/bin/env bash
# Set up (if needed), screen the bundled sample registry extract and write the
# Attachment 2 report from the results; then keep two months of it in the ledger
# (SQLite, out/fangfei-ledger.db): ingest, review, dispose, both reports.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p out
.venv/bin/fangfei-screen scan data/samples/entities.csv -o out/entities-screened.csv --as-of 2025-06-30
.venv/bin/fangfei-screen report out/entities-screened.csv --month 2025-06 --unit "固镇县市场监督管理局" \
  --filler "张三" -o out/排查统计表-2025-06.xlsx
echo
echo "一条预登记检查 / one pre-registration check:"
.venv/bin/fangfei-screen check --name "固镇县鑫源投资管理有限公司" --scope "以自有资金从事投资活动；日用百货销售（不含拍卖）" || true

echo
echo "台账：两个月 / the ledger over two months"
export FANGFEI_DB=out/fangfei-ledger.db
rm -f out/fangfei-ledger.db out/fangfei-ledger.db-wal out/fangfei-ledger.db-shm
F=.venv/bin/fangfei-screen
UNIT="固镇县市场监督管理局"
$F ledger ingest out/entities-screened.csv --month 2025-06 --unit "$UNIT" --by 张三
# a reviewer finds 积分 in 百家汇's scope is membership points, not finance
$F ledger review 91340323MA52C3963E --term 积分 --other-sense --reason "企业会员积分管理，非金融" --by 李审核
$F ledger dispose 91340323MA2DF58801 --measure 约谈 --date 2025-06-20 --authority "$UNIT" --police 否 --by 张三
$F report --ledger --month 2025-06 --unit "$UNIT" --filler 张三 -o out/台账-排查统计表-2025-06.xlsx
$F report --ledger --attachment 3 --month 2025-06 --unit "$UNIT" --filler 张三 -o out/台账-处置情况统计表-2025-06.xlsx
# July: 鑫源 renamed itself (resolved), 惠民互助 is new, the rest recur
$F scan data/samples/entities-2025-07.csv -o out/entities-screened-2025-07.csv --as-of 2025-07-31 > /dev/null
$F ledger ingest out/entities-screened-2025-07.csv --month 2025-07 --unit "$UNIT" --by 张三
$F ledger dispose 91340323MA7H2K3L47 --measure 督促变更或注销 --date 2025-07-28 --by 张三
$F report --ledger --month 2025-07 --unit "$UNIT" --filler 张三 -o out/台账-排查统计表-2025-07.xlsx
$F report --ledger --attachment 3 --month 2025-07 --unit "$UNIT" --filler 张三 -o out/台账-处置情况统计表-2025-07.xlsx
$F ledger list --month 2025-07
$F ledger history 91340323MA6B9B530B
