"""Fault injection for the simulator: latency, 5xx answers, dropped connections and silence.

A drop or an error happens either before or after the request is processed, so a client cannot tell
whether a dossier was recorded; a script answers the next matching requests (a 429 with ``Retry-After``,
say) and random faults come from a seeded generator so a run can be replayed.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass, field


@dataclass
class FaultAction:
    """One injected fault: ``drop`` ("before"|"after") or an error ``status`` with ``headers``."""

    drop: str | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    after: bool = False  # for a status: answer it after processing the request
    path_prefix: str = "/"
    body_contains: bytes | None = None  # only requests whose body holds these bytes (one dossier)
    sticky: bool = False  # answer every matching request so, rather than the next one only


class Faults:
    """Mutable at run time from tests: random faults and a script of the next answers."""

    def __init__(self, latency_ms: int = 0, error_rate: float = 0.0, drop_rate: float = 0.0,
                 seed: int | None = None) -> None:
        self.latency_ms = latency_ms
        self.error_rate = error_rate
        self.drop_rate = drop_rate
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._script: deque[FaultAction] = deque()
        # cleared = "silent": every request is read and never answered (a network that drops packets
        # after the handshake, a backend stuck on its database) until set again
        self.answering = threading.Event()
        self.answering.set()

    def silence(self, on: bool) -> None:
        """Accept and read every request but answer none (on), or answer again (off)."""
        (self.answering.clear if on else self.answering.set)()

    def script(self, *actions: FaultAction) -> None:
        """Answer the next matching requests with these faults, in order."""
        with self._lock:
            self._script.extend(actions)

    def clear(self) -> None:
        with self._lock:
            self._script.clear()
            self.latency_ms = 0
            self.error_rate = self.drop_rate = 0.0
        self.answering.set()

    def next_action(self, path: str, body: bytes = b"") -> tuple[float, FaultAction | None]:
        with self._lock:
            for action in list(self._script):
                if path.startswith(action.path_prefix) and (
                        action.body_contains is None or action.body_contains in body):
                    if not action.sticky:
                        self._script.remove(action)
                    return self.latency_ms / 1000.0, action
            roll = self._rng.random()
            after = self._rng.random() < 0.5
            if roll < self.drop_rate:
                return self.latency_ms / 1000.0, FaultAction(drop="after" if after else "before")
            if roll < self.drop_rate + self.error_rate:
                status = self._rng.choice([500, 502, 503, 504])
                return self.latency_ms / 1000.0, FaultAction(status=status, after=after)
            return self.latency_ms / 1000.0, None


class _Drop(Exception):
    pass
