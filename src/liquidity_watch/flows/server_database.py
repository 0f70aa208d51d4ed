"""Which database a Prefect server started here uses, in one line with any password redacted (ops/server.sh).

Prefect reads ``PREFECT_API_DATABASE_CONNECTION_URL`` (or its newer name
``PREFECT_SERVER_DATABASE_CONNECTION_URL``, or a profile); unset, it keeps SQLite in
``PREFECT_HOME``. PostgreSQL goes through ``postgresql+asyncpg://``: asyncpg is locked with Prefect.
"""

from __future__ import annotations

import sys


def describe(url: str) -> str:
    """The database of a connection URL, password redacted.

    >>> describe("postgresql+asyncpg://prefect:s3cret@127.0.0.1:5432/prefect")
    'PostgreSQL: postgresql+asyncpg://prefect:***@127.0.0.1:5432/prefect'
    >>> describe("sqlite+aiosqlite:////root/.prefect/prefect.db")
    'SQLite: sqlite+aiosqlite:////root/.prefect/prefect.db'
    """
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    kind = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}.get(parsed.get_backend_name(), parsed.get_backend_name())
    return f"{kind}: {parsed.render_as_string(hide_password=True)}"


def problem(url: str) -> str | None:
    """Why Prefect's server cannot use this URL, or ``None``.

    >>> problem("postgresql://prefect@127.0.0.1/prefect")
    'PostgreSQL needs the asyncpg driver: postgresql+asyncpg://...'
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return "it is not a database URL (postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DB)"
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "asyncpg":
        return "PostgreSQL needs the asyncpg driver: postgresql+asyncpg://..."
    if parsed.get_backend_name() not in ("postgresql", "sqlite"):
        return f"Prefect's server runs on PostgreSQL or SQLite, not {parsed.get_backend_name()}"
    return None


def main() -> int:
    from liquidity_watch.bootstrap import bootstrap

    bootstrap()
    from prefect.settings import get_current_settings

    url = get_current_settings().server.database.connection_url
    text = url.get_secret_value() if url is not None else ""
    why = problem(text)
    if why:
        sys.stderr.write(f"error: PREFECT_API_DATABASE_CONNECTION_URL: {why}\n")
        return 1
    print(f"Prefect server database: {describe(text)}")
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised by ops/server.sh
    raise SystemExit(main())
