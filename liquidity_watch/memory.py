"""Process-wide allocator choices that keep a run's resident memory low."""

from __future__ import annotations


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
