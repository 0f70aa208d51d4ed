"""Collection rules for the whole repository (the fixtures live in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

SRC = Path(__file__).parent / "src"


def pytest_ignore_collect(collection_path: Path) -> bool | None:
    """``--doctest-modules`` imports every module of ``src/`` to look for examples. A module that has none
    is not imported for it: importing the Prefect flows alone costs each worker about a second, and the
    modules with examples are the ones tested this way."""
    if collection_path.suffix == ".py" and collection_path.is_relative_to(SRC):
        return ">>> " not in collection_path.read_text(encoding="utf-8")
    return None
