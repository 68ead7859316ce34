"""The devices as the ui reaches them: the camera worker and the QR pipeline the camera bridge runs, the
printer's own messages, and the simulated devices' fault switchboard (the demo panel, the home tiles).

The ui never imports ``device`` itself (import-linter, pyproject.toml): swapping a device family, or the
library under it, changes this module and ``device/``, not a screen. Each import is deferred to first use,
because loading OpenCV and the decoders is the warm-up's job, not the home screen's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from device.camera import CameraWorker
    from device.qr import QrPipeline
    from device.sim.faults import FaultInjector


def load_camera_libraries() -> None:
    """Load OpenCV and the QR decoders (~0.3 s): the warm-up does it on a worker thread."""
    import device.camera  # noqa: F401
    import device.qr  # noqa: F401


def qr_pipeline(every_nth: int) -> QrPipeline:
    """The kiosk's one QR reader for the camera stream: every frame averaged while the card lies still,
    one in ``every_nth`` decoded, the code's region worked on within a per-frame budget
    (device/qr_frames.py: small, blurred, noisy card codes read without hundreds of ms per miss)."""
    from device.qr_frames import TrayReader

    return TrayReader(every_nth=every_nth)


def camera_worker(camera: Any, decoder: QrPipeline, on_decoded: Callable, on_frame: Callable, on_status: Callable,
                  accept: Any) -> CameraWorker:
    """A camera thread that reads frames from ``camera`` and hands them to ``decoder`` and the callbacks."""
    from device.camera import CameraWorker

    return CameraWorker(camera, decoder=decoder, on_decoded=on_decoded, on_frame=on_frame, on_status=on_status,
                        accept=accept)


def printer_messages() -> dict[str, dict[str, str]]:
    """What each printer state means to a citizen, {state: {vi, en}} (device.printer.MESSAGES)."""
    from device.printer import MESSAGES

    return MESSAGES


def simulated_faults() -> FaultInjector:
    """The simulated devices' faults, set from the demo panel (device.sim.faults.FAULTS)."""
    from device.sim.faults import FAULTS

    return FAULTS
