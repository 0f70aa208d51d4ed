"""The floor plan: one import package, rooms that import only downwards, modules that do nothing when imported."""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "liquidity_watch"

#: Top-level modules every room may use: configuration and package data.
BASE = {"settings", "resources", "locations", "bootstrap", "failpoints"}
#: The rooms below the run's stages: what ``stages`` may import.
_BELOW_STAGES = {
    "domain",
    "base",
    "sources",
    "warehouse",
    "transforms",
    "expectations",
    "signals",
    "alerts",
    "reporting",
}
#: room -> the rooms it may import (besides itself). The README's layout section draws this.
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "base": {"domain"},
    "sources": {"domain", "base"},
    "warehouse": {"domain", "base"},
    "transforms": {"domain"},
    "expectations": {"domain", "base"},
    "signals": {"domain", "base", "transforms", "warehouse"},
    "reporting": {"domain", "base", "warehouse", "signals"},
    "alerts": {"domain", "base", "reporting", "warehouse"},  # the outbox lives in the warehouse
    "stages": _BELOW_STAGES,
    "flows": _BELOW_STAGES | {"stages"},
    "cli": _BELOW_STAGES | {"stages", "flows"},
}


def room_of(module: str) -> str:
    """``liquidity_watch.sources.http`` -> ``sources``; top-level modules -> ``base``."""
    parts = module.split(".")
    first = parts[1] if len(parts) > 1 else ""
    return "base" if first in BASE or first == "" else first


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(part for part in relative.parts if part != "__init__")
        found[name] = path
    return found


def imports_of(path: Path) -> set[str]:
    """Every ``liquidity_watch`` module imported anywhere in a file, function bodies included."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names if alias.name.startswith("liquidity_watch")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("liquidity_watch"):
            out.add(node.module)
    return out


def test_the_old_top_level_packages_are_gone():
    old = ["sources", "alerts", "flows", "transforms", "expectations", "warehouse"]
    assert [name for name in old if importlib.util.find_spec(name) is not None] == []


def test_every_room_of_the_design_card_is_a_subpackage():
    rooms = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert {
        "flows",
        "stages",
        "transforms",
        "expectations",
        "warehouse",
        "sources",
        "alerts",
        "signals",
        "reporting",
        "domain",
        "cli",
    } <= rooms


def test_every_import_goes_down_the_layers():
    wrong = []
    for name, path in modules().items():
        here = room_of(name)
        for target in imports_of(path):
            there = room_of(target)
            if there != here and there not in ALLOWED[here]:
                wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_the_domain_imports_nothing_of_ours_but_itself():
    outside = {
        f"{name} -> {target}"
        for name, path in modules().items()
        if name.startswith("liquidity_watch.domain")
        for target in imports_of(path)
        if not target.startswith("liquidity_watch.domain")
    }
    assert outside == set()


def third_party_imports(path: Path) -> set[str]:
    """The top-level names of every package a file imports, function bodies included."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


def test_the_stages_run_without_prefect_only_the_flows_shell_imports_it():
    stages = {name for name in modules() if room_of(name) == "stages"}
    assert {"liquidity_watch.stages.run", "liquidity_watch.stages.after_publish"} <= stages
    assert sorted(name for name in stages if "prefect" in third_party_imports(modules()[name])) == []


def test_each_prefect_task_is_one_stage_made_a_task_in_one_line_and_the_shell_has_no_other_task():
    from liquidity_watch.stages.run import Steps

    tree = ast.parse((PACKAGE / "flows" / "pipeline.py").read_text())
    decorated = [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and any("task" in ast.unparse(d).split("(")[0] for d in node.decorator_list)
    ]
    assert decorated == []
    [steps] = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and ast.unparse(node.value.func) == "Steps"
    ]
    tasks = {}
    for keyword in steps.keywords:
        made = keyword.value
        assert isinstance(made, ast.Call) and ast.unparse(made.func) == "as_task", keyword.arg
        stage, name = made.args
        assert isinstance(stage, ast.Attribute) and getattr(stage.value, "id", "") in {"steps", "after_publish"}
        assert stage.attr == keyword.arg  # the field of Steps is the stage of that name
        tasks[keyword.arg] = ast.literal_eval(name)
    assert set(tasks) == {field.name for field in dataclasses.fields(Steps)}  # every stage run calls
    assert tasks["write_core"] == "write-core" and tasks["deliver"] == "deliver-alerts"


IMPORT_EVERYTHING = """
import importlib, json, os, pkgutil, sys, threading
# the libraries first: what they do on import (polars sets _RJEM_MALLOC_CONF) is not ours
for library in ("polars", "duckdb", "pandas", "pyarrow", "prefect", "great_expectations", "matplotlib",
                "slack_sdk", "httpx", "typer", "rich", "pydantic_settings", "holidays"):
    importlib.import_module(library)
import liquidity_watch
before_env, before_threads = dict(os.environ), threading.active_count()
names = [m.name for m in pkgutil.walk_packages(liquidity_watch.__path__, "liquidity_watch.")]
for name in names:
    importlib.import_module(name)
changed = sorted(k for k in set(os.environ) | set(before_env) if os.environ.get(k) != before_env.get(k))
print(json.dumps({"modules": len(names), "env": changed, "threads": threading.active_count() - before_threads}))
"""


@pytest.mark.integration
def test_importing_every_module_changes_no_environment_variable_and_starts_no_thread():
    result = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["modules"] > 50
    assert report["env"] == [] and report["threads"] == 0
