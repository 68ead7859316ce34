"""A kiosk process for the kill -9 test: it keeps committing dossiers to the outbox while its
sender delivers them, printing ``COMMITTED <local_ref>`` once each commit has returned (the
moment the kiosk would print the receipt) and ``POSTING``/``POSTED <local_ref>`` around each POST.
The test kills it with SIGKILL after a random number of these events.

Usage: python outbox_child.py DATA_DIR BACKEND_URL TOKEN FIRST_INDEX
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

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


def main() -> None:
    data, url, token, first = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    progress = threading.Event()
    sender = Sender(data / DB_NAME, data / KEY_NAME,
                    lambda: TellingClient(url, token, max_retries=1, backoff_base=0.01, backoff_cap=0.02),
                    on_acknowledged=lambda *a: progress.set(), backoff_base=0.01, backoff_cap=0.05)
    sender.start()
    outbox = Outbox(data / DB_NAME, data / KEY_NAME)
    i = first
    while True:
        item = outbox.add(sample_dossier(i))
        say(f"COMMITTED {item.local_ref}")
        sender.wake()
        # Citizens arrive one after another: let the sender make some progress in between.
        progress.wait(0.03)
        progress.clear()
        i += 1


if __name__ == "__main__":
    main()
