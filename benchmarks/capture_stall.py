"""UI stalls while the kiosk photographs documents (issue 24), against the ID-card camera screen and the idle
home screen (DESIGN.md section 5).

The real window offscreen (1920x1080 unless ``--screen``), simulated devices, the in-process backend simulator,
warmed up as ``kiosk walkthrough`` warms it up (the address converter loaded too). Then three phases of
``--seconds`` each, the stall probe (a 5 ms QTimer measuring its own lateness) running only inside them:

1. ``home``: the home screen, idle.
2. ``identify``: a birth registration started, the ID-card screen with the camera on (preview, QR decoding of
   every ``decode_every_nth`` frame), no card shown.
3. ``documents``: the same registration on the documents screen, photographing in a loop: the birth
   certificate laid on the simulated tray, the loop turned until the kiosk has taken it by itself (found,
   steady, still taken, straightened, checked and encoded on the camera thread; thumbnail and review on the
   GUI thread), the page taken away (until the screen sees the tray empty), the page deleted with a tap on
   "Xoá trang" so the next one is taken afresh; counted as captures.

Beside the stalls: the camera's frames a second, and the CPU cores busy on average during the phase, this
process's and the rest of the machine's (its own address-converter helper, idle by then, and any other
program: on a shared 2-core machine a neighbour's burst shows up as the GUI thread "waiting for a CPU").

Everything goes through the kiosk's own code: the widgets touched as a finger would
(``kiosk.tools.walkthrough.common.tap``), the real camera bridge and page capture; waits turn the event loop
(``wait_in_loop``), never sleep on the GUI thread. The idle countdown is pushed past the run (the identify
phase has no touch for ``--seconds``); the camera runs at the configuration's rate unless ``--fps``.

    .venv/bin/python benchmarks/capture_stall.py                  # 30 s a phase
    .venv/bin/python benchmarks/capture_stall.py --seconds 60 --json /tmp/capture_stall.json

Target (DESIGN.md): p99 under one 60 Hz frame (17 ms), the longest stall under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

os.environ["QT_QPA_PLATFORM"] = "offscreen"
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kiosk.core import clock  # noqa: E402
from kiosk.core.samples import TEST_PHONE, sample_payload  # noqa: E402
from kiosk.core.session import State  # noqa: E402
from kiosk.tools.probe import StallProbe  # noqa: E402
from kiosk.tools.walkthrough.common import ScreenDriver, wait_in_loop  # noqa: E402

PHASES = ("home", "identify", "documents")
DOCUMENT = ("giay-chung-sinh", 1)  # the hospital's birth certificate, the birth registration's document


def cpu_marks() -> tuple[float, float]:
    """(seconds of CPU this process used, seconds the whole machine was busy), to tell what else ran (Linux)."""
    times = os.times()
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            ticks = [int(v) for v in fh.readline().split()[1:9]]
        machine = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # not idle, not iowait
    except (OSError, ValueError):
        machine = float("nan")
    return times.user + times.system, machine


def split_text(worst: dict) -> str:
    """The probe's split of one stall (as benchmarks/ui_stall.py prints it)."""
    split = worst or {}
    text = " / ".join("?" if split.get(k) is None else f"{split[k]} ms" for k in ("cpu", "wait_cpu", "blocked"))
    others = ", ".join(f"{name} {ms} ms" for name, ms in (split.get("other_threads") or {}).items())
    steal = split.get("host_steal")
    return text + (f"; host steal {steal} ms/core" if steal is not None else "") + (f"; meanwhile {others}"
                                                                                    if others else "")


class Phase:
    """One phase's probe (its own, so each phase keeps its own worst stalls) and its camera frame count."""

    def __init__(self, name: str, walk: ScreenDriver) -> None:
        self.name = name
        self.walk = walk
        self.probe = StallProbe()
        self.probe.context = lambda: f"{walk.window.session.state.value}: {walk.action}"
        self.started = 0.0
        self.seconds = 0.0
        self.frames = 0
        self.cpu = (0.0, 0.0)  # cores busy on average: this process, everything else on the machine

    def __enter__(self) -> Phase:
        self.walk.probe = self.probe  # a screenshot (only on a timeout) pauses this phase's probe
        self.frames = self.walk.window.devices.camera.frames_seen
        self.probe.begin_journey(self.name)
        self._cpu = cpu_marks()
        self.started = time.perf_counter()
        self.probe.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.probe.stop()
        self.seconds = time.perf_counter() - self.started
        own, machine = (b - a for a, b in zip(self._cpu, cpu_marks(), strict=True))
        self.cpu = (own / self.seconds, (machine - own) / self.seconds)
        self.probe.end_journey()
        self.frames = self.walk.window.devices.camera.frames_seen - self.frames

    def result(self) -> dict[str, Any]:
        samples = self.probe.journeys.get(self.name, [])
        summary = StallProbe.summary(samples)
        return {"phase": self.name, "seconds": round(self.seconds, 1),
                "p50": round(statistics.median(samples), 2) if samples else 0.0, **summary,
                "camera_fps": round(self.frames / self.seconds, 1) if self.seconds else 0.0,
                "cpu_cores_kiosk": round(self.cpu[0], 2), "cpu_cores_others": round(self.cpu[1], 2),
                "worst": [{"ms": ms, "when": when, "gui_thread_ms": split}
                          for ms, _journey, when, split in self.probe.worst]}


