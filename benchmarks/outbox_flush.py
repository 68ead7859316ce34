"""Outbox flush throughput: dossiers per second delivered by the sender from a durable outbox
(WAL, synchronous=FULL, encrypted payloads) to the backend simulator, against a bare httpx POST loop
sending the same dossiers to the same simulator in the same run. Target: at least 0.5x the bare loop.

    .venv/bin/python benchmarks/outbox_flush.py [--count 1000] [--rounds 3] [--json]

The simulator runs as a separate process (``kiosk backend-sim``) so that it does not share the
interpreter with the side being measured. Everything is written under a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from kiosk.backend.client import BackendClient
from kiosk.backend.outbox import DB_NAME, KEY_NAME, Outbox
from kiosk.backend.sender import Sender
from kiosk.core.dossier import new_idempotency_key, sample_dossier

TOKEN = "bench-token"


def start_simulator(folder: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "backend-sim", "--port", "0", "--db", str(folder / "backend.sqlite3"),
         "--token", TOKEN], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    match = re.search(r"http://\S+", line)
    if not match:
        proc.kill()
        raise SystemExit(f"simulator did not start: {line!r}")
    return proc, match.group(0)


def bare_loop(url: str, count: int, kiosk_id: str) -> float:
    """Dossiers per second: one httpx.Client, POST after POST, nothing stored on the kiosk side."""
    bodies = [sample_dossier(i, kiosk_id=kiosk_id, local_ref=f"L-{kiosk_id}-261124-{i + 1:04d}").to_payload()
              for i in range(count)]
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10.0) as client:
        start = time.perf_counter()
        for body in bodies:
            r = client.post("/api/v1/dossiers", json=body, headers={"Idempotency-Key": new_idempotency_key()})
            r.raise_for_status()
        elapsed = time.perf_counter() - start
    return count / elapsed


def outbox_flush(url: str, count: int, data: Path, kiosk_id: str) -> tuple[float, float]:
    """(dossiers per second added to the outbox, dossiers per second flushed by the sender)."""
    with Outbox(data / DB_NAME, data / KEY_NAME) as outbox:
        assert outbox._conn.execute("PRAGMA synchronous").fetchone()[0] == 2, "durability must be FULL"
        dossiers = [sample_dossier(i, kiosk_id=kiosk_id) for i in range(count)]
        start = time.perf_counter()
        for d in dossiers:
            outbox.add(d)
        add_rate = count / (time.perf_counter() - start)
    sender = Sender(data / DB_NAME, data / KEY_NAME, lambda: BackendClient(url, TOKEN), batch=200)
    start = time.perf_counter()
    sender.start()
    try:
        if not sender.flush(600):
            raise SystemExit("flush did not finish")
        elapsed = time.perf_counter() - start
    finally:
        sender.stop()
    with Outbox(data / DB_NAME, data / KEY_NAME) as outbox:
        status = outbox.status()
    assert status["acknowledged"] == count and status["undelivered"] == 0, status
    return add_rate, count / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating bare/outbox rounds; medians reported")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="outbox-bench-", dir=None) as tmp:
        folder = Path(tmp)
        proc, url = start_simulator(folder)
        bare, flushed, added = [], [], []
        try:
            httpx.get(f"{url}/api/v1/health", timeout=5).raise_for_status()
            for r in range(args.rounds):
                bare.append(bare_loop(url, args.count, f"BARE{r}"))
                add_rate, flush_rate = outbox_flush(url, args.count, folder / f"kiosk{r}", f"KIOSK{r}")
                added.append(add_rate)
                flushed.append(flush_rate)
        finally:
            proc.terminate()
            proc.wait(10)
    result = {
        "count": args.count,
        "rounds": args.rounds,
        "bare_post_per_s": round(statistics.median(bare), 1),
        "outbox_flush_per_s": round(statistics.median(flushed), 1),
        "ratio": round(statistics.median(flushed) / statistics.median(bare), 2),
        "outbox_add_per_s": round(statistics.median(added), 1),
        "all_bare": [round(x, 1) for x in bare],
        "all_flush": [round(x, 1) for x in flushed],
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {platform.system()}",
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")
    return 0 if result["ratio"] >= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
