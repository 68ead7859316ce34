"""The kiosk camera: a small interface, OpenCV capture, and the worker thread that feeds the QR pipeline.

The GUI thread never touches a camera (DESIGN.md section 5). :class:`CameraWorker` is a plain
thread that opens the camera, reads frames, hands every Nth to the QR pipeline and reports through
three callbacks; the UI wraps them into Qt signals. A camera that is unplugged (it will not open,
a read fails, or a read hangs) is reported within a second and reopened until it comes back.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable

import numpy as np

from device.qr import Accept, QrPipeline

log = logging.getLogger(__name__)

STATUS_MESSAGES: dict[str, dict[str, str]] = {
    "ok": {"vi": "Camera sẵn sàng.", "en": "The camera is ready."},
    "unplugged": {
        "vi": "Không kết nối được camera. Vui lòng báo cán bộ hỗ trợ; bạn vẫn có thể nhập thông tin bằng bàn phím.",
        "en": "The camera is not connected. Please ask an officer for help; you can still type your details.",
    },
}


class CameraError(RuntimeError):
    """A camera that cannot deliver frames, with a status code and a message for the citizen."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.message = dict(STATUS_MESSAGES.get(code, STATUS_MESSAGES["unplugged"]))


class Camera(ABC):
    """One camera. ``read`` returns a BGR (or grey) frame or raises :class:`CameraError`."""

    #: Frames per second the worker paces reads at (a real camera paces itself; a simulated one cannot).
    fps: float = 30.0

    @abstractmethod
    def open(self) -> None:
        """Open the device; raise :class:`CameraError` if it is not there."""

    @abstractmethod
    def read(self) -> np.ndarray:
        """The next frame; raise :class:`CameraError` if the device stopped delivering."""

    @abstractmethod
    def close(self) -> None:
        """Release the device; safe to call twice or on a camera that never opened."""


class OpenCvCamera(Camera):
    """A UVC/V4L2 camera through OpenCV's VideoCapture."""

    def __init__(self, index: int = 0, width: int = 1280, height: int = 720, fps: float = 30.0,
                 api_preference: int = 0) -> None:
        self.index = index
        self.api_preference = api_preference  # cv2.CAP_ANY; cv2.CAP_V4L2 to skip the other backends
        self.width = width
        self.height = height
        self.fps = fps
        self._capture = None

    def open(self) -> None:
        import cv2

        # OpenCV warns on stderr at every failed open; the worker retries twice a second and reports
        # the state itself, so only errors are worth OpenCV's own log.
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        capture = cv2.VideoCapture(self.index, self.api_preference)
        if not capture.isOpened():
            capture.release()
            raise CameraError("unplugged", f"camera {self.index} does not open")
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        capture.set(cv2.CAP_PROP_FPS, self.fps)
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # decode the newest frame, not one queued a second ago
        self._capture = capture

    def read(self) -> np.ndarray:
        if self._capture is None:
            raise CameraError("unplugged", f"camera {self.index} is not open")
        ok, frame = self._capture.read()
        if not ok or frame is None:
            raise CameraError("unplugged", f"camera {self.index} delivered no frame")
        return frame

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


def _ignore(*_args) -> None:
    pass


class CameraWorker(threading.Thread):
    """Reads frames, decodes every Nth, reports frames, decoded texts and camera status by callbacks.

    Callbacks run on this worker's threads, never on the GUI thread: the UI turns them into signals.
    ``on_decoded`` fires when a new text is read, and again for the same text only once it has been
    out of sight for ``repeat_after_s`` (a card left lying under the camera is read once).
    """

    def __init__(
        self,
        camera: Camera,
        decoder: QrPipeline | None = None,
        on_decoded: Callable[[str], None] = _ignore,
        on_frame: Callable[[np.ndarray], None] = _ignore,
        on_status: Callable[[str, dict[str, str]], None] = _ignore,
        accept: Accept | None = None,
        every_nth: int = 3,
        retry_s: float = 0.5,
        stall_s: float = 0.6,
        repeat_after_s: float = 3.0,
    ) -> None:
        super().__init__(name="camera-worker", daemon=True)
        self.camera = camera
        self.decoder = decoder or QrPipeline(every_nth=every_nth)
        self.accept = accept
        self.on_decoded = on_decoded
        self.on_frame = on_frame
        self.on_status = on_status
        self.retry_s = retry_s
        self.stall_s = stall_s
        self.repeat_after_s = repeat_after_s
        self.status: str | None = None
        self._stop_event = threading.Event()
        self._status_lock = threading.Lock()
        self._read_since: float | None = None  # when the current read() began; the watchdog checks it
        self._last_text: str | None = None
        self._last_seen = 0.0
        self._watchdog = threading.Thread(target=self._watch, name="camera-watchdog", daemon=True)

    # --- control ------------------------------------------------------------------------------------

    def start(self) -> None:
        super().start()
        self._watchdog.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop reading and release the camera; returns once the worker has ended (or ``timeout``)."""
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout)
        if self._watchdog.is_alive():
            self._watchdog.join(timeout)

    # --- the loop -----------------------------------------------------------------------------------

    def run(self) -> None:
        try:
            while not self._stop_event.is_set():
                if not self._open():
                    self._stop_event.wait(self.retry_s)
                    continue
                self._capture_until_failure()
                self.camera.close()
        finally:
            self.camera.close()

    def _open(self) -> bool:
        try:
            self.camera.open()
        except CameraError as err:
            self._set_status(err.code, err.message)
            return False
        except Exception as err:  # a driver can raise anything; the kiosk must keep running
            log.exception("camera open failed")
            self._set_status("unplugged", dict(STATUS_MESSAGES["unplugged"]), detail=str(err))
            return False
        return True

    def _capture_until_failure(self) -> None:
        period = 1.0 / max(self.camera.fps, 1.0)
        next_due = time.monotonic()
        while not self._stop_event.is_set():
            self._read_since = time.monotonic()
            try:
                frame = self.camera.read()
            except CameraError as err:
                self._set_status(err.code, err.message)
                return
            except Exception as err:
                log.exception("camera read failed")
                self._set_status("unplugged", dict(STATUS_MESSAGES["unplugged"]), detail=str(err))
                return
            finally:
                self._read_since = None
            self._set_status("ok", dict(STATUS_MESSAGES["ok"]))
            self.on_frame(frame)
            self._decode(frame)
            # Pace to the camera's rate: a real camera's read() already waited, a simulated one did not.
            next_due = max(next_due + period, time.monotonic() - period)
            self._stop_event.wait(max(0.0, next_due - time.monotonic()))

    def _decode(self, frame: np.ndarray) -> None:
        try:
            result = self.decoder.feed(frame, self.accept, cancelled=self._stop_event.is_set)
        except Exception:  # a decoder bug must not stop the camera
            log.exception("QR decode failed")
            return
        if result is None:
            return
        now = time.monotonic()
        fresh = result.text != self._last_text or now - self._last_seen > self.repeat_after_s
        self._last_text, self._last_seen = result.text, now
        if fresh:
            self.on_decoded(result.text)

    def _watch(self) -> None:
        # A hung driver blocks read() for many seconds; say so within a second instead of waiting.
        while not self._stop_event.wait(0.2):
            since = self._read_since
            if since is not None and time.monotonic() - since > self.stall_s:
                self._set_status("unplugged", dict(STATUS_MESSAGES["unplugged"]), detail="read() hangs")

    def _set_status(self, code: str, message: dict[str, str], detail: str = "") -> None:
        with self._status_lock:
            if code == self.status:
                return
            self.status = code
        log.info("camera status %s %s", code, detail)
        self.on_status(code, message)
