"""The camera worker with the simulated camera: cards are read, a pulled cable is reported and recovered."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from device.camera import Camera, CameraError, CameraWorker, OpenCvCamera
from device.factory import make_camera
from device.sim.camera import SimCamera
from device.sim.faults import FAULTS
from kiosk.core.identity import is_card_qr as is_card
from kiosk.core.samples import sample_payload

WAIT = 10.0  # generous: two cores shared by everyone; a pass usually takes a fraction of a second


class Recorder:
    """Collects the worker's callbacks and lets a test wait for the one it expects."""

    def __init__(self) -> None:
        self.decoded: list[str] = []
        self.statuses: list[tuple[str, dict[str, str]]] = []
        self.frames = 0
        self._cond = threading.Condition()

    def on_decoded(self, text: str) -> None:
        with self._cond:
            self.decoded.append(text)
            self._cond.notify_all()

    def on_status(self, code: str, message: dict[str, str]) -> None:
        with self._cond:
            self.statuses.append((code, message))
            self._cond.notify_all()

    def on_frame(self, frame: np.ndarray) -> None:
        with self._cond:
            self.frames += 1
            self._cond.notify_all()

    def wait_for(self, predicate, timeout: float = WAIT) -> bool:
        with self._cond:
            return self._cond.wait_for(predicate, timeout)

    def codes(self) -> list[str]:
        return [code for code, _ in self.statuses]


@pytest.fixture(autouse=True)
def no_faults():
    FAULTS.set("camera", "unplugged", False)
    yield
    FAULTS.set("camera", "unplugged", False)


@pytest.fixture
def worker_for():
    workers: list[CameraWorker] = []

    def make(camera: Camera, **kwargs) -> tuple[CameraWorker, Recorder]:
        rec = Recorder()
        worker = CameraWorker(camera, on_decoded=rec.on_decoded, on_frame=rec.on_frame,
                              on_status=rec.on_status, **kwargs)
        workers.append(worker)
        worker.start()
        return worker, rec

    yield make
    for worker in workers:
        worker.stop()
        assert not worker.is_alive()


def test_a_presented_card_is_decoded_once(worker_for):
    camera = SimCamera()
    worker, rec = worker_for(camera, accept=is_card)
    decoded = threading.Event()
    worker.on_decoded = lambda text: (rec.on_decoded(text), decoded.set())
    assert rec.wait_for(lambda: "ok" in rec.codes())
    camera.present_card(sample_payload(1))
    assert decoded.wait(WAIT)
    assert rec.decoded[0] == sample_payload(1)
    # The card stays under the camera for many more frames: the UI is not told again.
    seen = rec.frames
    assert rec.wait_for(lambda: rec.frames > seen + 20)
    assert rec.decoded == [sample_payload(1)]


def test_the_next_card_is_reported_and_the_empty_slot_reads_nothing(worker_for):
    camera = SimCamera()
    worker, rec = worker_for(camera, accept=is_card)
    camera.present_card(sample_payload(0))
    assert rec.wait_for(lambda: len(rec.decoded) == 1)
    camera.remove_card()
    seen = rec.frames
    assert rec.wait_for(lambda: rec.frames > seen + 15)
    assert len(rec.decoded) == 1
    camera.present_card(sample_payload(2))
    assert rec.wait_for(lambda: len(rec.decoded) == 2)
    assert rec.decoded == [sample_payload(0), sample_payload(2)]


def test_a_receipt_under_the_camera_yields_its_dossier_code(worker_for):
    camera = SimCamera()
    worker, rec = worker_for(camera)
    camera.present_receipt("00073-261124-0001")
    assert rec.wait_for(lambda: rec.decoded)
    assert rec.decoded[0] == "00073-261124-0001"


def test_the_card_predicate_ignores_a_receipt(worker_for):
    camera = SimCamera()
    worker, rec = worker_for(camera, accept=is_card)
    camera.present_receipt("00073-261124-0001")
    seen = rec.frames
    assert rec.wait_for(lambda: rec.frames > seen + 15)
    assert rec.decoded == []


def test_unplugged_camera_is_reported_then_recovers(worker_for):
    camera = SimCamera()
    worker, rec = worker_for(camera, accept=is_card)
    assert rec.wait_for(lambda: rec.codes() == ["ok"])
    FAULTS.set("camera", "unplugged", True)
    assert rec.wait_for(lambda: rec.codes()[-1:] == ["unplugged"])
    code, message = rec.statuses[-1]
    assert "camera" in message["vi"].lower() and "camera" in message["en"].lower()
    FAULTS.set("camera", "unplugged", False)
    assert rec.wait_for(lambda: rec.codes() == ["ok", "unplugged", "ok"])
    # And it reads again after the reconnection.
    camera.present_card(sample_payload(0))
    assert rec.wait_for(lambda: rec.decoded)
    assert rec.decoded == [sample_payload(0)]


def test_a_camera_unplugged_from_the_start_is_reported_and_picked_up_later(worker_for):
    FAULTS.set("camera", "unplugged", True)
    worker, rec = worker_for(SimCamera())
    assert rec.wait_for(lambda: rec.codes() == ["unplugged"])
    assert rec.frames == 0
    FAULTS.set("camera", "unplugged", False)
    assert rec.wait_for(lambda: rec.codes() == ["unplugged", "ok"] and rec.frames > 0)


class HangingCamera(Camera):
    """A driver whose read() hangs, as some do when the cable is pulled mid-frame (cannot happen here)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.hang = threading.Event()
        self.frame = np.full((72, 128), 128, np.uint8)

    def open(self) -> None:
        pass

    def read(self) -> np.ndarray:
        if self.hang.is_set():
            self.release.wait()
            self.hang.clear()
        return self.frame

    def close(self) -> None:
        pass


def test_a_hanging_read_is_reported_as_unplugged_without_waiting_for_the_driver(worker_for):
    camera = HangingCamera()
    worker, rec = worker_for(camera)
    assert rec.wait_for(lambda: rec.codes() == ["ok"])
    camera.hang.set()
    assert rec.wait_for(lambda: rec.codes() == ["ok", "unplugged"])
    camera.release.set()
    assert rec.wait_for(lambda: rec.codes() == ["ok", "unplugged", "ok"])


def test_a_missing_real_camera_reports_unplugged(worker_for):
    # No camera device exists in CI: OpenCV cannot open index 99, and the worker says so.
    worker, rec = worker_for(OpenCvCamera(index=99))
    assert rec.wait_for(lambda: rec.codes() == ["unplugged"])


def test_open_and_read_fail_with_a_typed_error_while_unplugged():
    camera = SimCamera()
    FAULTS.set("camera", "unplugged", True)
    with pytest.raises(CameraError) as err:
        camera.open()
    assert err.value.code == "unplugged" and err.value.message["vi"]
    FAULTS.set("camera", "unplugged", False)
    camera.open()
    assert camera.read().shape == (720, 1280, 3)


def test_make_camera_picks_the_implementation_by_configuration():
    assert isinstance(make_camera(simulate=True), SimCamera)
    real = make_camera(simulate=False, index=3, width=640, height=480, fps=15)
    assert isinstance(real, OpenCvCamera) and (real.index, real.width, real.height, real.fps) == (3, 640, 480, 15)
