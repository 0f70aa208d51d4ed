#!/usr/bin/env bash
# Start a process worker for the liquidity-watch pool from this clone (extra args pass through).
#   PREFECT_API_URL=http://127.0.0.1:4200/api ops/worker.sh
#   PREFECT_API_URL=http://127.0.0.1:4200/api ops/worker.sh --run-once
# Stop it with one SIGTERM (kill PID) or Ctrl-C: it stops polling, tears down and exits
# ("Worker '...' stopped!"); a second signal kills it at once (docs/operations.md).
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(.venv/bin/python -m liquidity_watch.bootstrap)"   # the offline environment (liquidity_watch/bootstrap.py)
export PREFECT_API_URL="${PREFECT_API_URL:-http://127.0.0.1:4200/api}"
# Prefect's worker turns the first SIGTERM into a SIGINT to itself. A background job of a
# non-interactive shell (`ops/worker.sh &` in a script, CI, some supervisors) starts with
# SIGINT ignored, and bash cannot un-ignore it, so that SIGINT was lost: the first SIGTERM did
# nothing and the second became a SIGKILL. Python resets SIGINT to its default before exec.
exec .venv/bin/python -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
  .venv/bin/prefect worker start --pool "${LW_WORK_POOL:-liquidity-watch}" --type process "$@"
