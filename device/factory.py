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
                 media: str | None = None, paper: int = 200, server: str | None = None, kind: str = "cups",
                 address: str | None = None, width_dots: int = 576, status_timeout_s: float = 1.0) -> Printer:
    """The simulated printer (spooling into ``spool_dir``), or the real one by ``kind``: the CUPS queue
    ``queue`` ("cups"), or the ESC/POS printer at ``address`` ("escpos": ``tcp://HOST:PORT``,
    ``serial:///dev/ttyUSB0?baud=19200``, ``usb://VID:PID``) with a head ``width_dots`` wide."""
    if simulate:
        from device.sim.printer import SimPrinter

        if spool_dir is None:
            raise ValueError("the simulated printer needs a spool_dir")
        return SimPrinter(spool_dir, paper=paper)
    if kind == "escpos":
        from device.escpos import EscposPrinter  # numpy and PDFium: only for an ESC/POS printer

        if not address:
            raise ValueError("an ESC/POS printer needs an address (tcp://, serial://, usb://)")
        return EscposPrinter(address, width_dots=width_dots, status_timeout_s=status_timeout_s)
    if kind != "cups":
        raise ValueError(f"unknown printer kind {kind!r}: cups or escpos")
    if not queue:
        raise ValueError("a real printer needs a CUPS queue name")
    return CupsPrinter(queue, media, server=server)
