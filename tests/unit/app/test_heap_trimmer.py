"""The heap's free pages go back to the system after a wipe once resident memory grew, not at every wipe."""

from __future__ import annotations

import pytest

from kiosk.app.memory import HeapTrimmer, _libc, resident_bytes

MB = 1024 * 1024


@pytest.mark.skipif(_libc() is None or resident_bytes() is None, reason="glibc on Linux only")
def test_a_fragmented_heap_is_handed_back_once_it_grew_and_not_again_until_it_grows() -> None:
    trimmer = HeapTrimmer(grow_bytes=16 * MB)
    assert not trimmer.after_wipe()  # the first wipe only notes where memory stands
    # 64 MB in 2 KB pieces from the heap, every 16th kept: freeing the rest leaves holes that glibc's own
    # trimming (the heap's top only) cannot give back, as a day of journeys does
    pieces = [bytes(2048) for _ in range(32 * 1024)]
    kept = pieces[::16]
    del pieces
    grown = resident_bytes()
    assert trimmer.after_wipe() and trimmer.trims == 1
    assert resident_bytes() < grown - 32 * MB
    assert not trimmer.after_wipe() and trimmer.trims == 1  # no growth since: no second trim
    assert len(kept) == 2048
