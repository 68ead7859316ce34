"""kill -9 at random points: every dossier the kiosk committed reaches the backend exactly once.

A real kiosk-like subprocess commits dossiers to the outbox while its sender thread posts them to
the real simulator (which drops connections and answers 5xx now and then); the test SIGKILLs it
at random moments, restarts it on the same data directory, and finally flushes what is left.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from helpers.backend import TOKEN

from kiosk.backend.client import BackendClient
from kiosk.backend.outbox import DB_NAME, KEY_NAME, Outbox
from kiosk.backend.sender import Sender
from kiosk.backend.sim import start_simulator_thread

CHILD = Path(__file__).with_name("outbox_child.py")
KILLS = 18


def test_kill_9_loses_nothing_and_duplicates_nothing(tmp_path: Path):
    data = tmp_path / "kiosk-data"
    rng = random.Random(20261124)
    printed: list[str] = []  # refs whose receipt the kiosk could have printed
    events: Counter = Counter()
    killed_after: Counter = Counter()  # the last event seen before each kill
    with start_simulator_thread(tmp_path / "backend.sqlite3", TOKEN, error_rate=0.15, drop_rate=0.15,
                                seed=7) as sim:
        for kill in range(KILLS):
            proc = subprocess.Popen([sys.executable, str(CHILD), str(data), sim.url, TOKEN, str(kill * 100)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                for _ in range(rng.randint(1, 16)):
                    line = proc.stdout.readline()
                    assert line, proc.stderr.read()
                    event, ref = line.split()
                    events[event] += 1
                    if event == "COMMITTED":
                        printed.append(ref)
                    last_event = event
            finally:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)
                proc.stdout.close()
                proc.stderr.close()
            assert proc.returncode == -signal.SIGKILL
            killed_after[last_event] += 1

        sim.faults.clear()
        sender = Sender(data / DB_NAME, data / KEY_NAME, lambda: BackendClient(sim.url, TOKEN))
        sender.start()
        try:
            assert sender.flush(60), "the restarted kiosk could not flush its outbox"
        finally:
            sender.stop()
        at_backend = BackendClient(sim.url, TOKEN).find_dossiers()

    with Outbox(data / DB_NAME, data / KEY_NAME) as outbox:
        items = outbox.items()
    committed = {i.local_ref: i for i in items}
    server_count = Counter(d["local_ref"] for d in at_backend)
    duplicates = {ref: n for ref, n in server_count.items() if n > 1}
    lost = [ref for ref in committed if server_count[ref] == 0]
    print(f"\nkill -9 test: {KILLS} kills, {len(printed)} receipts printed, {len(committed)} committed, "
          f"{len(at_backend)} at the backend, {len(lost)} lost, {len(duplicates)} duplicated, "
          f"{sim.stats['drop']} dropped connections, "
          f"{sum(sim.stats[s] for s in (500, 502, 503, 504))} injected 5xx; kills right after "
          f"{dict(killed_after)}; events {dict(events)}")
    assert set(printed) <= set(committed)  # nothing printed was left uncommitted
    assert not lost and not duplicates
    assert set(server_count) == set(committed)  # nothing at the backend the kiosk did not commit
    assert all(i.state == "acknowledged" and not i.has_payload for i in items)
    by_ref = {d["local_ref"]: d for d in at_backend}
    assert all(by_ref[ref]["dossier_code"] == i.dossier_code for ref, i in committed.items())
    assert all(by_ref[ref]["idempotency_key"] == i.idempotency_key for ref, i in committed.items())
