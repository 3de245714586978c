#!/usr/bin/env bash
# Set up (if needed), screen the bundled sample registry extract and write the
# Attachment 2 report from the results.
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
