"""Issue a ticket or file a dossier and print its receipt, the way the kiosk does, in a fresh process.

Run by tests/unit/core/test_clock.py with the host's ``TZ`` and ``KIOSK_FAKE_NOW`` set, so the process's
own time zone is not the kiosk's:

    python tests/helpers/clock_probe.py ticket|receipt OUT_DIR

Prints one JSON object: the PDF's path and, for a receipt, the dossier code the simulator gave and the
provisional reference the outbox gave. The receipt goes through the real parts: outbox, sender, HTTP
simulator on 127.0.0.1, reportlab.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from kiosk.app.services import KioskSettings, Services
from kiosk.backend.client import BackendClient
from kiosk.backend.outbox import DB_NAME, KEY_NAME
from kiosk.backend.sender import Sender
from kiosk.backend.sim import start_simulator_thread
from kiosk.core.dossier import sample_dossier

TOKEN = "clock-probe-token"


def ticket(out: Path) -> dict:
    services = Services(KioskSettings(simulate=True), out / "data")
    try:
        issued = services.issue_ticket({"id": "ho-tich", "vi": "Hộ tịch", "en": "Civil status"}, "none")
    finally:
        services.close()
    return {"path": issued["path"], "number": issued["number"]}


def receipt(out: Path) -> dict:
    sim = start_simulator_thread(out / "backend.sqlite3", TOKEN, seed=1)
    services = Services(KioskSettings(simulate=True, backend_url=sim.url,
                                      backend_token=TOKEN), out / "data")
    sender = Sender(out / "data" / DB_NAME, out / "data" / KEY_NAME, lambda: BackendClient(sim.url, TOKEN),
                    rng=random.Random(1))
    try:
        item = services.commit(sample_dossier(0, ward_code=services.ward_code))
        sender.start()
        if not sender.flush(timeout=30):
            raise SystemExit("the sender did not deliver the dossier")
        recorded = services.outbox().get(item.local_ref)
        proc = next(p for p in services.catalogue if p.code == "1.001193")
        rendered = services.render_receipt(proc, "Nguyễn Văn An", "0912345678", "Hà Nội", services.ward_code,
                                           item.local_ref, recorded.dossier_code, recorded.appointment_date)
    finally:
        sender.stop()
        services.close()
        sim.stop()
    return {"path": str(rendered.path), "local_ref": item.local_ref, "dossier_code": recorded.dossier_code}


if __name__ == "__main__":
    what, folder = sys.argv[1], Path(sys.argv[2])
    print(json.dumps({"ticket": ticket, "receipt": receipt}[what](folder), ensure_ascii=False))
