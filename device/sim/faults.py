"""Fault injection for the simulated devices.

Faults come from the environment at start-up (``KIOSK_SIM_FAULTS=camera:unplugged,printer:paper_out``)
and can be set or cleared at run time (the demo panel, tests, maintenance). Devices ask
``FAULTS.active("printer", "paper_out")`` at the moment they would fail, so a change takes
effect on the next frame or job.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

KNOWN_FAULTS: dict[str, set[str]] = {
    "camera": {"unplugged"},
    "printer": {"paper_out", "offline"},
    "network": {"down", "slow", "silent"},
}


class FaultInjector:
    def __init__(self, spec: str = "") -> None:
        self._lock = threading.Lock()
        self._active: set[tuple[str, str]] = set()
        self._listeners: list[Callable[[str, str, bool], None]] = []
        self.load(spec)

    def load(self, spec: str) -> None:
        """Replace the active faults with those in a ``device:fault,...`` string."""
        faults = set()
        for item in filter(None, (part.strip() for part in spec.split(","))):
            device, _, fault = item.partition(":")
            if fault not in KNOWN_FAULTS.get(device, set()):
                known = ", ".join(f"{d}:{f}" for d, fs in KNOWN_FAULTS.items() for f in sorted(fs))
                raise ValueError(f"unknown simulated fault {item!r}; known: {known}")
            faults.add((device, fault))
        with self._lock:
            self._active = faults

    def set(self, device: str, fault: str, on: bool = True) -> None:
        if fault not in KNOWN_FAULTS.get(device, set()):
            raise ValueError(f"unknown simulated fault {device}:{fault}")
        with self._lock:
            changed = ((device, fault) in self._active) != on
            (self._active.add if on else self._active.discard)((device, fault))
            listeners = list(self._listeners)
        if changed:
            for listener in listeners:
                listener(device, fault, on)

    def active(self, device: str, fault: str) -> bool:
        with self._lock:
            return (device, fault) in self._active

    def describe(self) -> str:
        with self._lock:
            return ",".join(sorted(f"{d}:{f}" for d, f in self._active))

    def subscribe(self, listener: Callable[[str, str, bool], None]) -> None:
        """Call ``listener(device, fault, on)`` whenever a fault changes at run time."""
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[str, str, bool], None]) -> None:
        """Stop calling ``listener`` (its owner is closing)."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)


#: The process-wide injector, primed from KIOSK_SIM_FAULTS.
FAULTS = FaultInjector(os.environ.get("KIOSK_SIM_FAULTS", ""))
