"""What the screens use of the rest of the kiosk: the catalogue, devices, outbox, sender and backend.

Nothing here touches Qt. This is where one run's parts are wired together; the use cases themselves live
beside it (tickets, dossiers, lookup, feedback, heartbeat, wards, storage). The blocking calls
(``issue_ticket``, ``commit``, ``render_*``, ``lookup``, ``send_feedback``) are meant for the window's
worker runners, never for the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.app import dossiers, wards
from kiosk.app.prints import PrintFiles
from kiosk.app.settings import KioskSettings
from kiosk.app.storage import storage_problem
from kiosk.app.tickets import TicketInfo, Tickets
from kiosk.core import clock

if TYPE_CHECKING:  # the catalogue (jsonschema), the ward list, the devices and the backend load later
    from device.camera import Camera
    from device.printer import Printer, PrintWorker
    from kiosk.app.payment import PaymentOrder, PaymentState
    from kiosk.backend.client import BackendClient
    from kiosk.backend.outbox import Outbox, OutboxItem
    from kiosk.backend.sender import Sender
    from kiosk.backend.sim import SimulatorHandle
    from kiosk.backend.tickets import TicketIssuer
    from kiosk.core import forms
    from kiosk.core.documents import ReceiptFee, RenderedDocument
    from kiosk.core.dossier import Dossier
    from kiosk.core.wards import WardInfo

__all__ = ["OTHER_AREA", "KioskSettings", "Services"]

log = logging.getLogger(__name__)

OTHER_AREA = {"id": "khac", "vi": "Lĩnh vực khác", "en": "Other services"}


def camera_options(cam: Any) -> dict[str, Any]:
    """``make_camera``'s options from the ``[camera]`` settings (the kiosk, ``kiosk doctor``)."""
    return {"index": int(cam["index"]), "width": int(cam["width"]), "height": int(cam["height"]),
            "fps": int(cam["fps"]), "source": cam.get("source") or None, "fourcc": cam.get("fourcc") or None,
            "autofocus": int(cam.get("focus", -1)) < 0,
            "focus": float(cam["focus"]) if int(cam.get("focus", -1)) >= 0 else None,
            "exposure": float(cam["exposure"]) if cam.get("exposure") else None}


