"""Document page benchmark (issue 24): what a page costs in bytes and time, from the simulated tray.

For each case (``good``: the page laid nearly square; ``tilted``: 12-20 degrees off; ``glare``: the
lamp's reflection over the text) and each of ``--captures`` captures, the simulated camera lays a page
(the three sample pages in turn, a different tilt each time) on the tray. Every preview frame
(1280x720) goes to :class:`device.page_scan.PageTracker` until it is steady (at most 40 frames); then
the camera's 3840x2160 still goes to :func:`device.page_scan.scan_page` (find, check, straighten,
enhance, encode within ``--max-bytes`` at ``--max-dpi``).

    .venv/bin/python benchmarks/page_scan.py                 # 20 captures per case
    .venv/bin/python benchmarks/page_scan.py --captures 5 --max-bytes 300000

Times are wall-clock in this process (OpenCV with its default threads), so compare them within a run.
The simulator's own drawing is not timed.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from device.page_scan import PageTracker, scan_page  # noqa: E402
from device.sim.camera import SimCamera  # noqa: E402

PAGES = [("giay-chung-sinh", 1), ("bang-tot-nghiep", 1), ("bang-tot-nghiep", 2)]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, np.float64), q))


def run_case(case: str, captures: int, max_bytes: int, max_dpi: int, rng: np.random.Generator) -> dict:
    camera = SimCamera(seed=int(rng.integers(1 << 30)))
    camera.open()
    sizes, scan_ms, feed_ms, frames_to_steady, problems, dpis = [], [], [], [], {}, []
    for i in range(captures):
        kind, page = PAGES[i % len(PAGES)]
        if case == "tilted":
            tilt = float(rng.uniform(12, 20) * rng.choice([-1, 1]))
        else:
            tilt = float(rng.uniform(-4, 4)) if case == "good" else float(rng.uniform(4, 10))
        camera.present_document(kind, page, tilt_deg=tilt, glare=case == "glare")
        tracker = PageTracker()
        for n in range(1, 41):
            frame = camera.read()
            start = time.perf_counter()
            look = tracker.feed(frame)
            feed_ms.append((time.perf_counter() - start) * 1000)
            if look.steady:
                frames_to_steady.append(n)
                break
        still = camera.still()
        start = time.perf_counter()
        scanned = scan_page(still, max_bytes=max_bytes, max_dpi=max_dpi)
        scan_ms.append((time.perf_counter() - start) * 1000)
        sizes.append(len(scanned.jpeg))
        dpis.append(scanned.dpi)
        key = ",".join(scanned.problems) or "none"
        problems[key] = problems.get(key, 0) + 1
    camera.close()
    return {"case": case, "captures": captures, "sizes": sizes, "scan_ms": scan_ms, "feed_ms": feed_ms,
            "steady": frames_to_steady, "problems": problems, "dpis": dpis}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--captures", type=int, default=20, help="captures per case (default 20)")
    parser.add_argument("--max-bytes", type=int, default=600_000)
    parser.add_argument("--max-dpi", type=int, default=200)
    parser.add_argument("--seed", type=int, default=24)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    print(f"# page_scan: {args.captures} captures per case, max_bytes {args.max_bytes}, max_dpi {args.max_dpi}; "
          f"Python {platform.python_version()}, OpenCV {cv2.__version__}, {cv2.getNumThreads()} OpenCV threads")
    rows = [run_case(case, args.captures, args.max_bytes, args.max_dpi, rng) for case in ("good", "tilted", "glare")]
    print()
    print("| case | captures | bytes/page mean | bytes/page max | dpi (min-max) | scan_page ms median | p90 "
          "| feed ms/frame median | p90 | frames to steady (median, max) | problems |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        steady = "never"
        if r["steady"]:
            steady = f"{statistics.median(r['steady']):.0f}, {max(r['steady'])}"
            if len(r["steady"]) < r["captures"]:
                steady += f" ({len(r['steady'])} of {r['captures']} steady)"
        problems = ", ".join(f"{k} {v}" for k, v in sorted(r["problems"].items()))
        print(f"| {r['case']} | {r['captures']} | {statistics.mean(r['sizes']):,.0f} | {max(r['sizes']):,} "
              f"| {min(r['dpis'])}-{max(r['dpis'])} | {statistics.median(r['scan_ms']):.1f} "
              f"| {percentile(r['scan_ms'], 90):.1f} | {statistics.median(r['feed_ms']):.2f} "
              f"| {percentile(r['feed_ms'], 90):.2f} | {steady} | {problems} |")
    every = [x for r in rows for x in r["feed_ms"]]
    print(f"\nPageTracker.feed over all {len(every)} frames: median {statistics.median(every):.2f} ms, "
          f"p90 {percentile(every, 90):.2f} ms, max {max(every):.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
