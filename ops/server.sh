#!/usr/bin/env bash
# Start a Prefect server on loopback for the deployments (no telemetry; UI off unless asked).
#   ops/server.sh                 # http://127.0.0.1:4200/api, SQLite in PREFECT_HOME (~/.prefect)
#   PREFECT_SERVER_API_PORT=4300 PREFECT_SERVER_UI_ENABLED=true ops/server.sh
#   PREFECT_API_DATABASE_CONNECTION_URL=postgresql+asyncpg://USER:PASSWORD@HOST:5432/DB ops/server.sh
# The names are Prefect's own settings (3.8.8), so `prefect server start` and this script agree.
# It first says which database it uses (password redacted), and refuses a URL Prefect cannot use.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(.venv/bin/python -m liquidity_watch.bootstrap)"   # the offline environment (liquidity_watch/bootstrap.py)
# PREFECT_UI_ENABLED is the older name Prefect still reads, and the one its "dashboard is
# disabled" line suggests; Prefect prefers PREFECT_SERVER_UI_ENABLED, so carry the older one over.
export PREFECT_SERVER_UI_ENABLED="${PREFECT_SERVER_UI_ENABLED:-${PREFECT_UI_ENABLED:-false}}"
export PREFECT_SERVER_API_HOST="${PREFECT_SERVER_API_HOST:-127.0.0.1}"
export PREFECT_SERVER_API_PORT="${PREFECT_SERVER_API_PORT:-4200}"
.venv/bin/python -m liquidity_watch.flows.server_database
exec .venv/bin/prefect server start --host "$PREFECT_SERVER_API_HOST" --port "$PREFECT_SERVER_API_PORT"
