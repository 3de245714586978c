#!/usr/bin/env bash
# Set up (if needed) and screen the bundled sample registry extract.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p out
.venv/bin/fangfei-screen check --name "固镇县鑫源投资管理有限公司" --scope "以自有资金从事投资活动；日用百货销售（不含拍卖）" || true
