"""Growth: what the kiosk keeps journey after journey, found with tracemalloc (issue 18).

Runs the walkthrough's journeys in this process (the same ``Walkthrough`` as ``kiosk walkthrough --fast``,
without its extras and fault rounds), tracing allocations from journey ``--trace-from`` on, and compares
a snapshot after journey ``--first`` with one after journey ``--last`` (both on the home screen, after a
wipe and a full garbage collection). Prints the top 15 tracebacks by size_diff and by count_diff, the Python
object types whose count grew, and the window's QObject children (Qt objects not deleted show there).
Whatever grows by a steady amount between the two snapshots grows without bound in a kiosk that runs all day.
A few blocks at an odd line (a click, a regex) are often a freed tuple or dict reused from CPython's free lists
by whoever keeps it: tracemalloc names where the block was first allocated; the object types say what it is.
Run: .venv/bin/python benchmarks/growth.py --last 60 (~5 min: tracing slows the journeys 2-3x);
--native --last 200: no tracing, glibc's heap after each journey (native leak or fragmentation?), ~4 min;
--native --trim: the same with malloc_trim(0) after each journey (an experiment, not what the kiosk does).
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import gc
import json
import linecache
import os
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def type_counts() -> collections.Counter:
    return collections.Counter(type(o).__qualname__ for o in gc.get_objects())


def qt_children(window: Any) -> collections.Counter:
    from PySide6.QtCore import QObject

    return collections.Counter(type(o).__name__ for o in window.findChildren(QObject))


def show(stat: tracemalloc.StatisticDiff, frames: int) -> list[str]:
    lines = [f"{stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks (now {stat.size / 1024:.1f} KiB, "
             f"{stat.count} blocks)"]
    # the innermost frames, innermost last (where the block was allocated)
    tb = list(stat.traceback)[-frames:]
    for frame in tb:
        text = linecache.getline(frame.filename, frame.lineno).strip()
        lines.append(f"      {frame.filename}:{frame.lineno}  {text}")
    return lines


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                      "fsmblks", "uordblks", "fordblks", "keepcost")]


def malloc_mb() -> dict[str, float] | None:
    """glibc's heap: in use, free inside the arenas (fragmentation) and mmapped, in MB; None off glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = _MallInfo2
    except (OSError, AttributeError):
        return None
    info = libc.mallinfo2()
    return {"in_use": round(info.uordblks / 1e6, 2), "free_in_arenas": round(info.fordblks / 1e6, 2),
            "mmapped": round(info.hblkhd / 1e6, 2)}


