"""The stall probe tells the GUI thread's own work from waiting: what the benchmarks' worst stalls rest on."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QTimer

from kiosk.tools.probe import StallProbe, ThreadClock, split_stall


def burn_cpu(ms: float) -> None:
    """Work on this thread until it has had ``ms`` of CPU time (CPU time, not wall time)."""
    end = time.thread_time() + ms / 1000
    n = 0
    while time.thread_time() < end:
        n += sum(range(200))


def test_split_stall_shares_an_interval_and_clamps_counters_read_at_other_moments() -> None:
    assert split_stall(40.0, 30.0, 6.0) == {"cpu": 30.0, "wait_cpu": 6.0, "blocked": 4.0}
    assert split_stall(40.0, 45.0, 3.0) == {"cpu": 40.0, "wait_cpu": 0.0, "blocked": 0.0}
    assert split_stall(40.0, 10.0, None) == {"cpu": 10.0, "wait_cpu": None, "blocked": None}


def test_thread_clock_counts_this_threads_cpu_time() -> None:
    clock = ThreadClock()
    cpu0, _ = clock.read()
    burn_cpu(40)
    cpu1, _ = clock.read()
    clock.close()
    assert cpu1 - cpu0 >= 39


def test_a_busy_gui_thread_is_reported_as_its_own_work(qtbot) -> None:
    probe = StallProbe()
    probe.context = lambda: "burning"
    probe.start()
    QTimer.singleShot(20, lambda: burn_cpu(80))
    qtbot.waitUntil(lambda: any(w[2] == "burning" for w in probe.worst) and len(probe.samples) > 20, timeout=5000)
    probe.stop()
    ms, _, when, split = probe.worst[0]
    assert ms >= 70 and when == "burning"
    assert split["cpu"] >= 75  # the 80 ms of work show as the GUI thread on a CPU


def test_a_gui_thread_waiting_on_another_thread_is_reported_as_blocked(qtbot) -> None:
    go, done, release = threading.Event(), threading.Event(), threading.Event()
    # a long-lived worker, as the kiosk's are (the probe lists the threads when it starts, then once a second)
    worker = threading.Thread(target=lambda: (go.wait(10), burn_cpu(80), done.set(), release.wait(10)),
                              name="busy-worker")
    worker.start()
    probe = StallProbe()
    probe.start()

    def wait_for_worker() -> None:
        go.set()
        done.wait(10)  # the GUI thread blocked, as on a lock or the GIL held by the worker

    QTimer.singleShot(20, wait_for_worker)
    qtbot.waitUntil(lambda: done.is_set() and bool(probe.worst) and len(probe.samples) > 20, timeout=5000)
    probe.stop()
    release.set()
    worker.join()
    ms, _, _, split = probe.worst[0]
    assert ms >= 70
    if split["blocked"] is not None:  # Linux: the run-queue wait is known, and what else ran meanwhile
        assert split["blocked"] + split["wait_cpu"] > split["cpu"] * 3
        assert split["other_threads"].get("busy-worker", 0) >= 40  # named: the thread the GUI waited on
        assert split["host_steal"] is not None and split["host_steal"] >= 0
    else:
        assert split["cpu"] < ms / 3
