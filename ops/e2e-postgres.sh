#!/usr/bin/env bash
# End to end past one machine's defaults: Prefect's server on a throwaway PostgreSQL, the deployments,
# TWO process workers, and the `rates` and `h41` deployments triggered at once on the bundled snapshot
# (offline). Both runs must end Completed, both must be in meta.runs, and their publishes must not
# overlap (the later one waited on the warehouse's global concurrency limit if they ran together).
#   ops/e2e-postgres.sh
# Needs PostgreSQL's server binaries (Debian: apt-get install postgresql; nothing needs to run).
# Everything listens on 127.0.0.1, on free ports, and lives in one temporary folder; on exit the
# script stops what it started, by PID (workers, Prefect server, PostgreSQL), and removes the folder.
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(.venv/bin/python -m liquidity_watch.bootstrap)"   # the offline environment (liquidity_watch/bootstrap.py)
began=$SECONDS
say() { printf 'e2e-postgres [%3ds] %s\n' "$((SECONDS - began))" "$*"; }

pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if [[ -z "$pg_bin" || ! -x "$pg_bin/initdb" ]]; then
  echo "error: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2
  exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/lw-e2e-postgres.XXXXXX")"
pids=()          # started in the background by this script: the server, then the workers
pg_pid=""
stop_pids() {   # one SIGTERM to each, together; SIGKILL to any still there after 30 s
  local pid
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 150); do
    local alive=0
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.2
  done
  for pid in "$@"; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
}
stop() {
  local code=$?
  trap - EXIT
  if ((${#pids[@]} > 1)); then stop_pids "${pids[@]:1}"; fi   # the workers first, then the server
  if ((${#pids[@]} > 0)); then stop_pids "${pids[0]}"; fi
  if [[ -n "$pg_pid" ]]; then
    kill -INT "$pg_pid" 2>/dev/null || true   # PostgreSQL's fast shutdown
    for _ in $(seq 1 150); do kill -0 "$pg_pid" 2>/dev/null || break; sleep 0.2; done
  fi
  if ((code != 0)); then
    for log in "$work"/*.log "$work"/pg-log/*.log; do [[ -f "$log" ]] && { echo "--- ${log##*/} (last lines)"; tail -n 40 "$log"; }; done >&2
  fi
  rm -rf "$work"
  say "stopped what it started and removed $work"
  exit "$code"
}
trap stop EXIT
trap 'exit 130' INT TERM

healthy() { .venv/bin/python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$1/health" 2>/dev/null; }
free_port() { .venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- PostgreSQL: initdb refuses to run as root, so root runs it as the packages' postgres user
as_db_owner=()
if [[ $EUID -eq 0 ]]; then
  id -u postgres >/dev/null 2>&1 || { echo "error: running as root, and there is no postgres user to run initdb as" >&2; exit 1; }
  as_db_owner=(runuser -u postgres --)
  chmod 755 "$work"
fi
mkdir -m 700 "$work/pg" "$work/pg-socket" "$work/pg-log"
password="$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(16))')"
printf '%s\n' "$password" > "$work/pg-password"
if [[ $EUID -eq 0 ]]; then chown postgres: "$work/pg" "$work/pg-socket" "$work/pg-log" "$work/pg-password"; fi
pg_port="$(free_port)"
"${as_db_owner[@]}" "$pg_bin/initdb" -D "$work/pg" -U prefect --pwfile="$work/pg-password" \
  --auth-local=scram-sha-256 --auth-host=scram-sha-256 --encoding=UTF8 --no-sync > "$work/initdb.log" 2>&1
rm -f "$work/pg-password"
"${as_db_owner[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg-log/postgres.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $work/pg-socket -c fsync=off" start > /dev/null
pg_pid="$(head -n 1 "$work/pg/postmaster.pid")"
PGPASSWORD="$password" "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U prefect prefect
say "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port (pid $pg_pid)"

# --- Prefect's server on it, with a home, a warehouse and a clone-local state of this run's own
export PREFECT_HOME="$work/prefect-home"
export PREFECT_API_DATABASE_CONNECTION_URL="postgresql+asyncpg://prefect:$password@127.0.0.1:$pg_port/prefect"
export PREFECT_SERVER_API_PORT="$(free_port)"
export PREFECT_API_URL="http://127.0.0.1:$PREFECT_SERVER_API_PORT/api"
export PREFECT_WORKER_QUERY_SECONDS=1              # workers poll every second: the two runs start together
# no runs from the cron schedules: one falling due during the check would take a worker (and go live)
export PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED=false
export LW_WAREHOUSE="$work/liquidity.duckdb"
export LW_LOCK_WAIT_S=120
ops/server.sh > "$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do
  healthy "$PREFECT_API_URL" && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "error: the Prefect server exited while starting" >&2; exit 1; }
  sleep 0.2
done
healthy "$PREFECT_API_URL" || { echo "error: the Prefect server did not answer in 60 s" >&2; exit 1; }
grep -q "^Prefect server database: PostgreSQL: postgresql+asyncpg://prefect:\*\*\*@127.0.0.1:$pg_port/prefect$" "$work/server.log" \
  || { echo "error: ops/server.sh did not say it uses PostgreSQL (password redacted)" >&2; exit 1; }
if grep -qF "$password" "$work/server.log"; then echo "error: the server's log shows the database password" >&2; exit 1; fi
say "Prefect server on $PREFECT_API_URL, database on PostgreSQL (pid ${pids[0]})"

# deploy.sh makes the pool first, then deploys: the workers start as soon as the pool exists
ops/deploy.sh > "$work/deploy.log" 2>&1 &
deploy=$!
for _ in $(seq 1 300); do grep -q "^work pool" "$work/deploy.log" && break; sleep 0.2; done
for n in 1 2; do
  ops/worker.sh --name "e2e-$n" --limit 1 > "$work/worker-$n.log" 2>&1 &
  pids+=($!)
done
wait "$deploy" || { echo "error: ops/deploy.sh failed" >&2; exit 1; }
say "deployed prefect.yaml; $(grep -o "global concurrency limit '[^']*'" "$work/deploy.log")"
for n in 1 2; do
  for _ in $(seq 1 300); do grep -q "started!" "$work/worker-$n.log" && break; sleep 0.2; done
  grep -q "started!" "$work/worker-$n.log" || { echo "error: worker e2e-$n did not start" >&2; exit 1; }
done
say "two workers polling (pids ${pids[*]:1})"

# --- rates and h41 at once, on the bundled snapshot (offline); wait for both, then check the warehouse
.venv/bin/python - "$PREFECT_API_URL" "$LW_WAREHOUSE" <<'PY'
import json, sys, time

import httpx
from prefect.deployments import run_deployment

from liquidity_watch.flows.writer_slot import limit_name
from liquidity_watch.warehouse.db import connection

api, warehouse = sys.argv[1:]
runs = {name: run_deployment(f"liquidity-watch/{name}", parameters={"source": "snapshot"}, timeout=0) for name in ("rates", "h41")}
print("e2e-postgres: triggered " + " and ".join(f"{name} ({run.id})" for name, run in runs.items()), flush=True)
run_ids = [str(run.id) for run in runs.values()]
deadline = time.monotonic() + 180
while True:
    states = {r: httpx.get(f"{api}/flow_runs/{r}", timeout=10).json()["state_type"] for r in run_ids}
    if all(s in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") for s in states.values()) or time.monotonic() > deadline:
        break
    time.sleep(1)
if set(states.values()) != {"COMPLETED"}:
    sys.exit(f"error: the flow runs did not all complete: {states}")
with connection(warehouse, read_only=True) as con:
    rows = con.execute(
        "SELECT flow_run_id, status, started_at, ended_at, summary FROM meta.runs ORDER BY ended_at"
    ).fetchall()
recorded = {row[0]: row for row in rows}
missing = [r for r in run_ids if r not in recorded or recorded[r][1] != "completed"]
if missing:
    sys.exit(f"error: not recorded as completed in meta.runs: {missing} (meta.runs: {[r[:2] for r in rows]})")
first, second = sorted((recorded[r] for r in run_ids), key=lambda row: row[3])
waits = [json.loads(row[4])["writer_waits_s"] for row in (first, second)]
limits = {json.loads(row[4])["writer_limit"] for row in (first, second)}
if limits != {limit_name(warehouse)}:
    sys.exit(f"error: the runs did not both take the warehouse's global concurrency limit: {limits}")
together = second[2] < first[3]  # the later one was running before the earlier one published
if together and not waits[1]["global_limit"] > 0:
    sys.exit(f"error: the runs overlapped and the later one did not wait on the global limit: {waits}")
print(
    f"both Completed and in meta.runs; {'started together: ' if together else ''}the later run waited "
    f"{waits[1]['global_limit']:.2f} s on the global concurrency limit and {waits[1]['flock']:.2f} s on the flock"
)
PY
say "done: PostgreSQL-backed server, two workers, both runs published in turn"
