"""The kiosk camera: a small interface, OpenCV capture, and the worker thread that feeds the QR pipeline.

The GUI thread never touches a camera (DESIGN.md section 5). :class:`CameraWorker` is a plain
thread that opens the camera, reads frames, hands every Nth to the QR pipeline and reports through
three callbacks; the UI wraps them into Qt signals. A camera that is unplugged (it will not open,
a read fails, or a read hangs) is reported within a second and reopened until it comes back.
"""

from __future__ import annotations

import logging
import os
import re
import sys
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

    def still(self) -> np.ndarray:
        """A picture for keeping (a document page), at the camera's best resolution; called from the
        camera's thread like :meth:`read`. By default the next preview frame: a camera that can switch to
        a full-resolution still mode overrides this."""
        return self.read()


_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def source_kind(source: int | str) -> str:
    """What an OpenCV source is: ``"index"`` (0, "0"), ``"device"`` (/dev/video0), ``"stream"``
    (http://, rtsp://, ... any URL but file://) or ``"file"`` (a video file, an image sequence)."""
    if isinstance(source, int):
        return "index"
    if source.strip().isdigit():
        return "index"
    if source.startswith("/dev/"):
        return "device"
    if _URL.match(source) and not source.lower().startswith("file:"):
        return "stream"
    return "file"


def shown_source(source: int | str) -> str:
    """The source for messages and logs, without the password a stream URL may carry."""
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@", r"\1***@", str(source))


def fourcc_text(code: float) -> str:
    """OpenCV's CAP_PROP_FOURCC (a float holding four bytes) as its four characters, e.g. ``"MJPG"``."""
    value = int(code)
    chars = "".join(chr((value >> (8 * i)) & 0xFF) for i in range(4))
    return chars if chars.isprintable() and chars.strip() else ""


