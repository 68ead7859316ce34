"""`kiosk self-test`: one line per check, exit 0 only when the program is whole."""

from __future__ import annotations

import json
import subprocess
import sys

from kiosk import diagnostics


def test_self_test_passes_on_this_checkout() -> None:
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "self-test", "--json"], capture_output=True, text=True,
                          check=False)
    checks = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [c["check"] for c in checks] == ["forms", "qr", "ticket", "video", "outbox"]
    assert all(c["ok"] for c in checks), checks
    assert proc.returncode == 0


def test_a_missing_part_fails_its_line_only(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(diagnostics, "SELFTEST_IMAGE", tmp_path / "gone.png")
    checks = {c.name: c for c in diagnostics.self_test()}
    assert not checks["qr"].ok and "gone.png" in checks["qr"].detail
    assert checks["forms"].ok and checks["ticket"].ok
