"""Installed as a wheel, away from any clone, the package finds its own data and runs on the bundled snapshot."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from liquidity_watch.warehouse.db import connection

REPO = Path(__file__).resolve().parents[1]


def uv() -> list[str]:
    """uv as CI and the README install it (``python3 -m pip install uv``), or on the PATH."""
    found = shutil.which("uv")
    return [found] if found else [shutil.which("python3") or sys.executable, "-m", "uv"]


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)
    assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtual environment outside the clone with the built wheel and the locked dependencies."""
    root = tmp_path_factory.mktemp("wheel")
    run([*uv(), "build", "--wheel", "--out-dir", str(root / "dist"), str(REPO)])
    [wheel] = (root / "dist").glob("liquidity_watch-*.whl")
    requirements = run(
        [*uv(), "export", "--project", str(REPO), "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "-q"]
    ).stdout
    (root / "requirements.txt").write_text(requirements)
    run([*uv(), "venv", "-q", str(root / "venv"), "--python", sys.executable])
    env = {**os.environ, "UV_COMPILE_BYTECODE": "0"}
    env.pop("VIRTUAL_ENV", None)
    run(
        [
            *uv(),
            "pip",
            "install",
            "-q",
            "--python",
            str(root / "venv" / "bin" / "python"),
            "-r",
            str(root / "requirements.txt"),
            str(wheel),
        ],
        env=env,
    )
    return root


@pytest.mark.integration
def test_the_wheel_ships_one_import_package_with_snapshot_thresholds_and_migrations(installed):
    [wheel] = (installed / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {"liquidity_watch", "liquidity_watch-0.1.0.dist-info"}
    assert "liquidity_watch/data/snapshot/WALCL.csv" in names
    assert "liquidity_watch/signals/thresholds.toml" in names
    assert "liquidity_watch/warehouse/migrations/001_init.sql" in names


@pytest.mark.integration
def test_installed_outside_the_clone_it_runs_on_the_bundled_snapshot_into_var_of_the_working_directory(
    installed, prefect_server
):
    from prefect.settings import PREFECT_API_URL

    elsewhere = installed / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    env.pop("LW_WAREHOUSE", None)
    bin_dir = installed / "venv" / "bin"
    result = run([str(bin_dir / "liquidity-watch"), "run"], cwd=elsewhere, env=env)
    assert "core.weekly_liquidity │ 1,238 │ 2026-09-02" in result.stdout
    with connection(elsewhere / "var" / "liquidity.duckdb", read_only=True) as con:
        assert con.execute(
            "SELECT reserves_usd_mn FROM core.weekly_liquidity WHERE week_ending = '2019-09-18'"
        ).fetchall() == [(1_394_122.0,)]
    located = run(
        [str(bin_dir / "python"), "-c", "import liquidity_watch; print(liquidity_watch.__file__)"], cwd=elsewhere
    )
    assert str(REPO) not in located.stdout and "site-packages" in located.stdout
    old = run(
        [
            str(bin_dir / "python"),
            "-c",
            "import importlib.util as u; print([n for n in "
            "('sources','flows','alerts','transforms','expectations','warehouse') if u.find_spec(n)])",
        ],
        cwd=elsewhere,
    )
    assert old.stdout.strip() == "[]"
