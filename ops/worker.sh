#!/usr/bin/env bash
# Start a process worker for the liquidity-watch pool from this clone (extra args pass through).
#   PREFECT_API_URL=http://127.0.0.1:4200/api ops/worker.sh
#   PREFECT_API_URL=http://127.0.0.1:4200/api ops/worker.sh --run-once
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(.venv/bin/python -m liquidity_watch.bootstrap)"   # the offline environment (liquidity_watch/bootstrap.py)
export PREFECT_API_URL="${PREFECT_API_URL:-http://127.0.0.1:4200/api}"
exec .venv/bin/prefect worker start --pool "${LW_WORK_POOL:-liquidity-watch}" --type process "$@"
