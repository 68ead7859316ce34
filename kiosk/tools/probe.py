"""The UI-stall probe (DESIGN.md section 5): a timer that measures how late it fires.

A timer asked to fire every 5 ms that fires 40 ms late means the event loop was blocked for
about 40 ms: a citizen would have seen a frozen screen. The probe keeps the lateness samples per
journey so the walkthrough can report max and p99 per journey and overall.

Each of the worst stalls is split by where the GUI thread's time went (Linux schedstat): running on a
CPU (our own work: layout, paint, Python), waiting for a CPU (other threads or processes, or a busy
host), or neither (waiting for the GIL, a lock or the disk). Only the first is fixed in the GUI code.
Beside it, what else ran meanwhile: the kiosk's other threads that were on a CPU (who may have held the
GIL), and the time the virtual machine's host took the CPUs away ("steal", which the guest sees as
none of the three).
"""

from __future__ import annotations

import os
import threading
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


class ThreadClock:
    """The calling thread's time on a CPU and waiting in the run queue, in ms (None where not known).

    Linux's /proc/self/task/<tid>/schedstat gives both; elsewhere only the CPU time (time.thread_time).
    Read with pread on a descriptor opened once: a few microseconds, so it can run on every probe tick."""

    def __init__(self) -> None:
        try:
            self._fd: int | None = os.open(f"/proc/self/task/{threading.get_native_id()}/schedstat", os.O_RDONLY)
        except OSError:
            self._fd = None

    def read(self) -> tuple[float, float | None]:
        if self._fd is not None:
            try:
                on_cpu, waiting = os.pread(self._fd, 128, 0).split()[:2]
                return int(on_cpu) / 1e6, int(waiting) / 1e6
            except (OSError, ValueError):
                self.close()
        return time.thread_time() * 1000, None

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class Neighbours:
    """CPU time of the process's other threads and the host's steal time, read on every probe tick so the
    worst stalls can name what else ran (Linux only; elsewhere nothing is read and nothing is named).

    One pread per thread (descriptors kept, the thread list refreshed once a second) and one of
    /proc/stat: ~50 microseconds a tick."""

    def __init__(self, skip_tid: int) -> None:
        self._skip = str(skip_tid)
        self._fds: dict[str, int] = {}
        self._names: dict[str, str] = {}  # kept from the listing: a thread may have ended by the stall's end
        self._listed = 0.0
        try:
            self._stat: int | None = os.open("/proc/stat", os.O_RDONLY)
            self._cores = os.cpu_count() or 1
            self._tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, AttributeError):
            self._stat = None

    def read(self) -> tuple[dict[str, float], float | None]:
        """({tid: ms on a CPU}, host steal in ms per core) — the latter None where unknown."""
        if self._stat is None:
            return {}, None
        now = time.monotonic()
        if now - self._listed > 1.0:
            self._listed = now
            self._refresh()
        cpu = {}
        for tid, fd in list(self._fds.items()):
            try:
                cpu[tid] = int(os.pread(fd, 128, 0).split()[0]) / 1e6
            except (OSError, ValueError, IndexError):  # the thread ended
                os.close(self._fds.pop(tid))
        try:
            steal = int(os.pread(self._stat, 256, 0).split(maxsplit=9)[8]) * self._tick_ms / self._cores
        except (OSError, ValueError, IndexError):
            steal = None
        return cpu, steal

    def _refresh(self) -> None:
        try:
            tids = set(os.listdir("/proc/self/task")) - {self._skip}
        except OSError:
            return
        for tid in tids - set(self._fds):
            try:
                self._fds[tid] = os.open(f"/proc/self/task/{tid}/schedstat", os.O_RDONLY)
            except OSError:
                pass
        self._names = {str(t.native_id): t.name for t in threading.enumerate() if str(t.native_id) in tids}

    def busiest(self, before: dict[str, float], after: dict[str, float], top: int = 3) -> dict[str, float]:
        """The other threads that ran more than 1 ms between two reads, by name, busiest first."""
        ran = sorted(((after[t] - before[t], t) for t in after if t in before and after[t] - before[t] > 1),
                     reverse=True)[:top]
        if not ran:
            return {}
        names = {**self._names, **{str(t.native_id): t.name for t in threading.enumerate()}}
        result = {}
        for ms, tid in ran:
            name = names.get(tid)
            if name is None:  # a Qt or native thread: the name its creator gave the OS
                try:
                    with open(f"/proc/self/task/{tid}/comm", encoding="utf-8") as fh:
                        name = fh.read().strip()
                except OSError:
                    name = tid
            result[name] = round(ms + result.get(name, 0.0), 1)
        return result

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
        if self._stat is not None:
            os.close(self._stat)
            self._stat = None


