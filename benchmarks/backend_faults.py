"""Backend faults: how the kiosk's two delivery paths behave against a misbehaving provincial backend.

    .venv/bin/python benchmarks/backend_faults.py [--quick] [--seconds 30] [--recovery 120] [--dossiers 5]
                                                  [--only slow_drip,outage] [--serial] [--json FILE]

For each behaviour of benchmarks/misbehaving_backend.py (normal, latency, 500 forever, 429 with
Retry-After: 120, malformed 200, oversized 200, slow drip, never answers, connection resets, outage then
recovery) and for each driver -- the ``Sender`` thread as the kiosk runs it, and ``kiosk outbox flush``
as a technician runs it -- a fresh outbox gets ``--dossiers`` dossiers, the backend misbehaves for
``--seconds``, then answers normally; the run ends when every dossier is acknowledged in the outbox or
``--recovery`` seconds after the switch. Measured: requests per minute during the misbehaviour (server
side), the longest a request stayed open (server side, accept or first byte -> answer written or
connection closed), the kiosk process's peak RSS (``wait4`` of that process alone), dossiers lost (not
acknowledged by the end), duplicated (local references the backend holds more than one dossier for) and
the time from the switch to the last acknowledgement.

The kiosk side always runs in its own process: the sender in a child of this script (``--sender-child``),
the flush as the ``kiosk`` CLI; a flush that ends with dossiers still undelivered is run again (as a
technician would) until the recovery deadline. A kiosk process that does not end when asked is killed
and reported as hung. The two drivers of one behaviour run at the same time, each against its own
server (``--serial`` runs them one after the other).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the helper module beside this script

from misbehaving_backend import BEHAVIOURS, MisbehavingBackend  # noqa: E402

from kiosk.backend.outbox import DB_NAME, KEY_NAME, Outbox  # noqa: E402
from kiosk.core import clock  # noqa: E402
from kiosk.core.dossier import sample_dossier  # noqa: E402

TOKEN = "bench-token"
KIOSK_ID = "BENCH-01"
STOP_GRACE_S = 20.0  # a kiosk process asked to end gets this long before it is killed and called hung
POLL_S = 0.1

LABELS = {"normal": "normal", "latency": "latency 2 s", "error500": "500 forever",
          "retry_after": "429 + Retry-After: 120", "malformed": "malformed 200 (not JSON)",
          "oversized": "oversized 200 (200 MiB)", "slow_drip": "slow drip (1 byte / 2 s)",
          "never_answers": "never answers", "resets": "connection resets (RST)",
          "outage": "outage (refused), then recovery"}


@dataclass
class Result:
    behaviour: str
    driver: str
    requests_in_window: int | None = None
    requests_per_min: float | None = None
    longest_open_s: float | None = None
    still_open_at_end: int = 0
    peak_rss_mib: float | None = None
    dossiers: int = 0
    acknowledged: int = 0
    lost: int = 0
    duplicated: int = 0
    delivered_after_recovery_s: float | None = None
    delivered_before_recovery: bool = False
    hung: bool = False
    kiosk_runs: int = 0
    tracebacks: int = 0
    total_requests: int = 0
    posts_per_dossier_in_fault: list[int] = field(default_factory=list)  # oldest dossier first
    error: str | None = None
    notes: list[str] = field(default_factory=list)


class KioskProcess:
    """One kiosk-side process, reaped with wait4 so its own peak RSS is known (RUSAGE_CHILDREN would mix
    every child this script ever had)."""

    def __init__(self, argv: list[str], folder: Path, name: str, stdin: bool = False) -> None:
        self.out_path, self.err_path = folder / f"{name}.out", folder / f"{name}.err"
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                         stdout=out, stderr=err)
        self.returncode: int | None = None
        self.maxrss_kib = 0

    def poll(self) -> bool:
        if self.returncode is not None:
            return True
        pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
        if pid == 0:
            return False
        self.returncode = os.waitstatus_to_exitcode(status)
        self.proc.returncode = self.returncode  # so Popen never waits on a reaped pid
        self.maxrss_kib = usage.ru_maxrss
        return True

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.poll():
            if time.monotonic() > deadline:
                return False
            time.sleep(POLL_S)
        return True

    def end(self, ask: signal.Signals | None = None) -> bool:
        """Ask it to end (close its stdin, or a signal), wait, kill. True if it ended when asked."""
        if self.poll():
            return True
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        if ask is not None:
            self.proc.send_signal(ask)
        if self.wait(STOP_GRACE_S):
            return True
        self.proc.kill()
        self.wait(10)
        return False

    def stderr_tracebacks(self) -> int:
        return self.err_path.read_text(errors="replace").count("Traceback (most recent call last)")


def sender_child(data: Path, url: str) -> int:
    """The kiosk's sender as kiosk/app/services.py starts it (default back-off, a client with the
    configured per-request timeout and one retry), until this process's stdin is closed."""
    from kiosk.backend.client import BackendClient
    from kiosk.backend.sender import Sender

    sender = Sender(data / DB_NAME, data / KEY_NAME, lambda: BackendClient(url, TOKEN, max_retries=1))
    sender.start()
    sys.stdin.read()
    sender.stop(5.0)
    sys.stdout.write(json.dumps({"sender_alive": sender.is_alive()}) + "\n")
    sys.stdout.flush()
    os._exit(0)  # a sender stuck in a request is a daemon thread: do not wait for it


