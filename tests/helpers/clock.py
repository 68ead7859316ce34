"""A monotonic clock the test moves by hand, for what takes an injectable clock (the session's idle
timer): a test sets ``clock.now += seconds`` instead of waiting 90 s."""

from __future__ import annotations


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
