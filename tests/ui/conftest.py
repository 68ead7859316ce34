"""A kiosk window with the simulated devices and an in-process backend simulator, shared per module.

Building one costs a few seconds (OpenCV, the media plugin, the backend simulator, the ward helper
process); each test gets it back wiped, on the home screen, in Vietnamese.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.clock import FakeClock

from device.sim.faults import FAULTS
from kiosk.core.session import State

from .driver import Driver


@pytest.fixture(scope="module")
def kiosk_build(qapp, tmp_path_factory: pytest.TempPathFactory):
    from kiosk.app.services import KioskSettings
    from kiosk.ui.app import build_window, close_window

    data = tmp_path_factory.mktemp("kiosk-data")
    settings = KioskSettings(simulate=True, screen_dpi=96.0, camera={"fps": 15})
    window = build_window(settings, data, prints_dir=data / "prints", autoplay_video=False,
                          start_simulator=True, thanks_ms=300, ack_wait_ms=4000)
    clock = FakeClock()
    # the idle clock is injectable: tests move time forward instead of waiting 90 s
    window.session._clock = clock
    window.session.touch()
    window.setFixedSize(1920, 1080)
    window.show()
    yield window, clock, Path(data)
    close_window(window)
    window.deleteLater()


@pytest.fixture
def kiosk(kiosk_build, qtbot):
    window, clock, _ = kiosk_build
    for device, fault in (("printer", "paper_out"), ("camera", "unplugged"), ("network", "down")):
        FAULTS.set(device, fault, False)
    if window.services.simulator is not None:
        window.services.simulator.resume()
    window.go_home()
    qtbot.waitUntil(lambda: window.session.state == State.HOME)
    # a test before may have taken a part down: its tiles open again once the health check has seen it back
    window.health.refresh()
    qtbot.waitUntil(lambda: all(window.health.availability().values()), timeout=15000)
    yield window
    window.go_home()
    # faults are process-wide: one left on would fail the next module's tests (the unit tests' printer too)
    for device, fault in (("printer", "paper_out"), ("camera", "unplugged"), ("network", "down")):
        FAULTS.set(device, fault, False)


@pytest.fixture
def resize(kiosk, qtbot):
    """Resize the window to (width, height) when the test asks (a portrait kiosk, a laptop); 1920x1080 again
    after it, as the other tests expect."""

    def to(width: int, height: int) -> None:
        kiosk.setFixedSize(width, height)
        qtbot.waitUntil(lambda: kiosk.width() == width and kiosk.height() == height)

    yield to
    to(1920, 1080)


@pytest.fixture
def sized(kiosk, resize, request):
    """The window at the size a test is parametrised with (``indirect=["sized"]``)."""
    resize(*request.param)
    return kiosk


@pytest.fixture
def driver(kiosk, qtbot) -> Driver:
    return Driver(kiosk, qtbot)


@pytest.fixture
def clock(kiosk_build) -> FakeClock:
    return kiosk_build[1]

#: Messages of the media stack on a machine without sound or GPU: expected here, not a fault of the kiosk.
MEDIA_NOISE = ("pipewire", "PulseAudio", "Using Qt multimedia", "No HW decoder", "No RHI backend",
               "propagateSizeHints", "QRhi",
               # a guide video still opening when the citizen leaves the screen: the load is cancelled
               "Immediate exit requested")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.qt_log_ignore(*MEDIA_NOISE))
