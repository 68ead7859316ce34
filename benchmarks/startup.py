"""Start-up: `kiosk self-test --startup` against a bare PySide6 fullscreen window, medians of 5, same run.

Both are measured the same way: from process start (kernel's start time) until the window is shown
fullscreen and the event loop has drained its queue. Run: .venv/bin/python benchmarks/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BARE = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel
sys.path.insert(0, {root!r})
from kiosk.ui.startup import process_age_ms
app = QApplication(sys.argv)
w = QLabel("Xin chào")
w.showFullScreen()
def idle():
    print('{{"ready_ms": %.1f}}' % process_age_ms())
    app.quit()
QTimer.singleShot(0, idle)
app.exec()
"""


def run(cmd: list[str]) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["ready_ms"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    kiosk = [sys.executable, "-m", "kiosk.cli", "self-test", "--startup", "--json"]
    bare = [sys.executable, "-c", BARE.format(root=str(ROOT))]
    run(bare), run(kiosk)  # warm the page cache so neither side pays for the first disk read
    kiosk_ms, bare_ms = [], []
    for _ in range(args.runs):  # interleaved, so a busy moment hits both
        bare_ms.append(run(bare))
        kiosk_ms.append(run(kiosk))
    k, b = statistics.median(kiosk_ms), statistics.median(bare_ms)
    print(f"bare PySide6 fullscreen window: median {b:.0f} ms  {sorted(bare_ms)}")
    print(f"kiosk self-test --startup:      median {k:.0f} ms  {sorted(kiosk_ms)}")
    print(f"ratio: {k / b:.2f}x (target <= 1.5x)")
    print(json.dumps({"bare_ms": b, "kiosk_ms": k, "ratio": round(k / b, 2)}))


if __name__ == "__main__":
    main()
