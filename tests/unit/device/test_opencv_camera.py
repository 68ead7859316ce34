"""The real camera path: :class:`OpenCvCamera` and the real :class:`CameraWorker`, not the simulation.

(a) an MP4 of a card being placed in the tray (tests/data/card_in_tray.mp4, made by
scripts/make_card_video.py) is read; (b) an MJPEG-over-HTTP stream served here on 127.0.0.1 stops (an
unplugged camera: reported within a second) and comes back (reopened, read again), and one that freezes
without closing is reported and recovered too; (c) ``kiosk camera --source`` as a technician runs it.
No sleeps: every wait is on a condition with a bounded timeout.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest

from device.camera import CameraError, CameraWorker, OpenCvCamera, fourcc_text, shown_source, source_kind
from device.factory import make_camera
from device.sim.camera import render_card
from kiosk.core.identity import mask_id
from kiosk.core.samples import sample_payload

ROOT = Path(__file__).resolve().parents[3]
VIDEO = ROOT / "tests" / "data" / "card_in_tray.mp4"
WAIT = 20.0  # generous: two cores shared by everyone; a pass usually takes a fraction of it
LOSS_LIMIT_S = 1.5  # "reported within a second", with a margin for a loaded machine


class Recorder:
    """Collects the worker's callbacks with their times and lets a test wait for the one it expects."""

    def __init__(self) -> None:
        self.decoded: list[str] = []
        self.statuses: list[tuple[str, float]] = []
        self.frames = 0
        self._cond = threading.Condition()

    def on_decoded(self, text: str) -> None:
        with self._cond:
            self.decoded.append(text)
            self._cond.notify_all()

    def on_status(self, code: str, message: dict[str, str]) -> None:
        assert message["vi"] and message["en"]
        with self._cond:
            self.statuses.append((code, time.monotonic()))
            self._cond.notify_all()

    def on_frame(self, frame: np.ndarray) -> None:
        with self._cond:
            self.frames += 1
            self._cond.notify_all()

    def wait_for(self, predicate, timeout: float = WAIT) -> bool:
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    def codes(self) -> list[str]:
        with self._cond:
            return [code for code, _ in self.statuses]

    def first_since(self, code: str, since: float) -> float | None:
        with self._cond:
            return next((t for c, t in self.statuses if c == code and t >= since), None)


@pytest.fixture
def start_worker():
    workers = []

    def start(camera: OpenCvCamera) -> tuple[CameraWorker, Recorder]:
        rec = Recorder()
        worker = CameraWorker(camera, on_decoded=rec.on_decoded, on_frame=rec.on_frame, on_status=rec.on_status)
        workers.append(worker)
        worker.start()
        return worker, rec

    yield start
    for worker in workers:
        worker.stop()


# --- the camera's configuration ------------------------------------------------------------------------

def test_sources_are_classified_and_old_callers_still_work():
    assert [source_kind(s) for s in (0, "2", " 3 ", "/dev/video0", "http://127.0.0.1:8080/video.mjpg",
                                     "rtsp://cam/stream", "file:///tmp/a.mp4", "tests/data/card_in_tray.mp4",
                                     "C:\\videos\\card.mp4")] == \
        ["index", "index", "index", "device", "stream", "stream", "file", "file", "file"]
    old = OpenCvCamera(0, 1280, 720, 30)
    assert (old.source, old.index, old.kind, old.width, old.height, old.fps) == (0, 0, "index", 1280, 720, 30)
    assert (old.fourcc, old.autofocus, old.focus, old.exposure) == ("MJPG", True, None, None)
    assert OpenCvCamera(index=99).source == 99 and OpenCvCamera("7").source == 7
    assert old.granted is None  # nothing granted before the first open
    with pytest.raises(ValueError):
        OpenCvCamera(0, fourcc="MJPEG")
    real = make_camera(simulate=False, source="/dev/video2", fourcc="YUYV", focus=40, exposure=150)
    assert (real.source, real.kind, real.fourcc) == ("/dev/video2", "device", "YUYV")
    assert (real.autofocus, real.focus, real.exposure) == (True, 40, 150)
    assert make_camera(simulate=False, index=3, source="").source == 3
    assert shown_source("rtsp://admin:secret@10.0.0.5/stream") == "rtsp://***@10.0.0.5/stream"
    assert fourcc_text(cv2.VideoWriter_fourcc(*"MJPG")) == "MJPG" and fourcc_text(0) == ""


def test_a_missing_device_path_is_unplugged_not_a_crash():
    camera = OpenCvCamera("/dev/video99")
    with pytest.raises(CameraError) as err:
        camera.open()
    assert err.value.code == "unplugged" and "/dev/video99" in err.value.detail
    camera.close()
    camera.close()