class OpenCvCamera(Camera):
    """A camera, a stream or a video file through OpenCV's VideoCapture.

    ``source`` is what ``cv2.VideoCapture`` takes: an index (an int, or a string of digits), a device
    path (``/dev/video0``, opened with V4L2), a stream URL (``http://.../video.mjpg``, ``rtsp://...``,
    opened with FFmpeg) or a video file. ``OpenCvCamera(0, 1280, 720, 30)`` and ``index=`` still work.

    A device (index or path) is asked for, in this order: the FOURCC (``"MJPG"`` by default: most UVC
    cameras fall to a few frames a second in YUYV at 720p; ``None`` keeps the device's own), the size,
    the frame rate, autofocus on, or off at ``focus`` when one is given, and a fixed ``exposure``
    (manual exposure; the value in the backend's units, V4L2: 100 microseconds) when one is given.
    Files and streams have their own format: nothing is asked of them. What was actually granted is
    :attr:`granted`, for diagnostics and the heartbeat.

    Loss: a stream's open and each of its reads give up after ``timeout_ms`` (FFmpeg's
    CAP_PROP_OPEN_TIMEOUT_MSEC / CAP_PROP_READ_TIMEOUT_MSEC), and a V4L2 read after
    ``OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT`` seconds (2 unless set in the environment; OpenCV's own default
    is 10); a read that fails raises :class:`CameraError` ``"unplugged"``. :class:`CameraWorker` reports
    a read that hangs sooner than that (its watchdog), then closes the camera and reopens it twice a
    second until it comes back.

    A video file plays at its own frame rate (:attr:`fps` becomes the file's once opened) and, at its
    end, loops back to the start: a demo or test video of a card in the tray plays as long as needed.
    """

    def __init__(self, source: int | str | None = None, width: int = 1280, height: int = 720, fps: float = 30.0,
                 fourcc: str | None = "MJPG", autofocus: bool = True, focus: float | None = None,
                 exposure: float | None = None, api_preference: int = 0, *, index: int | None = None,
                 timeout_ms: int = 1000) -> None:
        if source is None:
            source = 0 if index is None else index
        elif index is not None:
            raise TypeError("give the camera's source or its index, not both")
        if isinstance(source, str) and source.strip().isdigit():
            source = int(source)
        if fourcc is not None and len(fourcc) != 4:
            raise ValueError(f"a FOURCC is four characters, e.g. MJPG or YUYV: {fourcc!r}")
        self.source: int | str = source if isinstance(source, int) else str(source)
        self.kind = source_kind(self.source)
        self.api_preference = api_preference  # 0 (cv2.CAP_ANY) lets the kind choose; cv2.CAP_V4L2, ... to force one
        self.width = width
        self.height = height
        self.fps = fps
        self.fourcc = fourcc
        self.autofocus = autofocus
        self.focus = focus
        self.exposure = exposure
        self.timeout_ms = timeout_ms
        self._capture = None
        self._granted: dict | None = None
        self._first_frame = False

    @property
    def index(self) -> int | str:
        """The source, under its old name (an index for a device camera)."""
        return self.source

    @property
    def granted(self) -> dict | None:
        """What the source delivers, once opened: ``{"width", "height", "fps", "fourcc", "backend"}``
        (width and height from the first frame read, fourcc as four characters such as ``"MJPG"``,
        backend as OpenCV names it: ``"V4L2"``, ``"FFMPEG"``, ``"MSMF"``); ``None`` before the first open.
        Kept after :meth:`close`: the heartbeat reports the last format."""
        return None if self._granted is None else dict(self._granted)

    def open(self) -> None:
        """Open the source (a no-op when it is open already, so a caller may open it to show
        :attr:`granted` and hand it to the worker); raise :class:`CameraError` if it is not there."""
        if self._capture is not None:
            return
        import cv2

        # OpenCV warns on stderr at every failed open; the worker retries twice a second and reports
        # the state itself, so only errors are worth OpenCV's own log.
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        # A V4L2 read of a camera that stopped waits this many seconds (OpenCV reads it once, at the first
        # wait): 10 by default, during which the worker cannot release and reopen the camera.
        os.environ.setdefault("OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT", "2")
        api, params = self.api_preference, []
        if self.kind == "stream":
            api = api or cv2.CAP_FFMPEG
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, self.timeout_ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, self.timeout_ms]
        elif self.kind == "device" and sys.platform.startswith("linux"):
            api = api or cv2.CAP_V4L2  # FFmpeg would try the path as a file first
        shown = shown_source(self.source)
        try:
            capture = cv2.VideoCapture(self.source, api, params)
        except cv2.error as err:
            raise CameraError("unplugged", f"camera {shown} does not open: {err}") from err
        if not capture.isOpened():
            capture.release()
            raise CameraError("unplugged", f"camera {shown} does not open")
        if self.kind in ("index", "device"):
            self._configure(capture, cv2)
        self._capture = capture
        self._first_frame = True
        self._granted = self._read_granted(capture, cv2)
        if self.kind == "file" and self._granted["fps"] > 0:
            self.fps = self._granted["fps"]
        log.info("camera %s opened: %s", shown, self._granted)

    def _configure(self, capture, cv2) -> None:
        # FOURCC first: the size and rate a UVC camera offers depend on the format.
        if self.fourcc:
            capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*self.fourcc))
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        capture.set(cv2.CAP_PROP_FPS, self.fps)
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # decode the newest frame, not one queued a second ago
        if self.focus is not None:
            capture.set(cv2.CAP_PROP_AUTOFOCUS, 0)
            capture.set(cv2.CAP_PROP_FOCUS, self.focus)
        else:
            capture.set(cv2.CAP_PROP_AUTOFOCUS, 1 if self.autofocus else 0)
        if self.exposure is not None:
            # Manual exposure: V4L2 takes the menu value (1 manual, 3 aperture priority), DirectShow and
            # Media Foundation the historical 0.25 (manual) / 0.75 (auto).
            manual = 1 if capture.getBackendName() == "V4L2" else 0.25
            capture.set(cv2.CAP_PROP_AUTO_EXPOSURE, manual)
            capture.set(cv2.CAP_PROP_EXPOSURE, self.exposure)

    @staticmethod
    def _read_granted(capture, cv2, frame: np.ndarray | None = None) -> dict:
        try:
            backend = capture.getBackendName()
        except cv2.error:
            backend = ""
        if frame is not None:
            height, width = frame.shape[:2]
        else:
            width, height = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        return {"width": int(width), "height": int(height), "fps": round(float(capture.get(cv2.CAP_PROP_FPS)), 2),
                "fourcc": fourcc_text(capture.get(cv2.CAP_PROP_FOURCC)), "backend": backend}

    def read(self) -> np.ndarray:
        capture = self._capture
        shown = shown_source(self.source)
        if capture is None:
            raise CameraError("unplugged", f"camera {shown} is not open")
        ok, frame = capture.read()
        if (not ok or frame is None) and self.kind == "file":
            # The end of a video file: play it again from the start (see the class's docstring).
            import cv2

            capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = capture.read()
        if not ok or frame is None:
            raise CameraError("unplugged", f"camera {shown} delivered no frame")
        if self._first_frame:
            # A V4L2 camera settles its format when streaming starts: read it back from the first frame.
            import cv2

            self._first_frame = False
            self._granted = self._read_granted(capture, cv2, frame)
        return frame

    def close(self) -> None:
        capture, self._capture = self._capture, None
        if capture is not None:
            capture.release()


def _ignore(*_args) -> None:
    pass


#: How much lower than the GUI thread the camera thread runs (Linux nice steps): on a kiosk's two cores the
#: camera's image work (a page straightened from an 8 MP still, OpenCV's own worker threads beside it) left
#: the GUI thread waiting for a CPU for 70-160 ms while a document was photographed.
CAMERA_NICENESS = 8


def yield_to_the_screen() -> None:
    """On the calling (camera) thread: run below the GUI thread, and keep OpenCV's work on this thread rather
    than in a pool of its own that would take both cores. Best effort: elsewhere than Linux, nothing changes."""
    try:
        import cv2

        cv2.setNumThreads(1)
    except Exception:  # noqa: BLE001 (an OpenCV without threading: nothing to limit)
        pass
    if sys.platform.startswith("linux"):
        try:
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + CAMERA_NICENESS))
        except OSError as err:
            log.debug("camera thread priority unchanged: %s", err)


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
        yield_to_the_screen()
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
