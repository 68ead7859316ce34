"""The camera bridge: ``device.camera.CameraWorker`` as Qt signals (decoded text, preview frames, status).

The workers are plain Python threads with callbacks (``device`` and ``kiosk.backend`` know nothing of
Qt). Emitting a Qt signal from their thread queues the call into the GUI thread, so slots run where
widgets may be touched and the GUI thread never waits on a camera, a network, a disk or a printer
(DESIGN.md section 5).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

if TYPE_CHECKING:
    import queue

log = logging.getLogger(__name__)


#: The preview is about this wide on a 1080p kiosk. Scaled down and converted to the painter's own pixel
#: format here, on the camera thread, a frame costs the GUI thread a plain copy to the screen; a full
#: 1280x720 BGR frame cost it a conversion and a scale, ~5 ms twelve times a second.
PREVIEW_WIDTH = 800


def frame_to_qimage(frame: Any, max_width: int = PREVIEW_WIDTH) -> QImage:
    """An OpenCV BGR (or grey) frame as a QImage (RGB32, at most ``max_width`` wide) that owns its pixels."""
    import cv2

    height, width = frame.shape[:2]
    if width > max_width:
        height, width = round(height * max_width / width), max_width
        frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
    # Format_RGB32 is 0xffRRGGBB per pixel: in memory (little-endian) B, G, R, 255, which is OpenCV's BGRA
    bgra = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGRA if frame.ndim == 2 else cv2.COLOR_BGR2BGRA)
    return QImage(bgra.data, width, height, bgra.strides[0], QImage.Format.Format_RGB32).copy()


class _NoDecoding:
    """The decoder while documents are photographed: nothing is read (a QR on a birth certificate is not a card)."""

    def feed(self, _frame: Any, _accept: Any = None, cancelled: Any = None) -> None:
        return None


NO_DECODING = _NoDecoding()


class CameraBridge(QObject):
    """Runs ``device.camera.CameraWorker`` and turns its callbacks into signals."""

    sig_decoded = Signal(str)
    """A QR code was decoded (the text)."""
    sig_frame = Signal(QImage)
    """A preview frame, already converted off the GUI thread and thinned to ``preview_fps``."""
    sig_status = Signal(str, dict)
    """The camera's status changed: (code, message {vi, en})."""
    sig_page = Signal(dict)
    """Photographing documents: the page on the tray (corners as fractions of the frame, problems, steady)."""
    sig_captured = Signal(object, QImage)
    """Photographing documents: a page was taken (kiosk.app.documents.CapturedPage, its thumbnail)."""
    sig_capture_failed = Signal(dict)
    """Photographing documents: a capture failed ({vi, en}, what to do)."""

    def __init__(self, camera_factory: Callable[[], Any], every_nth: int = 2, preview_fps: float = 12.0,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._camera_factory = camera_factory
        self._every_nth = every_nth
        self._preview_interval = 1.0 / preview_fps
        self._last_preview = 0.0
        self._frame_watchers = 0  # screens showing the preview; without one, frames are not converted
        self._worker: Any = None
        self._camera: Any = None
        self._decoder: Any = None
        self._capture: Any = None  # kiosk.app.documents.PageCapture while documents are photographed
        self._command_queue: queue.Queue | None = None  # made at the first start: `queue` is not start-up's
        self._control: threading.Thread | None = None
        self.running = False
        self.frames_seen = 0  # every captured frame, before thinning (maintenance shows the capture rate)
        self.status = "idle"  # the last status code (the heartbeat reports it)

    @property
    def camera(self) -> Any:
        if self._camera is None:
            self._camera = self._camera_factory()
        return self._camera

    @property
    def decoder(self) -> Any:
        """One QR pipeline for the kiosk's life (building one loads the decoders: not per screen)."""
        if self._decoder is None:
            from kiosk.app.devices import qr_pipeline

            self._decoder = qr_pipeline(self._every_nth)
        return self._decoder

    def subscribe(self, on_decoded: Callable | None = None, on_frame: Callable | None = None,
                  on_status: Callable | None = None) -> Callable[[], None]:
        """Connect a screen's slots while it is shown; returns the function that disconnects them again."""
        links = [(sig, slot) for sig, slot in ((self.sig_decoded, on_decoded), (self.sig_frame, on_frame),
                                               (self.sig_status, on_status)) if slot is not None]
        for sig, slot in links:
            sig.connect(slot)
        if on_frame is not None:
            self._frame_watchers += 1

        def unsubscribe() -> None:
            if on_frame is not None and links:  # links is emptied below: a second call changes nothing
                self._frame_watchers -= 1
            for sig, slot in links:
                try:
                    sig.disconnect(slot)
                except (RuntimeError, TypeError):  # already gone (window closing)
                    pass
            links.clear()

        return unsubscribe

    def start(self, accept: Callable[[str], bool] | None = None, capture: Any = None) -> None:
        """Start reading (a previous worker is stopped first, on the control thread, never here).

        ``capture`` (kiosk.app.documents.PageCapture): photograph documents instead of reading QR codes; the
        frames go to it on the camera thread, its findings come back as ``sig_page``/``sig_captured``."""
        self._last_preview = 0.0
        self.running = True
        self._commands().put(("start", (accept, capture)))
        self._ensure_control()

    def stop(self) -> None:
        self.running = False
        self._commands().put(("stop", None))
        self._ensure_control()

    def shutdown(self) -> None:
        self.running = False
        self._commands().put(("quit", None))
        self._ensure_control()

    def _commands(self) -> queue.Queue:
        if self._command_queue is None:
            import queue

            self._command_queue = queue.Queue()
        return self._command_queue

    def _ensure_control(self) -> None:
        if self._control is None or not self._control.is_alive():
            self._control = threading.Thread(target=self._control_loop, name="kiosk-camera-control", daemon=True)
            self._control.start()

    def _control_loop(self) -> None:
        """Serialise starts and stops: the old worker has released the camera before a new one opens it."""
        from kiosk.app.devices import camera_worker

        while True:
            commands = self._commands()
            command, wish = commands.get()
            # only the latest wish counts when several are queued
            while not commands.empty():
                command, wish = commands.get_nowait()
            accept, capture = wish or (None, None)
            worker, self._worker = self._worker, None
            if worker is not None:
                worker.stop()
            if command == "quit":
                return
            if command == "start":
                try:
                    self._capture = capture
                    decoder = self.decoder if capture is None else NO_DECODING
                    self._worker = camera_worker(self.camera, decoder, on_decoded=self._on_worker_decoded,
                                                 on_frame=self._on_worker_frame, on_status=self._on_worker_status,
                                                 accept=accept)
                    self._worker.start()
                except Exception as err:  # no camera: the screens offer typing instead
                    log.error("camera could not start: %r", err)
                    self._on_worker_status("unavailable", {
                        "vi": "Camera không hoạt động: vui lòng nhập bằng bàn phím.",
                        "en": "The camera is not working: please type instead."})

    def _on_worker_decoded(self, text: str) -> None:
        self.sig_decoded.emit(text)

    def _on_worker_frame(self, frame: Any) -> None:
        self.frames_seen += 1
        capture = self._capture
        if capture is not None:
            self._feed_capture(capture, frame)
            return  # its previews go with the page's outline (below), so both show the same moment
        if not self._frame_watchers:  # the procedure list reads QR codes but shows no preview
            return
        now = time.monotonic()
        if now - self._last_preview < self._preview_interval:
            return
        self._last_preview = now
        self.sig_frame.emit(frame_to_qimage(frame))

    def _feed_capture(self, capture: Any, frame: Any) -> None:
        """On the camera thread: the page followed, and a capture taken (a still, straightened, encoded) when due.
        A capture pauses the preview for a moment; the GUI thread only receives the result."""
        try:
            look, page, error = capture.feed(frame, self.camera)
        except Exception:  # a bug in the image work must not stop the camera (the citizen can still go on)
            log.exception("document capture failed")
            return
        now = time.monotonic()
        if look is not None and (page is not None or now - self._last_preview >= self._preview_interval):
            self._last_preview = now
            if self._frame_watchers:
                self.sig_frame.emit(frame_to_qimage(frame))  # the very frame the outline was found in
            self.sig_page.emit(look)
        if page is not None:
            self.sig_captured.emit(page, frame_to_qimage(page.thumbnail, page.thumbnail.shape[1]))
        if error is not None:
            self.sig_capture_failed.emit(error)

    def _on_worker_status(self, code: str, message: dict | None = None) -> None:
        self.status = code
        self.sig_status.emit(code, dict(message or {}))
