"""Configuration: environment variables with one prefix, ``LW_``; command-line flags override them.

Every setting is listed in the README's configuration reference.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from liquidity_watch.domain.limits import QUERY_MEMORY_LIMIT, QUERY_TIME_LIMIT_S
from liquidity_watch.locations import DEFAULT_WAREHOUSE, ENV_FILE, ENV_PREFIX
from liquidity_watch.resources import bundled_snapshot_dir


class Settings(BaseSettings):
    """Settings read from ``LW_*`` environment variables (and a ``.env`` file if present)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=ENV_FILE, extra="ignore")

    warehouse: Path = Field(
        default=DEFAULT_WAREHOUSE,
        description="Published DuckDB file that analysts read (relative paths: from the working directory).",
    )
    snapshot_dir: Path | None = Field(
        default=None, description="Folder of FRED-format CSVs; default: the bundled snapshot."
    )
    nyfed_base_url: str = "https://markets.newyorkfed.org"
    ddp_base_url: str = "https://www.federalreserve.gov"
    fred_base_url: str = "https://fred.stlouisfed.org"
    fred_api_base_url: str = Field(
        default="https://api.stlouisfed.org",
        description="FRED's official API, used instead of the keyless CSV when FRED_API_KEY is set.",
    )
    ddp_h41_package: str | None = Field(
        default=None,
        description=(
            "Your own DDP package id: H.4.1 then comes from that package's CSV (its Unique Identifier row is"
            " checked) instead of the Board's whole-release ZIP. Unset: the ZIP, which needs no id."
        ),
    )
    h41_zip_max_mb: float = Field(default=256.0, description="Largest H.4.1 release archive downloaded (MB).")
    h41_xml_max_mb: float = Field(
        default=1024.0, description="Largest expanded H41_data.xml read from the archive (MB): the zip-bomb bound."
    )
    strict_sources: bool = Field(
        default=False,
        description="Primary sources or nothing: no failover to FRED when the NY Fed or the Board fails.",
    )
    http_timeout_s: float = Field(default=20.0, description="Seconds to wait for a server's next bytes (read timeout).")
    http_connect_timeout_s: float = Field(default=10.0, description="Seconds to wait for a connection to open.")
    http_timeout_attempts: int = Field(
        default=2,
        description="Attempts per request when the server does not answer in time; then the host is not asked again.",
    )
    http_max_attempts: int = Field(default=5, description="Attempts per request on timeouts, 429 and 5xx.")
    http_unreachable_attempts: int = Field(
        default=2, description="Attempts per request when the host cannot be reached (DNS, refused connection)."
    )
    http_backoff_initial_s: float = 1.0
    http_backoff_max_s: float = 60.0
    http_retry_after_cap_s: float = 300.0
    requests_per_second: float = 1.0
    overlap_days: int = Field(
        default=14, description="Re-fetch this many days before the last stored observation (revisions)."
    )
    data_docs_dir: Path | None = Field(
        default=None,
        description="Where GX Data Docs go; default: <warehouse name>.data_docs/ beside the warehouse file.",
    )
    thresholds_file: Path | None = Field(
        default=None,
        description="Signal thresholds (TOML); default: the packaged liquidity_watch/signals/thresholds.toml.",
    )
    lock_wait_s: float = Field(
        default=0.0, description="How long a run waits for another run's write lock before giving up."
    )
    query_time_limit_s: float = Field(
        default=QUERY_TIME_LIMIT_S, description="liquidity-watch query stops a statement after this many seconds."
    )
    query_memory_limit: str = Field(
        default=QUERY_MEMORY_LIMIT, description="DuckDB's memory limit for liquidity-watch query (2GB, 512MB)."
    )

    def resolved_snapshot_dir(self) -> Path:
        return self.snapshot_dir if self.snapshot_dir is not None else bundled_snapshot_dir()


class FredSecrets(BaseSettings):
    """``FRED_API_KEY`` (no prefix, also from ``.env``): a secret, read where a FRED client is made.

    It is not a field of ``Settings``, which travels as a task parameter; like the Slack token it
    is never a Prefect parameter, and ``SecretStr`` keeps it out of every repr.
    """

    model_config = SettingsConfigDict(env_file=ENV_FILE, extra="ignore")

    fred_api_key: SecretStr | None = Field(
        default=None,
        description="A key for FRED's official API: FRED is then read as series/observations JSON, not keyless CSV.",
    )
