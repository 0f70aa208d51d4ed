#!/usr/bin/env bash
# Start a process worker for the liquidity-watch pool from this clone (extra args pass through).
#   PREFECT_API_URL=http://127.0.0.1:4200/api ops/worker.sh
#   PREFECT_API_URL=http://127.0.0.1:4200/api ops/worker.sh --run-once
set -euo pipefail
cd "$(dirname "$0")/.."
export PREFECT_SERVER_ANALYTICS_ENABLED=false DO_NOT_TRACK=1 GX_ANALYTICS_ENABLED=false
export PREFECT_API_URL="${PREFECT_API_URL:-http://127.0.0.1:4200/api}"
exec .venv/bin/prefect worker start --pool "${LW_WORK_POOL:-liquidity-watch}" --type process "$@"
