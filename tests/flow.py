"""The pipeline's Prefect flow for the tests, without loading Prefect where a test does not run the flow:
collecting and running the fast tier (``pytest -m "not integration"``) never imports it (about a second of
import, and half a second at exit, in each worker)."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import liquidity_watch

FLOW_SOURCE = Path(liquidity_watch.__file__).parent / "flows" / "pipeline.py"


def pipeline(**parameters: Any) -> Any:
    """Run ``liquidity_watch.flows.pipeline.pipeline`` with ``parameters`` and return what it returns."""
    from liquidity_watch.flows.pipeline import pipeline as flow

    return flow(**parameters)


def flow_parameters() -> list[str]:
    """The names of the flow's parameters, in order, as its ``def`` declares them: what a deployment may pass."""
    tree = ast.parse(FLOW_SOURCE.read_text(encoding="utf-8"))
    [definition] = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and node.name == "pipeline"
        and any(isinstance(d, ast.Call) and getattr(d.func, "id", None) == "flow" for d in node.decorator_list)
    ]
    arguments = definition.args
    return [a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]]
