"""Where the warehouse lives on disk, and how a run replaces it without anyone seeing half of it.

* Readers (analysts, ``liquidity-watch query``, the duckdb CLI) open the **published**
  file. No writer ever holds it open: DuckDB 2.0 lets no second process open a file that
  another holds read-write, not even read-only.
* A run takes the **write lock** (``<file>.lock``, an ``flock``), copies the published file
  to a private working file, does all its work there, checkpoints and closes it, and
  ``os.replace``-s it over the published file. Readers that had the old file open keep
  their consistent view; new readers see the new file.
* A run that fails, or is killed, leaves only a stray working file, which the next run
  removes; the published file is untouched.
* The published file keeps its permission bits (600 stays 600, 444 stays 444), and when
  the published path is a symbolic link, the file it points to is replaced and the link
  stays a link (the lock and working files then live next to that file).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import stat
import time
import uuid
from collections.abc import Iterator
from pathlib import Path


class WarehouseBusy(RuntimeError):
    """Another run holds the write lock."""


class WarehouseNotWritable(RuntimeError):
    """The warehouse folder cannot be written (permissions, disk full)."""


def require_published(published: Path | str) -> Path:
    """The published file, or a FileNotFoundError that tells how to create it."""
    path = Path(published)
    if not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}; build it first with: liquidity-watch run")
    return path


def resolved(published: Path | str) -> Path:
    """The file a published path stands for: itself, or the file its symbolic link(s) point to."""
    return Path(os.path.realpath(published))


def lock_path(published: Path) -> Path:
    target = resolved(published)
    return target.with_name(target.name + ".lock")


def _describe_holder(path: Path) -> str:
    try:
        return path.read_text().strip() or "unknown"
    except OSError:
        return "unknown"


@contextlib.contextmanager
def write_lock(published: Path, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the warehouse's write lock, waiting up to ``wait_s`` seconds for it.

    Raises
    ------
    WarehouseBusy
        If another run still holds it after ``wait_s``; the message names its pid.
    """
    path = lock_path(published)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise WarehouseNotWritable(f"cannot create the lock file {path}: {exc.strerror}") from exc
    deadline = time.monotonic() + wait_s
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"another run is writing {published} (lock {path} held by {_describe_holder(path)}); "
                        f"try again when it ends, or set LW_LOCK_WAIT_S to wait"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} since {time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n".encode())
        yield
    finally:
        os.close(fd)  # closing releases the flock


def remove_stale_work_files(published: Path) -> list[Path]:
    """Delete working files left by runs that died (call only while holding the lock)."""
    target = resolved(published)
    stale = list(target.parent.glob(target.name + ".work-*"))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def working_copy(published: Path) -> Iterator[Path]:
    """Yield a private copy of the published file; publish it atomically if the block succeeds.

    The caller must close every connection to the working file before the block ends
    (closing checkpoints it, so no ``.wal`` is left behind for ``os.replace`` to miss).
    The published file's permission bits go to the new file; a symbolic link stays a link
    and the file it points to is replaced.
    """
    published = Path(published)
    target = resolved(published)
    work = target.with_name(f"{target.name}.work-{uuid.uuid4().hex[:12]}")
    mode: int | None = None
    try:
        if target.exists():
            mode = stat.S_IMODE(target.stat().st_mode)
            shutil.copyfile(target, work)
    except OSError as exc:
        work.unlink(missing_ok=True)
        raise _not_writable(published, exc) from exc
    try:
        yield work
        wal = work.with_name(work.name + ".wal")
        if wal.exists():
            raise RuntimeError(f"{wal} still exists: a connection to the working file was left open")
        try:
            with open(work, "rb+") as fh:
                os.fsync(fh.fileno())
            if mode is not None:
                os.chmod(work, mode)
            os.replace(work, target)
            _fsync_dir(target.parent)
        except OSError as exc:
            raise _not_writable(published, exc) from exc
    finally:
        work.unlink(missing_ok=True)
        work.with_name(work.name + ".wal").unlink(missing_ok=True)


def _not_writable(published: Path, exc: OSError) -> WarehouseNotWritable:
    reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    return WarehouseNotWritable(f"cannot write the warehouse {published}: {reason}; the published file is unchanged")
