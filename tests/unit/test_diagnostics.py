"""`kiosk self-test`: one line per check, exit 0 only when the program is whole."""

from __future__ import annotations

import json
import subprocess
import sys

from kiosk.app import diagnostics


def test_self_test_passes_on_this_checkout() -> None:
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "self-test", "--json"], capture_output=True, text=True,
                          check=False)
    checks = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [c["check"] for c in checks] == ["forms", "qr", "ticket", "escpos", "speech", "pages", "video", "outbox"]
    assert all(c["ok"] for c in checks), checks
    assert proc.returncode == 0


def test_a_missing_part_fails_its_line_only(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(diagnostics, "SELFTEST_IMAGE", tmp_path / "gone.png")
    checks = {c.name: c for c in diagnostics.self_test()}
    assert not checks["qr"].ok and "gone.png" in checks["qr"].detail
    assert checks["forms"].ok and checks["ticket"].ok


def run_doctor(tmp_path, faults: str = "") -> tuple[int, dict]:
    import os

    env = {**os.environ, "KIOSK_SIM_FAULTS": faults}
    env.pop("KIOSK_CONFIG", None)
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "doctor", "--simulate", "--json", "--data-dir",
                           str(tmp_path)], capture_output=True, text=True, check=False, env=env)
    return proc.returncode, json.loads(proc.stdout)


def test_doctor_on_a_healthy_simulated_kiosk(tmp_path) -> None:
    code, report = run_doctor(tmp_path)
    assert code == 0, report
    assert report["ok"] is True
    assert {"camera", "printer", "backend", "outbox"} <= set(report)
    assert report["backend"]["latency_ms"] >= 0


def test_doctor_names_the_paper_when_the_printer_is_out(tmp_path) -> None:
    code, report = run_doctor(tmp_path, "printer:paper_out")
    assert code != 0
    assert report["printer"]["ok"] is False and report["printer"]["state"] == "paper_out"
    assert "giấy" in report["printer"]["message"]["vi"] and "paper" in report["printer"]["message"]["en"]
    assert report["camera"]["ok"] and report["backend"]["ok"]


def test_doctor_names_an_unplugged_camera(tmp_path) -> None:
    code, report = run_doctor(tmp_path, "camera:unplugged")
    assert code != 0 and report["camera"]["state"] == "unplugged"
    assert "camera" in report["camera"]["action"]["en"]


def test_doctor_names_a_damaged_outbox_and_what_to_do(tmp_path) -> None:
    (tmp_path / "outbox.sqlite3").write_bytes(b"\x00not an SQLite database\x00" * 64)
    code, report = run_doctor(tmp_path)
    assert code != 0
    outbox = report["outbox"]
    assert outbox["ok"] is False and outbox["state"] == "damaged"  # not "checking outbox failed"
    assert "bị hỏng" in outbox["message"]["vi"] and "damaged" in outbox["message"]["en"]
    assert "outbox.sqlite3" in outbox["action"]["en"]
    assert report["printer"]["ok"] and report["backend"]["ok"]
