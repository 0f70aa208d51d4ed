"""Every file a run derives from its warehouse's path, named in one place.

Beside the published file (beside the file it points to, when it is a symbolic link) live
its write lock, its delivery journal and the working files of runs; its Data Docs folder
sits beside the name the user gave, unless ``LW_DATA_DOCS_DIR`` names another. A replay
(``--as-of``) writes a warehouse of its own beside the published one unless told otherwise.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the read commands import this module, and `query` stays clear of pydantic
    from liquidity_watch.settings import Settings

#: how a working file is named after its warehouse: ``<name>.work-<hex>`` (and its ``.wal``)
_WORK_SUFFIX = re.compile(r"\.work-[0-9a-f]+(\.wal)?")


def resolved(published: Path | str) -> Path:
    """The file a published path stands for: itself, or the file its symbolic link(s) point to."""
    return Path(os.path.realpath(published))


def replay_warehouse(published: Path, as_of: dt.date) -> Path:
    """The warehouse of its own an ``--as-of`` run writes to when none is named: beside the published one.

    >>> replay_warehouse(Path("var/liquidity.duckdb"), dt.date(2019, 9, 18)).as_posix()
    'var/liquidity.as-of-2019-09-18.duckdb'
    """
    return published.with_name(f"{published.stem}.as-of-{as_of}{published.suffix}")


def target_warehouse(named: Path | None, published: Path, as_of: dt.date | None) -> Path:
    """Where a run writes: the warehouse the user named, else the published one, else (a replay) its own."""
    if named is not None:
        return named
    return replay_warehouse(published, as_of) if as_of is not None else published


@dataclass(frozen=True)
class WarehousePaths:
    """The published warehouse of a run and every path derived from it."""

    published: Path
    data_docs: Path

    @classmethod
    def of(cls, published: Path | str, data_docs: Path | None = None) -> WarehousePaths:
        """The paths of ``published``; its Data Docs beside it unless ``data_docs`` names a folder.

        >>> paths = WarehousePaths.of("var/liquidity.duckdb")
        >>> paths.data_docs.as_posix(), paths.journal.name, paths.lock.name
        ('var/liquidity.data_docs', 'liquidity.duckdb.delivery.sqlite3', 'liquidity.duckdb.lock')
        """
        path = Path(published)
        # every warehouse has its own, so runs against different warehouses in one folder never write each other's
        return cls(path, data_docs if data_docs is not None else path.with_suffix(".data_docs"))

    @classmethod
    def for_run(cls, settings: Settings, named: Path | None, as_of: dt.date | None) -> WarehousePaths:
        """The paths of the warehouse a run writes (``target_warehouse``); Data Docs in ``LW_DATA_DOCS_DIR`` if set.

        >>> from liquidity_watch.settings import Settings
        >>> settings = Settings(warehouse=Path("var/lw.duckdb"), data_docs_dir=None)
        >>> paths = WarehousePaths.for_run(settings, None, dt.date(2019, 9, 18))
        >>> paths.published.as_posix(), paths.data_docs.as_posix()
        ('var/lw.as-of-2019-09-18.duckdb', 'var/lw.as-of-2019-09-18.data_docs')
        """
        return cls.of(target_warehouse(named, settings.warehouse, as_of), settings.data_docs_dir)

    @property
    def target(self) -> Path:
        """The file the published path stands for (``resolved``): the lock and journal live beside it."""
        return resolved(self.published)

    @property
    def lock(self) -> Path:
        """``<warehouse>.lock``: the write lock (an ``flock``)."""
        return self._beside(".lock")

    @property
    def journal(self) -> Path:
        """``<warehouse>.delivery.sqlite3``: the durable record of every delivery step."""
        return self._beside(".delivery.sqlite3")

    @property
    def data_docs_index(self) -> Path:
        return self.data_docs / "index.html"

    def work_file(self, token: str) -> Path:
        """``<warehouse>.work-<token>``: one run's private working copy."""
        return self._beside(f".work-{token}")

    def is_work_file(self, name: str) -> bool:
        """Whether a file name in the warehouse's folder is one of its working files (or their ``.wal``).

        The name is compared, never matched against a pattern built from the warehouse's name,
        whose ``*``, ``?`` or ``[`` would match other files.
        """
        prefix = self.target.name
        return name.startswith(prefix) and _WORK_SUFFIX.fullmatch(name[len(prefix) :]) is not None

    def _beside(self, suffix: str) -> Path:
        target = self.target
        return target.with_name(target.name + suffix)