def idle(walk: ScreenDriver, seconds: float) -> None:
    """Let the kiosk run untouched for ``seconds`` (the event loop turning, as between a citizen's touches)."""
    walk.action = "idle"
    deadline = time.perf_counter() + seconds
    while (left := deadline - time.perf_counter()) > 0:
        wait_in_loop(max(1, min(200, round(left * 1000))))


def to_documents(walk: ScreenDriver) -> None:
    """The identify screen (the card shown, the form filled as the walkthrough fills it) to the documents screen."""
    window = walk.window
    sim = window.services.sim_camera
    sim.present_card(sample_payload(0))
    walk.on_screen(State.FORM, 20)
    sim.remove_card()
    page = window.screens[State.FORM].page
    walk.click("field-relationship-father")
    walk.type_into("field-phone", TEST_PHONE)
    walk.type_into("field-child_full_name", "Nguyễn Minh Thư")
    walk.type_into("field-child_date_of_birth", (clock.today() - timedelta(days=12)).strftime("%d/%m/%Y"))
    walk.click("field-child_sex-female")
    walk.type_into("field-child_place_of_birth", "Bệnh viện Phụ sản Hà Nội")
    walk.type_into("field-child_hometown", "Hà Nội")
    walk.type_into("field-mother_full_name", "Trần Thị Mẫu")
    walk.type_into("field-mother_date_of_birth", "02/11/2001")
    walk.type_into("field-mother_address", "Số 12 phố Hàng Bài, Hà Nội")
    walk.press_key("hide")
    page.ensureWidgetVisible(walk.find("field-declaration_true"))
    walk.click("field-declaration_true")
    walk.click("form-next")
    walk.on_screen(State.DOCUMENTS)
    screen = window.screens[State.DOCUMENTS]
    walk.wait_until(lambda: screen.preview._image is not None, "the camera preview on the documents screen", 15)


