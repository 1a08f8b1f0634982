"""How much memory the process uses and may use: a search stops cleanly (verdict
incomplete, "out of memory", with its counts) before the kernel's OOM killer ends it
without a word."""
from __future__ import annotations

import os

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss() -> int:
    """Resident memory of this process in bytes (0 where /proc is missing)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def available() -> int:
    """Memory the system can still give (MemAvailable), in bytes; 0 if unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def default_limit(fraction: float = 0.9) -> int | None:
    """The RSS at which a search stops: what it uses now plus `fraction` of what is
    still available. None if the system does not say."""
    free = available()
    return rss() + int(fraction * free) if free else None
