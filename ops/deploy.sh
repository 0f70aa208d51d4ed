#!/usr/bin/env bash
# Create the process work pool (if missing) and deploy every deployment in prefect.yaml.
# Run it from the clone the workers will run the flows from.
#   PREFECT_API_URL=http://127.0.0.1:4200/api ops/deploy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(.venv/bin/python -m liquidity_watch.bootstrap)"   # the offline environment (liquidity_watch/bootstrap.py)
export PREFECT_API_URL="${PREFECT_API_URL:-http://127.0.0.1:4200/api}"
.venv/bin/python -m liquidity_watch.flows.work_pool "${LW_WORK_POOL:-liquidity-watch}"
.venv/bin/prefect --no-prompt deploy --all
