"""The kiosk's devices as the screens see them: the camera watched while a screen is shown, print jobs with
their callbacks, the printer's last status and failed prints, and the sender's acknowledgements.

One object, built by the window and handed to every screen in its ``ScreenContext``: a screen asks it to
print or to watch the camera, and never reaches the window for either.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from kiosk.ui.bridges.camera import CameraBridge
from kiosk.ui.bridges.printer import PrintBridge
from kiosk.ui.bridges.sender import SenderBridge
from kiosk.ui.printing import KINDS, FailedPrints

if TYPE_CHECKING:
    from kiosk.app.services import Services

log = logging.getLogger("kiosk.ui")

PrintCallback = Callable[[bool, "dict | None"], None]


class Devices(QObject):
    sig_printed = Signal(str, bool)
    """A print job ended: (tag, ok)."""
    sig_printer_status = Signal(object)
    """The printer's last status came back from the print worker (device.printer.PrinterStatus)."""

    #: While a screen or page shows "Print again", the printer is asked this often, so the button enables
    #: by itself once paper is back (a printer does not say when it is refilled).
    PRINTER_POLL_MS = 2000
    #: Acknowledgements kept for the screens that may still ask (the submitting and done screens of the
    #: dossier being filed): a kiosk runs all day, so only the newest few, and none past a session wipe.
    ACKS_KEPT = 64

    def __init__(self, services: Services, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.services = services
        settings = services.settings
        self.camera = CameraBridge(services.camera_factory, every_nth=int(settings.camera["decode_every_nth"]),
                                   parent=self)
        self._camera_wanted = False
        self._capture: Any = None  # kiosk.app.documents.PageCapture while a screen photographs documents
        self.sender = SenderBridge(self)
        self.sender.sig_acknowledged.connect(self._on_acknowledged)
        self.sender.sig_online.connect(self._on_online)
        #: local_ref -> (dossier_code, appointment), the newest ``ACKS_KEPT``
        self.acks: OrderedDict[str, tuple[str, str]] = OrderedDict()
        #: the backend's reachability as the sender last saw it; None until it tried
        self.online: bool | None = None
        self._printer: PrintBridge | None = None
        self._print_callbacks: dict[str, list[PrintCallback]] = {}
        #: the printer's last status from the print worker; None until it first answered
        self.printer_status: Any = None
        #: the last tickets and receipts that failed to print (maintenance lists them, with a reprint)
        self.failed_prints = FailedPrints()
        self._printer_watchers = 0
        self._printer_poll = QTimer(self)
        self._printer_poll.setInterval(self.PRINTER_POLL_MS)
        self._printer_poll.timeout.connect(self.refresh_printer_status)

    # --- attaching the workers (the warm-up) ----------------------------------------------------------
    def attach_printer(self, print_worker: Any) -> None:
        self._printer = PrintBridge(print_worker, self)
        self._printer.sig_printed.connect(self._on_printed)
        self._printer.sig_status.connect(self._on_printer_status)
        self.refresh_printer_status()

    def attach_sender(self) -> None:
        self.services.start_sender(self.sender.on_acknowledged, self.sender.on_rejected, self.sender.on_state)

    # --- the camera -----------------------------------------------------------------------------------
    def start_camera(self) -> None:
        """Start the camera on the next turn of the event loop, so the new screen paints first."""
        self._camera_wanted = True
        QTimer.singleShot(0, self, self._start_camera_now)

    def _start_camera_now(self) -> None:
        if self._camera_wanted and not self.camera.running:
            self.camera.start(capture=self._capture)

    def stop_camera(self) -> None:
        self._camera_wanted = False
        self.camera.stop()

    def watch_camera(self, on_decoded: Callable[[str], Any], on_frame: Callable | None = None,
                     on_status: Callable | None = None) -> Callable[[], None]:
        """The camera on while a screen is shown, its reads (and preview frames, status) to the screen's slots;
        returns what the screen calls when it leaves: the slots cut and the camera stopped."""
        unsubscribe = self.camera.subscribe(on_decoded, on_frame, on_status)
        self.start_camera()

        def unwatch() -> None:
            unsubscribe()
            self.stop_camera()

        return unwatch

    def watch_pages(self, capture: Any, on_look: Callable[[dict], Any], on_captured: Callable[[Any, Any], Any],
                    on_failed: Callable[[dict], Any], on_frame: Callable | None = None,
                    on_status: Callable | None = None) -> Callable[[], None]:
        """The camera on to photograph documents with ``capture`` (kiosk.app.documents.PageCapture) while a
        screen is shown; returns what the screen calls when it leaves. Another ``capture`` (the next document)
        restarts the camera's worker with it."""
        camera = self.camera
        links = [(camera.sig_page, on_look), (camera.sig_captured, on_captured),
                 (camera.sig_capture_failed, on_failed)]
        for sig, slot in links:
            sig.connect(slot)
        unsubscribe = camera.subscribe(None, on_frame, on_status)
        self._capture = capture
        if camera.running:
            camera.stop()
        self.start_camera()

        def unwatch() -> None:
            for sig, slot in links:
                try:
                    sig.disconnect(slot)
                except (RuntimeError, TypeError):
                    pass
            links.clear()
            unsubscribe()
            self._capture = None
            self.stop_camera()

        return unwatch

    # --- printing -------------------------------------------------------------------------------------
    def print_document(self, tag: str, path: Any, callback: PrintCallback, media: str | None = None) -> None:
        key = f"{tag}:{path}"
        if self._printer is None:
            callback(False, {"vi": "chưa kết nối máy in", "en": "no printer attached"})
            self.sig_printed.emit(tag, False)
            return
        self._print_callbacks.setdefault(key, []).append(callback)
        try:
            self._printer.submit(key, path, media)
        except Exception as err:
            log.error("print job refused: %r", err)
            self._on_printed(key, err)

    def _on_printed(self, key: str, outcome: Any) -> None:
        ok = not isinstance(outcome, BaseException) and getattr(outcome, "ok", True) is not False
        message = getattr(outcome, "message", None) if not ok else None
        if not ok:
            log.warning("print failed: %s", getattr(outcome, "code", outcome))
        tag = key.split(":", 1)[0]
        path = getattr(outcome, "path", None)
        if path is not None and ok:
            self.failed_prints.discard(path)
        elif path is not None and tag in KINDS:
            self.failed_prints.add(tag, path, getattr(outcome, "media", None), getattr(outcome, "code", ""))
        if not ok:
            self.refresh_printer_status()  # what went wrong, for the screens' "Print again"
        for callback in self._print_callbacks.pop(key, []):
            callback(ok, message if isinstance(message, dict) else None)
        self.sig_printed.emit(tag, ok)

    def refresh_printer_status(self) -> None:
        """Ask the print worker for the printer's status; the answer comes as ``sig_printer_status``."""
        if self._printer is not None:
            self._printer.request_status()

    def watch_printer(self) -> Callable[[], None]:
        """Keep the printer's status fresh while a "Print again" is shown; returns what stops it."""
        self._printer_watchers += 1
        self._printer_poll.start()
        self.refresh_printer_status()
        done = False

        def unwatch() -> None:
            nonlocal done
            if not done:
                done = True
                self._printer_watchers -= 1
                if self._printer_watchers <= 0:
                    self._printer_poll.stop()

        return unwatch

    def _on_printer_status(self, status: Any) -> None:
        self.printer_status = status
        self.sig_printer_status.emit(status)

    # --- the sender -----------------------------------------------------------------------------------
    def _on_acknowledged(self, local_ref: str, dossier_code: str, appointment: str) -> None:
        self.acks[local_ref] = (dossier_code, appointment)
        while len(self.acks) > self.ACKS_KEPT:
            self.acks.popitem(last=False)

    def _on_online(self, online: bool) -> None:
        self.online = online

    # --- the session ends, the kiosk closes -----------------------------------------------------------
    def forget(self) -> None:
        """The session was wiped: the camera off, no acknowledgement kept for a screen to show."""
        self.stop_camera()
        self.acks.clear()

    def shutdown(self) -> None:
        self._printer_poll.stop()
        self.camera.shutdown()
