"""`kiosk walkthrough --maintenance` as a subprocess: the technician's screens, the lockout, the saved
configuration, the audit trail, and no PIN in clear anywhere under its data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from kiosk.tools.walkthrough.maintenance import PIN, WRONG_PIN

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ["maint-pin", "maint-pin-locked", "maint-menu", "maint-diagnostics", "maint-test-print", "maint-outbox",
           "maint-outbox-retried", "maint-config-refused", "maint-config-saved", "maint-logs", "maint-exit"]


@pytest.fixture(scope="module")
def walkthrough(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("maint-walkthrough")
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_CONFIG"}
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "walkthrough", "--maintenance", "--fast", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env={**env, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out


def test_every_maintenance_screen_was_saved_numbered(walkthrough: Path):
    files = sorted((walkthrough / "screens").glob("*.png"))
    names = [p.stem.split("-", 1)[1] for p in files]
    assert all(p.name[:2].isdigit() and p.name[2] == "-" for p in files)
    assert [n for n in names if n in SCREENS] == SCREENS  # all there, in the journey's order
    for path in files:
        image = QImage(str(path))
        assert (image.width(), image.height()) == (1920, 1080), path


def test_the_journey_locked_the_pad_saved_the_config_and_exited(walkthrough: Path):
    result = json.loads((walkthrough / "journey.json").read_text(encoding="utf-8"))["maintenance"]
    assert result["lockout_s"] == 30
    assert result["decoded_shown"].startswith("CCCD ") and "******" in result["decoded_shown"]
    assert result["test_print"] == "printed" and result["retried_delivered"] is True
    assert result["config_refused"]["key"] == "kiosk.idle_timeout_s"
    assert result["quit_status"] == 64
    config = tomllib.loads((walkthrough / "data" / "kiosk.toml").read_text(encoding="utf-8"))
    assert config["kiosk"]["idle_timeout_s"] == 120
    events = [json.loads(line) for line in
              (walkthrough / "data" / "maintenance" / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    attempts = [e["result"] for e in events if e["event"] == "pin_attempt"]
    assert attempts == ["wrong", "wrong", "wrong", "ok"]
    names = [e["event"] for e in events]
    assert names.index("maintenance_enter") < names.index("config_changed") < names.index("maintenance_exit")
    assert events[-1] == {**events[-1], "event": "maintenance_exit", "action": "exit"}


def test_no_pin_in_clear_and_the_export_is_masked(walkthrough: Path):
    from kiosk.core.samples import TEST_CITIZENS

    data = walkthrough / "data"
    for path in (p for p in data.rglob("*") if p.is_file()):
        content = path.read_bytes()
        assert PIN.encode() not in content and WRONG_PIN.encode() not in content, path
    export = next((data / "support").glob("outbox-*.json")).read_text(encoding="utf-8")
    dossiers = json.loads(export)["dossiers"]
    assert len(dossiers) == 1 and dossiers[0]["state"] == "rejected"
    assert "******" in dossiers[0]["id_masked"] and TEST_CITIZENS[1]["id_number"] not in export
