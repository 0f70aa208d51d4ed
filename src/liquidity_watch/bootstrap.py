"""Process-wide settings for a run: allocators and the garbage collector."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


def return_arrow_memory_to_the_os() -> None:
    """Make Arrow allocate with the system allocator instead of its caching one.

    Every polars -> pandas hand-over for Great Expectations goes through Arrow. Arrow's
    default pool (jemalloc or mimalloc) keeps freed memory for reuse, so a run's resident
    size only grows; with the system allocator the freed buffers of one stage are reused
    by the next. Measured on the full snapshot backfill: peak RSS 609 -> 591 MB, same time.
    Idempotent; affects this process only.
    """
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


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
