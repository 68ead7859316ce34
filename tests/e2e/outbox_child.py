"""A kiosk process for the kill -9 test: it keeps committing dossiers to the outbox while its
sender delivers them, printing ``COMMITTED <local_ref> <sha256,...>`` once each commit has returned (the
moment the kiosk would print the receipt; every other dossier carries 1-3 photographed pages of 100-400 KB),
``POSTING``/``POSTED <local_ref>`` around each POST and ``PUTTING``/``PUT <local_ref>`` around each part of
an attachment (64 KiB). The test kills it with SIGKILL after a random number of these events.

Usage: python outbox_child.py DATA_DIR BACKEND_URL TOKEN FIRST_INDEX
"""

from __future__ import annotations

import random
import sys
import threading
from pathlib import Path

from helpers.backend import with_attachments

from kiosk.backend.client import BackendClient
from kiosk.backend.outbox import DB_NAME, KEY_NAME, Outbox
from kiosk.backend.sender import Sender
from kiosk.core.dossier import sample_dossier

_out = threading.Lock()


def say(line: str) -> None:
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class TellingClient(BackendClient):
    """Announces each POST before and after, so the test can kill in the window where the backend
    has the dossier but the outbox does not yet know."""

    def submit_dossier(self, payload: dict, idempotency_key: str) -> dict:
        say(f"POSTING {payload['local_ref']}")
        receipt = super().submit_dossier(payload, idempotency_key)
        say(f"POSTED {payload['local_ref']}")
        return receipt

    def put_attachment_part(self, dossier_code: str, sha256: str, start: int, chunk: bytes, total: int,
                            idempotency_key: str) -> dict:
        say(f"PUTTING {dossier_code} {sha256[:12]} {start}")
        state = super().put_attachment_part(dossier_code, sha256, start, chunk, total, idempotency_key)
        say(f"PUT {dossier_code} {sha256[:12]} {state['received']}")
        return state


def dossier(i: int):
    """Citizen ``i``'s dossier; every other one with 1-3 pages of random bytes (the same for the same i)."""
    rng = random.Random(i)
    if i % 2:
        return sample_dossier(i)
    return with_attachments(sample_dossier(i), [rng.randint(100_000, 400_000) for _ in range(rng.randint(1, 3))],
                            rng)


def main() -> None:
    data, url, token, first = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    progress = threading.Event()
    sender = Sender(data / DB_NAME, data / KEY_NAME,
                    lambda: TellingClient(url, token, max_retries=1, backoff_base=0.01, backoff_cap=0.02),
                    on_acknowledged=lambda *a: progress.set(), backoff_base=0.01, backoff_cap=0.05,
                    part_bytes=64 * 1024)
    sender.start()
    outbox = Outbox(data / DB_NAME, data / KEY_NAME)
    i = first
    while True:
        queued = dossier(i)
        item = outbox.add(queued)
        say(f"COMMITTED {item.local_ref} {','.join(a.sha256 for a in queued.attachments) or '-'}")
        sender.wake()
        # Citizens arrive one after another: let the sender make some progress in between.
        progress.wait(0.03)
        progress.clear()
        i += 1
        if i % 3 == 0:
            # A quiet moment at the kiosk: the sender gets to the attachments (a new dossier would go first).
            sender.flush(60)


if __name__ == "__main__":
    main()
