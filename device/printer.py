"""The receipt/ticket printer: one interface, a CUPS implementation and (in device.sim) a simulated one.

Printing goes through CUPS with the command-line clients (``lp``, ``lpstat``, ``cancel``) rather than
pycups: they are in every CUPS install, need no compiler, and their C-locale output is stable. Each
failure comes back as a :class:`PrinterError` with a code the UI can explain in Vietnamese and English.
A :class:`PrintWorker` is the single serial executor for the printer (Anki's taskman pattern): jobs
run one at a time, off the GUI thread, and every submitted job is answered exactly once, with its path,
whether it printed or not, so nothing is silently lost.

Nothing here imports ``kiosk`` or Qt: the UI wraps the callbacks into Qt signals.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import shutil
import subprocess
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

log = logging.getLogger(__name__)

#: The roll's default media when a document does not say its own height (80 mm roll, 200 mm cut).
DEFAULT_MEDIA = "Custom.80x200mm"
ERROR_CODES = frozenset({"paper_out", "offline", "not_found", "job_failed"})

#: What the printer did, and only that: the kiosk says what failed (a ticket, a receipt) and what still holds
#: (a dossier is saved, a number stays valid) around it, since only it knows which document this was.
MESSAGES: dict[str, dict[str, str]] = {
    "paper_out": {"vi": "Máy in đã hết giấy.", "en": "The printer is out of paper."},
    "offline": {"vi": "Máy in đang không hoạt động.", "en": "The printer is not working right now."},
    "not_found": {
        "vi": "Không tìm thấy máy in của kiosk. Vui lòng báo cán bộ kiểm tra cài đặt máy in.",
        "en": "The kiosk's printer could not be found. Please ask an officer to check the printer set-up.",
    },
    "job_failed": {"vi": "Máy in không in được tài liệu này.", "en": "The printer could not print this document."},
}

STATUS_MESSAGES: dict[str, dict[str, str]] = {
    "ready": {"vi": "Máy in sẵn sàng.", "en": "The printer is ready."},
    "printing": {"vi": "Máy in đang in.", "en": "The printer is printing."},
    "paper_low": {"vi": "Máy in sắp hết giấy.", "en": "The printer is running low on paper."},
    **{code: MESSAGES[code] for code in ("paper_out", "offline", "not_found")},
}

# printer-state-reasons (RFC 8011 / PWG 5100.9) -> our codes; "-error"/"-warning"/"-report" suffixes stripped.
_REASONS_PAPER_OUT = {"media-empty", "media-needed", "input-tray-missing"}
_REASONS_OFFLINE = {"offline", "shutdown", "paused", "stopped", "door-open", "cover-open", "media-jam",
                    "marker-supply-empty", "other"}
_REASONS_PAPER_LOW = {"media-low"}


class PrinterError(Exception):
    """A print failure the UI can explain: ``code`` in :data:`ERROR_CODES`, ``message`` {vi, en}.

    ``path`` and ``media`` say which document failed, so the caller can offer to print it again.
    """

    def __init__(self, code: str, message: dict[str, str] | None = None, *, detail: str = "",
                 path: Path | None = None, media: str | None = None) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown printer error code {code!r}")
        self.code = code
        self.message = dict(message or MESSAGES[code])
        self.detail = detail  # technical detail for the log, never shown to the citizen
        self.path = path
        self.media = media
        super().__init__(f"{code}: {detail or self.message['en']}")


@dataclass(frozen=True)
class PrintJobResult:
    """A job the printer finished."""

    path: Path
    media: str
    job_id: str
    printer: str
    #: the copy the printer kept of the document (the simulated printer's spool), if any
    spooled: Path | None = None


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer reports: ``state`` in {ready, printing, paper_out, offline, not_found}.

    ``paper`` is "ok", "low", "out" or "unknown"; ``paper_left`` counts documents where known (simulator).
    """

    state: str
    paper: str = "unknown"
    message: dict[str, str] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()
    paper_left: int | None = None

    @property
    def ok(self) -> bool:
        return self.state in ("ready", "printing")


class Printer(ABC):
    """A printer the kiosk can send PDF documents to."""

    name: str = "printer"

    @abstractmethod
    def print_pdf(self, path: Path, media: str | None = None) -> PrintJobResult:
        """Print ``path`` and return when the printer has finished it; raise :class:`PrinterError`."""

    @abstractmethod
    def status(self) -> PrinterStatus:
        """The printer's current state (cheap enough to poll every few seconds off the GUI thread)."""


# --- CUPS -----------------------------------------------------------------------------------------

