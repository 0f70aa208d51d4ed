"""``liquidity-watch`` runs in processes forked from one that already imported Prefect and GX (``cli_zygote.py``).

For tests that start many runs whose point is what a process leaves behind when it dies or exits
(the crash tests, the secrets scan): each run is still a process of its own with its own
environment, output and exit status, at about half the CPU of a fresh ``liquidity-watch`` process.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ZYGOTE = Path(__file__).with_name("cli_zygote.py")


class ForkedCli:
    """One zygote process; ``run`` starts a child of it per call, one at a time."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = dict(env)
        self.prefect = {k: v for k, v in self.env.items() if k.startswith("PREFECT_")}
        self.outputs = Path(tempfile.mkdtemp(prefix="lw-forked-cli-"))
        self.process = subprocess.Popen(
            [sys.executable, str(ZYGOTE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=self.env,
            text=True,
        )
        ready = self._answer(timeout=600)
        if "ready" not in ready:
            raise RuntimeError(f"the CLI zygote did not start: {ready}")
        self.count = 0

    def _answer(self, timeout: float) -> dict:
        assert self.process.stdout is not None
        readable, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not readable:
            raise TimeoutError(f"no answer from the CLI zygote within {timeout} s")
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the CLI zygote ended (exit {self.process.wait()})")
        return json.loads(line)

    def run(
        self, args: list[str], env: dict[str, str], cwd: Path | None = None, timeout: float = 600
    ) -> subprocess.CompletedProcess[str]:
        """``liquidity-watch *args`` in a forked child with ``env``: its exit status (``-9`` if killed), stdout, stderr."""
        prefect = {k: v for k, v in env.items() if k.startswith("PREFECT_")}
        if prefect != self.prefect:
            changed = sorted(set(prefect.items()) ^ set(self.prefect.items()))
            raise ValueError(f"a forked run keeps the zygote's Prefect settings; these differ: {changed}")
        self.count += 1
        out, err = self.outputs / f"{self.count}.out", self.outputs / f"{self.count}.err"
        request = {"args": args, "env": env, "cwd": str(cwd or Path.cwd()), "stdout": str(out), "stderr": str(err)}
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        pid = self._answer(timeout=60)["pid"]
        try:
            code = self._answer(timeout=timeout)["returncode"]
        except TimeoutError:
            os.kill(pid, signal.SIGKILL)  # the child this call started, nothing else
            self._answer(timeout=60)
            raise subprocess.TimeoutExpired(["liquidity-watch", *args], timeout) from None
        return subprocess.CompletedProcess(["liquidity-watch", *args], code, out.read_text(), err.read_text())

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)
        for path in self.outputs.iterdir():
            path.unlink()
        self.outputs.rmdir()
