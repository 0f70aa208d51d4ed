"""The one task runner: ``python3 -m uv run --frozen nox -s <session>``.

Sessions run in the project's locked environment (``uv sync --frozen``), so they test
exactly what CI and users install.

* ``lint``: ruff check and ruff format --check
* ``typecheck``: mypy (strict for domain, transforms, warehouse)
* ``test-fast``: every test except the integration tier (no Prefect, no subprocess); budget 40 s
* ``test``: the whole suite, as CI runs it
"""

from __future__ import annotations

import nox

from liquidity_watch.bootstrap import OFFLINE_ENVIRONMENT as OFFLINE

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "typecheck", "test-fast"]


@nox.session
def lint(session: nox.Session) -> None:
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.run("mypy")


@nox.session(name="test-fast")
def test_fast(session: nox.Session) -> None:
    session.run("pytest", "-m", "not integration", "-n", "2", *session.posargs, env=OFFLINE)


@nox.session
def test(session: nox.Session) -> None:
    session.run("pytest", *session.posargs, env=OFFLINE)
