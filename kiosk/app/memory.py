"""glibc malloc tuning for a kiosk that runs for weeks with many allocating threads."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ctypes


def _libc() -> ctypes.CDLL | None:
    import ctypes

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
