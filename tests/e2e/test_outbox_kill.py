"""kill -9 at random points: every dossier the kiosk committed reaches the backend exactly once.

A real kiosk-like subprocess commits dossiers to the outbox while its sender thread posts them to
the real simulator (which drops connections and answers 5xx now and then); the test SIGKILLs it
at random moments, restarts it on the same data directory, and finally flushes what is left.
Every other dossier carries photographed pages (100-400 KB each), uploaded in parts after it over a slow
and failing link: each arrives exactly once (one completion, the right SHA-256), and the outbox keeps none.
"""

from __future__ import annotations

import hashlib
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
HELPERS_ROOT = Path(__file__).parents[1]  # tests/: the child imports helpers.backend
KILLS = 18


def test_kill_9_loses_nothing_and_duplicates_nothing(tmp_path: Path):
    data = tmp_path / "kiosk-data"
    rng = random.Random(20261124)
    printed: list[str] = []  # refs whose receipt the kiosk could have printed
    pages: dict[str, list[str]] = {}  # the SHA-256 of each printed dossier's attachments
    events: Counter = Counter()
    killed_after: Counter = Counter()  # the last event seen before each kill
    with start_simulator_thread(tmp_path / "backend.sqlite3", TOKEN, error_rate=0.15, drop_rate=0.15,
                                latency_ms=5, seed=7) as sim:
        for kill in range(KILLS):
            proc = subprocess.Popen([sys.executable, str(CHILD), str(data), sim.url, TOKEN, str(kill * 100)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                        [str(HELPERS_ROOT), os.environ.get("PYTHONPATH", "")])})
            try:
                for _ in range(rng.randint(1, 40)):
                    line = proc.stdout.readline()
                    assert line, proc.stderr.read()
                    event, ref, *rest = line.split()
                    events[event] += 1
                    if event == "COMMITTED":
                        printed.append(ref)
                        pages[ref] = [] if rest == ["-"] else rest[0].split(",")
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
        held = {(a["dossier_code"], a["sha256"]): a for a in sim.store.attachment_completions()}
        arrived = {key: hashlib.sha256(sim.store.attachment_data(*key)).hexdigest() for key in held}
        parts = events["PUT"]

    with Outbox(data / DB_NAME, data / KEY_NAME) as outbox:
        items = outbox.items()
        attachments = outbox.attachments()
        status = outbox.status()
        keys_left = outbox._conn.execute("SELECT COUNT(*) FROM dossier_keys").fetchone()[0]
    committed = {i.local_ref: i for i in items}
    server_count = Counter(d["local_ref"] for d in at_backend)
    duplicates = {ref: n for ref, n in server_count.items() if n > 1}
    lost = [ref for ref in committed if server_count[ref] == 0]
    print(f"\nkill -9 test: {KILLS} kills, {len(printed)} receipts printed, {len(committed)} committed, "
          f"{len(at_backend)} at the backend, {len(lost)} lost, {len(duplicates)} duplicated, "
          f"{sim.stats['drop']} dropped connections, "
          f"{sum(sim.stats[s] for s in (500, 502, 503, 504))} injected 5xx, {len(held)} attachments "
          f"({parts} parts acknowledged before the kills); kills right after "
          f"{dict(killed_after)}; events {dict(events)}")
    assert set(printed) <= set(committed)  # nothing printed was left uncommitted
    assert not lost and not duplicates
    assert set(server_count) == set(committed)  # nothing at the backend the kiosk did not commit
    assert all(i.state == "acknowledged" and not i.has_payload for i in items)
    by_ref = {d["local_ref"]: d for d in at_backend}
    assert all(by_ref[ref]["dossier_code"] == i.dossier_code for ref, i in committed.items())
    assert all(by_ref[ref]["idempotency_key"] == i.idempotency_key for ref, i in committed.items())

    # attachments: every page of every committed dossier arrived whole, completed exactly once
    code_of = {ref: i.dossier_code for ref, i in committed.items()}
    expected = {(code_of[a.local_ref], a.sha256) for a in attachments}
    assert expected and set(held) == expected  # nothing missing, nothing the kiosk did not commit
    assert all(a["completions"] == 1 and a["complete"] for a in held.values())
    assert all(arrived[key] == key[1] for key in held)  # the right SHA-256
    for ref in printed:
        assert {sha for (code, sha) in expected if code == code_of[ref]} == set(pages[ref])
    assert all(a.state == "complete" and not a.has_data for a in attachments)
    assert status["attachments_bytes"] == 0 and status["attachments_pending"] == 0 and keys_left == 0
