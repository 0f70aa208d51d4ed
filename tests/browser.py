"""Headless Chromium for tests: open a local page offline, run a probe script, read back what it saw.

The probe is appended to a copy of the page (beside it, so relative links still resolve) and
must end by putting a JSON object on ``<body data-probe="...">``; ``--dump-dom`` prints the
DOM after the page settles. Tests that use it skip when no Chromium is installed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
SKIP_REASON = "needs chromium (apt-get install -y chromium)"


def probe(page: Path, script: str, width: int = 1400, height: int = 1000) -> dict:
    """Open ``page`` with ``script`` appended, in headless Chromium with no network; return the probe's JSON."""
    assert CHROMIUM, SKIP_REASON
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