def photograph(walk: ScreenDriver, seconds: float) -> dict[str, Any]:
    """Photograph the birth certificate again and again for ``seconds``: lay it, wait until the kiosk took it,
    take it away, delete it. Returns the captures and the time from laying the page to its thumbnail. A capture
    still waited for when the time is up is not counted."""
    window = walk.window
    screen = window.screens[State.DOCUMENTS]
    sim = window.services.sim_camera
    taken_ms: list[float] = []
    problems: dict[str, int] = {}
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        n = len(taken_ms) + 1
        walk.action = f"capture {n}: the page laid on the tray, waiting for the kiosk to take it"
        laid = time.perf_counter()
        sim.present_document(*DOCUMENT)
        # the phase ends on time, a capture under way or not (the phases are compared over equal lengths)
        walk.wait_until(lambda: len(screen.current_pages()) == 1 or time.perf_counter() > deadline,
                        f"capture {n} to be taken", 30)
        if not screen.current_pages():
            break
        taken_ms.append((time.perf_counter() - laid) * 1000)
        page = screen.current_pages()[0]
        key = ",".join(page.problems) or "none"
        problems[key] = problems.get(key, 0) + 1
        walk.action = f"capture {n}: the page taken away"
        sim.remove_card()
        # the kiosk takes a page by itself once more only after it has seen the tray empty (PageCapture)
        walk.wait_until(lambda: screen.look_problems[:1] == ("no_page",), "the tray to be seen empty", 10)
        walk.click("documents-delete")
        walk.wait_until(lambda: not screen.current_pages(), f"capture {n} to be deleted", 5)
    return {"captures": len(taken_ms), "taken_ms": taken_ms, "problems": problems}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="each phase's length (default 30)")
    parser.add_argument("--screen", default="1920x1080", help="the window's size (default 1920x1080)")
    parser.add_argument("--fps", type=int, help="the camera's frame rate (default: the configuration's, 30)")
    parser.add_argument("--json", nargs="?", const="-", metavar="PATH",
                        help="also write the figures as JSON (to PATH, or after the table without one)")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.screen.lower().split("x"))

    from PySide6.QtWidgets import QApplication

    from kiosk.app.services import KioskSettings
    from kiosk.core.logs import setup_logging
    from kiosk.ui.app import application, build_window, close_window, wait_warmed_up

    app = application()
    with tempfile.TemporaryDirectory(prefix="kiosk-capture-stall-") as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        setup_logging(data_dir)  # the kiosk's log file, as in service (a capture logs a line on the GUI thread)
        camera: dict[str, int] = {"fps": args.fps} if args.fps else {}
        settings = KioskSettings(simulate=True, demo=True, screen_dpi=96.0, camera=camera,
                                 idle_timeout_s=max(90.0, 3 * args.seconds + 120))
        window = build_window(settings, data_dir, prints_dir=Path(tmp) / "prints", autoplay_video=False,
                              start_simulator=True, thanks_ms=600, defer_warm_up=True)
        window.setFixedSize(width, height)
        window.show()
        walk = ScreenDriver(window, Path(tmp) / "out", fast=True)  # the walkthrough's taps, no journeys
        wait_in_loop(50)
        warmed = wait_warmed_up(window)
        # the address converter in its helper process (~15 s of a core after start-up), as the walkthrough waits
        window.runners.wards.call(window.services.wait_ward_suggester, timeout=180)
        walk.on_screen(State.HOME)
        idle(walk, 2.0)
        phases = {name: Phase(name, walk) for name in PHASES}
        with phases["home"]:
            idle(walk, args.seconds)
        walk.start_dossier()
        walk.wait_until(lambda: window.screens[State.IDENTIFY].preview._image is not None, "the camera preview", 15)
        idle(walk, 1.0)
        with phases["identify"]:
            idle(walk, args.seconds)
        to_documents(walk)
        idle(walk, 1.0)
        with phases["documents"]:
            capture = photograph(walk, args.seconds)
        camera_settings = dict(window.services.settings.camera)
        close_window(window)
        window.deleteLater()
        QApplication.processEvents()
    del app

    rows = [phases[name].result() for name in PHASES]
    rows[2].update(captures=capture["captures"],
                   captures_per_minute=round(capture["captures"] * 60 / phases["documents"].seconds, 1),
                   taken_ms_median=round(statistics.median(capture["taken_ms"])) if capture["taken_ms"] else None,
                   taken_ms_max=round(max(capture["taken_ms"])) if capture["taken_ms"] else None,
                   problems=capture["problems"])
    print(f"# capture_stall: {args.screen}, {args.seconds:g} s a phase, camera {camera_settings['fps']} fps "
          f"(decode every {camera_settings['decode_every_nth']}), warmed up: {warmed}; Python "
          f"{platform.python_version()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f} at the end")
    print()
    print("| phase | seconds | samples | p50 ms | p99 ms | max ms | camera frames/s | captures/min "
          "| CPU cores: kiosk / rest of the machine |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        per_minute = r.get("captures_per_minute", "—")
        print(f"| {r['phase']} | {r['seconds']} | {r['samples']:,} | {r['p50']} | {r['p99']} | {r['max']} "
              f"| {r['camera_fps']} | {per_minute} | {r['cpu_cores_kiosk']} / {r['cpu_cores_others']} |")
    docs = rows[2]
    print(f"\ndocuments: {docs['captures']} captures, page laid -> taken median {docs['taken_ms_median']} ms, "
          f"max {docs['taken_ms_max']} ms; problems {docs['problems']}")
    print("worst stalls per phase; the GUI thread's time in that probe interval: on a CPU / waiting for a CPU / "
          "blocked (GIL, lock, I/O); the host's steal; the kiosk's other threads on a CPU meanwhile")
    for r in rows:
        for worst in r["worst"][:5]:
            print(f"  {r['phase']}: {worst['ms']} ms — {worst['when']}: {split_text(worst['gui_thread_ms'])}")
    if args.json:
        result = {"screen": args.screen, "seconds": args.seconds, "camera": camera_settings, "warmed_up": warmed,
                  "phases": rows}
        text = json.dumps(result, ensure_ascii=False, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
