"""Where the published warehouse is, resolved without loading pydantic (0.5 s here).

``Settings().warehouse`` and ``warehouse_location()`` give the same answer (a test holds
them equal); the read-only commands use this one, so ``liquidity-watch query`` starts fast.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

#: Every setting is an environment variable with this prefix (``LW_WAREHOUSE`` ...).
ENV_PREFIX = "LW_"
#: Settings are also read from this file in the working directory, as pydantic-settings does.
ENV_FILE = ".env"
#: The published warehouse by default: relative to the working directory, so a clone, a
#: wheel installed anywhere and a deployment's working folder all behave alike.
DEFAULT_WAREHOUSE = Path("var") / "liquidity.duckdb"


def setting_value(field: str) -> str | None:
    """One setting as ``Settings`` would read it (``$LW_<FIELD>``, else ``LW_<FIELD>`` in ``./.env``), without
    loading ``Settings``: read commands stay fast."""
    key = f"{ENV_PREFIX}{field}".upper()
    for name, value in os.environ.items():
        if name.upper() == key and value:
            return value
    env_file = Path(ENV_FILE)
    if env_file.is_file():
        from dotenv import dotenv_values

        for name, found in dotenv_values(env_file).items():
            if name.upper() == key and found:
                return found
    return None


def warehouse_location() -> Path:
    """``$LW_WAREHOUSE``, else ``LW_WAREHOUSE`` in ``./.env``, else ``var/liquidity.duckdb``."""
    value = setting_value("warehouse")
    return Path(value) if value else DEFAULT_WAREHOUSE


def run_command(warehouse: Path, *options: str) -> str:
    """The ``liquidity-watch run`` that builds ``warehouse``: hints repeat ``--warehouse`` unless it is the default.

    >>> run_command(Path("elsewhere/my lw.duckdb"), "--source", "live")
    "liquidity-watch run --warehouse 'elsewhere/my lw.duckdb' --source live"
    """
    words = ["liquidity-watch", "run"]
    if warehouse != warehouse_location():
        words += ["--warehouse", str(warehouse)]
    return shlex.join([*words, *options])
