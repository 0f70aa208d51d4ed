"""Preparing a process to run liquidity-watch: the one place that changes process-wide state.

Importing any module of the package does nothing to the process. The entry points (the
``liquidity-watch`` command, the flow when a worker runs a deployment, the test session,
the benchmark) call ``bootstrap()`` once; the flow also holds ``startup_objects_frozen()``
for the duration of a run. Shell entry points (``ops/*.sh``, ``.ci/run``) take the same
environment from ``python -m liquidity_watch.bootstrap``, which prints it as ``export`` lines.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.machinery
import os
import shlex
import sys
import threading
import types
from collections.abc import Iterator

#: Keep Prefect and Great Expectations off the network, give Prefect's temporary server time
#: to start on a small machine, and bound every call of Prefect's client: 15 s for a connection
#: or an answer, 2 retries (Prefect's defaults, 60 s and 5 retries, hold a run for about seven
#: minutes on an API that never answers; these, 3 x 15 s plus 2 + 4 s of backoff, under a
#: minute). Set before either is imported; a value the user set wins.
OFFLINE_ENVIRONMENT: dict[str, str] = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "GX_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_API_REQUEST_TIMEOUT": "15",
    "PREFECT_CLIENT_MAX_RETRIES": "2",
}

#: Modules that Great Expectations imports at its own import and uses only inside three
#: expectations this project never runs (KL divergence, two KS tests): scipy.stats (~59 MB
#: resident) and altair (~24 MB, charts of the KL divergence). Each is deferred until an
#: attribute of it is first read (``defer_import``).
DEFERRED_IMPORTS = ("scipy.stats", "altair")

_background: threading.Thread | None = None
_background_lock = threading.Lock()
_deferred_lock = threading.RLock()


def apply_environment_defaults() -> None:
    """Set every ``OFFLINE_ENVIRONMENT`` variable the environment does not already set."""
    for key, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(key, value)


def bootstrap(*, pipeline: bool = False) -> None:
    """Prepare this process (idempotent).

    Always: the offline environment defaults, and the imports in ``DEFERRED_IMPORTS`` deferred
    to their first use. With ``pipeline=True`` (a process about to
    run the flow), also Arrow's system allocator and the background import of Great
    Expectations, which then overlaps with Prefect's start and the extract.
    """
    apply_environment_defaults()
    for name in DEFERRED_IMPORTS:
        defer_import(name)
    if pipeline:
        use_system_allocator_for_arrow()
        start_background_imports()


class _DeferredModule(types.ModuleType):
    """Stands in ``sys.modules`` for a module not imported yet; the first attribute read imports it.

    Its ``__spec__`` is a real attribute, so ``import x`` and ``from x import y`` bind the
    stand-in without importing anything; every other attribute (``__path__`` for a submodule
    too) imports the real module, which then replaces the stand-in in ``sys.modules``, and is
    read from it. A module holding the stand-in keeps working: each read goes to the real one.

    ``importlib.util.LazyLoader`` does half this job: the import statement reads the cached
    module's ``__spec__``, which runs a lazy module at once, so GX's own ``import altair`` would
    load altair (295 MB after importing GX and the flow, 274 MB with the stand-in, 350 MB with neither).
    """

    def __getattr__(self, attr: str) -> object:
        name = self.__name__
        with _deferred_lock:
            if sys.modules.get(name) is self:
                del sys.modules[name]
            real = importlib.import_module(name)
        return getattr(real, attr)


def defer_import(name: str) -> None:
    """Put a stand-in for module ``name`` in ``sys.modules`` that imports it on first use.

    Nothing happens if ``name`` is imported already. Its package is not imported either.
    """
    if name in sys.modules:
        return
    stand_in = _DeferredModule(name)
    stand_in.__spec__ = importlib.machinery.ModuleSpec(name, None)
    # no file until it is imported: tools that walk sys.modules for each module's file (Hypothesis
    # does, for every test process) would otherwise import it by asking
    stand_in.__file__ = None
    sys.modules[name] = stand_in


def use_system_allocator_for_arrow() -> None:
    """Make Arrow allocate with the system allocator instead of its caching one.

    Every polars -> pandas hand-over for Great Expectations goes through Arrow. Arrow's
    default pool (jemalloc or mimalloc) keeps freed memory for reuse, so a run's resident
    size only grows; with the system allocator the freed buffers of one stage are reused
    by the next. Measured on the full snapshot backfill: peak RSS 609 -> 591 MB, same time.
    """
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


def _warm_up() -> None:
    import great_expectations  # noqa: F401

    from liquidity_watch.domain.calendars import fed_holidays, sifma_holidays

    fed_holidays()
    sifma_holidays()


def start_background_imports() -> None:
    """Import Great Expectations (~6 s here) and build the holiday calendars in a thread."""
    global _background
    with _background_lock:
        if _background is None:
            _background = threading.Thread(target=_warm_up, name="gx-preload", daemon=True)
            _background.start()


def wait_for_background_imports() -> None:
    """Block until ``start_background_imports`` is done (no-op if it never started)."""
    if _background is not None:
        _background.join()


@contextlib.contextmanager
def startup_objects_frozen() -> Iterator[None]:
    """Keep every object alive at the start of a run (the imports of Prefect, GX, pandas...) out of the GC's reach.

    Those ~540,000 objects outlive the run, yet each full collection walks them all:
    0.3 s that lands at random in a 2-second run. Frozen, a full collection costs ~0.03 s.
    They are handed back to the collector when the run ends, so the interpreter still
    finalises them at exit (DuckDB's bindings report objects left alive as leaks).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def shell_exports() -> str:
    """``OFFLINE_ENVIRONMENT`` as POSIX ``export`` lines that keep values already set.

    >>> print(shell_exports().splitlines()[0])
    export PREFECT_SERVER_ANALYTICS_ENABLED="${PREFECT_SERVER_ANALYTICS_ENABLED:-false}"
    """
    return "\n".join(f'export {key}="${{{key}:-{shlex.quote(value)}}}"' for key, value in OFFLINE_ENVIRONMENT.items())


if __name__ == "__main__":  # pragma: no cover - exercised by ops/*.sh and .ci/run
    sys.stdout.write(shell_exports() + "\n")
