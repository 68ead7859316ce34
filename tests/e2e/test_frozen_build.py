"""The PyInstaller one-folder build starts and passes its own self-test with no Python around it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_frozen_build_passes_its_self_test(tmp_path: Path) -> None:
    if shutil.which("bash") is None:
        pytest.skip("bash is needed to run scripts/build")
    env = {**os.environ, "DIST": str(tmp_path / "dist"), "WORK": str(tmp_path / "build")}
    build = subprocess.run(["bash", str(ROOT / "scripts" / "build")], capture_output=True, text=True, env=env,
                           check=False, timeout=1800)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    app = tmp_path / "dist" / "kiosk" / "kiosk"
    # A bare environment: no venv, no PYTHONPATH, not even the repository as working directory.
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run([str(app), "self-test", "--json"], capture_output=True, text=True, env=bare,
                          cwd=tmp_path, check=False, timeout=300)
    checks = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # "escpos": the frozen ESC/POS driver (PDFium) prints a ticket to the simulated ESC/POS printer
    # "speech": the frozen eSpeak NG (the espeakng-loader wheel's library and data) says a Vietnamese phrase
    # "pages": the frozen OpenCV straightens and encodes a sample document page (the paperless dossier)
    assert {c["check"] for c in checks} >= {"forms", "qr", "ticket", "escpos", "speech", "pages", "video", "outbox"}
    assert all(c["ok"] for c in checks)
    # The frozen UI starts too: Qt widgets, multimedia and the simulated devices, offscreen.
    startup = subprocess.run([str(app), "self-test", "--startup", "--json"], capture_output=True, text=True,
                             env=bare, cwd=tmp_path, check=False, timeout=300)
    assert startup.returncode == 0, startup.stdout + startup.stderr[-3000:]
    assert json.loads(startup.stdout.strip().splitlines()[-1])["ready_ms"] > 0
