"""glibc malloc tuning for a kiosk that runs for weeks with many allocating threads."""

from __future__ import annotations

import ctypes
import functools
import os


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        # the soname, not ctypes.util.find_library("c"): that runs ldconfig in a subprocess (~15 ms at start-up)
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "mallopt") else None  # glibc only
    except OSError:
        return None


def tune_malloc(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas (like MALLOC_ARENA_MAX=2, but set from here so every launcher gets it)
    and fix its mmap threshold.

    Each thread that allocates (camera, decoders, PDF rendering, HTTP, the simulated backend) otherwise
    gets an arena of its own, and freed memory scattered over them is never handed back: the soak saw
    resident memory climb with journeys while Python's own allocations stayed flat."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
        # A fixed mmap threshold: camera frames (2.7 MB), QImages and PDF pages are mapped and unmapped
        # on free. glibc's default raises the threshold after the first such free, and from then on those
        # buffers fragment the heap, which only malloc_trim (blocking every thread's malloc while it walks
        # the heap: 6-26 ms measured) gives back.
        libc.mallopt(-3, 256 * 1024)  # M_MMAP_THRESHOLD


def resident_bytes() -> int | None:
    """This process's resident memory (None where /proc is not Linux's)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class HeapTrimmer:
    """Hands the heap's free pages back to the system whenever resident memory grew by ``grow_bytes``.

    With the arenas capped and the mmap threshold fixed (``tune_malloc``), what is left of the soak's RSS
    growth is free memory glibc keeps inside its arenas (fragmentation: +1.8 MB free-in-arenas per 100
    journeys, measured with ``benchmarks/growth.py --native``), which only ``malloc_trim`` returns. A trim
    holds the malloc locks while it walks the heap (6-26 ms), so it runs on a worker thread after a session
    wipe (nobody is typing), and only after RSS grew by ``grow_bytes`` since the last one: every few hundred
    journeys, never at every wipe. If RSS grew for memory really in use, the trim returns little and the next
    one waits for another ``grow_bytes``. To remove: the call in ``KioskWindow._give_back_memory``."""

    def __init__(self, grow_bytes: int = 4 * 1024 * 1024) -> None:
        self.grow_bytes = grow_bytes
        self._baseline: int | None = None
        self.trims = 0

    def after_wipe(self) -> bool:
        """Trim if resident memory grew enough since the last trim (worker threads only); True if it did."""
        libc, rss = _libc(), resident_bytes()
        if libc is None or rss is None:
            return False
        if self._baseline is None or rss < self._baseline:
            self._baseline = rss
            return False
        if rss - self._baseline < self.grow_bytes:
            return False
        libc.malloc_trim(0)
        self.trims += 1
        self._baseline = resident_bytes()
        return True
