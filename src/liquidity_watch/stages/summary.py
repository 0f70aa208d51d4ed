"""What one run did, as one typed value: built once at the end of the flow, rendered by the CLI and the artifact.

Pure data and text; no Prefect. ``RunSummary.lines()`` is what ``liquidity-watch run``
prints under its table, ``RunSummary.markdown()`` the Prefect artifact of the run, and
``RunSummary.to_json()`` what ``meta.runs.summary`` stores.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field

from liquidity_watch.domain.sources import SourceUse, UseStatus


@dataclass(frozen=True)
class TableCount:
    """Rows and the latest date of one published core table."""

    rows: int
    latest: str


@dataclass(frozen=True)
class SignalOfTheDay:
    """The signal on the last evaluated day: its severity, each rule's status, the grade's reason, and
    for a day that cannot be judged, the first day of that stretch (``unknown_since``)."""

    date: str
    severity: str
    rules: dict[str, str] = field(default_factory=dict)
    why: str = ""
    unknown_since: str | None = None

    def describe(self) -> str:
        """``alert (easing on, draining on, ...); 1 of 3 of the Fed's signs persisted (repo rates above IORB)``,
        or for a day that cannot be judged, ``unknown: cannot judge since 2026-07-24: easing (...)``.

        >>> SignalOfTheDay("2026-12-04", "unknown", {"easing": "no_data"}, "unknown: cannot judge: easing (no data)",
        ...                "2026-07-24").describe()
        'unknown: cannot judge since 2026-07-24: easing (no data)'
        """
        if self.severity == "unknown":
            reason = self.why.removeprefix("unknown: cannot judge: ")
            return f"unknown: cannot judge since {self.unknown_since or self.date}: {reason}"
        rules = ", ".join(f"{rule} {status}" for rule, status in self.rules.items())
        line = f"{self.severity} ({rules})" if rules else self.severity
        reason = self.why.removeprefix(f"{self.severity}: ")
        return f"{line}; {reason}" if reason and self.severity != "none" else line


@dataclass(frozen=True)
class AlertOutcome:
    """What the outbox did this run: message ids per outcome, the texts printed to the terminal, redacted errors."""

    queued: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    printed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    printed_text: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)  # delivered by an earlier attempt, found in the channel history
    errors: list[str] = field(default_factory=list)  # "<message id>: <redacted reason>"
    to_slack: bool = True  # False for a replay without --deliver: alerts print only


@dataclass(frozen=True)
class RunSummary:
    """Everything a person needs to know about one completed run."""

    run_id: str
    source: str
    warehouse: str
    as_of: dt.date | None
    tables: dict[str, TableCount]
    observations_fetched: int
    observations_inserted: dict[str, int]
    observations_changed: dict[str, int]
    payloads_unchanged: int
    expectations: int
    data_docs: str
    signal: SignalOfTheDay | None
    episodes: int
    alerts: AlertOutcome
    stale: list[str]
    thresholds_notes: list[str]
    seconds: float
    stage_seconds: dict[str, float]
    sources: list[SourceUse] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # what failed after the publish (redacted): exit code 3
    writer_limit: str | None = None  # the Prefect global concurrency limit taken; None: the flock alone
    writer_waits_s: dict[str, float] = field(default_factory=dict)  # "global_limit", "flock": seconds waited
    thresholds_changed: list[str] = field(default_factory=list)  # each key whose value is not the packaged default

    @property
    def inserted(self) -> int:
        return sum(self.observations_inserted.values())

    @property
    def changed(self) -> int:
        return sum(self.observations_changed.values())

    def observations_line(self) -> str:
        line = f"observations: {self.observations_fetched:,} fetched, {self.inserted:,} new, {self.changed:,} changed"
        if self.payloads_unchanged:
            line += f", {self.payloads_unchanged} payload(s) unchanged since the last run"
        return line

    def sources_lines(self) -> list[str]:
        """Where each group of series came from: the primary sources on one line, then one line per exception.

        >>> from liquidity_watch.domain.sources import Provider
        >>> uses = [SourceUse("SOFR", ("SOFR",), Provider.NYFED, Provider.NYFED, UseStatus.PRIMARY),
        ...         SourceUse("EFFR", ("EFFR",), Provider.NYFED, Provider.NYFED, UseStatus.PRIMARY),
        ...         SourceUse("H.4.1", ("WALCL",), Provider.DDP, Provider.FRED, UseStatus.FAILOVER, "HTTP 503")]
        >>> RunSummary.sources_lines_of(uses)
        ['sources: SOFR, EFFR from NY Fed', 'failover: H.4.1 from FRED (Board failed: HTTP 503)']
        """
        return self.sources_lines_of(self.sources)

    @staticmethod
    def sources_lines_of(uses: list[SourceUse]) -> list[str]:
        by_provider: dict[str, list[str]] = {}
        for use in uses:
            if use.status is UseStatus.PRIMARY:
                name = f"{use.group} ({use.detail})" if use.detail else use.group
                by_provider.setdefault(use.primary.label, []).append(name)
        out = []
        if by_provider:
            out.append("sources: " + "; ".join(f"{', '.join(g)} from {p}" for p, g in by_provider.items()))
        labels = {UseStatus.FAILOVER: "failover", UseStatus.UNAVAILABLE: "unavailable"}
        for use in uses:
            if use.status is not UseStatus.PRIMARY:
                prefix = labels.get(use.status)
                out.append(f"{prefix}: {use.describe()}" if prefix else use.describe())
        return out

    def signal_line(self) -> str:
        if self.signal is None:
            return f"signal: none evaluated; {self.episodes} episode(s) since 2003"
        return f"signal on {self.signal.date}: {self.signal.describe()}; {self.episodes} episode(s) since 2003"

    def alerts_line(self) -> str:
        a = self.alerts
        line = f"alerts: {len(a.queued)} queued, {len(a.sent)} sent to Slack, "
        if a.found:
            line += f"{len(a.found)} found already in Slack, "
        line += f"{len(a.printed)} printed, {len(a.failed)} not delivered (kept in the outbox)"
        if not a.to_slack:
            line += "; a replay sends nothing to Slack without --deliver"
        return line

    def lines(self) -> list[str]:
        """The plain lines ``liquidity-watch run`` prints under the table of core tables."""
        out = [self.observations_line(), *self.sources_lines()]
        if self.as_of:
            out.append(f"as of: end of {self.as_of} (America/New_York)")
        out.append(f"quality gate: {self.expectations} expectations passed; data docs: {self.data_docs}")
        out.append(self.signal_line())
        out += [f"note: {note}" for note in self.thresholds_notes]
        out += [f"thresholds: {change}" for change in self.thresholds_changed]
        out += [f"ALERT {text}" for text in self.alerts.printed_text]
        out.append(self.alerts_line())
        out += [f"  not delivered: {error}" for error in self.alerts.errors]
        if self.stale and self.source != "snapshot":
            out.append(f"stale: {', '.join(self.stale)}")
        if self.writer_limit or any(self.writer_waits_s.values()):
            out.append(self.writer_line())
        stages = ", ".join(f"{name} {seconds:.2f}" for name, seconds in self.stage_seconds.items())
        out.append(f"warehouse: {self.warehouse}  ({self.seconds:.2f} s: {stages})")
        return out

    def writer_line(self) -> str:
        """How the run got to write: ``writer: global concurrency limit X after 3.10 s, flock after 0.00 s``."""
        waits = self.writer_waits_s
        flock = f"flock after {waits.get('flock', 0.0):.2f} s"
        if self.writer_limit is None:
            return f"writer: {flock} (no shared Prefect server: the flock alone)"
        limit = f"global concurrency limit {self.writer_limit} after {waits.get('global_limit', 0.0):.2f} s"
        return f"writer: {limit}, {flock}"

    def markdown(self) -> str:
        """The Prefect artifact of the run: what was new, the gate, the signal, the alerts."""
        lines = [
            f"# liquidity-watch run `{self.run_id}`",
            "",
            f"source **{self.source}**, as of **{self.as_of or 'now'}**",
        ]
        lines += ["", "| series | new | changed |", "|---|---:|---:|"]
        series = sorted(set(self.observations_inserted) | set(self.observations_changed))
        lines += [
            f"| {sid} | {self.observations_inserted.get(sid, 0):,} | {self.observations_changed.get(sid, 0):,} |"
            for sid in series
        ]
        if not series:
            lines.append("| (none) | 0 | 0 |")
        if self.sources:
            lines += ["", "| source of | series | from | status | why |", "|---|---|---|---|---|"]
            lines += [
                f"| {u.group} | {', '.join(u.series)} | {u.provider.label if u.provider else '-'} | {u.status} "
                f"| {u.detail.replace('|', '/') or '-'} |"
                for u in self.sources
            ]
        lines += [
            "",
            f"**Quality gate:** {self.expectations} expectations passed.",
            f"**Signal on {self.signal.date}:** {self.signal.describe()}." if self.signal else "**Signal:** none.",
            *[f"- threshold differs from the packaged default: {change}" for change in self.thresholds_changed],
            f"**Alerts:** {self.alerts_line().removeprefix('alerts: ')}.",
            *["> " + text.replace("\n", "\n> ") for text in self.alerts.printed_text],
            *[f"- not delivered: {error}" for error in self.alerts.errors],
            f"**Stale series:** {', '.join(self.stale) or 'none'}.",
            *[f"**Warning:** published; {warning}" for warning in self.warnings],
            "",
            "| core table | rows | latest |",
            "|---|---:|---|",
        ]
        lines += [f"| core.{name} | {count.rows:,} | {count.latest} |" for name, count in self.tables.items()]
        return "\n".join(lines)

    def to_json(self) -> str:
        """The summary as JSON (``meta.runs.summary``)."""
        return json.dumps(dataclasses.asdict(self), default=str)


def cannot_judge_news(before: dt.date | None, signal: SignalOfTheDay | None) -> str | None:
    """The ops message for the first run that finds today cannot be judged; None when there is nothing new.

    One per unknown stretch: a later run in the same stretch says nothing more, and a stretch
    that ends and starts again is news again.

    >>> day = SignalOfTheDay("2026-10-16", "unknown", {}, "unknown: cannot judge: stress (SOFR: ...)", "2026-10-02")
    >>> cannot_judge_news(None, day)
    'cannot judge since 2026-10-02 (signal on 2026-10-16 is unknown, not calm): stress (SOFR: ...)'
    >>> cannot_judge_news(dt.date(2026, 10, 2), day) is None
    True
    """
    if signal is None or signal.unknown_since is None or str(before) == signal.unknown_since:
        return None
    reason = signal.why.removeprefix("unknown: cannot judge: ")
    return f"cannot judge since {signal.unknown_since} (signal on {signal.date} is unknown, not calm): {reason}"


def failure_markdown(run_id: str, source: str, as_of: dt.date | None, error: str) -> str:
    """The Prefect artifact of a run that failed: nothing was published."""
    return "\n".join(
        [
            f"# liquidity-watch run `{run_id}`",
            "",
            f"source **{source}**, as of **{as_of or 'now'}**",
            "",
            "**Failed, nothing was published.**",
            "",
            "```",
            error[:3000],
            "```",
        ]
    )
