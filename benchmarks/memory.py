"""Peak resident memory of this process."""

from __future__ import annotations

from pathlib import Path


def peak_rss_mb() -> float:
    """This process's peak RSS in MB (``VmHWM``).

    Not ``getrusage().ru_maxrss``: Linux carries that figure across ``fork`` and ``exec``,
    so a child started by a large parent reports the parent's peak as its own.

    >>> peak_rss_mb() > 0
    True
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")
