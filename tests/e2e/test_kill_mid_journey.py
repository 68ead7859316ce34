"""kill -9 in the middle of journeys, against a slow and failing backend, then `kiosk outbox flush`:
every printed receipt names a dossier the backend holds exactly once (DESIGN.md section 8)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from helpers.waiting import wait_for_files

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "kill-test-token"
KIOSK = [sys.executable, "-m", "kiosk.cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _codes_on_receipts(prints: list[Path], tmp: Path) -> list[str]:
    import zxingcpp
    from PIL import Image

    codes = []
    for i, receipt in enumerate(prints):
        png = tmp / f"r{i}"
        subprocess.run(["pdftoppm", "-r", "203", "-gray", "-png", "-singlefile", str(receipt), str(png)],
                       check=True, timeout=60)
        found = [r.text for r in zxingcpp.read_barcodes(Image.open(f"{png}.png"))]
        assert len(found) == 1, receipt
        codes.append(found[0])
    return codes


@pytest.mark.slow
def test_receipts_survive_kill_9_and_name_dossiers_held_exactly_once(tmp_path: Path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    sim = subprocess.Popen(KIOSK + ["backend-sim", "--port", str(port), "--db", str(tmp_path / "sim.sqlite3"),
                                    "--token", TOKEN, "--latency-ms", "400", "--error-rate", "0.3",
                                    "--drop-rate", "0.1", "--seed", "7"], cwd=ROOT, stdout=subprocess.PIPE,
                           text=True)
    data = tmp_path / "kiosk-data"
    spool = data / "demo-printer-spool"
    taken_home = tmp_path / "taken-home"  # a kiosk deletes what an earlier run printed when it starts
    taken_home.mkdir()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    try:
        # the simulator says so on its standard output once it listens
        assert "listening" in sim.stdout.readline(), "the backend simulator did not start"
        # kill at three moments: while submitting, right after the receipt printed, and during the look-up
        for i, marker in enumerate(("submitting", "receipt", "lookup")):
            out = tmp_path / f"run{i}"
            kiosk = subprocess.Popen(KIOSK + ["walkthrough", "--out", str(out), "--fast", "--backend", url,
                                              "--token", TOKEN, "--data-dir", str(data)], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                if marker == "receipt":
                    # "printed" means the printer has it (the spool), not just that the PDF was rendered
                    spooled = len(list(spool.glob("*receipt-*.pdf")))
                    wait_for_files(spool, lambda n=spooled: len(list(spool.glob("*receipt-*.pdf"))) > n, 180,
                                   "a receipt at the printer")
                else:
                    wait_for_files(out / "screens", lambda o=out, m=marker: any((o / "screens").glob(f"*-{m}.png")),
                                   180, marker)
            finally:
                kiosk.send_signal(signal.SIGKILL)
                kiosk.wait(30)
                for receipt in spool.glob("*receipt-*.pdf"):
                    shutil.copyfile(receipt, taken_home / f"run{i}-{receipt.name}")
        flush = subprocess.run(KIOSK + ["outbox", "flush", "--data-dir", str(data), "--backend", url,
                                        "--token", TOKEN, "--timeout", "120"], cwd=ROOT, capture_output=True,
                               text=True, timeout=180)
        assert flush.returncode == 0, flush.stdout + flush.stderr
        # what reached the (simulated) printer: the receipts citizens took home
        receipts = sorted(taken_home.glob("*receipt-*.pdf"))
        assert len(receipts) >= 2
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10) as client:
            for code in _codes_on_receipts(receipts, tmp_path):
                held = _held(client, code)
                assert len(held) == 1, f"{code}: {held}"
    finally:
        sim.terminate()
        sim.wait(30)


def _held(client: httpx.Client, code: str) -> list[dict]:
    for _ in range(20):  # the simulator answers 5xx and drops connections on purpose now and then
        try:
            r = client.get("/api/v1/dossiers", params={"local_ref": code}) if code.startswith("L-") \
                else client.get(f"/api/v1/dossiers/{code}")
        except httpx.TransportError:
            continue
        if code.startswith("L-"):
            if r.status_code == 200:
                return r.json()["items"]
        else:
            if r.status_code == 200:
                return [r.json()]
            if r.status_code == 404:
                return []
    raise AssertionError(f"the backend never answered about {code}")
