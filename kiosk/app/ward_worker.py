"""A helper process that suggests the 2025 ward for an address: one address per line in, one JSON line out.

The old-address converter's tables take seconds of pure-Python work to load; in a thread of the kiosk
that would hold the GIL and freeze the screen, so it runs here (``python -m kiosk.app.ward_worker``).
No Qt is imported.
"""

from __future__ import annotations

import json
import sys

from kiosk.app.wards import READY
from kiosk.core import wards


def main() -> int:
    wards.suggest_ward("Phường Hàng Bài, Quận Hoàn Kiếm, Hà Nội")  # load the tables now
    sys.stdout.write(READY + "\n")
    sys.stdout.flush()
    for line in sys.stdin:
        address = json.loads(line)
        ward = wards.suggest_ward(address)
        sys.stdout.write(json.dumps(ward.to_json() if ward else None, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