def add_dossiers(data: Path, count: int) -> list[str]:
    with Outbox(data / DB_NAME, data / KEY_NAME) as outbox:
        return [outbox.add(sample_dossier(i, kiosk_id=KIOSK_ID)).local_ref for i in range(count)]


def acknowledged(outbox: Outbox) -> int:
    return int(outbox.status()["acknowledged"])


def run_one(behaviour: str, driver: str, args: argparse.Namespace, folder: Path) -> Result:
    result = Result(behaviour, driver, dossiers=args.dossiers)
    data = folder / f"{behaviour}-{driver}"
    data.mkdir(parents=True)
    backend = MisbehavingBackend(TOKEN).start()
    procs: list[KioskProcess] = []
    outbox: Outbox | None = None
    try:
        refs = add_dossiers(data, args.dossiers)
        outbox = Outbox(data / DB_NAME, data / KEY_NAME)
        backend.behaviour = behaviour
        start = time.monotonic()
        switch_at = start + args.seconds
        deadline = switch_at + args.recovery
        switched = False
        in_fault: list = []
        done_at: float | None = None

        def launch() -> KioskProcess:
            n = len(procs) + 1
            if driver == "sender":
                argv = [sys.executable, __file__, "--sender-child", str(data), backend.url]
                proc = KioskProcess(argv, folder, f"{behaviour}-sender", stdin=True)
            else:
                timeout = args.seconds + 10 if n == 1 else max(1.0, deadline - time.monotonic())
                argv = [sys.executable, "-m", "kiosk.cli", "outbox", "flush", "--data-dir", str(data),
                        "--backend", backend.url, "--token", TOKEN, "--timeout", f"{timeout:.0f}", "--json"]
                proc = KioskProcess(argv, folder, f"{behaviour}-flush-{n}")
            procs.append(proc)
            return proc

        current = launch()
        while True:
            now = time.monotonic()
            if not switched and now >= switch_at:
                in_fault = [r for r in backend.snapshot() if r.started < switch_at]
                backend.behaviour = "normal"
                switched = True
            if acknowledged(outbox) >= args.dossiers:
                done_at = now
                break
            if now >= deadline:
                break
            if driver == "flush" and current.poll():
                if now < deadline - 1:  # the technician runs it again
                    current = launch()
            time.sleep(POLL_S)
        if not switched:  # everything delivered before the fault's end
            in_fault = [r for r in backend.snapshot() if r.started < switch_at]
        window_requests = len(in_fault)
        result.posts_per_dossier_in_fault = [sum(1 for r in in_fault if r.local_ref == ref) for ref in refs]
        if done_at is not None and done_at < switch_at:
            result.delivered_before_recovery = True
            result.notes.append(f"all delivered {done_at - start:.1f} s after the start")
            result.delivered_after_recovery_s = 0.0
        elif done_at is not None:
            result.delivered_after_recovery_s = round(done_at - switch_at, 1)
        end = time.monotonic()
        requests = backend.snapshot()
        result.total_requests = len(requests)
        result.still_open_at_end = sum(1 for r in requests if r.ended is None)
        if requests:
            result.longest_open_s = round(max(r.open_for(end) for r in requests), 1)
        if behaviour != "outage":  # refused connections never reach the server: not counted
            result.requests_in_window = window_requests
            result.requests_per_min = round(window_requests * 60.0 / args.seconds, 1)
        result.acknowledged = acknowledged(outbox)
        result.lost = args.dossiers - result.acknowledged
        result.duplicated = sum(1 for n in backend.dossiers_per_local_ref().values() if n > 1)
        if driver == "flush" and not current.poll():
            if done_at is None:
                result.notes.append("a flush was still running at the deadline: stopped")
            elif not current.wait(STOP_GRACE_S):  # a flush that drained ends by itself
                result.notes.append(f"the flush did not end {STOP_GRACE_S:.0f} s after the last delivery")
        for proc in procs:
            # SIGTERM, not SIGINT: a KeyboardInterrupt traceback would be ours, not the kiosk's
            if not proc.end(signal.SIGTERM if driver == "flush" else None):
                result.hung = True
                result.notes.append(f"{proc.out_path.stem} did not end within {STOP_GRACE_S:.0f} s: killed")
        if driver == "sender" and procs and '"sender_alive": true' in procs[0].out_path.read_text():
            result.notes.append("the sender thread did not stop within 5 s (still in a request)")
        result.kiosk_runs = len(procs)
        result.peak_rss_mib = round(max(p.maxrss_kib for p in procs) / 1024, 1)
        result.tracebacks = sum(p.stderr_tracebacks() for p in procs)
        if result.still_open_at_end:
            result.notes.append(f"{result.still_open_at_end} request(s) still open at the end")
    except Exception as exc:  # a broken run is a row in the table, not a traceback
        result.error = f"{type(exc).__name__}: {exc}"
        for proc in procs:
            proc.end()
    finally:
        if outbox is not None:
            outbox.close()
        backend.stop()
    return result


