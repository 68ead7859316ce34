"""The kiosk's ward for the home screen, and the 2025 ward of a citizen's address.

The suggestion runs in a helper process (:mod:`kiosk.app.ward_worker`), spoken to one JSON line each way:
the worker writes ``ready`` once its tables are loaded, then answers each address line with the ward's
JSON (``null`` for none).
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the ward list loads after the home screen is shown
    import subprocess

    from kiosk.core.wards import WardInfo

log = logging.getLogger(__name__)

NO_WARD = "(chưa đặt phường / no ward set)"
READY = "ready"
# niced: loading the tables must not take the CPU from the screen on a small kiosk PC. The child nices
# itself: a preexec_fn would make Popen fork this whole process in Python, holding the GIL.
WORKER_CODE = "import os, runpy; os.nice(10); runpy.run_module('kiosk.app.ward_worker', run_name='__main__')"


def ward_display(code: str) -> str:
    """"Phường Cửa Nam, Thành phố Hà Nội" for the home screen.

    Read from the division list shipped inside vietnam-provinces (JSON, ~10 ms) rather than through
    its Python API, whose import builds a 3,321-member enum (~150 ms) before the first screen."""
    if not code:  # `kiosk run` not set up yet (the setup screen says so)
        return NO_WARD
    found = ward_display_from_data(code)
    if found is None:
        from kiosk.core import wards

        ward = wards.ward_by_code(code)
        found = ward.full_name if ward else code
    return found


def ward_display_from_data(code: str) -> str | None:
    """The ward's "name, province" from vietnam-provinces' flat JSON, without importing the package
    (a targeted search of the text: parsing all 3,321 wards would cost more than the rest of the screen)."""
    import importlib.util
    import re

    try:
        spec = importlib.util.find_spec("vietnam_provinces")
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(next(iter(spec.submodule_search_locations))) / "data" / "flat-divisions.json"
        # searched as bytes: decoding the whole 0.6 MB file first would take longer than the search
        pattern = rb'"code":\s*%d,\s*"name":\s*("[^"]*"),\s*"province_name":\s*("[^"]*")' % int(code)
        found = re.search(pattern, path.read_bytes())
        if found:
            return f"{json.loads(found[1])}, {json.loads(found[2])}"
    except (OSError, ValueError):
        log.warning("ward list not readable, falling back to vietnam_provinces")
    return None


class WardSuggester:
    """The old-address converter in a helper process (or, where there is none, in the caller's thread)."""

    def __init__(self, worker_code: str = WORKER_CODE) -> None:
        """``worker_code``: what the helper interpreter runs (``python -c``), the real worker but in tests."""
        self.worker_code = worker_code
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()  # one question and its answer at a time on the pipes
        self._ready = False

    def start(self) -> None:
        """Load the old-address converter in a helper process, now.

        Its tables take seconds to load in pure Python: in a thread of this process that would hold
        the GIL and stall the screen; in a process of its own it only costs a core for a while.
        A frozen build has no separate interpreter to start: there it loads in a thread."""
        import subprocess
        import sys

        if self._process is not None or getattr(sys, "frozen", False):
            return
        self._process = subprocess.Popen(
            [sys.executable, "-c", self.worker_code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, encoding="utf-8", bufsize=1)

    def _running(self) -> subprocess.Popen[str] | None:
        proc = self._process
        return proc if proc is not None and proc.poll() is None else None

    def wait(self) -> bool:
        """Block until the helper process has loaded its tables (worker threads only); False if it is gone."""
        proc = self._running()
        if proc is None:
            return False
        assert proc.stdout is not None  # started with stdout=PIPE
        with self._lock:
            if not self._ready:
                self._ready = proc.stdout.readline().strip() == READY
        return self._ready

    def suggest(self, address: str) -> WardInfo | None:
        """The 2025 ward of an address (worker threads only: waits for the helper process)."""
        from kiosk.core import wards

        proc = self._running()
        if proc is None:
            return wards.suggest_ward(address)
        assert proc.stdin is not None and proc.stdout is not None  # started with both pipes
        with self._lock:
            proc.stdin.write(json.dumps(address, ensure_ascii=False) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            while line.strip() == READY:
                line = proc.stdout.readline()
        found = json.loads(line) if line.strip() else None
        return wards.ward_by_code(found["code"]) if found else None

    def close(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(5)
            self._process = None
