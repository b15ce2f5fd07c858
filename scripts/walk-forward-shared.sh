#!/bin/sh
# The reference walk-forward: BTC, ETH and SOL USDT over the whole 5m range of ../shared/data,
# default config, weekly retraining, after fees. The 5m files start 2020-12-01; the first week
# only trains window 1's models. With the warm-start defaults about 4 minutes (220 s CPU) on 2 cores; from scratch with TFT it was 9 hours. Window models are cached
# in OUT/cache, so an interrupted run resumes: stop it (kill), never suspend it (kill -STOP) — the
# training budget is wall-clock time. Writes OUT/result.json, OUT/windows.jsonl, OUT/report.html.
# Usage: scripts/walk-forward-shared.sh [OUT]   (default OUT: ./walk-forward)
set -eu
out=${1:-walk-forward}
data=${QG_DATA_DIR:-../shared/data}
[ -f "$data/binance/5m/BTCUSDT.csv" ] || { echo "no shared data at $data (set QG_DATA_DIR)" >&2; exit 1; }
mkdir -p "$out"
exec node "$(dirname "$0")/../bin/quantgate.js" backtest --data-dir "$data" \
  --symbols BTC/USDT,ETH/USDT,SOL/USDT --from 2020-12-08 --to 2021-07-18 --walk-forward --json \
  --report "$out/report.html" --windows "$out/windows.jsonl" --model-cache "$out/cache" \
  > "$out/result.json"