def run_behaviour(behaviour: str, drivers: list[str], args: argparse.Namespace, folder: Path) -> list[Result]:
    if args.serial:
        return [run_one(behaviour, d, args, folder) for d in drivers]
    results: dict[str, Result] = {}
    threads = [threading.Thread(target=lambda d=d: results.__setitem__(d, run_one(behaviour, d, args, folder)),
                                daemon=True) for d in drivers]
    for t in threads:
        t.start()
    hard = args.seconds + args.recovery + 4 * STOP_GRACE_S + 60
    for t in threads:
        t.join(hard)
    return [results.get(d) or Result(behaviour, d, dossiers=args.dossiers, hung=True,
                                     error=f"the benchmark's own run did not end within {hard:.0f} s")
            for d in drivers]


def _cell(value: Any, unit: str = "") -> str:
    return "—" if value is None else f"{value}{unit}"


def table(results: list[Result], recovery: float) -> str:
    lines = ["| backend behaviour | driver | requests/min | longest request open | kiosk peak RSS | lost | "
             "duplicated | delivered after recovery | notes |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        if r.error:
            lines.append(f"| {LABELS[r.behaviour]} | {r.driver} | | | | | | | error: {r.error} |")
            continue
        if r.delivered_before_recovery:
            delivered = "during the fault"
        elif r.delivered_after_recovery_s is None:
            delivered = f"not in {recovery:.0f} s"
        else:
            delivered = f"{r.delivered_after_recovery_s} s"
        notes = list(r.notes)
        if r.hung:
            notes.insert(0, "**hung**")
        if r.tracebacks:
            notes.append(f"{r.tracebacks} traceback(s) on stderr")
        if r.posts_per_dossier_in_fault and r.behaviour not in ("normal", "resets", "outage"):
            notes.append("POSTs per dossier in the fault: " + "/".join(map(str, r.posts_per_dossier_in_fault)))
        if r.driver == "flush" and r.kiosk_runs > 1:
            notes.append(f"{r.kiosk_runs} flush runs")
        open_s = _cell(r.longest_open_s, " s") + (" (still open)" if r.still_open_at_end else "")
        lines.append(f"| {LABELS[r.behaviour]} | {r.driver} | {_cell(r.requests_per_min)} | {open_s} | "
                     f"{_cell(r.peak_rss_mib, ' MiB')} | {r.lost}/{r.dossiers} | {r.duplicated} | {delivered} | "
                     f"{'; '.join(notes)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=None, help="how long the backend misbehaves (30)")
    parser.add_argument("--recovery", type=float, default=None,
                        help="after the switch to normal, how long to wait for every dossier (120)")
    parser.add_argument("--dossiers", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="5 s of fault, 20 s of recovery")
    parser.add_argument("--only", default="", help=f"comma-separated behaviours, of: {', '.join(BEHAVIOURS)}")
    parser.add_argument("--drivers", default="sender,flush")
    parser.add_argument("--serial", action="store_true", help="one driver at a time")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE")
    parser.add_argument("--sender-child", nargs=2, metavar=("DATA_DIR", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sender_child:
        return sender_child(Path(args.sender_child[0]), args.sender_child[1])
    args.seconds = args.seconds if args.seconds is not None else (5.0 if args.quick else 30.0)
    args.recovery = args.recovery if args.recovery is not None else (20.0 if args.quick else 120.0)
    behaviours = [b.strip() for b in args.only.split(",") if b.strip()] or list(BEHAVIOURS)
    drivers = [d.strip() for d in args.drivers.split(",") if d.strip()]
    unknown = [b for b in behaviours if b not in BEHAVIOURS] + [d for d in drivers if d not in ("sender", "flush")]
    if unknown:
        parser.error(f"unknown: {', '.join(unknown)}")

    started = clock.now()
    begin = time.monotonic()
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="backend-faults-") as tmp:
        for behaviour in behaviours:
            t0 = time.monotonic()
            rows = run_behaviour(behaviour, drivers, args, Path(tmp))
            results.extend(rows)
            sys.stderr.write(f"{behaviour}: {time.monotonic() - t0:.0f} s\n")
    text = table(results, args.recovery)
    header = (f"{args.dossiers} dossiers per run, {args.seconds:.0f} s of fault, recovery deadline "
              f"{args.recovery:.0f} s; nproc {os.cpu_count()}, Python {platform.python_version()}, "
              f"{started.astimezone(UTC):%Y-%m-%d %H:%M} UTC, {time.monotonic() - begin:.0f} s in all")
    print(header + "\n\n" + text)
    if args.json:
        args.json.write_text(json.dumps({
            "seconds": args.seconds, "recovery": args.recovery, "dossiers": args.dossiers,
            "nproc": os.cpu_count(), "python": platform.python_version(), "started": started.isoformat(),
            "elapsed_s": round(time.monotonic() - begin, 1), "results": [asdict(r) for r in results],
        }, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
