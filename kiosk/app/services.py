"""What the screens use of the rest of the kiosk: the catalogue, devices, outbox, sender and backend.

Nothing here touches Qt. The blocking calls (``issue_ticket``, ``commit``, ``render_*``, ``lookup``,
``send_feedback``) are meant for the window's worker runners, never for the GUI thread.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.core import clock
from kiosk.core.samples import SAMPLE_WARD_CODE

if TYPE_CHECKING:  # the catalogue (jsonschema) and the ward list load after the home screen is shown
    from kiosk.core import forms, wards

log = logging.getLogger(__name__)

OTHER_AREA = {"id": "khac", "vi": "Lĩnh vực khác", "en": "Other services"}
STATUS_TEXT = {
    "received": {"vi": "Đã tiếp nhận, đang chờ xử lý", "en": "Received, waiting to be processed"},
    "processing": {"vi": "Đang giải quyết", "en": "Being processed"},
    "ready": {"vi": "Đã có kết quả — mời bạn đến nhận", "en": "Ready — please come and collect it"},
    "returned": {"vi": "Đã trả kết quả", "en": "Result handed over"},
    "withdrawn": {"vi": "Đã rút hồ sơ", "en": "Withdrawn"},
    "pending": {"vi": "Đã lưu trên kiosk, đang chờ đồng bộ", "en": "Saved on the kiosk, waiting to be synchronised"},
    # a kiosk with no backend never synchronises: the officers take the dossier from the receipt
    "recorded": {"vi": "Đã ghi nhận tại kiosk — mang giấy tiếp nhận đến quầy để cán bộ xử lý",
                 "en": "Recorded at the kiosk — bring the receipt to the counter for the officers to process"},
    "rejected": {"vi": "Bị từ chối — vui lòng hỏi cán bộ", "en": "Refused — please ask an officer"},
}


@dataclass
class KioskSettings:
    kiosk_id: str = "KIOSK-01"
    ward_code: str = SAMPLE_WARD_CODE
    idle_timeout_s: float = 90.0
    idle_countdown_s: float = 15.0
    language: str = "vi"
    large_text: bool = False
    high_contrast: bool = False
    screen_dpi: float = 0.0
    simulate: bool = True
    backend_url: str = ""
    backend_token: str = ""
    ca_file: str = ""
    #: backend.allow_plain_http: a clear-text backend off this machine, for a closed test network only
    allow_plain_http: bool = False
    client_cert: str = ""
    client_key: str = ""
    backend_timeout_s: float = 10.0
    #: overall seconds per kind of call (kiosk.backend.client.DEFAULT_DEADLINES' keys), from backend.*_deadline_s
    backend_deadlines: dict[str, float] = field(default_factory=dict)
    heartbeat_interval_s: float = 300.0
    camera: dict[str, Any] = field(default_factory=dict)
    printer: dict[str, Any] = field(default_factory=dict)
    maintenance: dict[str, Any] = field(default_factory=dict)
    #: ``kiosk.timezone``; empty leaves the kiosk's clock as the command set it (walkthrough, tests)
    timezone: str = ""
    #: the TOML file the settings came from (`--config FILE`, $KIOSK_CONFIG or the data dir's): the
    #: maintenance configuration page edits that one
    config_file: str = ""
    #: `kiosk demo` / `kiosk walkthrough`: sample ward and data, marked as a demo on every screen
    demo: bool = False
    #: the configuration keys `kiosk run` still needs (kiosk.core.config.missing_for_run): while any is
    #: missing the kiosk shows the technician's setup screen, never the citizens' home screen
    missing: list[str] = field(default_factory=list)

    @classmethod
    def from_config(cls, config: Any, **overrides: Any) -> KioskSettings:
        k, b = config["kiosk"], config["backend"]
        settings = cls(kiosk_id=k["id"], ward_code=k["ward_code"],
                       idle_timeout_s=k["idle_timeout_s"], idle_countdown_s=k["idle_countdown_s"],
                       language=k["language"], large_text=k["large_text"], high_contrast=k["high_contrast"],
                       screen_dpi=k["screen_dpi"], simulate=k["simulate"], backend_url=b["url"],
                       backend_token=b["token"], ca_file=b["ca_file"], allow_plain_http=b["allow_plain_http"],
                       client_cert=b["client_cert"],
                       client_key=b["client_key"], backend_timeout_s=b["timeout_s"],
                       heartbeat_interval_s=b["heartbeat_interval_s"], timezone=k["timezone"],
                       backend_deadlines={"ticket": b["citizen_deadline_s"], "lookup": b["lookup_deadline_s"],
                                          "submit": b["submit_deadline_s"], "heartbeat": b["heartbeat_deadline_s"],
                                          "feedback": b["heartbeat_deadline_s"]},
                       camera=dict(config["camera"]), printer=dict(config["printer"]),
                       maintenance=dict(config["maintenance"]), config_file=str(config.path or ""))
        for key, value in overrides.items():
            if value is not None:
                setattr(settings, key, value)
        return settings


class Services:
    """The kiosk's parts, wired for one run (real devices, or the simulated ones)."""

    def __init__(self, settings: KioskSettings, data_dir: Path, prints_dir: Path | None = None,
                 catalogue: list[forms.Procedure] | None = None) -> None:
        self.settings = settings
        if settings.timezone:
            clock.configure(settings.timezone)
        self.data_dir = Path(data_dir)
        self.prints_dir = Path(prints_dir) if prints_dir else self.data_dir / "prints"
        #: what makes the data folder unusable (read-only, damaged outbox), bilingual; the home screen shows
        #: it to the technician instead of the citizens' tiles, as it shows a missing configuration
        self.storage_problem: dict[str, str] | None = storage_problem(self.data_dir, self.prints_dir)
        self._catalogue = catalogue
        self._catalogue_lock = threading.Lock()
        self._by_id: dict[str, forms.Procedure] = {}
        self.sim_camera: Any = None
        self.printer: Any = None
        self.print_worker: Any = None
        self.sender: Any = None
        self.sender_restarts = 0
        self._new_sender: Any = None
        self.simulator: Any = None  # an in-process backend simulator (demo, walkthrough)
        self._outboxes: list[Any] = []
        self._outbox_lock = threading.Lock()
        self._local_lock = threading.Lock()
        self._tickets: Any = None
        self._client_local = threading.local()
        self._print_seq = 0
        self._ward_process: Any = None
        self._ward_lock = threading.Lock()
        self._ward_display: str | None = None
        self._ward_ready = False

    # --- identity of this kiosk -----------------------------------------------------------------
    @property
    def ward_code(self) -> str:
        return self.settings.ward_code

    @property
    def ward(self) -> wards.WardInfo | None:
        from kiosk.core import wards

        return wards.ward_by_code(self.settings.ward_code)

    @property
    def ward_display(self) -> str:
        """"Phường Cửa Nam, Thành phố Hà Nội" for the home screen.

        Read from the division list shipped inside vietnam-provinces (JSON, ~10 ms) rather than through
        its Python API, whose import builds a 3,321-member enum (~150 ms) before the first screen."""
        if not self.settings.ward_code:  # `kiosk run` not set up yet (the setup screen says so)
            return "(chưa đặt phường / no ward set)"
        if self._ward_display is None:
            self._ward_display = _ward_display_from_data(self.settings.ward_code)
        if self._ward_display is None:
            ward = self.ward
            self._ward_display = ward.full_name if ward else self.settings.ward_code
        return self._ward_display

    @property
    def ward_display_short(self) -> str:
        ward = self.ward
        return ward.name if ward else self.settings.ward_code

    # --- catalogue ------------------------------------------------------------------------------
    @property
    def catalogue(self) -> list[forms.Procedure]:
        """The procedures, loaded on first use (about half a second of schema checks: the window's
        warm-up loads them on a worker thread after the home screen is shown; a GUI-thread caller
        that comes earlier waits for that load rather than doing it twice)."""
        if self._catalogue is None:
            with self._catalogue_lock:
                if self._catalogue is None:
                    from kiosk.core import forms

                    catalogue = forms.load_catalogue()
                    self._by_id = {p.id: p for p in catalogue}
                    self._catalogue = catalogue
        elif not self._by_id:
            self._by_id = {p.id: p for p in self._catalogue}
        return self._catalogue

    def procedure(self, procedure_id: str | None) -> forms.Procedure:
        self.catalogue  # noqa: B018 - loads it (and the index) on first use
        return self._by_id[procedure_id or ""]

    @staticmethod
    def area_key(area: dict) -> str:
        from kiosk.core.wards import fold

        return area.get("id") or fold(area.get("vi", "")).replace(" ", "-")[:32] or OTHER_AREA["id"]

    def service_areas(self) -> list[dict]:
        seen: dict[str, dict] = {}
        for proc in self.catalogue:
            key = self.area_key(proc.area)
            seen.setdefault(key, {"id": key, "vi": proc.area.get("vi", ""), "en": proc.area.get("en", "")})
        return [*seen.values(), dict(OTHER_AREA)]

    def procedure_for_qr(self, text: str) -> forms.Procedure | None:
        """A procedure QR carries its national code or its id, maybe at the end of a URL."""
        token = text.strip().rstrip("/").rsplit("/", 1)[-1].rsplit("=", 1)[-1]
        for proc in self.catalogue:
            if token in (proc.code, proc.id):
                return proc
        return None

    # --- devices --------------------------------------------------------------------------------
    def camera_factory(self) -> Any:
        from device.factory import make_camera

        cam = self.settings.camera
        camera = make_camera(simulate=self.settings.simulate, index=int(cam.get("index", 0)),
                             width=int(cam.get("width", 1280)), height=int(cam.get("height", 720)),
                             fps=int(cam.get("fps", 30)))
        if self.settings.simulate:
            self.sim_camera = camera
        return camera

    def start_printer(self) -> Any:
        from device.factory import make_printer
        from device.printer import PrintWorker, Retention
        from device.sim.printer import DEMO_SPOOL

        printer_cfg = self.settings.printer
        folders = [self.prints_dir]
        if self.settings.simulate:
            spool = self.data_dir / DEMO_SPOOL
            folders.append(spool)
            self.printer = make_printer(simulate=True, spool_dir=spool)
        else:
            options = {"media": printer_cfg["media"]} if printer_cfg.get("media") else {}
            self.printer = make_printer(simulate=False, queue=printer_cfg.get("queue"), **options)
        # receipts and tickets carry personal data: kept only for a reprint, then deleted
        retention = Retention(float(printer_cfg.get("keep_for_reprint_s", 600)), folders)
        self.print_worker = PrintWorker(self.printer, retention=retention)
        start = getattr(self.print_worker, "start", None)
        if start is not None and not getattr(self.print_worker, "is_alive", lambda: True)():
            start()
        return self.print_worker

    # --- backend --------------------------------------------------------------------------------
    @property
    def backend_url(self) -> str:
        return self.simulator.url if self.simulator is not None else self.settings.backend_url

    @property
    def has_backend(self) -> bool:
        """Whether dossiers saved here are ever sent on: what the screens and the receipt may promise."""
        return bool(self.backend_url)

    def make_client(self) -> Any:
        from kiosk.backend.client import BackendClient

        self.check_link()
        cert: Any = self.settings.client_cert or None
        if cert and self.settings.client_key:
            cert = (self.settings.client_cert, self.settings.client_key)
        return BackendClient(self.backend_url, self.settings.backend_token or "", ca_file=self.settings.ca_file or None,
                             client_cert=cert, timeout=self.settings.backend_timeout_s, max_retries=1,
                             deadlines=self.settings.backend_deadlines)

    def check_link(self) -> None:
        """Raise :class:`~kiosk.core.config.ConfigError` for a link no client may be built for: a clear-text
        backend off this machine (whatever let it into the settings), an unusable CA file."""
        from kiosk.core.config import ConfigError, ca_file_problem, require_safe_backend_url

        require_safe_backend_url(self.backend_url, self.settings.allow_plain_http)
        if self.backend_url.startswith("https") and (problem := ca_file_problem(self.settings.ca_file)):
            raise ConfigError("backend.ca_file", problem["en"])  # a typed refusal, not an ssl traceback

    def _client(self) -> Any:
        """One client per worker thread (httpx clients are not shared between threads here)."""
        from kiosk.core.config import ConfigError

        client = getattr(self._client_local, "client", None)
        if client is None and self.backend_url:
            try:
                client = self._client_local.client = self.make_client()
            except (ConfigError, OSError) as err:  # a bad CA file or URL: this thread works as if offline
                log.error("backend client not built: %s", err)
                return None
        return client

    def warm_up(self) -> None:
        """Create this thread's backend client and outbox connection ahead of the first citizen."""
        self._client()
        self.outbox()

    def warm_up_documents(self) -> None:
        """Fonts for the PDFs and this thread's outbox connection (its encryption) before the first citizen."""
        import tempfile

        self.outbox().status()
        from kiosk.core.documents import TicketDoc, render_ticket

        with tempfile.TemporaryDirectory(dir=self.data_dir) as tmp:
            render_ticket(TicketDoc(ward_name="-", service_area={"vi": "-", "en": "-"}, number="A000",
                                    issued_at=clock.now()), Path(tmp) / "warm-up.pdf")

    def outbox(self) -> Any:
        """This thread's outbox connection (the outbox is one instance per thread)."""
        from kiosk.backend.outbox import Outbox

        box = getattr(self._client_local, "outbox", None)
        if box is None:
            box = self._client_local.outbox = Outbox.in_data_dir(self.data_dir)
            with self._outbox_lock:
                self._outboxes.append(box)
        return box

    def forget_outbox(self) -> None:
        """Close this thread's outbox connection; the next use opens the outbox again."""
        box = getattr(self._client_local, "outbox", None)
        self._client_local.outbox = None
        if box is not None:
            with self._outbox_lock:
                if box in self._outboxes:
                    self._outboxes.remove(box)
            try:
                box.close()
            except Exception as err:  # already broken: the OS frees it
                log.warning("outbox connection not closed cleanly: %r", err)

    def start_sender(self, on_acknowledged: Any, on_rejected: Any, on_state: Any) -> Any:
        if not self.backend_url:
            return None
        from kiosk.backend.outbox import Outbox, OutboxError
        from kiosk.backend.sender import Sender
        from kiosk.core.config import ConfigError

        try:
            self.check_link()  # else the sender's first client would end its thread with a traceback
        except ConfigError as err:
            log.error("the sender is not started: %s (kiosk config --check, kiosk doctor)", err)
            return None
        try:
            probe = Outbox.in_data_dir(self.data_dir)  # creates the database and key before the sender opens them
        except OutboxError as err:  # read-only, full or damaged: the home screen tells the technician
            log.error("outbox unusable, the sender is not started: %s", err)
            self.storage_problem = self.storage_problem or err.message
            return None
        db, key = probe.db_path, probe.key_path
        probe.close()

        def new_sender() -> Sender:
            return Sender(db, key, self.make_client, on_acknowledged=on_acknowledged,
                          on_rejected=on_rejected, on_state=on_state)

        self._new_sender = new_sender
        self.sender = new_sender()
        self.sender.start()
        return self.sender

    def sender_health(self) -> dict[str, Any] | None:
        """The sender's liveness for diagnostics and the heartbeat (any thread).

        The sender survives every error of its own; should its thread end all the same, it is started
        again here (the heartbeat asks every few minutes), counted in ``restarts``."""
        sender = self.sender
        if sender is None:
            return None
        with self._local_lock:
            if not sender.is_alive() and not sender.stopping and self._new_sender is not None:
                log.error("the outbox sender had ended (%r); starting it again", sender.last_error)
                self.sender_restarts += 1
                sender = self.sender = self._new_sender()
                sender.start()
        return {**sender.health(), "restarts": self.sender_restarts}

    # --- ward suggestion, in its own process ------------------------------------------------------
    def start_ward_suggester(self) -> None:
        """Load the old-address converter in a helper process, now.

        Its tables take seconds to load in pure Python: in a thread of this process that would hold
        the GIL and stall the screen; in a process of its own it only costs a core for a while.
        A frozen build has no separate interpreter to start: there it loads in a thread."""
        import subprocess
        import sys

        if self._ward_process is not None or getattr(sys, "frozen", False):
            return
        # niced: loading the tables must not take the CPU from the screen on a small kiosk PC. The child
        # nices itself: a preexec_fn would make Popen fork this whole process in Python, holding the GIL.
        code = "import os, runpy; os.nice(10); runpy.run_module('kiosk.app.ward_worker', run_name='__main__')"
        self._ward_process = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, encoding="utf-8", bufsize=1)

    def wait_ward_suggester(self) -> bool:
        """Block until the helper process has loaded its tables (worker threads only); False if it is gone."""
        proc = self._ward_process
        if proc is None or proc.poll() is not None:
            return False
        with self._ward_lock:
            if not self._ward_ready:
                self._ward_ready = proc.stdout.readline().strip() == "ready"
        return self._ward_ready

    def suggest_ward(self, address: str) -> wards.WardInfo | None:
        """The 2025 ward of an address (worker threads only: waits for the helper process)."""
        proc = self._ward_process
        if proc is None or proc.poll() is not None:
            from kiosk.core import wards

            return wards.suggest_ward(address)
        with self._ward_lock:
            proc.stdin.write(json.dumps(address, ensure_ascii=False) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            while line.strip() == "ready":
                line = proc.stdout.readline()
        found = json.loads(line) if line.strip() else None
        from kiosk.core import wards

        return wards.ward_by_code(found["code"]) if found else None

    # --- blocking operations (worker threads only) -----------------------------------------------
    def issue_ticket(self, area: dict, priority: str) -> dict:
        """Ask the backend for a number; the kiosk-local "L" range when it cannot give one."""
        is_priority = priority != "none"
        issued = self._ticket_issuer().issue(self.area_key(area), is_priority, client=self._client())
        ticket: dict[str, Any] = {"number": issued.number, "people_ahead": issued.people_ahead,
                                  "offline": issued.offline}
        ticket.update(area={"vi": area.get("vi", ""), "en": area.get("en", "")}, priority=is_priority,
                      issued_at=clock.now())
        rendered = self.render_ticket(ticket)
        ticket["path"], ticket["media"] = str(rendered.path), rendered.media
        return ticket

    def _ticket_issuer(self) -> Any:
        """kiosk.backend.tickets.TicketIssuer: the local range lives in one SQLite file, restart-safe."""
        with self._local_lock:
            if self._tickets is None:
                from kiosk.backend.tickets import TicketIssuer

                self._tickets = TicketIssuer(None, self.data_dir / "tickets.sqlite3", self.settings.kiosk_id)
            return self._tickets

    def _print_path(self, kind: str, name: str) -> Path:
        with self._local_lock:
            self._print_seq += 1
            seq = self._print_seq
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)
        return self.prints_dir / f"{kind}-{safe}-{clock.now():%H%M%S}-{seq:03d}.pdf"

    def render_ticket(self, ticket: dict) -> Any:
        from kiosk.core.documents import TicketDoc, render_ticket

        doc = TicketDoc(ward_name=self.ward_display_short, service_area=ticket["area"], number=ticket["number"],
                        issued_at=ticket["issued_at"], people_ahead=ticket.get("people_ahead"),
                        priority=ticket.get("priority", False), kiosk_id=self.settings.kiosk_id,
                        offline=ticket.get("offline", False))
        return self._render_atomically(render_ticket, doc, self._print_path("ticket", ticket["number"]))

    def commit(self, dossier: Any) -> Any:
        """Commit a dossier to the outbox (fsync'd) — always before its receipt prints."""
        try:
            item = self.outbox().add(dossier)
        except BaseException:
            # A connection that failed (disk full, a damaged file) may stay broken: "Try again" opens the
            # outbox afresh, so a technician's fix (space freed, the file restored) takes effect at once.
            self.forget_outbox()
            raise
        if self.sender is not None:
            self.sender.wake()
        return item

    def acknowledged(self, local_ref: str) -> Any:
        item = self.outbox().get(local_ref)
        return item if item is not None and item.dossier_code else None

    def render_receipt(self, proc: forms.Procedure, applicant_name: str, phone: str, address: str,
                       ward_code: str, local_ref: str, dossier_code: str | None,
                       appointment_date: str | None) -> Any:
        """The rendered receipt (path and media)."""
        from kiosk.core import wards
        from kiosk.core.documents import ReceiptDoc, render_receipt

        ward = wards.ward_by_code(ward_code) or self.ward
        appointment = date.fromisoformat(appointment_date) if appointment_date else None
        doc = ReceiptDoc(unit_name=ward.name if ward else ward_code, procedure_name=dict(proc.name),
                         procedure_code=proc.code, applicant_name=applicant_name,
                         received_at=clock.now(), dossier_code=dossier_code, local_ref=local_ref,
                         offline=not dossier_code, parent_unit=ward.province_name if ward else "", phone=phone,
                         address=address, documents=list(proc.documents), appointment_date=appointment,
                         processing_time=dict(proc.processing_time.get("text") or {}),
                         kiosk_id=self.settings.kiosk_id, has_backend=self.has_backend)
        return self._render_atomically(render_receipt, doc, self._print_path("receipt", dossier_code or local_ref))

    @staticmethod
    def _render_atomically(render: Any, doc: Any, path: Path) -> Any:
        """Render under a temporary name, then rename: a crash never leaves a half-written PDF behind."""
        import dataclasses
        import os

        unfinished = path.with_name(f"unfinished-{path.name}")
        rendered = render(doc, unfinished)
        os.replace(unfinished, path)
        return dataclasses.replace(rendered, path=path)

    def lookup(self, code: str) -> dict | None:
        """Status of a dossier by its official code or, before synchronisation, its local reference.

        Anything else is refused (:class:`~kiosk.backend.client.MalformedCode`) before the outbox or the
        backend sees it."""
        from kiosk.backend.client import MalformedCode
        from kiosk.core.patterns import is_dossier_reference

        code = code.strip()
        if not is_dossier_reference(code):
            raise MalformedCode("not a dossier code or provisional reference")
        record: dict | None = None
        if code.startswith("L-"):
            item = self.outbox().get(code)
            if item is not None and item.dossier_code:
                code = item.dossier_code
            elif item is not None:
                waiting = "pending" if self.has_backend else "recorded"
                return {"code": code, "status": item.state, "status_text": STATUS_TEXT.get(
                    "rejected" if item.state == "rejected" else waiting), "appointment_date": None}
            else:
                client = self._client()
                found = client.find_dossiers(code) if client is not None else []
                if not found:
                    return None
                record = found[0]
        if record is None:
            client = self._client()
            if client is None:
                return None
            record = client.get_dossier(code)
        if record is None:
            return None
        from kiosk.core.forms import procedure_by_code

        proc = procedure_by_code(self.catalogue, str(record.get("procedure_code") or ""))
        status = record.get("status", "received")
        appointment = record.get("appointment_date")
        if appointment:
            from kiosk.core.forms import display_iso_date

            appointment = display_iso_date(appointment)
        return {"code": record.get("dossier_code", code), "status": status,
                "status_text": STATUS_TEXT.get(status, {"vi": status, "en": status}),
                "appointment_date": appointment, "procedure_name": dict(proc.name) if proc else None}

    def send_feedback(self, feedback: dict) -> Any:
        client = self._client()
        if client is None:
            return None
        rating = {"very_satisfied": 5, "satisfied": 4, "unsatisfied": 1}[feedback["rating"]]
        body: dict[str, Any] = {"kiosk_id": self.settings.kiosk_id, "rating": rating}
        if feedback.get("comment"):
            body["comment"] = feedback["comment"]
        code = feedback.get("dossier_code") or ""
        if code and not code.startswith("L-"):
            body["dossier_code"] = code
        return client.send_feedback(body)

    def heartbeat(self, devices: dict[str, str] | None = None) -> Any:
        """Tell the province this kiosk is alive, with its outbox backlog (worker threads only)."""
        from kiosk.backend.outbox import OutboxError
        from kiosk.ui.heartbeat import app_version

        client = self._client()
        if client is None:
            return None
        body: dict[str, Any] = {"sent_at": clock.now().isoformat(timespec="seconds"), "app_version": app_version()}
        try:
            status = self.outbox().status()
        except OutboxError as err:  # the province still hears from the kiosk; devices["outbox"] says why
            log.warning("outbox status for the heartbeat: %s", err)
        else:
            outbox: dict[str, Any] = {"pending": status["undelivered"], "rejected": status.get("rejected", 0)}
            if status["oldest_pending_age_s"] is not None:
                outbox["oldest_pending_age_s"] = status["oldest_pending_age_s"]
            body["outbox"] = outbox
        if devices:
            body["devices"] = {k: str(v)[:64] for k, v in list(devices.items())[:16]}
        return client.heartbeat(self.settings.kiosk_id, body)

    def outbox_health(self) -> str:
        """The outbox in one word for the heartbeat (worker threads only): ok, lost:<reason>, unusable."""
        from kiosk.backend.outbox import OutboxError

        try:
            lost = self.outbox().lost()
        except OutboxError:
            return "unusable"
        return f"lost:{lost['reason']}" if lost else "ok"

    def close(self) -> None:
        if self._ward_process is not None:
            self._ward_process.kill()
            self._ward_process.wait(5)
            self._ward_process = None
        if self.sender is not None:
            self.sender.stop(timeout=5)
        stop = getattr(self.print_worker, "stop", None)
        if stop is not None:
            stop()
        if self._tickets is not None:
            self._tickets.close()
            self._tickets = None
        with self._outbox_lock:
            boxes, self._outboxes = self._outboxes, []
        for box in boxes:
            try:
                box.close()
            except Exception:  # a connection made in another thread: SQLite refuses, the OS frees it at exit
                pass
        if self.simulator is not None:
            self.simulator.stop()


