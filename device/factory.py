"""Which camera and printer a kiosk gets, by configuration: the real device or its simulation.

In its own module so the interfaces (device.camera, device.printer) never import their simulations, and the
simulations may import the interfaces they implement without a cycle."""

from __future__ import annotations

from pathlib import Path

from device.camera import Camera, OpenCvCamera
from device.printer import CupsPrinter, Printer


def make_camera(simulate: bool, index: int = 0, width: int = 1280, height: int = 720, fps: float = 30.0,
                source: int | str | None = None, fourcc: str | None = "MJPG", autofocus: bool = True,
                focus: float | None = None, exposure: float | None = None, **sim_options) -> Camera:
    """The simulated camera (a synthetic ID card) or the real one, by configuration. The real one opens
    ``source`` (an index, a device path, a stream URL or a video file: :class:`OpenCvCamera`) when given,
    else the camera at ``index``."""
    if simulate:
        from device.sim.camera import SimCamera  # OpenCV drawing, Pillow and fonts: only for a simulated kiosk

        return SimCamera(fps=fps, width=width, height=height, **sim_options)
    return OpenCvCamera(index if source is None or source == "" else source, width, height, fps, fourcc=fourcc,
                        autofocus=autofocus, focus=focus, exposure=exposure)


def make_printer(simulate: bool, spool_dir: Path | None = None, *, queue: str | None = None,
                 media: str | None = None, paper: int = 200, server: str | None = None) -> Printer:
    """The simulated printer (spooling into ``spool_dir``) or the CUPS queue ``queue``."""
    if simulate:
        from device.sim.printer import SimPrinter

        if spool_dir is None:
            raise ValueError("the simulated printer needs a spool_dir")
        return SimPrinter(spool_dir, paper=paper)
    if not queue:
        raise ValueError("a real printer needs a CUPS queue name")
    return CupsPrinter(queue, media, server=server)
