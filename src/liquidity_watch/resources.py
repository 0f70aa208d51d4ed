"""Files that ship inside the package: the bundled snapshot, the default thresholds, the migrations.

They are read through ``importlib.resources``, so they are found the same way from a clone
(an editable install) and from a wheel installed anywhere.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def package_path(*parts: str) -> Path:
    """A file or folder shipped in the ``liquidity_watch`` package, as a real path.

    >>> package_path("signals", "thresholds.toml").name
    'thresholds.toml'
    """
    resource = files("liquidity_watch").joinpath(*parts)
    path = Path(str(resource))
    if not path.exists():
        raise FileNotFoundError(f"{'/'.join(parts)} is missing from the installed liquidity_watch package ({path})")
    return path


def bundled_snapshot_dir() -> Path:
    """The offline snapshot that ships with the package (FRED-format CSVs)."""
    return package_path("data", "snapshot")


def default_thresholds_file() -> Path:
    """The documented default thresholds (``liquidity_watch/signals/thresholds.toml``)."""
    return package_path("signals", "thresholds.toml")


def migrations_dir() -> Path:
    """The numbered SQL migrations of the warehouse schema."""
    return package_path("warehouse", "migrations")