def printer_options(printer: Any) -> dict[str, Any]:
    """``make_printer``'s options for the real printer from the ``[printer]`` settings."""
    options: dict[str, Any] = {"kind": printer.get("kind", "cups"), "queue": printer["queue"],
                               "address": printer.get("address") or None,
                               "width_dots": int(printer.get("width_dots", 576))}
    if printer.get("media"):
        options["media"] = printer["media"]
    return options


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
        self.sim_camera: Camera | None = None
        self.printer: Printer | None = None
        self.print_worker: PrintWorker | None = None
        self.sender: Sender | None = None
        self.sender_restarts = 0
        self._new_sender: Callable[[], Sender] | None = None
        self.simulator: SimulatorHandle | None = None  # an in-process backend simulator (demo, walkthrough)
        self.escpos_sim: Any = None  # device.sim.escpos.EscposSimulator behind the printer (sim_printer "escpos")
        self._outboxes = dossiers.ThreadOutboxes(self.data_dir)
        self._sender_lock = threading.Lock()
        self._prints = PrintFiles(self.prints_dir)
        self._tickets = Tickets(self.data_dir, settings.kiosk_id, self._prints)
        self._client_local = threading.local()
        self._wards = wards.WardSuggester()
        self._ward_display: str | None = None

    # --- identity of this kiosk -----------------------------------------------------------------
    @property
    def ward_code(self) -> str:
        return self.settings.ward_code

    @property
    def ward(self) -> WardInfo | None:
        from kiosk.core import wards as ward_list

        return ward_list.ward_by_code(self.settings.ward_code)

    @property
    def ward_display(self) -> str:
        """"Phường Cửa Nam, Thành phố Hà Nội" for the home screen (:func:`kiosk.app.wards.ward_display`)."""
        if not self.settings.ward_code:  # `kiosk run` not set up yet (the setup screen says so)
            return wards.NO_WARD
        if self._ward_display is None:
            self._ward_display = wards.ward_display(self.settings.ward_code)
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
    def area_key(area: dict[str, str]) -> str:
        from kiosk.core.wards import fold

        return area.get("id") or fold(area.get("vi", "")).replace(" ", "-")[:32] or OTHER_AREA["id"]

    def service_areas(self) -> list[dict[str, str]]:
        seen: dict[str, dict[str, str]] = {}
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
    def camera_factory(self) -> Camera:
        from device.factory import make_camera

        camera = make_camera(self.settings.simulate, **camera_options(self.settings.camera))
        if self.settings.simulate:
            self.sim_camera = camera
        return camera

    def start_printer(self) -> PrintWorker:
        from device.factory import make_printer
        from device.printer import PrintWorker, Retention
        from device.sim.printer import DEMO_SPOOL

        printer_cfg = self.settings.printer
        folders = [self.prints_dir]
        if self.settings.simulate and self.settings.sim_printer == "escpos":
            # the real ESC/POS driver, talking to the protocol simulator: its jobs are PNGs of what printed
            from device.sim.escpos import DEMO_JOBS, EscposSimulator

            jobs = self.data_dir / DEMO_JOBS
            folders.append(jobs)
            self.escpos_sim = EscposSimulator(jobs, width_dots=int(printer_cfg["width_dots"])).start()
            self.printer = make_printer(simulate=False, kind="escpos", address=self.escpos_sim.address,
                                        width_dots=int(printer_cfg["width_dots"]))
        elif self.settings.simulate:
            spool = self.data_dir / DEMO_SPOOL
            folders.append(spool)
            self.printer = make_printer(simulate=True, spool_dir=spool)
        else:
            self.printer = make_printer(simulate=False, **printer_options(printer_cfg))
        # receipts and tickets carry personal data: kept only for a reprint, then deleted
        retention = Retention(float(printer_cfg["keep_for_reprint_s"]), folders)
        self.print_worker = worker = PrintWorker(self.printer, retention=retention)
        start = getattr(worker, "start", None)
        if start is not None and not getattr(worker, "is_alive", lambda: True)():
            start()
        return worker

    # --- backend --------------------------------------------------------------------------------
    @property
    def backend_url(self) -> str:
        return self.simulator.url if self.simulator is not None else self.settings.backend_url

    @property
    def has_backend(self) -> bool:
        """Whether dossiers saved here are ever sent on: what the screens and the receipt may promise."""
        return bool(self.backend_url)

    def make_client(self) -> BackendClient:
        from kiosk.backend.client import BackendClient

        self.check_link()
        cert: str | tuple[str, str] | None = self.settings.client_cert or None
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

    def _client(self) -> BackendClient | None:
        """One client per worker thread (httpx clients are not shared between threads here)."""
        from kiosk.core.config import ConfigError

        client: BackendClient | None = getattr(self._client_local, "client", None)
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

    def outbox(self) -> Outbox:
        """This thread's outbox connection (the outbox is one instance per thread)."""
        return self._outboxes.get()

    def forget_outbox(self) -> None:
        """Close this thread's outbox connection; the next use opens the outbox again."""
        self._outboxes.forget()

    def start_sender(self, on_acknowledged: Callable[[str, str, str | None], None],
                     on_rejected: Callable[[str, int | None, dict[str, str]], None],
                     on_state: Callable[[bool], None]) -> Sender | None:
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
        self.sender = sender = new_sender()
        sender.start()
        return sender

    def sender_health(self) -> dict[str, Any] | None:
        """The sender's liveness for diagnostics and the heartbeat (any thread).

        The sender survives every error of its own; should its thread end all the same, it is started
        again here (the heartbeat asks every few minutes), counted in ``restarts``."""
        sender = self.sender
        if sender is None:
            return None
        with self._sender_lock:
            if not sender.is_alive() and not sender.stopping and self._new_sender is not None:
                log.error("the outbox sender had ended (%r); starting it again", sender.last_error)
                self.sender_restarts += 1
                sender = self.sender = self._new_sender()
                sender.start()
        return {**sender.health(), "restarts": self.sender_restarts}

    # --- ward suggestion, in its own process (kiosk.app.wards) ----------------------------------
    def start_ward_suggester(self) -> None:
        """Load the old-address converter in a helper process, now (:meth:`WardSuggester.start`)."""
        self._wards.start()

    def wait_ward_suggester(self) -> bool:
        """Block until the helper process has loaded its tables (worker threads only); False if it is gone."""
        return self._wards.wait()

    def suggest_ward(self, address: str) -> WardInfo | None:
        """The 2025 ward of an address (worker threads only: waits for the helper process)."""
        return self._wards.suggest(address)

    # --- blocking operations (worker threads only) -----------------------------------------------
    def issue_ticket(self, area: dict[str, str], priority: str) -> TicketInfo:
        """Ask the backend for a number; the kiosk-local "L" range when it cannot give one."""
        return self._tickets.issue(self.area_key(area), area, priority, self._client(), self.ward_display_short)

    def _ticket_issuer(self) -> TicketIssuer:
        return self._tickets.issuer()

    def render_ticket(self, ticket: TicketInfo) -> RenderedDocument:
        return self._tickets.render(ticket, self.ward_display_short)

    def commit(self, dossier: Dossier) -> OutboxItem:
        """Commit a dossier to the outbox (fsync'd) — always before its receipt prints."""
        return dossiers.commit(self._outboxes, dossier, self.sender)

    def acknowledged(self, local_ref: str) -> OutboxItem | None:
        return dossiers.acknowledged(self.outbox(), local_ref)

    def render_receipt(self, proc: forms.Procedure, applicant_name: str, phone: str, address: str,
                       ward_code: str, local_ref: str, dossier_code: str | None,
                       appointment_date: str | None, fee: ReceiptFee | None = None,
                       electronic: dict[int, int] | None = None) -> RenderedDocument:
        """The rendered receipt (path and media); ``fee`` None when the procedure costs nothing; ``electronic``
        {document index: pages} photographed at the kiosk."""
        from kiosk.core import wards as ward_list

        return dossiers.render_receipt(
            self._prints, proc, applicant_name=applicant_name, phone=phone, address=address,
            ward=ward_list.ward_by_code(ward_code) or self.ward, ward_code=ward_code, local_ref=local_ref,
            dossier_code=dossier_code, appointment_date=appointment_date, kiosk_id=self.settings.kiosk_id,
            has_backend=self.has_backend, fee=fee, electronic=electronic)

    # --- the fee, paid by VietQR (kiosk.app.payment) --------------------------------------------------
    def request_payment(self, dossier_code: str, amount_vnd: int) -> PaymentOrder:
        """What to pay for an acknowledged dossier (worker threads only); PaymentRefused when the kiosk
        cannot take it (no backend, an answer off the contract), BackendError when the link fails."""
        from kiosk.app import payment

        client = self._client()
        if client is None:
            raise payment.PaymentRefused("no backend", payment.TO_THE_COUNTER)
        return payment.request_payment(client, dossier_code, self.settings.kiosk_id, amount_vnd)

    def payment_state(self, reference: str) -> PaymentState:
        """Where a payment stands (worker threads only)."""
        from kiosk.app import payment

        client = self._client()
        if client is None:
            raise payment.PaymentRefused("no backend", payment.TO_THE_COUNTER)
        return payment.payment_state(client, reference)

    def lookup(self, code: str) -> dict[str, Any] | None:
        """Status of a dossier by its official code or, before synchronisation, its local reference
        (:func:`kiosk.app.lookup.lookup`)."""
        from kiosk.app import lookup  # the use cases a citizen reaches later: not before the home screen

        return lookup.lookup(code, outbox=self.outbox, client=self._client, catalogue=lambda: self.catalogue,
                             has_backend=self.has_backend)

    def send_feedback(self, feedback: dict[str, Any]) -> dict[str, Any] | None:
        client = self._client()
        if client is None:
            return None
        from kiosk.app.feedback import feedback_body

        return client.send_feedback(feedback_body(feedback, self.settings.kiosk_id))

    def heartbeat(self, devices: dict[str, str] | None = None) -> dict[str, Any] | None:
        """Tell the province this kiosk is alive, with its outbox backlog (worker threads only)."""
        client = self._client()
        if client is None:
            return None
        from kiosk.app import heartbeat

        return client.heartbeat(self.settings.kiosk_id, heartbeat.heartbeat_body(self.outbox, devices))

    def outbox_health(self) -> str:
        """The outbox in one word for the heartbeat (worker threads only): ok, lost:<reason>, unusable."""
        from kiosk.app import heartbeat

        return heartbeat.outbox_health(self.outbox)

    def close(self) -> None:
        self._wards.close()
        if self.sender is not None:
            self.sender.stop(timeout=5)
        stop = getattr(self.print_worker, "stop", None)
        if stop is not None:
            stop()
        self._tickets.close()
        self._outboxes.close_all()
        if self.simulator is not None:
            self.simulator.stop()
        if self.escpos_sim is not None:
            self.escpos_sim.stop()