# --- (a) the MP4 of a card placed in the tray -------------------------------------------------------------

def _load_script():
    spec = importlib.util.spec_from_file_location("make_card_video", ROOT / "scripts" / "make_card_video.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_video_is_what_the_script_makes(tmp_path):
    assert VIDEO.stat().st_size < 300_000
    info = _load_script().make_card_video(tmp_path / "card.mp4", sample=0)
    assert info["payload"] == sample_payload(0) and info["codec"] in ("avc1", "mp4v")
    assert (info["frames"], info["fps"], info["size"]) == (30, 10, [640, 360])
    made, committed = cv2.VideoCapture(str(tmp_path / "card.mp4")), cv2.VideoCapture(str(VIDEO))
    try:
        for _ in range(info["frames"]):
            (ok1, a), (ok2, b) = made.read(), committed.read()
            assert ok1 and ok2 and a.shape == b.shape == (360, 640, 3)
            assert float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean()) < 2.0
        assert not committed.read()[0]
    finally:
        made.release()
        committed.release()


def test_the_real_camera_reads_the_card_placed_in_the_video(start_worker):
    camera = OpenCvCamera(str(VIDEO))
    worker, rec = start_worker(camera)
    assert rec.wait_for(lambda: rec.decoded), rec.codes()
    assert rec.decoded[0] == sample_payload(0)  # the payload the script put in the card's QR
    assert rec.codes()[0] == "ok" and "unplugged" not in rec.codes()
    granted = camera.granted
    assert granted == {"width": 640, "height": 360, "fps": 10.0, "fourcc": granted["fourcc"], "backend": "FFMPEG"}
    assert granted["fourcc"] in ("FMP4", "mp4v", "avc1", "h264")
    assert camera.fps == 10.0  # a file plays at its own rate


def test_a_video_file_loops_at_its_end():
    camera = OpenCvCamera(str(VIDEO))
    camera.open()
    try:
        frames = [camera.read() for _ in range(75)]  # two and a half times the 30 frames
    finally:
        camera.close()
    assert all(f.shape == (360, 640, 3) for f in frames)
    # The loop starts over: the empty tray again, the same picture as the first frame.
    assert float(np.abs(frames[30].astype(np.int16) - frames[0].astype(np.int16)).mean()) < 2.0
    assert float(np.abs(frames[29].astype(np.int16) - frames[0].astype(np.int16)).mean()) > 20.0


# --- (b) an MJPEG stream over HTTP that stops and comes back ---------------------------------------------

def _card_jpeg(payload: str) -> bytes:
    frame = np.full((360, 640, 3), 60, np.uint8)
    card = cv2.resize(render_card(payload), (480, 303), interpolation=cv2.INTER_AREA)
    frame[28:331, 80:560] = card
    ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return jpeg.tobytes()


class MjpegServer:
    """A network camera on 127.0.0.1: multipart/x-mixed-replace JPEG frames at ``fps``. ``stop`` closes
    the listening socket and every connection (the camera unplugged); ``start`` again serves on the same
    port; ``frozen`` set makes it stop sending without closing anything (a camera that hangs)."""

    BOUNDARY = b"kioskframe"

    def __init__(self, jpeg: bytes, fps: float = 15.0) -> None:
        self.jpeg = jpeg
        self.fps = fps
        self.port = 0
        self.frozen = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/video.mjpg"

    def start(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                with owner._lock:
                    owner._connections.add(self.connection)
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={owner.BOUNDARY.decode()}")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                try:
                    while not owner._stopping.is_set():
                        if not owner.frozen.is_set():
                            jpeg = owner.jpeg
                            self.wfile.write(b"--" + owner.BOUNDARY + b"\r\nContent-Type: image/jpeg\r\n"
                                             + f"Content-Length: {len(jpeg)}\r\n\r\n".encode() + jpeg + b"\r\n")
                            self.wfile.flush()
                        owner._stopping.wait(1.0 / owner.fps)
                except OSError:
                    pass  # the connection was closed under us: the point of stop()

            def log_message(self, *_args) -> None:
                pass

        self._stopping.clear()
        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)  # allow_reuse_address: same port again
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()  # the listening socket: new connections are refused
        with self._lock:
            connections, self._connections = list(self._connections), set()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
        self._thread.join(5)


@pytest.fixture
def mjpeg_server():
    server = MjpegServer(_card_jpeg(sample_payload(0)))
    server.start()
    yield server
    server.stop()


