"""Soak: `kiosk walkthrough --journeys 50 --fast` (200 journeys) and what grows while it runs.

Reads journey.json: resident memory and Python's allocated blocks after each journey, open file descriptors
and Python threads. Target: under 5 MB of RSS growth after the first 20 journeys (warm-up), RSS and blocks flat
after it (least-squares slopes per 100 journeys near 0, issue 18), and no growth in open files or threads.
Also reports the UI stall figures of the whole run.
Run: .venv/bin/python benchmarks/soak.py (--read journey.json reports on a soak kept with --keep, without running)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def slope_per_journey(values: list[float]) -> float:
    """Least-squares slope of ``values`` (one a journey), per journey: a leak shows as a steady slope where a
    step (a heap arena taken once) or noise (a sample just before or after the heap trim) barely moves it."""
    n = len(values)
    if n < 2:
        return 0.0
    xbar, ybar = (n - 1) / 2, sum(values) / n
    return sum((i - xbar) * (y - ybar) for i, y in enumerate(values)) / sum((i - xbar) ** 2 for i in range(n))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=50, help="walkthrough rounds (4 journeys each)")
    parser.add_argument("--warmup", type=int, default=20, help="journeys not counted for growth")
    parser.add_argument("--keep", type=Path, default=None, help="copy journey.json here")
    parser.add_argument("--read", type=Path, default=None, help="report on this journey.json instead of running")
    args = parser.parse_args()
    if args.read:
        report(json.loads(args.read.read_text(encoding="utf-8")), args.warmup, None)
        return
    with tempfile.TemporaryDirectory(prefix="kiosk-soak-") as tmp:
        out = Path(tmp) / "out"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kiosk.cli", "walkthrough", "--out", str(out), "--journeys",
                        str(args.rounds), "--fast", "--data-dir", str(Path(tmp) / "data")],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - started
        result = json.loads((out / "journey.json").read_text(encoding="utf-8"))
        if args.keep:
            args.keep.write_text((out / "journey.json").read_text(encoding="utf-8"), encoding="utf-8")
    report(result, args.warmup, elapsed)


def report(result: dict, w: int, elapsed: float | None) -> None:
    """Print the soak's figures from a walkthrough's journey.json (``w`` journeys of warm-up not counted)."""
    journeys = result["journeys"]
    rss = [j["rss_mb"] for j in journeys]
    files = [j.get("open_files") for j in journeys]
    threads = [j.get("threads") for j in journeys]
    after = rss[w:]
    growth = max(after) - after[0]
    end_growth = after[-1] - after[0]
    slope = slope_per_journey(after)
    # A single journey's RSS is noisy (the heap is trimmed after each wipe, on a worker thread, so a
    # sample may come just before or after it): growth is also given between medians of 20 journeys.
    import statistics

    median_growth = statistics.median(rss[-20:]) - statistics.median(after[:20])
    every_20 = {str(i + 1): rss[i] for i in range(w - 1, len(rss), 20)}
    blocks = [j["python_blocks"] for j in journeys]
    blocks_growth = statistics.median(blocks[-20:]) - statistics.median(blocks[w:w + 20])
    blocks_slope = slope_per_journey(blocks[w:])
    figures = {
        "journeys": len(journeys),
        "seconds": round(elapsed, 1) if elapsed is not None else None,
        "rss_mb": {"first": rss[0], f"after_{w}": after[0], "last": rss[-1],
                   "max_growth_after_warmup": round(growth, 1), "end_growth_after_warmup": round(end_growth, 1),
                   "slope_mb_per_100_journeys": round(slope * 100, 2),
                   "median_growth_last20_vs_first20_after_warmup": round(median_growth, 1),
                   "every_20_journeys": every_20},
        "open_files": {f"after_{w}": files[w], "last": files[-1], "max": max(f for f in files if f is not None),
                       "every_20_journeys": {str(i + 1): files[i] for i in range(w - 1, len(files), 20)}},
        # Python's objects (pymalloc blocks, thousands): flat while RSS grows points at native memory
        "python_blocks_k": {f"after_{w}": round(blocks[w] / 1000, 1), "last": round(blocks[-1] / 1000, 1),
                            "end_growth_after_warmup": round((blocks[-1] - blocks[w]) / 1000, 1),
                            "median_growth_last20_vs_first20_after_warmup": round(blocks_growth / 1000, 1),
                            "slope_k_per_100_journeys": round(blocks_slope * 100 / 1000, 2),
                            "every_20_journeys": {str(i + 1): round(blocks[i] / 1000, 1)
                                                  for i in range(w - 1, len(blocks), 20)}},
        "threads": {f"after_{w}": threads[w], "last": threads[-1], "max": max(t for t in threads if t is not None)},
        "ui_stall_ms": {k: result["ui_stall_ms"][k] for k in ("max", "p99", "worst")},
        # The two figures issue 18 asks to be flat, side by side: least-squares slopes after the warm-up.
        "slopes_per_100_journeys_after_warmup": {"rss_mb": round(slope * 100, 2),
                                                 "python_blocks": round(blocks_slope * 100),
                                                 "python_blocks_k": round(blocks_slope * 100 / 1000, 2)},
        # The same over the second half only: what is bounded but fills slowly (the printer's reprint
        # retention holds 600 s of prints, ~460 journeys of a --fast soak) has levelled off by then.
        "slopes_per_100_journeys_second_half": {
            "rss_mb": round(slope_per_journey(rss[len(rss) // 2:]) * 100, 2),
            "python_blocks": round(slope_per_journey(blocks[len(blocks) // 2:]) * 100)},
    }
    print(json.dumps(figures, indent=2))
    # The verdict is on the medians: one journey's RSS moves by several MB either way (a frame buffer or a
    # PDF page mapped or not at the moment of the sample), the last-minus-first figure is printed beside it.
    ok = median_growth < 5 and files[-1] <= files[w] and threads[-1] <= threads[w]
    print(f"target (<5 MB after {w} journeys, medians of 20; no fd/thread growth): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
