#!/usr/bin/env bash
# Create the process work pool and the warehouse's writer limit (if missing), and deploy every
# deployment in prefect.yaml.
# Run it from the clone the workers will run the flows from.
#   PREFECT_API_URL=http://127.0.0.1:4200/api ops/deploy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(.venv/bin/python -m liquidity_watch.bootstrap)"   # the offline environment (liquidity_watch/bootstrap.py)
export PREFECT_API_URL="${PREFECT_API_URL:-http://127.0.0.1:4200/api}"
.venv/bin/python -m liquidity_watch.flows.work_pool "${LW_WORK_POOL:-liquidity-watch}"
# the global concurrency limit (1) of the warehouse the deployments write (LW_WAREHOUSE, else var/liquidity.duckdb)
.venv/bin/python -m liquidity_watch.flows.writer_slot
.venv/bin/prefect --no-prompt deploy --all
