"""Episodes: runs of days graded watch or worse, and since when the last days cannot be judged."""

from __future__ import annotations

import datetime as dt

import polars as pl

from liquidity_watch.domain.severity import SEVERITY_RANK, Severity
from liquidity_watch.domain.tables.core import SIGNAL_EPISODES
from liquidity_watch.signals.rules import RULES, is_on


def episodes(evaluated: pl.DataFrame) -> pl.DataFrame:
    """Runs of consecutive evaluated days with severity watch or worse.

    One row per episode: ``start``, ``end`` (last day at watch or worse), ``days``,
    ``peak_severity``, ``peak_date`` (first day at the peak), ``escalated_on`` (first day
    at alert or worse), ``triggers`` (the rules that were on at some point) and
    ``is_open`` (still on at the last day that could be judged).

    Days that cannot be judged (``unknown``) neither end nor extend an episode: they are
    left out, so an episode that goes on after a source comes back is the same episode
    (and its subscribers get no second message for the same severity).
    """
    if evaluated.is_empty():
        return pl.DataFrame()
    frame = evaluated.filter(pl.col("severity") != Severity.UNKNOWN.value)
    if frame.is_empty():
        return _no_episodes()
    frame = frame.sort("date").with_columns(
        active=pl.col("severity") != Severity.NONE.value,
        rank=pl.col("severity").replace_strict(SEVERITY_RANK, return_dtype=pl.Int8),
    )
    frame = frame.with_columns(episode=(pl.col("active") & ~pl.col("active").shift(1, fill_value=False)).cum_sum())
    active = frame.filter(pl.col("active"))
    if active.is_empty():
        return _no_episodes()
    last_day = frame["date"].max()
    out = (
        active.group_by("episode", maintain_order=True)
        .agg(
            start=pl.col("date").min(),
            end=pl.col("date").max(),
            days=pl.len().cast(pl.Int32),
            peak_rank=pl.col("rank").max(),
            peak_date=pl.col("date").filter(pl.col("rank") == pl.col("rank").max()).min(),
            escalated_on=pl.col("date").filter(pl.col("rank") >= Severity.ALERT.rank).min(),
            **{f"{rule}_on": is_on(rule).any() for rule in RULES},
        )
        .with_columns(
            peak_severity=pl.col("peak_rank").replace_strict(
                {v: k for k, v in SEVERITY_RANK.items()}, return_dtype=pl.String
            ),
            triggers=pl.concat_str(
                [pl.when(pl.col(f"{rule}_on")).then(pl.lit(rule)) for rule in RULES], separator="+", ignore_nulls=True
            ),
            is_open=pl.col("end") == last_day,
        )
    )
    return out.select(SIGNAL_EPISODES.column_names)


def _no_episodes() -> pl.DataFrame:
    return pl.DataFrame(schema=SIGNAL_EPISODES.polars_schema())


def unknown_since(evaluated: pl.DataFrame) -> tuple[dt.date, str] | None:
    """When the last evaluated day cannot be judged: the first day of that stretch, and why (its last day's
    reason). None when the last day has a grade."""
    if evaluated.is_empty():
        return None
    frame = evaluated.sort("date").select("date", "severity", "grade_why")
    last = frame.row(-1, named=True)
    if last["severity"] != Severity.UNKNOWN.value:
        return None
    graded = frame.filter(pl.col("severity") != Severity.UNKNOWN.value)
    after = graded["date"].max() if graded.height else None
    stretch = frame.filter(pl.col("date") > after) if after is not None else frame
    since: dt.date = stretch["date"].min()  # type: ignore[assignment]  # a Date column's min is a date
    return since, str(last["grade_why"]).removeprefix("unknown: cannot judge: ")
