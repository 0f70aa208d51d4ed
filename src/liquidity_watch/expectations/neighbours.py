"""Each value against its own neighbours: unit slips, and rate spikes against the same day's other rates.

Both checks look at a series' context (the stored current values with this run's fresh
values laid over them) and compare each value with the medians of the ``NEIGHBOURS``
observations before it and after it. A value that sits away from both medians in the same
direction stands out from its neighbours; a level shift (a new policy rate, a new regime of
the balance sheet) moves away from one side only and does not. At the ends of a series only
one side exists, and the looser one-sided limit applies.

* **Unit slips** (``slip_factors``): how many times larger or smaller than its neighbours a
  value is, after adding the series' floor (``UnitSlip.floor``) to both, so that moves of
  immaterial size near zero (ON RRP between $0bn and $2bn) do not count as factors.
* **Rate spikes** (``uncorroborated_spikes``): a rate's move in basis points against its
  neighbours, less what the same day's corroborating rates (``CORROBORATING_RATES``) moved.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from liquidity_watch.expectations import bounds
from liquidity_watch.expectations.bounds import NEIGHBOURS, Corroboration, UnitSlip


def _medians(value: pl.Expr, k: int = NEIGHBOURS) -> tuple[pl.Expr, pl.Expr]:
    """The median of the ``k`` values before and the ``k`` after each row, within its series (null at the ends)."""
    before = value.shift(1).rolling_median(window_size=k, min_samples=1).over("series_id")
    after = value.reverse().shift(1).rolling_median(window_size=k, min_samples=1).reverse().over("series_id")
    return before, after


def _away_from_both(to_before: pl.Expr, to_after: pl.Expr, neutral: float) -> pl.Expr:
    """Two-sided: the smaller departure if both sides agree on its direction, else ``neutral``;
    one-sided at a series' ends: the side there is."""
    up = (to_before > neutral) & (to_after > neutral)
    down = (to_before < neutral) & (to_after < neutral)
    closest_up = pl.min_horizontal(to_before, to_after)
    closest_down = pl.max_horizontal(to_before, to_after)
    return (
        pl.when(to_after.is_null())
        .then(to_before)
        .when(to_before.is_null())
        .then(to_after)
        .when(up)
        .then(closest_up)
        .when(down)
        .then(closest_down)
        .otherwise(pl.lit(neutral))
    )


def context_frame(stored: pl.DataFrame, incoming: pl.DataFrame) -> pl.DataFrame:
    """``series_id, date, value``: stored current values with the incoming ones laid over them, sorted.

    ``incoming`` may hold a (series, date) more than once (overlapping payloads); the last wins,
    as when landing.
    """
    fresh = incoming.select("series_id", "date", "value").unique(subset=["series_id", "date"], keep="last")
    kept = stored.select("series_id", "date", "value").join(fresh, on=["series_id", "date"], how="anti")
    return pl.concat([kept, fresh]).sort("series_id", "date")


def slip_factors(context: pl.DataFrame, limits: Mapping[str, UnitSlip] | None = None) -> pl.DataFrame:
    """``series_id, date, neighbour_factor, neighbour_factor_limit`` for every series with a ``UNIT_SLIP`` bound.

    ``neighbour_factor`` >= 1: how many times larger (or smaller) than its neighbours'
    median the value is, both taken with the series' floor added. The limit is the series'
    two-sided limit, or its one-sided limit at the first or last observation. ``limits``
    defaults to ``bounds.UNIT_SLIP``.
    """
    limits = bounds.UNIT_SLIP if limits is None else limits
    table = pl.DataFrame(
        {
            "series_id": list(limits),
            "floor": [b.floor for b in limits.values()],
            "two_sided": [b.two_sided for b in limits.values()],
            "one_sided": [b.one_sided for b in limits.values()],
        },
        schema={"series_id": pl.String, "floor": pl.Float64, "two_sided": pl.Float64, "one_sided": pl.Float64},
    )
    frame = context.join(table, on="series_id", how="inner").sort("series_id", "date")
    before, after = _medians(pl.col("value").abs())
    frame = frame.with_columns(before=before, after=after)
    level = pl.col("value").abs() + pl.col("floor")
    ratio = _away_from_both(
        level / (pl.col("before") + pl.col("floor")), level / (pl.col("after") + pl.col("floor")), 1.0
    )
    one_sided = pl.col("before").is_null() | pl.col("after").is_null()
    return frame.with_columns(ratio=ratio).select(
        "series_id",
        "date",
        neighbour_factor=pl.max_horizontal(pl.col("ratio"), 1 / pl.col("ratio")).round(3),
        neighbour_factor_limit=pl.when(one_sided).then(pl.col("one_sided")).otherwise(pl.col("two_sided")),
    )


