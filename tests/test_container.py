"""The worker image recipe: it installs the wheel with the locked dependencies and runs the module-path entrypoint.

No container engine runs here, so the recipe is checked as text; the wheel itself is built and
installed away from the clone by tests/test_wheel.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.flow import flow_parameters

REPO = Path(__file__).resolve().parents[1]
ENTRYPOINT = "liquidity_watch.flows.pipeline.pipeline"


def instructions() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` of the Containerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (REPO / "Containerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(maxsplit=1)[0], line.split(maxsplit=1)[1]) for line in lines]


def test_the_image_installs_the_wheel_with_uv_lock_s_hashed_versions_and_nothing_else():
    steps = instructions()
    assert steps[0] == ("FROM", "python:3.11-slim")  # the Python the project requires (>=3.11,<3.12)
    copies = [args for op, args in steps if op == "COPY"]
    assert copies == [
        "dist/requirements.txt /tmp/requirements.txt",
        "dist/liquidity_watch-*-py3-none-any.whl /tmp/",
    ]
    [install] = [args for op, args in steps if op == "RUN" and "pip install" in args]
    assert "pip install --no-cache-dir --require-hashes -r /tmp/requirements.txt" in install
    assert "pip install --no-cache-dir --no-deps /tmp/liquidity_watch-*-py3-none-any.whl" in install
    # the build commands it documents make exactly the files it copies
    header = (REPO / "Containerfile").read_text()
    assert "uv build --wheel --out-dir dist" in header
    assert "uv export --frozen --no-dev --no-emit-project --format requirements-txt -o dist/requirements.txt" in header


def test_the_image_checks_the_deployments_entrypoint_imports_and_keeps_telemetry_off():
    steps = instructions()
    module, name = ENTRYPOINT.rsplit(".", 1)
    assert any(op == "RUN" and f"from {module} import {name}" in args for op, args in steps)
    env = " ".join(args for op, args in steps if op == "ENV")
    for setting in ("PREFECT_SERVER_ANALYTICS_ENABLED=false", "DO_NOT_TRACK=1", "GX_ANALYTICS_ENABLED=false"):
        assert setting in env
    assert "LW_WAREHOUSE=/data/liquidity.duckdb" in env
    assert ("VOLUME", "/data") in steps
    assert steps.index(("VOLUME", "/data")) > max(
        i for i, (op, args) in enumerate(steps) if "/data" in args and op == "RUN"
    )


def test_prefect_yaml_shows_a_container_deployment_of_the_same_flow_commented_out():
    text = (REPO / "prefect.yaml").read_text()
    block = text[text.index("  # - name: nightly-container") :]
    uncommented = "\n".join(line.replace("  # ", "  ", 1) for line in block.splitlines())
    anchors = text[text.index("definitions:") : text.index("deployments:")]
    doc = yaml.safe_load(anchors + "deployments:\n" + uncommented)
    [deployment] = doc["deployments"]
    assert deployment["entrypoint"] == ENTRYPOINT
    assert set(deployment["parameters"]) == set(flow_parameters())
    assert deployment["work_pool"]["job_variables"]["env"]["LW_WAREHOUSE"].startswith("/data/")
    assert deployment["concurrency_limit"] == 1
