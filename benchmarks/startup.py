"""Start-up: `kiosk self-test --startup` against a bare PySide6 fullscreen window, medians of 5, same run.

Both are measured the same way: from just before the benchmark starts the process until the window is shown
fullscreen and the event loop has drained its queue. Run: .venv/bin/python benchmarks/startup.py [--runs N]
[--screen 1080x1920] (both fullscreen on an offscreen screen of that size; default the kiosk's 3840x2160 one)
[--before TREE] (also another checkout's kiosk, interleaved: `git worktree add /tmp/old COMMIT`).

Both run from cached bytecode, as the installed kiosk does (the frozen build ships compiled modules; pip
compiles what it installs): the editable checkout's own modules would otherwise be compiled from source on
every start wherever PYTHONDONTWRITEBYTECODE is set. The cache goes to a temporary PYTHONPYCACHEPREFIX, not
into the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = r"""
import time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
w = QLabel("Xin chào")
w.showFullScreen()
def idle():
    print('{"ready_clock": %.6f, "ready_cpu_ms": %.1f}' % (time.monotonic(), time.process_time() * 1000))
    app.quit()
QTimer.singleShot(0, idle)
app.exec()
"""


def offscreen_platform(screen: str | None, folder: str) -> str:
    """QT_QPA_PLATFORM for an offscreen screen of ``screen`` ("WxH"); plain "offscreen" gets the kiosk's own."""
    if not screen:
        return "offscreen"
    width, height = (int(n) for n in screen.lower().split("x"))
    config = Path(folder) / "offscreen.json"
    config.write_text(json.dumps({"synchronousWindowSystemEvents": False, "windowFrameMargins": False,
                                  "screens": [{"name": "kiosk", "x": 0, "y": 0, "width": width, "height": height,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    return f"offscreen:configfile={config}"


def run(cmd: list[str], pycache: str, platform: str = "offscreen", tree: str | None = None) -> tuple[float, float]:
    """(wall ms from just before the process is started until it reports its window idle, CPU ms by then).
    ``tree``: a checkout whose ``kiosk`` package is run instead of the installed one."""
    env = {**os.environ, "QT_QPA_PLATFORM": platform, "PYTHONPYCACHEPREFIX": pycache}
    if tree:
        env["PYTHONPATH"] = tree
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.monotonic()  # the child's ready_clock reads the same system-wide clock
    # `python -m` puts the working directory first on sys.path, before PYTHONPATH: run from the repository, the
    # other tree's pair would import this tree's kiosk. In ``tree`` itself, each runs its own.
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True, cwd=tree).stdout
    ready = json.loads(out.strip().splitlines()[-1])
    return (ready["ready_clock"] - started) * 1000, ready["ready_cpu_ms"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--screen", help="the screen both open fullscreen on, e.g. 1080x1920")
    parser.add_argument("--before", metavar="TREE",
                        help="also run the kiosk of another checkout (e.g. a `git worktree` of an older commit), "
                             "interleaved, for a before/after pair")
    args = parser.parse_args()
    # the console script, as a technician types it (python -m would add runpy's imports)
    script = Path(sys.executable).with_name("kiosk")
    kiosk = [str(script) if script.exists() else sys.executable, *([] if script.exists() else ["-m", "kiosk.cli"]),
             "self-test", "--startup", "--json"]
    bare = [sys.executable, "-c", BARE]
    pycache = tempfile.mkdtemp(prefix="kiosk-pycache-")
    platform = offscreen_platform(args.screen, pycache)
    # the other tree runs its own modules: python -m, with its own bytecode cache
    before = [sys.executable, "-m", "kiosk.cli", "self-test", "--startup", "--json"]
    before_cache = tempfile.mkdtemp(prefix="kiosk-pycache-before-")
    # warm the page cache and write the bytecode, so neither side pays for the first disk read or compile
    run(bare, pycache, platform), run(kiosk, pycache, platform)
    if args.before:
        run(before, before_cache, platform, args.before)
    samples: dict[str, list[tuple[float, float]]] = {"bare": [], "kiosk": [], "before": [], "after": []}
    here = str(Path(__file__).resolve().parents[1])
    for _ in range(args.runs):  # interleaved, so a busy moment hits both
        samples["bare"].append(run(bare, pycache, platform))
        samples["kiosk"].append(run(kiosk, pycache, platform))
        if args.before:  # the pair started alike (python -m, PYTHONPATH), this tree and the other
            samples["after"].append(run(before, pycache, platform, here))
            samples["before"].append(run(before, before_cache, platform, args.before))
    for name, tree in (("after", here), ("before", args.before)):
        if args.before:
            walls = sorted(round(w) for w, _c in samples[name])
            print(f"{name} (python -m kiosk.cli of {tree}): median {statistics.median(walls):.0f} ms wall {walls}")
        del samples[name]
    wall = {k: statistics.median(w for w, _c in v) for k, v in samples.items()}
    cpu = {k: statistics.median(c for _w, c in v) for k, v in samples.items()}
    for name, label in (("bare", "bare PySide6 fullscreen window"), ("kiosk", "kiosk self-test --startup   ")):
        walls = sorted(round(w) for w, _c in samples[name])
        print(f"{label}: median {wall[name]:.0f} ms wall {walls}, {cpu[name]:.0f} ms CPU")
    ratio, cpu_ratio = wall["kiosk"] / wall["bare"], cpu["kiosk"] / cpu["bare"]
    print(f"ratio: {ratio:.2f}x wall (target <= 1.5x); CPU time {cpu_ratio:.2f}x (not inflated by other load)")
    print(json.dumps({"screen": args.screen or "3840x2160",
                      "bare_ms": round(wall["bare"], 1), "kiosk_ms": round(wall["kiosk"], 1), "ratio": round(ratio, 2),
                      "bare_cpu_ms": cpu["bare"], "kiosk_cpu_ms": cpu["kiosk"], "cpu_ratio": round(cpu_ratio, 2)}))


if __name__ == "__main__":
    main()