def parse_lpstat_printer(text: str) -> tuple[str, str, tuple[str, ...]]:
    """From ``lpstat -l -p QUEUE`` (C locale): (enabled|disabled, state message, state reasons)."""
    enabled = "disabled" if re.search(r"^printer \S+ disabled", text, re.M) else "enabled"
    reasons: tuple[str, ...] = ()
    match = re.search(r"^\s*Alerts:(.*)$", text, re.M)
    if match:
        reasons = tuple(r for r in match.group(1).split() if r != "none")
    lines = text.splitlines()
    # The state message (e.g. "Filter failed", a disable reason) is the indented line after the header.
    message = lines[1].strip() if len(lines) > 1 and lines[1].startswith("\t") and ":" not in lines[1] \
        else ""
    return enabled, message, reasons


def classify_reasons(reasons: tuple[str, ...]) -> tuple[str | None, str]:
    """Map printer-state-reasons to (blocking error code or None, paper level)."""
    bare = {re.sub(r"-(error|warning|report)$", "", r) for r in reasons}
    if bare & _REASONS_PAPER_OUT:
        return "paper_out", "out"
    if bare & _REASONS_OFFLINE:
        # Warnings (e.g. "cover-open-warning") do not stop printing; errors and reports do.
        blocking = {r for r in reasons if re.sub(r"-(error|report)$", "", r) in _REASONS_OFFLINE
                    and not r.endswith("-warning")}
        if blocking:
            return "offline", "unknown"
    return None, ("low" if bare & _REASONS_PAPER_LOW else "ok")