SQLITE_HEADER = b"SQLite format 3\x00"
OUTBOX_DB_NAME = "outbox.sqlite3"  # kiosk.backend.outbox.DB_NAME, without importing it (and Fernet) at start


def storage_problem(data_dir: Path, prints_dir: Path) -> dict[str, str] | None:
    """Whether the kiosk can keep dossiers in ``data_dir``: a cheap look at start-up (the outbox itself opens
    on a worker thread), so a read-only or damaged folder is shown to the technician instead of failing a
    citizen's dossier. Nothing is created but the prints folder, nothing damaged is touched."""
    import os
    import tempfile

    def problem(path: Path, err: BaseException) -> dict[str, str]:
        from kiosk.backend.outbox import storage_error  # cryptography loads only when something is wrong

        return storage_error(path, err).message

    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        prints_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=data_dir)  # EROFS even for root
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        return problem(Path(err.filename) if err.filename else data_dir, err)
    db = data_dir / OUTBOX_DB_NAME
    try:
        with open(db, "rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return None
    except OSError as err:
        return problem(db, err)
    if header and header != SQLITE_HEADER:
        import sqlite3

        return problem(db, sqlite3.DatabaseError("file is not a database"))
    return None


def _ward_display_from_data(code: str) -> str | None:
    """The ward's "name, province" from vietnam-provinces' flat JSON, without importing the package
    (a targeted search of the text: parsing all 3,321 wards would cost more than the rest of the screen)."""
    import importlib.util
    import re

    try:
        spec = importlib.util.find_spec("vietnam_provinces")
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(next(iter(spec.submodule_search_locations))) / "data" / "flat-divisions.json"
        # searched as bytes: decoding the whole 0.6 MB file first would take longer than the search
        pattern = rb'"code":\s*%d,\s*"name":\s*("[^"]*"),\s*"province_name":\s*("[^"]*")' % int(code)
        found = re.search(pattern, path.read_bytes())
        if found:
            return f"{json.loads(found[1])}, {json.loads(found[2])}"
    except (OSError, ValueError):
        log.warning("ward list not readable, falling back to vietnam_provinces")
    return None


def _libc() -> Any:
    import ctypes

    try:
        # the soname, not ctypes.util.find_library("c"): that runs ldconfig in a subprocess (~15 ms at start-up)
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "mallopt") else None  # glibc only
    except OSError:
        return None


def tune_malloc(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas (like MALLOC_ARENA_MAX=2, but set from here so every launcher gets it)
    and fix its mmap threshold.

    Each thread that allocates (camera, decoders, PDF rendering, HTTP, the simulated backend) otherwise
    gets an arena of its own, and freed memory scattered over them is never handed back: the soak saw
    resident memory climb with journeys while Python's own allocations stayed flat."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
        # A fixed mmap threshold: camera frames (2.7 MB), QImages and PDF pages are mapped and unmapped
        # on free. glibc's default raises the threshold after the first such free, and from then on those
        # buffers fragment the heap, which only malloc_trim (blocking every thread's malloc while it walks
        # the heap: 6-26 ms measured) gives back.
        libc.mallopt(-3, 256 * 1024)  # M_MMAP_THRESHOLD

