"""`kiosk scan` and `kiosk camera` as a user runs them: subprocesses on image files and the simulated camera."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import cv2

from device.sim.camera import SimCamera
from kiosk.core.identity import mask_id
from kiosk.core.samples import sample_payload


def run_scan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "scan", *args], capture_output=True, text=True,
                          encoding="utf-8", timeout=120)


def camera_png(path, payload: str | None, receipt: bool = False):
    camera = SimCamera()
    camera.open()
    if receipt:
        camera.present_receipt(payload)
    elif payload is not None:
        camera.present_card(payload)
    for _ in range(5):
        frame = camera.read()
    cv2.imwrite(str(path), frame)
    return path


def test_scan_prints_one_json_line_per_image(tmp_path):
    card = camera_png(tmp_path / "the card.png", sample_payload(0))
    receipt = camera_png(tmp_path / "receipt.png", "00073-261124-0007", receipt=True)
    empty = camera_png(tmp_path / "empty.png", None)
    proc = run_scan("--json", str(card), str(receipt), str(empty))
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [row["file"] for row in rows] == [str(card), str(receipt), str(empty)]
    assert [row["text"] for row in rows] == [sample_payload(0), "00073-261124-0007", None]
    assert all(isinstance(row["decode_ms"], float) and row["decode_ms"] > 0 for row in rows)
    assert not any("error" in row for row in rows)


def test_unreadable_files_get_an_error_line_and_a_failing_exit(tmp_path):
    card = camera_png(tmp_path / "card.png", sample_payload(1))
    not_image = tmp_path / "notes.png"
    not_image.write_text("not an image")
    missing = tmp_path / "missing.png"
    proc = run_scan("--json", str(not_image), str(card), str(missing))
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [row["file"] for row in rows] == [str(not_image), str(card), str(missing)]
    assert rows[1]["text"] == sample_payload(1) and "error" not in rows[1]
    for row in (rows[0], rows[2]):
        assert row["text"] is None
        assert row["error"]["vi"].startswith("Không mở được ảnh") and row["error"]["en"]


def test_card_option_refuses_a_receipt(tmp_path):
    receipt = camera_png(tmp_path / "receipt.png", "00073-261124-0007", receipt=True)
    card = camera_png(tmp_path / "card.png", sample_payload(2))
    proc = run_scan("--json", "--card", str(receipt), str(card))
    assert proc.returncode == 0
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [row["text"] for row in rows] == [None, sample_payload(2)]


def run_camera(*args: str, faults: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "KIOSK_SIM_FAULTS": faults}
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "camera", "--simulate", "--json", *args],
                          capture_output=True, text=True, encoding="utf-8", timeout=120, env=env)


def test_camera_reads_a_simulated_card_and_masks_its_id_number(tmp_path):
    snapshot = tmp_path / "last.png"
    proc = run_camera("--present-card", "0", "--until-decoded", "--seconds", "60", "--snapshot", str(snapshot))
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert events[0]["event"] == "status" and events[0]["status"] == "ok"
    decoded = [e for e in events if e["event"] == "decoded"]
    id_number = sample_payload(0).split("|")[0]
    assert decoded and decoded[0]["text"].startswith(mask_id(id_number) + "|")
    assert id_number not in proc.stdout
    assert cv2.imread(str(snapshot)).shape == (720, 1280, 3)


def test_camera_unplugged_from_the_environment_is_reported_not_crashed():
    proc = run_camera("--seconds", "1", faults="camera:unplugged")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [e["status"] for e in events] == ["unplugged"]
    assert events[0]["message"]["vi"].startswith("Không kết nối được camera")
