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


def _is_flow(decorator: ast.expr) -> bool:
    """``@flow``, ``@flow(...)``, ``@prefect.flow`` or ``@prefect.flow(...)``."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return (isinstance(target, ast.Name) and target.id == "flow") or (
        isinstance(target, ast.Attribute) and target.attr == "flow"
    )


def flow_parameters() -> list[str]:
    """The names of the flow's parameters, in order, as its ``def`` declares them: what a deployment may pass."""
    tree = ast.parse(FLOW_SOURCE.read_text(encoding="utf-8"))
    found = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name == "pipeline"
        and any(_is_flow(d) for d in node.decorator_list)
    ]
    assert len(found) == 1, f"{FLOW_SOURCE}: expected one top-level flow named pipeline, found {len(found)}"
    arguments = found[0].args
    assert arguments.vararg is None and arguments.kwarg is None, f"{FLOW_SOURCE}: the flow takes *args or **kwargs"
    return [a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]]
