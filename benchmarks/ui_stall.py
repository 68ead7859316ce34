"""UI stalls during the citizen journeys (DESIGN.md section 5): runs ``kiosk walkthrough`` and reports
the stall probe's figures per journey, with start-up time and memory.

    .venv/bin/python benchmarks/ui_stall.py [--rounds 3] [--full] [--screen 1080x1920] [--large-text]

Target: p99 under one 60 Hz frame (17 ms) and the longest stall under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def split_text(worst: dict) -> str:
    split = worst.get("gui_thread_ms") or {}
    text = " / ".join("?" if split.get(k) is None else f"{split[k]} ms" for k in ("cpu", "wait_cpu", "blocked"))
    others = ", ".join(f"{name} {ms} ms" for name, ms in (split.get("other_threads") or {}).items())
    steal = split.get("host_steal")
    return text + (f"; host steal {steal} ms/core" if steal is not None else "") + (f"; meanwhile {others}"
                                                                                    if others else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="walkthrough rounds (four journeys each)")
    parser.add_argument("--full", action="store_true", help="without --fast (guide video plays, longer pauses)")
    parser.add_argument("--screen", help="the window's size, e.g. 1080x1920 (the walkthrough's default 1920x1080)")
    parser.add_argument("--large-text", action="store_true", help="start in large text")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "kiosk.cli", "walkthrough", "--out", tmp, "--journeys", str(args.rounds)]
        if not args.full:
            cmd.append("--fast")
        if args.screen:
            cmd += ["--screen", args.screen]
        if args.large_text:
            cmd.append("--large-text")
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
        result = json.loads((Path(tmp) / "journey.json").read_text(encoding="utf-8"))
    print("| journey | duration ms | stall max ms | stall p99 ms | RSS MB |")
    print("|---|---:|---:|---:|---:|")
    for j in result["journeys"]:
        s = j["ui_stall_ms"]
        print(f"| {j['kind']} | {j['duration_ms']} | {s['max']} | {s['p99']} | {j['rss_mb']} |")
    overall = result["ui_stall_ms"]
    print(f"\nall journeys: max {overall['max']} ms, p99 {overall['p99']} ms ({overall['samples']} samples); "
          f"start-up {result['startup_ms']} ms; switching text size/contrast {result['mode_switch_stall_ms']} ms")
    print("worst stalls; the GUI thread's time in that probe interval: on a CPU / waiting for a CPU / blocked "
          "(GIL, lock, I/O); the host's steal; the kiosk's other threads on a CPU meanwhile")
    for worst in overall.get("worst", []):
        print(f"  {worst['ms']} ms in {worst['journey']} — {worst['when']}: {split_text(worst)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
