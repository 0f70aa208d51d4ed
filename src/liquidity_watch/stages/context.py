"""What a run knows before its first stage, passed to every stage as one value.

``RunContext`` carries the settings, thresholds, paths, the run's identity, where its alerts
go and where it logs. Stages read it and never change it; what a stage finds, it returns.
The one part that grows is ``timer``, into which ``run`` times each stage for the summary:
a context serves one run (its clock, ``started``, starts when it is opened).
Logging goes to ``log`` (a stdlib logger; the Prefect shell hands in its run logger), and
markdown for the run's page to ``artifact`` (a no-op without Prefect).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from liquidity_watch.alerts.config import DeliveryConfig, delivery_config
from liquidity_watch.domain.revisions import RevisionAcceptance
from liquidity_watch.domain.sources import SourceKind
from liquidity_watch.settings import Settings
from liquidity_watch.signals.thresholds import Thresholds, load_thresholds
from liquidity_watch.warehouse.paths import WarehousePaths
from liquidity_watch.warehouse.runs import RunRecord

#: ``artifact(markdown, description)``: the run's page (a Prefect artifact under the shell)
Artifact = Callable[[str, str | None], None]


def no_artifact(markdown: str, description: str | None) -> None:
    """Without Prefect a run has no page: the summary it returns, and ``meta.runs``, say it all."""


class StageTimer:
    """Wall time per pipeline stage, reported in the run summary."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] = round(self.seconds.get(stage, 0.0) + time.perf_counter() - started, 3)


@dataclass(frozen=True)
class RunContext:
    """One run's fixed facts: what it reads, where it writes, who it is, where it reports."""

    source: SourceKind
    settings: Settings
    thresholds: Thresholds
    paths: WarehousePaths
    run: RunRecord  # the run's row as it starts: its id, start time and flow run
    as_of: dt.date | None
    strict: bool  # primary sources or nothing (no failover to FRED)
    accepted: tuple[RevisionAcceptance, ...]  # revision ranges the operator let through the guard
    snapshot_dir: Path | None
    slack: DeliveryConfig  # every destination as configured: its secrets are redacted from every warning
    to_slack: bool  # whether this run's alerts go to Slack (a replay prints them unless told to deliver)
    export_to: Path | None
    log: logging.Logger | logging.LoggerAdapter[Any]
    artifact: Artifact = no_artifact
    timer: StageTimer = field(default_factory=StageTimer)
    started: float = field(default_factory=time.perf_counter)

    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def delivery(self) -> DeliveryConfig:
        """Where this run's alerts go: every configured destination, or the terminal only."""
        return self.slack if self.to_slack else self.slack.terminal_only()

    @property
    def live(self) -> bool:
        """A run of today from the upstreams: only its gaps are news (a snapshot is history, a replay the past)."""
        return self.source is not SourceKind.SNAPSHOT and self.as_of is None


def open_run(
    source: SourceKind,
    *,
    snapshot_dir: Path | None = None,
    warehouse: Path | None = None,
    as_of: dt.date | None = None,
    strict_sources: bool | None = None,
    accepted: tuple[RevisionAcceptance, ...] = (),
    to_slack: bool = True,
    export_to: Path | None = None,
    flow_run_id: str | None = None,
    log: logging.Logger | logging.LoggerAdapter[Any] | None = None,
    artifact: Artifact = no_artifact,
) -> RunContext:
    """The context of a run about to start: settings read, thresholds loaded, Slack settings checked.

    Never raises for a bad Slack setting: that destination is skipped, with a warning.
    """
    settings = Settings()
    slack = delivery_config()
    return RunContext(
        source=source,
        settings=settings,
        thresholds=load_thresholds(settings.thresholds_file),
        paths=WarehousePaths.for_run(settings, warehouse, as_of),
        run=RunRecord.start(source, as_of, flow_run_id),
        as_of=as_of,
        strict=settings.strict_sources if strict_sources is None else strict_sources,
        accepted=accepted,
        snapshot_dir=snapshot_dir,
        slack=slack,
        to_slack=to_slack,
        export_to=export_to,
        log=log if log is not None else logging.getLogger("liquidity_watch.run"),
        artifact=artifact,
    )
