"""`kiosk run --windowed` on a machine nobody configured: it comes up (READY) on the setup screen and its
JSON log says what is missing, instead of presenting itself as a sample ward's kiosk."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_an_unconfigured_kiosk_run_logs_the_setup_screen_and_what_is_missing(tmp_path: Path) -> None:
    sock_path = str(tmp_path / "notify.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(sock_path)
    server.settimeout(120)
    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update({"QT_QPA_PLATFORM": "offscreen", "NOTIFY_SOCKET": sock_path, "KIOSK_KIOSK_SIMULATE": "1",
                "KIOSK_DATA_DIR": str(data)})
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "run", "--windowed"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert server.recv(256).startswith(b"READY=1")  # the event loop turns: the screen is up
        assert proc.poll() is None
    finally:
        proc.kill()
        _, stderr = proc.communicate(timeout=30)
        server.close()
    records = [json.loads(line) for line in (data / "logs" / "kiosk.jsonl").read_text(encoding="utf-8").splitlines()]
    setup = [r for r in records if "kiosk not set up" in json.dumps(r, ensure_ascii=False)]
    assert setup, [r.get("msg") or r.get("message") for r in records]
    said = json.dumps(setup[0], ensure_ascii=False)
    for key in ("kiosk.ward_code", "backend.url", "backend.token"):
        assert key in said
    assert "unit_code" not in said  # retired: nothing ever read it
    assert b"Traceback" not in stderr
