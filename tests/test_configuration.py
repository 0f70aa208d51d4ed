"""Docs that match the code: every setting is in the example file, with its default, and in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from liquidity_watch.alerts.config import SlackSettings
from liquidity_watch.locations import DEFAULT_WAREHOUSE, warehouse_location
from liquidity_watch.settings import FredSecrets, Settings

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "config" / "liquidity-watch.env.example"


def variables() -> dict[str, object]:
    """Every environment variable the code reads, with its default."""
    out: dict[str, object] = {f"LW_{name.upper()}": f.default for name, f in Settings.model_fields.items()}
    out |= {name.upper(): f.default for name, f in SlackSettings.model_fields.items()}
    out |= {name.upper(): f.default for name, f in FredSecrets.model_fields.items()}
    return out


def shown(default: object) -> str:
    if default is None:
        return ""
    if isinstance(default, bool):
        return str(default).lower()
    return str(default)


def test_the_example_file_lists_every_setting_with_its_default():
    listed = dict(re.findall(r"^# ([A-Z][A-Z0-9_]+)=(.*)$", EXAMPLE.read_text(), flags=re.M))
    assert listed == {name: shown(default) for name, default in variables().items()}


def test_the_readme_configuration_table_names_every_setting():
    readme = (REPO / "README.md").read_text()
    table = readme[readme.index("## Configuration") : readme.index("## Layout")]
    assert [name for name in variables() if f"`{name}`" not in table] == []


@pytest.mark.parametrize(
    ("environment", "dotenv", "expected"),
    [
        ({}, None, DEFAULT_WAREHOUSE),
        ({"LW_WAREHOUSE": "/data/lw.duckdb"}, None, Path("/data/lw.duckdb")),
        ({}, "LW_WAREHOUSE=from-dotenv.duckdb\n", Path("from-dotenv.duckdb")),
        ({"LW_WAREHOUSE": "env-wins.duckdb"}, "LW_WAREHOUSE=from-dotenv.duckdb\n", Path("env-wins.duckdb")),
    ],
)
def test_the_fast_warehouse_lookup_agrees_with_the_settings(environment, dotenv, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LW_WAREHOUSE", raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    if dotenv is not None:
        (tmp_path / ".env").write_text(dotenv)
    assert warehouse_location() == Settings().warehouse == expected
