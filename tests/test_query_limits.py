"""``liquidity-watch query`` within bounds: a time limit, a memory limit and a row limit, each named when hit;
Ctrl-C and SIGTERM end any command with one line and 130 / 143."""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import types
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from liquidity_watch.cli import app
from liquidity_watch.warehouse import sandbox

runner = CliRunner()
#: a statement that runs for minutes unless stopped
ENDLESS = "select count(*) from range(100000000000) t(i) where i % 7 = 3"


def query(warehouse: Path, sql: str, *extra: str, env: dict[str, str] | None = None):
    return runner.invoke(app, ["query", sql, "--warehouse", str(warehouse), *extra], env=env)


def errors(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def test_a_statement_past_the_time_limit_is_stopped_and_the_limit_named(empty_warehouse):
    result = query(empty_warehouse, ENDLESS, "--time-limit-s", "0.2")
    assert result.exit_code == 1
    assert errors(result) == [
        "error: query stopped: it ran 0.2 s, the time limit (raise it with --time-limit-s or LW_QUERY_TIME_LIMIT_S)"
    ]


def test_the_time_limit_comes_from_the_settings_when_no_option_gives_it(empty_warehouse):
    result = query(empty_warehouse, ENDLESS, env={"LW_QUERY_TIME_LIMIT_S": "0.2"})
    assert errors(result) == [
        "error: query stopped: it ran 0.2 s, the time limit (raise it with --time-limit-s or LW_QUERY_TIME_LIMIT_S)"
    ]


def test_the_connection_answers_again_after_a_stopped_statement(empty_warehouse):
    con = sandbox.connect(empty_warehouse)
    try:
        [statement] = sandbox.parse(ENDLESS).statements
        with pytest.raises(sandbox.QueryStopped, match=r"it ran 0\.2 s, the time limit"):
            sandbox.run_bounded(con, statement, time_limit_s=0.2)
        [again] = sandbox.parse("select 41 + 1 as answer").statements
        assert sandbox.run_bounded(con, again) == (["answer"], [(42,)])
    finally:
        con.close()


def test_a_statement_over_the_memory_limit_stops_with_duckdbs_reason_and_the_limit_named(empty_warehouse):
    result = query(empty_warehouse, "select list(i) from range(300000000) t(i)", "--memory-limit", "100MB")
    assert result.exit_code == 1
    [line] = errors(result)
    assert line.startswith("error: query failed: Out of Memory Error:")
    assert line.endswith("(the memory limit; raise it with --memory-limit or LW_QUERY_MEMORY_LIMIT)")


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--memory-limit", "lots"], None, "error: the memory limit 'lots' is not a size such as 2GB or 512MB"),
        (["--time-limit-s", "0"], None, "error: --time-limit-s must be a number of seconds above 0, not '0'"),
        (
            [],
            {"LW_QUERY_TIME_LIMIT_S": "soon"},
            "error: LW_QUERY_TIME_LIMIT_S must be a number of seconds above 0, not 'soon'",
        ),
    ],
)
def test_a_bad_limit_is_refused_in_one_line_naming_it(empty_warehouse, args, env, message):
    result = query(empty_warehouse, "select 1", *args, env=env)
    assert (result.exit_code, errors(result)) == (1, [message])


def test_a_result_over_the_row_limit_is_refused_instead_of_filling_memory(empty_warehouse):
    con = sandbox.connect(empty_warehouse)
    try:
        [statement] = sandbox.parse("select * from range(25000)").statements
        with pytest.raises(sandbox.QueryStopped, match="the result has more than 20,000 rows; add a LIMIT"):
            sandbox.run_bounded(con, statement, max_rows=20_000)
    finally:
        con.close()


@pytest.mark.integration
@pytest.mark.parametrize(
    ("signum", "status", "line"),
    [
        (
            signal.SIGINT,
            130,
            "error: interrupted (Ctrl-C): the command stopped; a run publishes nothing it had not finished",
        ),
        (
            signal.SIGTERM,
            143,
            "error: terminated (SIGTERM): the command stopped; a run publishes nothing it had not finished",
        ),
    ],
)
def test_ctrl_c_or_sigterm_during_a_long_query_ends_with_one_line_and_the_conventional_status(
    empty_warehouse, signum, status, line
):
    exe = Path(sys.executable).with_name("liquidity-watch")
    process = subprocess.Popen(
        [str(exe), "query", ENDLESS, "--warehouse", str(empty_warehouse)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "LW_QUERY_TIME_LIMIT_S": "60"},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as a terminal starts it
    )
    _wait_until_open(process, empty_warehouse)  # past start-up, its handlers installed, at the statement
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == status
    assert stderr.decode().splitlines() == [line]