class CupsPrinter(Printer):
    """A CUPS queue, driven with ``lp``/``lpstat``/``cancel``.

    ``media`` is the default media size for the roll, e.g. "Custom.80x200mm" or a named size from the
    queue's PPD; each print may pass its own (documents know their height). ``server`` sets
    ``CUPS_SERVER`` for these commands only (a private cupsd in tests); None uses the system's.
    """

    def __init__(self, queue: str, media: str | None = DEFAULT_MEDIA, *, server: str | None = None,
                 timeout: float = 60.0, poll_interval: float = 0.2) -> None:
        self.queue = queue
        self.name = f"cups:{queue}"
        self.media = media or DEFAULT_MEDIA
        self.server = server
        self.timeout = timeout
        self.poll_interval = poll_interval
        self._env = dict(os.environ, LC_ALL="C", LANG="C")
        if server:
            self._env["CUPS_SERVER"] = server

    def _run(self, *args: str, timeout: float = 15.0) -> subprocess.CompletedProcess[str]:
        if shutil.which(args[0]) is None:
            raise PrinterError("not_found", detail=f"{args[0]} is not installed (CUPS client tools)")
        try:
            return subprocess.run(args, capture_output=True, text=True, env=self._env, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired as err:
            raise PrinterError("offline", detail=f"{' '.join(args)} timed out") from err

    def _scheduler_running(self) -> bool:
        return self._run("lpstat", "-r").stdout.strip() == "scheduler is running"

    def status(self) -> PrinterStatus:
        try:
            out = self._run("lpstat", "-l", "-p", self.queue)
        except PrinterError as err:
            return PrinterStatus("offline" if err.code == "offline" else "not_found",
                                 message=STATUS_MESSAGES["offline" if err.code == "offline" else "not_found"])
        if out.returncode != 0:
            # lpstat says "Invalid destination" both for an unknown queue and for a scheduler that is down.
            state = "not_found" if self._scheduler_running() else "offline"
            return PrinterStatus(state, message=STATUS_MESSAGES[state])
        enabled, state_message, reasons = parse_lpstat_printer(out.stdout)
        code, paper = classify_reasons(reasons)
        if code:
            return PrinterStatus(code, paper, STATUS_MESSAGES[code], reasons)
        if enabled == "disabled":
            return PrinterStatus("offline", paper, STATUS_MESSAGES["offline"], reasons + ("paused",))
        state = "printing" if re.search(r"^printer \S+ now printing", out.stdout, re.M) else "ready"
        message = STATUS_MESSAGES["paper_low" if paper == "low" else state]
        return PrinterStatus(state, paper, message, reasons)

    def print_pdf(self, path: Path, media: str | None = None) -> PrintJobResult:
        path = Path(path)
        media = media or self.media
        try:
            return self._print(path, media)
        except PrinterError as err:
            err.path, err.media = path, media
            raise

    def _print(self, path: Path, media: str) -> PrintJobResult:
        if not path.is_file():
            raise PrinterError("job_failed", detail=f"no such document: {path}")
        before = self.status()
        if not before.ok:
            code = before.state if before.state in ERROR_CODES else "offline"
            raise PrinterError(code, detail=f"{self.queue} is {before.state} {before.reasons}")
        # fit-to-page keeps a document whose height was rounded to whole millimetres on one label.
        out = self._run("lp", "-d", self.queue, "-t", f"kiosk {path.stem}", "-o", f"media={media}",
                        "-o", "fit-to-page", "--", str(path))
        if out.returncode != 0:
            err = (out.stderr or out.stdout).strip()
            code = "not_found" if "does not exist" in err or "Unknown destination" in err else "job_failed"
            if code == "not_found" and not self._scheduler_running():
                code = "offline"
            raise PrinterError(code, detail=f"lp: {err}")
        match = re.search(r"request id is (\S+)", out.stdout)
        if not match:
            raise PrinterError("job_failed", detail=f"lp gave no job id: {out.stdout!r}")
        job_id = match.group(1)
        self._wait_for(job_id)
        return PrintJobResult(path=path, media=media, job_id=job_id, printer=self.name)

    def _printer_uri(self) -> str:
        server = self.server or os.environ.get("CUPS_SERVER") or (
            "/run/cups/cups.sock" if Path("/run/cups/cups.sock").exists() else "localhost:631")
        host = quote(server, safe="") if server.startswith("/") else server
        return f"ipp://{host}/printers/{quote(self.queue)}"

    def _job_state(self, job_id: str) -> str:
        """The IPP job-state keyword ("pending", "processing", "completed", "aborted", ...).

        ipptool, because lpstat cannot tell a cancelled or aborted job from one still waiting.
        """
        number = job_id.rsplit("-", 1)[-1]
        out = subprocess.run(["ipptool", "-c", "-d", f"job={number}", self._printer_uri(), "/dev/stdin"],
                             input=_GET_JOB_STATE, capture_output=True, text=True, env=self._env,
                             timeout=15, check=False)
        rows = [line for line in out.stdout.splitlines() if line and not line.startswith("job-state")]
        if out.returncode != 0 or not rows:
            return "unknown"
        return rows[-1].split(",", 1)[0]

    def _wait_for(self, job_id: str) -> None:
        """Return when CUPS has completed ``job_id``; raise (and cancel it) if it cannot."""
        if shutil.which("ipptool") is None:
            raise PrinterError("job_failed", detail="ipptool (cups-ipp-utils) is missing: cannot follow the job")
        deadline = time.monotonic() + self.timeout
        while True:
            state = self._job_state(job_id)
            if state == "completed":
                return
            if state in ("canceled", "aborted"):
                raise PrinterError("job_failed", detail=f"{job_id} {state} by CUPS")
            status = self.status()
            if state == "processing-stopped" or status.state in ("paper_out", "offline", "not_found"):
                # Cancel, so a job the UI offers to print again does not also come out later.
                self._run("cancel", job_id)
                code = status.state if status.state in ERROR_CODES else "job_failed"
                raise PrinterError(code, detail=f"{job_id} {state}: {status.reasons}")
            if time.monotonic() > deadline:
                self._run("cancel", job_id)
                raise PrinterError("job_failed", detail=f"{job_id} not finished after {self.timeout:.0f} s")
            time.sleep(self.poll_interval)


_GET_JOB_STATE = """{
  OPERATION Get-Job-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR integer job-id $job
  ATTR keyword requested-attributes job-state
  DISPLAY job-state
}
"""


# --- the serial print worker ----------------------------------------------------------------------

PrintOutcome = PrintJobResult | PrinterError


@dataclass
class _Job:
    path: Path
    media: str | None
    on_done: Callable[[PrintOutcome], None] | None
    status_only: Callable[[PrinterStatus], None] | None = None
    sweep_only: Callable[[list[Path]], None] | None = None


class Retention:
    """Printed files hold personal data: each is deleted ``keep_for_s`` after the printer answered for it
    (the reprint window), and what an earlier run left in ``folders`` is deleted at start-up.

    Only the print worker's thread calls it. ``clock`` (monotonic seconds) is injectable so a test can
    move past the window without waiting."""

    def __init__(self, keep_for_s: float, folders: tuple[Path, ...] | list[Path] = (), *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.keep_for_s = float(keep_for_s)
        self.folders = tuple(Path(f) for f in folders)
        self.clock = clock
        # files written before this run began are an earlier run's; newer ones may be waiting to print
        # (a second's margin: file times come from the kernel's coarser clock)
        self._run_began = time.time() - 1.0
        # keyed by the path's text: a Path is ~10 small objects, and a busy kiosk holds ten minutes of prints
        self._due: dict[str, float] = {}

    def taken(self, *paths: Path | None) -> None:
        """The printer answered for these files: their reprint window starts now. Only files in the
        kiosk's own folders are ever deleted (a document printed from elsewhere is not the kiosk's)."""
        due = self.clock() + self.keep_for_s
        for path in paths:
            if path is not None and Path(path).parent in self.folders:
                self._due[str(path)] = due

    def sweep(self) -> list[Path]:
        """Delete the files whose window is over; the ones deleted."""
        now = self.clock()
        gone = [path for path, due in self._due.items() if due <= now]
        for path in gone:
            del self._due[path]
            _delete(Path(path))
        return [Path(path) for path in gone]

    def clear_earlier_run(self) -> list[Path]:
        """Delete the PDFs an earlier run left in the folders (its reprint windows ended with it)."""
        gone = []
        for folder in self.folders:
            for path in folder.glob("*.pdf"):
                try:
                    if path.stat().st_mtime < self._run_began:
                        _delete(path)
                        gone.append(path)
                except OSError:
                    continue
        return gone


def _delete(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as err:  # the next start-up tries again
        log.warning("could not delete the printed file %s: %s", path.name, err)


class PrintWorker:
    """The one thread that talks to the printer: jobs run in order, one at a time.

    ``submit`` never blocks and never drops a job: ``on_done`` is called (on the worker thread) with a
    :class:`PrintJobResult` or a :class:`PrinterError` carrying the job's path and media, whatever
    happens, including an unexpected exception in the printer code. ``stop`` finishes queued jobs first.

    With a :class:`Retention`, the worker deletes an earlier run's files first, each document (and the
    printer's copy) once its reprint window is over, checking every ``sweep_every_s`` while idle.
    """

    def __init__(self, printer: Printer, name: str = "print-worker", *, retention: Retention | None = None,
                 sweep_every_s: float = 15.0) -> None:
        self.printer = printer
        self.retention = retention
        self.sweep_every_s = sweep_every_s
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = False
        self._lock = threading.Lock()
        self._pending = 0

    def start(self) -> PrintWorker:
        with self._lock:
            if not self._started:
                self._started = True
                self._thread.start()
        return self

    def submit(self, path: Path | str, media: str | None = None,
               on_done: Callable[[PrintOutcome], None] | None = None) -> None:
        with self._lock:
            self._pending += 1
        self._queue.put(_Job(Path(path), media, on_done))
        self.start()

    def request_status(self, on_status: Callable[[PrinterStatus], None]) -> None:
        """Ask the printer's status in turn with the jobs (lpstat must not run on the GUI thread)."""
        self._queue.put(_Job(Path(), None, None, status_only=on_status))
        self.start()

    def request_sweep(self, on_done: Callable[[list[Path]], None] | None = None) -> None:
        """Delete the printed files whose reprint window is over, in turn with the jobs."""
        self._queue.put(_Job(Path(), None, None, sweep_only=on_done or (lambda _gone: None)))
        self.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def pending(self) -> int:
        """Jobs submitted and not yet answered."""
        with self._lock:
            return self._pending

    def stop(self, timeout: float | None = 30.0) -> bool:
        """Finish the queued jobs, then end the thread; True if it ended within ``timeout``."""
        if not self._started:
            return True
        self._queue.put(None)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        if self.retention is not None:
            self._retain(self.retention.clear_earlier_run)
        while True:
            try:
                job = self._queue.get(timeout=self.sweep_every_s if self.retention is not None else None)
            except queue.Empty:
                self._sweep()
                continue
            if job is None:
                return
            if job.status_only is not None:
                self._call(job.status_only, self._status())
                continue
            if job.sweep_only is not None:
                self._call(job.sweep_only, self._sweep())
                continue
            outcome: PrintOutcome
            try:
                outcome = self.printer.print_pdf(job.path, job.media)
            except PrinterError as err:
                err.path = job.path
                if err.media is None:
                    err.media = job.media
                outcome = err
            except Exception as exc:  # a bug must not lose the citizen's job: report it as failed
                log.exception("printer %s crashed on %s", self.printer.name, job.path.name)
                outcome = PrinterError("job_failed", detail=repr(exc), path=job.path, media=job.media)
            if isinstance(outcome, PrinterError):
                log.warning("print of %s failed: %s", job.path.name, outcome)
            if self.retention is not None:
                # a failed job's file too: a retry renders the document again from the outbox
                self.retention.taken(job.path, getattr(outcome, "spooled", None))
                self._sweep()
            with self._lock:
                self._pending -= 1
            if job.on_done is not None:
                self._call(job.on_done, outcome)

    def _sweep(self) -> list[Path]:
        return self._retain(self.retention.sweep) if self.retention is not None else []

    @staticmethod
    def _retain(step: Callable[[], list[Path]]) -> list[Path]:
        try:
            gone = step()
        except Exception:  # the printer must keep printing whatever a folder does
            log.exception("deleting printed files failed")
            return []
        if gone:
            log.info("deleted %d printed file(s) after their reprint window", len(gone))
        return gone

    def _status(self) -> PrinterStatus:
        try:
            return self.printer.status()
        except Exception as exc:
            log.exception("printer %s status failed", self.printer.name)
            return PrinterStatus("offline", message=STATUS_MESSAGES["offline"], reasons=(repr(exc),))

    @staticmethod
    def _call(callback: Callable, value: object) -> None:
        try:
            callback(value)
        except Exception:
            log.exception("print callback failed")
