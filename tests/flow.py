"""The pipeline's Prefect flow for the tests that run it, imported at its first call: collecting the fast tier
(``pytest -m "not integration"``) then never loads Prefect."""

from __future__ import annotations

from typing import Any


def pipeline(**parameters: Any) -> Any:
    """Run ``liquidity_watch.flows.pipeline.pipeline`` with ``parameters`` and return what it returns."""
    from liquidity_watch.flows.pipeline import pipeline as flow

    return flow(**parameters)
