"""Headless Chromium for tests: open a local page offline, run a probe script, read back what it saw.

The probe is appended to a copy of the page (beside it, so relative links still resolve) and
must end by putting a JSON object on ``<body data-probe="...">``; ``--dump-dom`` prints the
DOM after the page settles. Tests that use it (``@needs_chromium``) skip when no Chromium is
installed, except in CI (``CI=true``), where the pages people open must be tested: there they fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
SKIP_REASON = "needs chromium (apt-get install -y chromium)"
#: in CI a missing Chromium fails the browser tests instead of skipping them
IN_CI = os.environ.get("CI", "").lower() in ("true", "1")
needs_chromium = pytest.mark.skipif(CHROMIUM is None and not IN_CI, reason=SKIP_REASON)


def probe(page: Path, script: str, width: int = 1400, height: int = 1000) -> dict:
    """Open ``page`` with ``script`` appended, in headless Chromium with no network; return the probe's JSON."""
    assert CHROMIUM, f"{SKIP_REASON}; CI runs the browser tests (.ci/run installs it)"
    copy = page.with_name(f"_probe_{page.name}")
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", f"<script>{script}</script></body>"))
    try:
        with tempfile.TemporaryDirectory(prefix="lw-chromium-") as profile:
            result = subprocess.run(
                [
                    CHROMIUM,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--no-first-run",
                    f"--user-data-dir={profile}",
                    f"--window-size={width},{height}",
                    "--virtual-time-budget=10000",
                    "--dump-dom",
                    copy.as_uri(),
                ],
                capture_output=True,
                text=True,
                timeout=120,
            )
    finally:
        copy.unlink()
    found = re.search(r'data-probe="([^"]*)"', result.stdout)
    assert found, f"the probe did not finish: {result.stderr[-2000:]}"
    return json.loads(found[1].replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
