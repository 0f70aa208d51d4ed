"""Every ``--help`` reads whole in 80 columns: no line longer, no option or word cut, no sentence broken early."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from liquidity_watch.cli import app

WIDTH = 80


def is_group(command: Any) -> bool:
    return hasattr(command, "commands")  # typer's groups are click groups of its own bundled click


def commands(group: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path of the application, groups included (``()`` is the application itself)."""
    found = [path]
    for name, command in group.commands.items():
        if is_group(command):
            found += commands(command, (*path, name))
        else:
            found.append((*path, name))
    return found


ROOT = typer.main.get_command(app)
PATHS = commands(ROOT)


def command_at(path: tuple[str, ...]) -> Any:
    command = ROOT
    for name in path:
        command = command.commands[name]
    return command


def rendered(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": str(WIDTH)}, terminal_width=WIDTH)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_every_command_and_group_is_rendered():
    assert {" ".join(p) for p in PATHS} >= {"", "run", "query", "export", "sources", "sources check"}


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "liquidity-watch")
def test_help_fits_80_columns_and_cuts_no_option_help_or_summary(path):
    text = rendered(path)
    assert [line for line in text.splitlines() if len(line) > WIDTH] == []
    tokens = set(text.split())
    command = command_at(path)
    for param in command.params:
        words = (getattr(param, "help", None) or "").split()
        assert [word for word in words if word not in tokens] == [], param.name
        assert [opt for opt in param.opts + param.secondary_opts if opt not in text] == []
    if is_group(command):
        for name, sub in command.commands.items():
            assert f"{name}  " in text and sub.get_short_help_str(limit=200) in " ".join(text.split())
            assert sub.get_short_help_str(limit=200).endswith((".", "?")), name  # a whole sentence, never "..."


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "liquidity-watch")
def test_help_paragraphs_break_only_where_the_next_word_would_not_fit(path):
    text = rendered(path)
    description = text.split("\n\n", 1)[1]  # after the usage line, up to the first panel
    lines = description.split("\nOptions:", 1)[0].split("\nArguments:", 1)[0].splitlines()
    assert len(lines) >= 1
    early = [
        (line, after)
        for line, after in itertools.pairwise(lines)
        # two lines of one description paragraph (indented two spaces; examples are indented further)
        if line.startswith("  ")
        and not line.startswith("   ")
        and after.startswith("  ")
        and not after.startswith("   ")
        and not line.lstrip().startswith("-")
        and len(line) + 1 + len(after.split()[0]) <= WIDTH - 2
    ]
    assert early == []