def split_stall(elapsed_ms: float, cpu_ms: float, wait_cpu_ms: float | None) -> dict[str, float | None]:
    """Where one probe interval of ``elapsed_ms`` went: the GUI thread running, waiting for a CPU, or blocked
    (GIL, a lock, I/O: the rest). Counters and clocks are read at slightly different moments: clamp."""
    cpu = min(max(cpu_ms, 0.0), elapsed_ms)
    if wait_cpu_ms is None:  # no run-queue figure (not Linux): the rest cannot be told apart
        return {"cpu": round(cpu, 1), "wait_cpu": None, "blocked": None}
    wait = min(max(wait_cpu_ms, 0.0), elapsed_ms - cpu)
    return {"cpu": round(cpu, 1), "wait_cpu": round(wait, 1), "blocked": round(elapsed_ms - cpu - wait, 1)}


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
        self.worst: list[tuple[float, str, str, dict]] = []  # ms, journey, context, split_stall()
        self._clock: ThreadClock | None = None
        self._last_clock: tuple[float, float | None] = (0.0, None)
        self._neighbours: Neighbours | None = None
        self._last_neighbours: tuple[dict[str, float], float | None] = ({}, None)

    def start(self) -> None:
        self._last = None
        self._clock = ThreadClock()  # opened on the GUI thread, whose clock it reads
        self._neighbours = Neighbours(threading.get_native_id())
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._last = None
        if self._clock is not None:  # no descriptor left open once the probe stops
            self._clock.close()
            self._clock = None
        if self._neighbours is not None:
            self._neighbours.close()
            self._neighbours = None

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
        clock = self._clock.read() if self._clock is not None else (0.0, None)
        neighbours = self._neighbours.read() if self._neighbours is not None else ({}, None)
        if self._last is not None:
            late_ms = max(0.0, (now - self._last) * 1000 - self.interval_ms)
            self.samples.append(late_ms)
            if self._journey is not None:
                self.journeys[self._journey].append(late_ms)
            if late_ms > 17:
                cpu0, wait0 = self._last_clock
                split = split_stall((now - self._last) * 1000, clock[0] - cpu0,
                                    None if clock[1] is None or wait0 is None else clock[1] - wait0)
                threads0, steal0 = self._last_neighbours
                split["host_steal"] = (None if neighbours[1] is None or steal0 is None
                                       else round(neighbours[1] - steal0, 1))
                split["other_threads"] = (self._neighbours.busiest(threads0, neighbours[0])
                                          if self._neighbours is not None else {})
                self.worst.append((round(late_ms, 1), self._journey or "", self.context(), split))
                self.worst.sort(key=lambda w: w[0], reverse=True)
                del self.worst[10:]
        self._last = now
        self._last_clock = clock
        self._last_neighbours = neighbours

    @staticmethod
    def summary(samples: Sequence[float]) -> dict[str, float]:
        return {"max": round(max(samples, default=0.0), 2), "p99": round(percentile(samples, 99), 2),
                "samples": len(samples)}

    def overall(self) -> dict[str, float]:
        return self.summary(self.samples)

    def journey(self, name: str) -> dict[str, float]:
        return self.summary(self.journeys.get(name, []))