def _wait_until_open(process: subprocess.Popen[bytes], warehouse: Path) -> None:
    """Until ``process`` holds ``warehouse`` open: a state it reaches, not a time guessed for a loaded machine."""
    target = os.path.realpath(warehouse)
    fds = Path(f"/proc/{process.pid}/fd")
    for _ in range(1200):  # at most about two minutes: a guard against a hang, not a measured time
        assert process.poll() is None, "the query ended before it opened the warehouse"
        with contextlib.suppress(OSError):
            if any(os.path.realpath(fd) == target for fd in fds.iterdir()):
                return
        time.sleep(0.1)
    raise AssertionError(f"the query did not open {warehouse}")


def test_an_interrupted_statement_leaves_its_connection_closable(empty_warehouse):
    con = sandbox.connect(empty_warehouse)
    [statement] = sandbox.parse(ENDLESS).statements
    main = threading.get_ident()

    def ctrl_c(signum: int, frame: object) -> None:  # SIGUSR1 stands for Ctrl-C: pytest keeps SIGINT
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGUSR1, ctrl_c)
    try:
        timer = threading.Timer(0.3, lambda: signal.pthread_kill(main, signal.SIGUSR1))
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            sandbox.run_bounded(con, statement, time_limit_s=60)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    con.close()  # refused with "connection is busy" if the statement were still running
    with pytest.raises(duckdb.ConnectionException):
        con.execute("select 1")


def test_ctrl_c_before_the_statement_has_started_still_stops_it(empty_warehouse, monkeypatch):
    con = sandbox.connect(empty_warehouse)
    [statement] = sandbox.parse(ENDLESS).statements
    main = threading.get_ident()
    signalled = threading.Event()

    def ctrl_c(signum: int, frame: object) -> None:  # SIGUSR1 stands for Ctrl-C: pytest keeps SIGINT
        signalled.set()
        raise KeyboardInterrupt

    class LateStart(threading.Thread):
        """The statement's thread, starting its statement only after Ctrl-C was handled."""

        def run(self) -> None:
            signalled.wait()
            time.sleep(0.3)  # the first interrupt has been sent to a connection with nothing running
            super().run()

    monkeypatch.setattr(sandbox, "threading", types.SimpleNamespace(Thread=LateStart, Event=threading.Event))
    previous = signal.signal(signal.SIGUSR1, ctrl_c)
    try:
        threading.Timer(0.2, lambda: signal.pthread_kill(main, signal.SIGUSR1)).start()
        with pytest.raises(KeyboardInterrupt):
            sandbox.run_bounded(con, statement, time_limit_s=60)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    con.close()  # refused with "connection is busy" if the statement were still running


def test_a_stop_signal_that_a_library_turns_into_its_own_error_still_ends_with_the_one_line(monkeypatch, capsys):
    cli_app = importlib.import_module("liquidity_watch.cli.app")

    def interrupted_by_duckdb(**_kwargs: object) -> None:
        cli_app._Stop.received = signal.SIGTERM  # as the handler records it before DuckDB sees the signal
        raise RuntimeError("Query interrupted")  # what DuckDB raises when a signal comes while it works

    monkeypatch.setattr(cli_app._Stop, "received", None)
    monkeypatch.setattr(cli_app, "app", interrupted_by_duckdb)
    monkeypatch.setattr(logging, "raiseExceptions", True)
    handlers = {signum: signal.getsignal(signum) for signum in cli_app.STOP_SIGNALS}
    try:
        with pytest.raises(SystemExit) as stopped:
            cli_app.main()
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    assert stopped.value.code == 143
    assert capsys.readouterr().err.splitlines() == [
        "error: terminated (SIGTERM): the command stopped; a run publishes nothing it had not finished"
    ]
