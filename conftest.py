"""Collection rules for the whole repository (the fixtures live in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path


def pytest_ignore_collect(collection_path: Path) -> bool | None:
    """``--doctest-modules`` imports every module to look for examples, the test helpers and ``src/`` alike.
    A module other than a test file that has no example is not imported for it: the Prefect flows alone cost
    each worker of the fast tier about a second. (Every module is still imported by the integration tier's
    layout test, so an import error anywhere fails the whole suite.)"""
    name = collection_path.name
    if collection_path.suffix != ".py" or name.startswith("test_") or name == "conftest.py":
        return None
    return ">>>" not in collection_path.read_text(encoding="utf-8") or None
