"""Waiting for another process's progress without sleeping: block on file-system events.

A child process (cupsd, cups-pdf, the kiosk under test) shows its progress as files appearing in a
folder. :func:`wait_for_files` blocks on inotify events for that folder (watchfiles) and re-checks the
condition after each batch of events; a bounded re-check also runs if no event comes, for conditions
that change without touching the folder (a scheduler answering on its socket).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from watchfiles import watch

RECHECK_MS = 500  # upper bound between two checks when the folder is quiet


def wait_for_files(folder: Path, condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Return once ``condition()`` holds, waking on changes below ``folder``; AssertionError after ``timeout``."""
    folder.mkdir(parents=True, exist_ok=True)
    if condition():
        return
    deadline = time.monotonic() + timeout
    for _changes in watch(folder, watch_filter=None, debounce=50, step=20, rust_timeout=RECHECK_MS,
                          yield_on_timeout=True, raise_interrupt=False):
        if condition():
            return
        if time.monotonic() > deadline:
            break
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
