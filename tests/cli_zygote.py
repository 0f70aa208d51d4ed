"""A process that imports what ``liquidity-watch run`` imports once, then forks one child per run.

Started by ``tests/forked_cli.py`` as ``python tests/cli_zygote.py``. Each line on stdin is a JSON
request (``args``, ``env``, ``cwd``, ``stdout``, ``stderr``: the files the run writes to); the
zygote forks, answers ``{"pid": ...}`` at once and ``{"returncode": ...}`` when the child ends
(``-9`` for a child killed by SIGKILL, as ``subprocess`` reports it).

The child is a process of its own: it takes the request's environment, working directory and
files, runs the CLI's entry point and dies or exits as ``liquidity-watch run`` does, so a test of
what a killed run leaves behind kills a real process. It only skips the ~8 s of CPU that importing
Prefect, Great Expectations and the flow costs each fresh process. Prefect reads its settings when
it is imported, so every ``PREFECT_`` variable of a request must equal the zygote's own (the client
checks).
"""

from __future__ import annotations

import json
import os
import sys


def _child(request: dict) -> None:
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    stdin = os.open(os.devnull, os.O_RDONLY)
    stdout = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    stderr = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
        os.dup2(fd, target)
        os.close(fd)
    sys.argv = ["liquidity-watch", *request["args"]]
    from liquidity_watch.cli import main

    main()  # raises SystemExit, which ends this child the way the entry point ends its process
    raise SystemExit(0)


def serve() -> None:
    from liquidity_watch.bootstrap import bootstrap

    bootstrap(pipeline=True)  # what `liquidity-watch run` does first: Great Expectations imports in a thread
    import liquidity_watch.cli
    import liquidity_watch.flows.pipeline  # noqa: F401 - Prefect, the flow and every stage
    from liquidity_watch.bootstrap import wait_for_background_imports

    wait_for_background_imports()  # no thread may run when the process forks
    print(json.dumps({"ready": os.getpid()}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(request)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}), flush=True)


if __name__ == "__main__":
    serve()
