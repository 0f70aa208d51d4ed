"""Run the suites on staged frames, turn results into rows and one readable failure message.

Great Expectations takes about 6 s to import on this machine, so ``bootstrap`` starts the
import in a background thread as early as possible (the CLI before Prefect's server
starts, the flow before extracting), and the gate itself then costs only the validations.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from liquidity_watch.bootstrap import wait_for_background_imports
from liquidity_watch.expectations import data_docs

if TYPE_CHECKING:  # GX validates pandas frames; pandas itself is imported with GX, when a gate runs
    import pandas as pd


def _gx() -> Any:
    wait_for_background_imports()
    import great_expectations as gx

    return gx


#: One row of ``meta.validation_results``.
ValidationRow = dict[str, object]


@dataclass(frozen=True)
class SuiteResult:
    """The outcome of validating one suite: a row per expectation, and a line per failure."""

    suite: str
    rows: tuple[ValidationRow, ...]
    failures: tuple[str, ...]
    seconds: float

    @property
    def success(self) -> bool:
        return not self.failures


class QualityGateFailed(Exception):
    """At least one expectation failed; the message names suite, series, dates and bound.

    Carries every suite result of the run so far, so a failed run still records them.
    """

    def __init__(self, results: Sequence[SuiteResult]):
        self.results = tuple(results)
        self.failures = [line for result in self.results for line in result.failures]
        shown = self.failures[:8]
        more = f"\n  ... and {len(self.failures) - len(shown)} more" if len(self.failures) > len(shown) else ""
        super().__init__("quality gate failed, nothing was published:\n  " + "\n  ".join(shown) + more)


def raise_if_failed(results: Sequence[SuiteResult]) -> None:
    """Raise ``QualityGateFailed`` (carrying ``results``) if any suite failed."""
    if any(not result.success for result in results):
        raise QualityGateFailed(results)


def validation_rows(results: Sequence[SuiteResult]) -> list[ValidationRow]:
    """Every expectation's row of every suite, in order, for ``meta.validation_results``."""
    return [row for result in results for row in result.rows]


class Validator:
    """One run's Great Expectations context: validates suites and builds Data Docs from what it ran.

    The results are returned as values; the context only keeps GX's own store of them,
    which Data Docs read.
    """

    def __init__(self, run_id: str) -> None:
        gx = _gx()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.run_id = run_id
        self._gx = gx
        self.context = data_docs.ephemeral_context(gx)
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        self.datasource = self.context.data_sources.add_pandas("liquidity_watch")

    def validate(self, suite: Any, frame: pd.DataFrame, index_columns: list[str]) -> SuiteResult:
        """Validate ``frame`` against ``suite``: one row per expectation and one line per failure.

        A first pass asks GX for counts and observed values only (``BASIC``). Only a suite
        that fails is run again for the unexpected rows' keys (``COMPLETE``), which name
        the series and dates in the failure message: the passing path, every night's,
        skips that work (~0.2 s a run here).
        """
        started = time.perf_counter()
        gx = self._gx
        name = suite.name
        asset = self.datasource.add_dataframe_asset(name)
        batch = asset.add_batch_definition_whole_dataframe("run")
        suite = self.context.suites.add(suite)
        definition = self.context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch, suite=suite)
        )
        try:
            result = definition.run(batch_parameters={"dataframe": frame}, result_format="BASIC")
            if not result.success:
                self._forget(result)  # Data Docs show the detailed run only
                result = definition.run(
                    batch_parameters={"dataframe": frame},
                    result_format={
                        "result_format": "COMPLETE",
                        "unexpected_index_column_names": index_columns,
                        "partial_unexpected_count": 5,
                    },
                )
        finally:
            self._release_batches()
        rows, failures = [], []
        for item in result.results:
            row, failure = self._row(name, item.to_json_dict())
            rows.append(row)
            if failure:
                failures.append(failure)
        return SuiteResult(name, tuple(rows), tuple(failures), time.perf_counter() - started)

    def _release_batches(self) -> None:
        """Let go of the frames validated so far: GX's pandas engine keeps every batch's data for
        the context's life (the raw batch is ~9 MB on a backfill), and only the results are read later."""
        manager = self.datasource.get_execution_engine().batch_manager
        manager.batch_data_cache.clear()
        manager.reset_batch_cache()

    def _forget(self, result: Any) -> None:
        """Drop a validation result from the context's store (it would show in Data Docs)."""
        store = self.context.validation_results_store
        for key in store.list_keys():
            if key.run_id == result.meta["run_id"]:
                store.remove_key(key)

    def _row(self, suite: str, item: dict[str, Any]) -> tuple[ValidationRow, str | None]:
        config = item["expectation_config"]
        kwargs = config.get("kwargs", {})
        meta = config.get("meta") or {}
        res = item.get("result") or {}
        pair = [kwargs[k] for k in ("column_A", "column_B") if kwargs.get(k)]
        column = kwargs.get("column") or ",".join(kwargs.get("column_list", []) or pair) or None
        examples = (res.get("unexpected_index_list") or [])[:5]
        row: ValidationRow = {
            "run_id": self.run_id,
            "suite": suite,
            "expectation": config["type"],
            "column_name": column,
            "series": meta.get("series"),
            "bound": meta.get("bound"),
            "observed_value": json.dumps(res.get("observed_value"), default=str),
            "element_count": res.get("element_count"),
            "unexpected_count": res.get("unexpected_count"),
            "examples": json.dumps(examples, default=str),
            "success": bool(item["success"]),
        }
        if item["success"]:
            return row, None
        return row, describe_failure(suite, config["type"], column, meta, res, item.get("exception_info"))

    def build_docs(self, folder: Path) -> Path:
        """Add this run's validations to the Data Docs site in ``folder``; return its index.html."""
        return data_docs.build_site(self.context, folder, self.run_id)


def _plain(value: object) -> object:
    """numpy scalars as Python numbers, so messages read ``-1394122.0``, not ``np.float64(...)``."""
    return value.item() if hasattr(value, "item") and callable(value.item) else value


def _day(value: object) -> str:
    text = str(value)
    return text[:10] if re.match(r"\d{4}-\d{2}-\d{2}", text) else text


def describe_failure(
    suite: str,
    kind: str,
    column: str | None,
    meta: dict[str, Any],
    result: dict[str, Any],
    exception: dict[str, Any] | None,
) -> str:
    """One line: suite, what was checked on which series/column, how many rows, which dates."""
    subject = meta.get("series") or column or "table"
    line = f"{suite}: {kind} on {subject} ({meta.get('bound', '')})"
    if result.get("unexpected_count"):
        examples = []
        for row in (result.get("unexpected_index_list") or [])[:5]:
            when = _day(row.get("day") or row.get("date") or row.get("week_ending") or "")
            series = row.get("series_id")
            value = {k: _plain(v) for k, v in row.items() if k not in {"day", "date", "week_ending", "series_id"}}
            shown = f"{series} {when}" if series else when
            examples.append(f"{shown} {value}" if value else shown)
        line += f" failed on {result['unexpected_count']} row(s): " + "; ".join(examples)
    elif result.get("observed_value") is not None:
        line += f" failed: observed {result['observed_value']}"
    elif exception and exception.get("raised_exception"):
        line += f" could not run: {exception.get('exception_message')}"
    else:
        line += " failed"
    return line