def native(first: int, last: int, trim: bool = False) -> None:
    """Without tracing: RSS, Python blocks and glibc's heap after each journey, slopes after ``first``. Native
    memory in use that grows is a leak; free memory inside the arenas that grows while in-use stays flat is
    fragmentation (RSS up, nothing kept)."""
    from kiosk.tools.walkthrough import citizen

    rows: list[dict[str, Any]] = []

    class Watching(citizen.Walkthrough):
        FAULT_ROUNDS = ()

        def extras(self) -> None:
            pass

        def _journey(self, kind: str, run: Any) -> dict[str, Any]:
            entry = super()._journey(kind, run)
            if trim:  # an experiment, not the kiosk's behaviour: is the RSS growth free heap glibc keeps?
                ctypes.CDLL("libc.so.6").malloc_trim(0)
            rows.append({"rss_mb": citizen.rss_mb(), "python_blocks_k": sys.getallocatedblocks() / 1000,
                         **(malloc_mb() or {})})
            return entry

    citizen.Walkthrough = Watching
    with tempfile.TemporaryDirectory(prefix="kiosk-growth-") as tmp:
        citizen.run_walkthrough(Path(tmp) / "out", rounds=-(-last // 4), fast=True, data_dir=Path(tmp) / "data")
    after = rows[first:last]
    out: dict[str, Any] = {"journeys": len(rows), "slopes_per_100_journeys_after": first}
    for key in after[0]:
        values = [r[key] for r in after]
        n = len(values)
        xbar, ybar = (n - 1) / 2, sum(values) / n
        slope = sum((i - xbar) * (y - ybar) for i, y in enumerate(values)) / sum((i - xbar) ** 2 for i in range(n))
        out[key] = {"slope": round(slope * 100, 2), "first": round(values[0], 2), "last": round(values[-1], 2),
                    "every_20": [round(r[key], 1) for r in rows[first - 1::20]]}
    print(json.dumps(out, indent=2))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--first", type=int, default=20, help="journey after which the first snapshot is taken")
    parser.add_argument("--last", type=int, default=60, help="journey after which the second snapshot is taken")
    parser.add_argument("--trace-from", type=int, default=12, help="journey from which allocations are traced")
    parser.add_argument("--frames", type=int, default=12, help="frames kept per traceback")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--native", action="store_true",
                        help="no tracing: RSS, blocks and glibc's heap (in use / free / mmapped) after each journey")
    parser.add_argument("--trim", action="store_true", help="with --native: malloc_trim(0) after each journey")
    args = parser.parse_args()
    if args.native:
        native(args.first, args.last, args.trim)
        return
    if not args.trace_from < args.first < args.last:
        parser.error("need --trace-from < --first < --last")

    from kiosk.tools.walkthrough import citizen

    seen: dict[str, Any] = {}

    class Tracing(citizen.Walkthrough):
        FAULT_ROUNDS = ()  # the healthy kiosk's journeys only: the fault rounds run once, at the end

        def extras(self) -> None:
            pass

        def _journey(self, kind: str, run: Any) -> dict[str, Any]:
            entry = super()._journey(kind, run)
            n = len(self.journeys)
            if n == args.trace_from:
                type_counts(), qt_children(self.window)  # their one-off costs (PySide's enums) are not growth
                tracemalloc.start(args.frames)
            if n in (args.first, args.last):
                self.settle(200)  # the wipe's deferred work (deleteLater, callbacks) runs first
                gc.collect()
                seen[f"types_{n}"], seen[f"qt_{n}"] = type_counts(), qt_children(self.window)
                gc.collect()
                seen[f"blocks_{n}"] = sys.getallocatedblocks()
                # to a file and dropped: the first snapshot's ~15 k objects would count as growth in the second
                path = Path(tempfile.gettempdir()) / f"kiosk-growth-{os.getpid()}-{n}.tracemalloc"
                tracemalloc.take_snapshot().dump(str(path))
                seen[f"snapshot_{n}"] = path
                print(f"snapshot after journey {n}: {sys.getallocatedblocks()} blocks", file=sys.stderr, flush=True)
            return entry

    citizen.Walkthrough = Tracing  # run_walkthrough builds the window and the services as the command does
    rounds = -(-args.last // 4)
    with tempfile.TemporaryDirectory(prefix="kiosk-growth-") as tmp:
        status = citizen.run_walkthrough(Path(tmp) / "out", rounds=rounds, fast=True, data_dir=Path(tmp) / "data")
    if f"snapshot_{args.last}" not in seen:
        sys.exit(f"the walkthrough stopped before journey {args.last} (status {status})")
    tracemalloc.stop()

    first, last = (tracemalloc.Snapshot.load(str(seen[f"snapshot_{n}"])) for n in (args.first, args.last))
    for n in (args.first, args.last):
        seen[f"snapshot_{n}"].unlink()
    # the snapshots' own bookkeeping and this script are not the kiosk's
    ignore = [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__),
              tracemalloc.Filter(False, linecache.__file__)]
    first, last = first.filter_traces(ignore), last.filter_traces(ignore)
    journeys = args.last - args.first
    diffs = last.compare_to(first, "traceback")
    report: dict[str, Any] = {"journeys_compared": journeys,
                              "python_blocks": {str(args.first): seen[f"blocks_{args.first}"],
                                                str(args.last): seen[f"blocks_{args.last}"],
                                                "per_journey": round((seen[f"blocks_{args.last}"]
                                                                      - seen[f"blocks_{args.first}"]) / journeys, 1)},
                              "traced_growth_kib": round(sum(d.size_diff for d in diffs) / 1024, 1),
                              "traced_growth_blocks": sum(d.count_diff for d in diffs)}
    print(json.dumps(report, indent=2))
    for key, title in (("size_diff", "by size"), ("count_diff", "by blocks")):
        print(f"\n=== top {args.top} tracebacks {title}, journey {args.first} -> {args.last} ===")
        for stat in sorted(diffs, key=lambda d: getattr(d, key), reverse=True)[:args.top]:
            print("\n".join(show(stat, args.frames)))
    # one leak reached from many call paths is split over many tracebacks: also summed by the line that allocated
    by_line = last.compare_to(first, "lineno")
    print(f"\n=== top {args.top} lines by blocks (callers summed), journey {args.first} -> {args.last} ===")
    for stat in sorted(by_line, key=lambda d: d.count_diff, reverse=True)[:args.top]:
        print("\n".join(show(stat, 1)))
    report["top_lines"] = [show(s, 1) for s in sorted(by_line, key=lambda d: d.count_diff, reverse=True)[:args.top]]
    for kind, key, title in (("types", "types", "Python object types whose count grew"),
                             ("qt", "qt_children", "the window's QObject children that grew")):
        grown = seen[f"{kind}_{args.last}"]
        grown.subtract(seen[f"{kind}_{args.first}"])
        print(f"\n=== {title}, journey {args.first} -> {args.last} ===")
        for name, grew in grown.most_common(args.top):
            if grew > 0:
                print(f"  {grew:+6d}  {name}  ({grew / journeys:.2f} a journey)")
        report[key] = {k: v for k, v in grown.most_common(args.top) if v > 0}
    report["top_size_diff"] = [show(s, args.frames) for s in sorted(diffs, key=lambda d: d.size_diff,
                                                                     reverse=True)[:args.top]]
    report["top_count_diff"] = [show(s, args.frames) for s in sorted(diffs, key=lambda d: d.count_diff,
                                                                      reverse=True)[:args.top]]
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