def rate_spikes(context: pl.DataFrame, series: list[str]) -> pl.DataFrame:
    """``series_id, date, spike_bp``: each rate of ``series`` against its neighbours, in basis points.

    Positive: above both neighbours' medians (by the smaller gap); negative: below both; 0
    when the two sides disagree (a level shift, or an ordinary day). One-sided at the ends.
    """
    frame = context.filter(pl.col("series_id").is_in(series)).sort("series_id", "date")
    before, after = _medians(pl.col("value"))
    frame = frame.with_columns(before=before, after=after)
    spike = _away_from_both((pl.col("value") - pl.col("before")) * 100, (pl.col("value") - pl.col("after")) * 100, 0.0)
    return frame.select("series_id", "date", spike_bp=spike.round(2))


def uncorroborated_spikes(
    context: pl.DataFrame,
    rates: Mapping[str, Corroboration] | None = None,
    notable: Mapping[str, float] | None = None,
) -> pl.DataFrame:
    """``series_id, date, spike_bp, uncorroborated_spike_bp, uncorroborated_spike_limit_bp`` for each checked rate.

    For each rate of ``CORROBORATING_RATES`` and each of its days:

    * with a same-market corroborator present that day (SOFR percentiles, TGCR, BGCR): the
      corroborating move is the second largest same-direction move among the present
      corroborators (the largest when fewer than three are present), so one volatile
      corroborator (the 99th percentile) cannot vouch alone; the uncorroborated part is the
      spike less that move, limited by ``UNCORROBORATED_SPIKE_LIMIT_BP``;
    * with only other markets present (EFFR): a repo-only pop (a month end) cannot be seen
      in them, so a spike counts as corroborated when one of them moved notably the same way
      (``NOTABLE_MOVE_BP``, its own 99.5th percentile), else all of it is uncorroborated,
      limited by the looser ``UNCORROBORATED_SPIKE_LIMIT_WITHOUT_SAME_MARKET_BP``;
    * with no corroborator at all: the same looser limit, nothing vouching.

    ``rates`` and ``notable`` default to ``bounds.CORROBORATING_RATES`` and ``bounds.NOTABLE_MOVE_BP``.
    """
    rates = bounds.CORROBORATING_RATES if rates is None else rates
    notable_bp = bounds.NOTABLE_MOVE_BP if notable is None else notable
    parts = []
    for rate, corroboration in rates.items():
        same, other = list(corroboration.same_market), list(corroboration.other_markets)
        spikes = rate_spikes(context, [rate, *same, *other])
        if spikes.filter(pl.col("series_id") == rate).is_empty():
            continue
        wide = spikes.pivot(on="series_id", index="date", values="spike_bp")
        for sid in [rate, *same, *other]:
            if sid not in wide.columns:
                wide = wide.with_columns(pl.lit(None, dtype=pl.Float64).alias(sid))
        wide = wide.filter(pl.col(rate).is_not_null())
        size = pl.col(rate).abs()
        direction = pl.col(rate).sign()
        moves = pl.concat_list([pl.col(c) * direction for c in [*same, *other]]).list.drop_nulls()
        ranked = moves.list.sort(descending=True)
        corroborating = (
            pl.when(moves.list.len() >= 3).then(ranked.list.get(1, null_on_oob=True)).otherwise(ranked.list.first())
        )
        has_same = pl.any_horizontal([pl.col(c).is_not_null() for c in same]) if same else pl.lit(False)
        vouched = (
            pl.any_horizontal(
                [(pl.col(c) * direction >= notable_bp.get(c, float("inf"))).fill_null(False) for c in other]
            )
            if other
            else pl.lit(False)
        )
        uncorroborated = (
            pl.when(has_same)
            .then(size - corroborating.fill_null(0).clip(0, size))
            .when(vouched)
            .then(pl.lit(0.0))
            .otherwise(size)
        )
        parts.append(
            wide.select(
                pl.lit(rate).alias("series_id"),
                "date",
                pl.col(rate).alias("spike_bp"),
                uncorroborated.round(2).alias("uncorroborated_spike_bp"),
                pl.when(has_same)
                .then(pl.lit(bounds.UNCORROBORATED_SPIKE_LIMIT_BP))
                .otherwise(pl.lit(bounds.UNCORROBORATED_SPIKE_LIMIT_WITHOUT_SAME_MARKET_BP))
                .alias("uncorroborated_spike_limit_bp"),
            )
        )
    schema = {
        "series_id": pl.String,
        "date": pl.Date,
        "spike_bp": pl.Float64,
        "uncorroborated_spike_bp": pl.Float64,
        "uncorroborated_spike_limit_bp": pl.Float64,
    }
    return pl.concat(parts) if parts else pl.DataFrame(schema=schema)
