#!/usr/bin/env bash
# Start a Prefect server on loopback for the deployments (no telemetry; UI off unless asked).
#   ops/server.sh                 # http://127.0.0.1:4200/api
#   PREFECT_PORT=4300 PREFECT_SERVER_UI_ENABLED=true ops/server.sh
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(.venv/bin/python -m liquidity_watch.bootstrap)"   # the offline environment (liquidity_watch/bootstrap.py)
export PREFECT_SERVER_UI_ENABLED="${PREFECT_SERVER_UI_ENABLED:-false}"
exec .venv/bin/prefect server start --host "${PREFECT_HOST:-127.0.0.1}" --port "${PREFECT_PORT:-4200}"
