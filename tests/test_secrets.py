"""Secrets never leave: planted tokens and webhook URLs, every failure kind, and a scan of everything a run writes.

Each run is a process of its own (``forked_cli``): what it prints and leaves behind is what is scanned.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import duckdb
import pytest

from tests.fake_slack import FakeSlack

pytestmark = pytest.mark.integration

TOKEN = "xoxb-5150-plantedTOKENsecret"
HOOK_PATH = "/services/TPLANT/BPLANT/plantedHOOKsecret"
OPS_PATH = "/services/TOPS/BOPS/plantedOPSsecret"
FRED_KEY = "plantedfredkeysecret000000000000"  # FRED's keys are 32 lower-case letters and digits
#: What must never be found anywhere: each secret, and the distinctive part of each.
NEEDLES = [
    TOKEN,
    "plantedTOKENsecret",
    "plantedHOOKsecret",
    "TPLANT/BPLANT",
    "plantedOPSsecret",
    "TOPS/BOPS",
    FRED_KEY,
    "plantedfredkeysecret",
]


@pytest.fixture
def slack(threaded_slack: FakeSlack) -> FakeSlack:
    return threaded_slack


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def prefect_database() -> list[Path]:
    from prefect.settings import PREFECT_SERVER_DATABASE_CONNECTION_URL

    url = PREFECT_SERVER_DATABASE_CONNECTION_URL.value()
    url = url.get_secret_value() if hasattr(url, "get_secret_value") else str(url)
    db = Path(url.split("///", 1)[1])
    return [p for p in (db, db.with_name(db.name + "-wal")) if p.exists()]


def warehouse_text(path: Path) -> str:
    """Every row of every table of the warehouse, as text."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall()
        return "\n".join(str(con.execute(f'SELECT * FROM "{s}"."{t}"').fetchall()) for s, t in tables)
    finally:
        con.close()


def files_text(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("latin-1") for p in folder.rglob("*") if p.is_file())


def test_planted_secrets_appear_nowhere_after_every_failure_kind(slack, tmp_path, forked_cli, short_snapshot):
    from prefect.settings import PREFECT_API_URL

    refused = f"http://127.0.0.1:{closed_port()}"
    slack.channel_errors["C0FORBID"] = (403, "invalid_auth")  # 403
    slack.channel_errors["C0FIVE"] = (500, "internal_error")  # 500
    slack.channel_hang["C0SLOW"] = 1.0  # timeout
    common = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_CHANNEL": "C0FORBID",
        "SLACK_SUBSCRIPTIONS": "C0FIVE:watch,C0SLOW:watch",
        "SLACK_API_BASE_URL": slack.api_base_url,
        "SLACK_OPS_WEBHOOK_URL": refused + OPS_PATH,  # refused, for the ops notifications
        "SLACK_TIMEOUT_S": "0.5",
        "SLACK_RETRIES": "0",
        "FRED_API_KEY": FRED_KEY,  # in the environment of every run, as a deployment would have it
    }
    env = {**os.environ, **common, "PREFECT_API_URL": PREFECT_API_URL.value()}
    warehouse = tmp_path / "w.duckdb"
    args = [
        "run",
        "--as-of",
        "2019-09-18",
        "--deliver",
        "--warehouse",
        str(warehouse),
        "--snapshot-dir",
        str(short_snapshot),
    ]

    malformed = {**env, "SLACK_WEBHOOK_URL": "hooks.slack.com" + HOOK_PATH}  # pasted without its scheme
    first = forked_cli.run(args, malformed)
    assert first.returncode == 3, first.stderr[-3000:]  # published; bad destinations are warnings, not a failure
    second = forked_cli.run(args, {**env, "SLACK_WEBHOOK_URL": refused + HOOK_PATH})  # refused
    assert second.returncode == 3, second.stderr[-3000:]
    broken = tmp_path / "broken-snapshot"  # a run that fails: its failure hook notifies ops (refused)
    broken.mkdir()
    (broken / "WALCL.csv").write_text("observation_date,WALCL\n2019-09-18,oops\n")
    third = forked_cli.run(["run", "--snapshot-dir", str(broken), "--warehouse", str(tmp_path / "x.duckdb")], malformed)
    assert third.returncode == 1
    texts = {
        "stdout and stderr": "\n".join(r.stdout + r.stderr for r in (first, second, third)),
        "warehouse tables": warehouse_text(warehouse),
        "warehouse folder files": files_text(tmp_path),
        "Prefect database": "\n".join(p.read_bytes().decode("latin-1") for p in prefect_database()),
    }
    # the scan reads the right places: what each run did is there
    assert "signal:2019-07-31:critical:slack:C0FORBID" in texts["warehouse tables"]
    assert "HTTP 403" in texts["warehouse tables"] and "HTTP 500" in texts["warehouse tables"]
    assert "no answer within 0.5 s" in texts["warehouse tables"] and "connection refused" in texts["warehouse tables"]
    assert "SLACK_WEBHOOK_URL is not a URL" in texts["stdout and stderr"]
    # the published-with-warnings notice went to ops (refused there); the terminal shows its warnings once, not it again
    assert "ops notification not delivered to ops-webhook: post: connection refused" in first.stdout + first.stderr
    assert "warning: published; alerts not delivered" in first.stdout + first.stderr
    assert "warning: published; alerts not delivered" in texts["stdout and stderr"]
    assert "ParseError" in texts["Prefect database"]
    leaks = {where: [n for n in NEEDLES if n in text] for where, text in texts.items()}
    assert leaks == {where: [] for where in texts}