def test_the_real_camera_reads_an_mjpeg_stream_reports_its_loss_and_reopens(mjpeg_server, start_worker):
    camera = OpenCvCamera(mjpeg_server.url)
    worker, rec = start_worker(camera)
    assert rec.wait_for(lambda: rec.decoded), rec.codes()
    assert rec.decoded == [sample_payload(0)] and rec.codes() == ["ok"]
    assert camera.granted == {"width": 640, "height": 360, "fps": camera.granted["fps"], "fourcc": "MJPG",
                              "backend": "FFMPEG"}

    stopped = time.monotonic()  # before the stop: the figure includes closing the server
    mjpeg_server.stop()
    assert rec.wait_for(lambda: rec.codes()[-1:] == ["unplugged"], timeout=5.0), rec.codes()
    loss_s = rec.first_since("unplugged", stopped) - stopped
    # Measured here: 0.03 s over 5 runs (FFmpeg's next read meets the closed connection), reopened 0.50 s
    # after the server came back (the worker retries every 0.5 s); a stream that hangs instead is
    # reported by the worker's watchdog (next test).
    assert loss_s < LOSS_LIMIT_S, f"the stream's loss took {loss_s:.2f} s to report"

    # The camera comes back on the same port, with another card in the tray: reopened and read again.
    mjpeg_server.jpeg = _card_jpeg(sample_payload(1))
    came_back = time.monotonic()
    mjpeg_server.start()
    assert rec.wait_for(lambda: rec.codes()[-1:] == ["ok"]), rec.codes()
    assert rec.wait_for(lambda: sample_payload(1) in rec.decoded), rec.decoded
    assert rec.codes() == ["ok", "unplugged", "ok"]
    assert rec.first_since("ok", came_back) - came_back < 3.0  # retried twice a second


def test_a_stream_that_hangs_is_reported_within_a_second_and_recovered(mjpeg_server, start_worker):
    camera = OpenCvCamera(mjpeg_server.url)
    worker, rec = start_worker(camera)
    assert rec.wait_for(lambda: rec.decoded and rec.codes() == ["ok"]), rec.codes()
    frozen = time.monotonic()
    mjpeg_server.frozen.set()  # the connection stays open, no frame comes
    assert rec.wait_for(lambda: rec.codes()[-1:] == ["unplugged"], timeout=5.0), rec.codes()
    hang_s = rec.first_since("unplugged", frozen) - frozen
    # Measured here: 0.80 s over 5 runs (the watchdog: a read pending over 0.6 s, checked every 0.2 s); the
    # read itself gives up at 1 s (CAP_PROP_READ_TIMEOUT_MSEC), so the worker can close and reopen.
    assert hang_s < LOSS_LIMIT_S, f"the hung stream took {hang_s:.2f} s to report"
    frames = rec.frames
    mjpeg_server.frozen.clear()
    assert rec.wait_for(lambda: rec.codes()[-1:] == ["ok"] and rec.frames > frames + 5), rec.codes()
    assert rec.codes() == ["ok", "unplugged", "ok"]


# --- (c) kiosk camera --source, as a technician runs it -----------------------------------------------------

def run_camera(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", "camera", *args], capture_output=True, text=True,
                          encoding="utf-8", timeout=120, cwd=ROOT)


def test_kiosk_camera_reads_the_card_from_the_video_and_masks_its_number():
    proc = run_camera("--source", str(VIDEO), "--until-decoded", "--json")
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert events[0] == {"event": "granted", "source": str(VIDEO), "width": 640, "height": 360, "fps": 10.0,
                         "fourcc": events[0]["fourcc"], "backend": "FFMPEG"}
    decoded = [e for e in events if e["event"] == "decoded"]
    id_number = sample_payload(0).split("|")[0]
    assert decoded[0]["card"] and decoded[0]["text"] == sample_payload(0).replace(id_number, mask_id(id_number))
    assert id_number not in proc.stdout
    assert any(e["event"] == "frames" and e["frames"] > 0 for e in events)  # the card lands after 1.6 s


def test_kiosk_camera_text_output_for_a_technician():
    proc = run_camera("--source", str(VIDEO), "--until-decoded")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"camera {VIDEO}: 640x360 {lines[0].split()[3]} 10.0 fps (FFMPEG)"
    assert any(line.endswith(" frames") for line in lines)
    assert f"QR: {mask_id(sample_payload(0)[:12])}|" in proc.stdout


def test_kiosk_camera_on_a_missing_device_says_so_in_both_languages():
    proc = run_camera("--source", "/dev/video99", "--until-decoded")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    assert "Không mở được camera /dev/video99" in proc.stderr
    assert "Cannot open the camera /dev/video99" in proc.stderr
