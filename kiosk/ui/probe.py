"""The UI-stall probe (DESIGN.md section 5): a timer that measures how late it fires.

A timer asked to fire every 5 ms that fires 40 ms late means the event loop was blocked for
about 40 ms: a citizen would have seen a frozen screen. The probe keeps the lateness samples per
journey so the walkthrough can report max and p99 per journey and overall.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Sequence

from PySide6.QtCore import QObject, Qt, QTimer


def percentile(samples: Sequence[float], pct: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


class StallProbe(QObject):
    def __init__(self, interval_ms: int = 5, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._last: float | None = None
        # float32 arrays, not lists of floats: 4 bytes a sample instead of 32, so a soak of hundreds of
        # journeys (200 samples a second) does not count the probe's own bookkeeping as the kiosk's growth
        self.samples: array = array("f")
        self.journeys: dict[str, array] = {}
        self._journey: str | None = None
        self.context = lambda: ""  # what was happening, for the worst stalls
        self.worst: list[tuple[float, str, str]] = []

    def start(self) -> None:
        self._last = None
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._last = None

    def pause(self) -> None:
        """Stop measuring while the walkthrough itself blocks the loop (saving a screenshot)."""
        self.stop()

    def resume(self) -> None:
        self.start()

    def begin_journey(self, name: str) -> None:
        self._journey = name
        self.journeys.setdefault(name, array("f"))

    def end_journey(self) -> None:
        self._journey = None

    def _on_timer_timeout(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            late_ms = max(0.0, (now - self._last) * 1000 - self.interval_ms)
            self.samples.append(late_ms)
            if self._journey is not None:
                self.journeys[self._journey].append(late_ms)
            if late_ms > 17:
                self.worst.append((round(late_ms, 1), self._journey or "", self.context()))
                self.worst.sort(reverse=True)
                del self.worst[10:]
        self._last = now

    @staticmethod
    def summary(samples: Sequence[float]) -> dict[str, float]:
        return {"max": round(max(samples, default=0.0), 2), "p99": round(percentile(samples, 99), 2),
                "samples": len(samples)}

    def overall(self) -> dict[str, float]:
        return self.summary(self.samples)

    def journey(self, name: str) -> dict[str, float]:
        return self.summary(self.journeys.get(name, []))
