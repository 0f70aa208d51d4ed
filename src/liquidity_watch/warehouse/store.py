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
* Only the project's own files are touched. The lock, the delivery journal and the working
  files are opened without following a symbolic link (``O_NOFOLLOW``; a working file is
  created with ``O_EXCL``), and a link in their place is refused with one line, so a link
  planted there cannot make a run truncate or overwrite what it points to. Stray working
  files are found by listing the folder and comparing names, never by a pattern built from
  the warehouse's name (whose ``*``, ``?`` or ``[`` would match other files). A published
  path that is not a regular file (a device, a FIFO, a socket) is refused before it is read.
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
from dataclasses import dataclass
from pathlib import Path

from liquidity_watch.locations import run_command
from liquidity_watch.warehouse.paths import WarehousePaths


class WarehouseBusy(RuntimeError):
    """Another run holds the write lock."""


class WarehouseNotWritable(RuntimeError):
    """The warehouse folder cannot be written (permissions, disk full), or a file beside it is not the project's own."""


class NotARegularFile(ValueError):
    """A path that must be a regular file is something else (a device, a FIFO, a socket, a folder)."""


def kind_of(mode: int) -> str:
    """What a file is, in words, from its ``st_mode``.

    >>> kind_of(stat.S_IFIFO), kind_of(stat.S_IFCHR), kind_of(stat.S_IFREG)
    ('a FIFO', 'a character device', 'a regular file')
    """
    kinds = (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISLNK, "a symbolic link"),
    )
    return next((word for test, word in kinds if test(mode)), "not a regular file")


def check_regular(path: Path | str, what: str = "the warehouse") -> None:
    """Refuse ``path`` (after its links) unless it is a regular file; a missing path passes.

    Raises
    ------
    NotARegularFile
        One line naming the path and what it is instead.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise NotARegularFile(f"{what} {path} is {kind_of(mode)}, not a DuckDB file; refused before reading it")


def require_published(published: Path | str) -> Path:
    """The published file, or a FileNotFoundError that tells how to create it (NotARegularFile if it is no file)."""
    path = Path(published)
    if not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}; build it first with: {run_command(path)}")
    check_regular(path)
    return path


def open_own(path: Path, flags: int, what: str, mode: int = 0o644) -> int:
    """Open one of the project's own files without following a symbolic link; a file descriptor.

    Raises
    ------
    WarehouseNotWritable
        ``path`` is a symbolic link (refused: nothing it points to is touched), is not a
        regular file, or cannot be opened; one line naming it.
    """
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP or (exc.errno == errno.EEXIST and os.path.islink(path)):
            raise WarehouseNotWritable(
                f"{what} {path} is a symbolic link; refused (remove it: the project writes only its own files)"
            ) from None
        raise WarehouseNotWritable(f"cannot open {what} {path}: {exc.strerror}") from exc
    mode_found = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode_found):
        os.close(fd)
        raise WarehouseNotWritable(f"{what} {path} is {kind_of(mode_found)}, not a regular file; refused")
    os.set_blocking(fd, True)
    return fd


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
    path = WarehousePaths.of(published).lock
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarehouseNotWritable(f"cannot create the lock file {path}: {exc.strerror}") from exc
    fd = open_own(path, os.O_RDWR | os.O_CREAT, "the lock file")
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
    """Delete working files left by runs that died (call only while holding the lock).

    The folder is listed and each name compared with ``<warehouse>.work-<hex>[.wal]``: the
    warehouse's name is never a pattern, so a name holding ``*``, ``?`` or ``[`` matches only itself.
    """
    paths = WarehousePaths.of(published)
    target = paths.target
    try:
        names = os.listdir(target.parent)
    except FileNotFoundError:
        return []
    stale = sorted(target.parent / name for name in names if paths.is_work_file(name))
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class WorkingCopy:
    """One run's private copy of the published file, and what ``publish`` puts back in its place."""

    published: Path
    target: Path  # the file ``published`` stood for when the copy was made: the one the swap replaces
    work: Path
    mode: int | None  # the published file's permission bits (``None``: there was no published file)

    @property
    def wal(self) -> Path:
        """DuckDB's write-ahead log beside the working file, while a connection to it is open."""
        return self.work.with_name(self.work.name + ".wal")


@dataclass(frozen=True)
class WriteAccess:
    """How a run got to write: the global limit it took (``None``: the ``flock`` alone), and each wait."""

    limit: str | None
    limit_wait_s: float
    flock_wait_s: float


def open_working_copy(published: Path) -> WorkingCopy:
    """Copy the published file (if any) into a new private working file; ``discard`` it in every case."""
    paths = WarehousePaths.of(published)
    target, work = paths.target, paths.work_file(uuid.uuid4().hex[:12])
    mode: int | None = None
    check_regular(target)
    try:
        if target.exists():
            mode = stat.S_IMODE(target.stat().st_mode)
            _copy_into_new(target, work)
    except OSError as exc:
        work.unlink(missing_ok=True)
        raise _not_writable(paths.published, exc) from exc
    return WorkingCopy(paths.published, target, work, mode)


def publish(copy: WorkingCopy) -> None:
    """The swap: fsync the closed working file and ``os.replace`` it over the published one.

    Every connection to the working file must be closed first (closing checkpoints it, so no
    ``.wal`` is left behind for ``os.replace`` to miss). The published file's permission bits
    go to the new file; a symbolic link stays a link and the file it points to is replaced.
    """
    if copy.wal.exists():
        raise RuntimeError(f"{copy.wal} still exists: a connection to the working file was left open")
    target = copy.target
    try:
        fd = open_own(copy.work, os.O_RDWR, "the working file")
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if copy.mode is not None:
            os.chmod(copy.work, copy.mode)
        os.replace(copy.work, target)
        _fsync_dir(target.parent)
    except OSError as exc:
        raise _not_writable(copy.published, exc) from exc


def discard(copy: WorkingCopy) -> None:
    """Remove the working file and its ``.wal`` (nothing is left after a publish; after a failure, all of it)."""
    copy.work.unlink(missing_ok=True)
    copy.wal.unlink(missing_ok=True)


@contextlib.contextmanager
def working_copy(published: Path) -> Iterator[Path]:
    """Yield a private copy of the published file; ``publish`` it if the block succeeds, else discard it."""
    copy = open_working_copy(published)
    try:
        yield copy.work
        publish(copy)
    finally:
        discard(copy)


def _copy_into_new(source: Path, work: Path) -> None:
    """Copy the published file into a working file that must not exist yet (``O_EXCL``, no link followed)."""
    src = os.open(source, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(src).st_mode):  # swapped for something else since it was checked
            raise OSError(errno.EINVAL, f"{source} is no longer a regular file")
        dst = open_own(work, os.O_WRONLY | os.O_CREAT | os.O_EXCL, "the working file", 0o600)
        with open(src, "rb", closefd=False) as reader, open(dst, "wb") as writer:
            shutil.copyfileobj(reader, writer, 1 << 20)
    finally:
        os.close(src)


def _not_writable(published: Path, exc: OSError) -> WarehouseNotWritable:
    reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    return WarehouseNotWritable(f"cannot write the warehouse {published}: {reason}; the published file is unchanged")
