"""An ESC/POS thermal printer (Epson TM, Xprinter, Custom, Star in ESC/POS mode) that knows its paper.

The kiosk's documents are PDFs (DESIGN.md section 9); this driver prints exactly what the PDF says:

* **Raster, not text.** The page is rasterised at the head's 203 dpi to its width (576 dots for 80 mm; 512 and
  384 configurable), thresholded to 1 bit and sent as ``GS v 0`` raster bands, then ``GS V`` cuts. Vietnamese
  never depends on the printer's code pages, and the QR codes, which the PDF already draws on the 203 dpi dot
  grid, stay on whole dots: at 576 dots the page is rendered at exactly 203 dpi with no scaling at all, the
  head's 72 mm window cut from the middle of the 80 mm page (the roll's 4 mm margins are blank by design).
  A narrower head (512 dots = 64 mm, 384 dots = 48 mm on 58 mm printers) cannot hold the 72 mm printable
  width, so there the page is rendered straight from the PDF's vectors at a smaller scale that fits its printable
  width to the head: text stays sharp (no bitmap is resampled), QR modules become 2-3 dots uneven but still read.
* **The printer's own sensors.** Before each job and on request, the real-time status (``DLE EOT`` 1, 2, 3, 4,
  Epson's "transmit real-time status"): offline, cover open, paper-end stop, errors, roll near end and roll end,
  each with a timeout. No answer is "not responding", never "ok" (python-escpos's ``paper_status()`` answers
  "paper adequate" when the printer sends nothing back, which is why this module talks to the printer itself).
* **A job is confirmed, not assumed.** After the cut the driver sends ``GS r 1``, which the printer answers only
  once everything before it has been processed; while waiting it keeps asking the real-time status, so a roll
  running out mid-job is seen at once and the job is reported as *not* printed (the citizen can reprint).
  A printer that never answers ``GS r`` is still checked with ``DLE EOT`` after its printing time.

Transports: ``tcp://HOST[:PORT]`` (port 9100 by default; our own socket code, one connection per job or status
request, every operation with a timeout), ``serial:///dev/ttyUSB0?baud=19200[&flow=dsrdtr|rtscts|xonxoff|none]``
(pyserial) and ``usb://VID:PID`` in hex (python-escpos's ``Usb``, which finds the device and detaches the kernel's
driver; pyusb underneath). The serial and USB libraries are imported only when such an address is used; when
missing, the printer is "not found" with the reason in the detail.

Nothing here imports ``kiosk`` or Qt.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import math
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np

from device.printer import DEFAULT_MEDIA, STATUS_MESSAGES, Printer, PrinterError, PrinterStatus, PrintJobResult

log = logging.getLogger(__name__)

PRINT_DPI = 203  # 8 dots per mm: every common thermal receipt head
DEFAULT_WIDTH_DOTS = 576  # an 80 mm roll: 72 mm printed
COMMON_WIDTHS = (576, 512, 384)
ROLL_MARGIN_MM = 4.0  # each side of the roll that the head does not reach (80 mm paper, 72 mm printed)
DEFAULT_PORT = 9100  # "raw"/JetDirect port of network receipt printers
DEFAULT_MODEL = "ESC/POS"  # the model when the printer does not tell its own (GS I 67)
BAND_ROWS = 128  # rows per GS v 0 band: 9 KB at 576 dots, well inside any printer's receive buffer

# --- the commands (Epson ESC/POS Application Programming Guide) ---------------------------------------------
ESC_INIT = b"\x1b@"  # ESC @: initialise (clears the print buffer, resets modes)
GS_ASB_OFF = b"\x1da\x00"  # GS a 0: no automatic status back, so only our questions are answered
DLE_EOT = b"\x10\x04"  # DLE EOT n: transmit real-time status (n = 1..4)
GS_R_PAPER = b"\x1dr\x01"  # GS r 1: transmit paper sensor status, answered in turn after the data before it
GS_I_MODEL = b"\x1dI\x43"  # GS I 67: transmit the model name ("_" + name + NUL)
GS_CUT = b"\x1dVB\x00"  # GS V 66 0: feed to the cutter, then partial cut (function B)

# DLE EOT reply bits (every reply is 0xx1xx10b: bits 1 and 4 set, bits 0 and 7 clear).
REPLY_MASK, REPLY_FIXED = 0x93, 0x12
S1_OFFLINE = 0x08  # n=1 printer status, bit 3: offline
S2_COVER_OPEN = 0x04  # n=2 offline cause, bit 2: cover open
S2_FEED_BUTTON = 0x08  # bit 3: paper being fed by the feed button
S2_PAPER_END_STOP = 0x20  # bit 5: printing stopped because the paper ran out
S2_ERROR = 0x40  # bit 6: an error occurred
S3_MECHANICAL = 0x04  # n=3 error status, bit 2: mechanical (recoverable) error
S3_CUTTER = 0x08  # bit 3: autocutter error
S3_UNRECOVERABLE = 0x20  # bit 5: unrecoverable error
S3_AUTO_RECOVERABLE = 0x40  # bit 6: automatically recoverable error (e.g. head too hot)
S4_NEAR_END = 0x0C  # n=4 roll paper sensor, bits 2-3: near end
S4_PAPER_END = 0x60  # bits 5-6: roll paper end

#: What this printer adds to device.printer's messages (Vietnamese first, then English).
ESCPOS_MESSAGES: dict[str, dict[str, str]] = {
    "cover_open": {"vi": "Nắp máy in đang mở.", "en": "The printer's cover is open."},
    "not_responding": {"vi": "Máy in không phản hồi.", "en": "The printer is not responding."},
    "printer_error": {"vi": "Máy in đang báo lỗi.", "en": "The printer reports an error."},
}


class _LinkClosed(Exception):
    """The printer closed the connection (or the cable went)."""


class _WriteStalled(Exception):
    """The printer stopped accepting data within the timeout."""


# --- addresses ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Address:
    """A parsed printer address: ``scheme`` in {tcp, serial, usb}."""

    scheme: str
    host: str = ""
    port: int = DEFAULT_PORT
    device: str = ""  # serial device path or name (COM3)
    baud: int = 19200
    flow: str = "dsrdtr"  # Epson's serial default handshake
    vendor: int = 0
    product: int = 0
    options: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        if self.scheme == "tcp":
            return f"tcp://{self.host}:{self.port}"
        if self.scheme == "serial":
            return f"serial://{self.device}?baud={self.baud}&flow={self.flow}"
        return f"usb://{self.vendor:04x}:{self.product:04x}"


def parse_address(address: str) -> Address:
    """``tcp://HOST[:PORT]``, ``serial:///dev/ttyUSB0?baud=19200`` (or ``serial://COM3``), ``usb://VID:PID``
    (hex, optionally ``?in_ep=0x82&out_ep=0x01``); ValueError for anything else."""
    parts = urlsplit(address.strip())
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    scheme = parts.scheme.lower()
    try:
        if scheme == "tcp":
            if not parts.hostname:
                raise ValueError("no host")
            return Address("tcp", host=parts.hostname, port=parts.port or DEFAULT_PORT, options=query)
        if scheme == "serial":
            device = unquote(parts.netloc + parts.path)  # serial:///dev/ttyUSB0, serial://COM3
            if not device:
                raise ValueError("no device")
            flow = query.get("flow", "dsrdtr").lower()
            if flow not in ("dsrdtr", "rtscts", "xonxoff", "none"):
                raise ValueError(f"flow {flow!r}")
            return Address("serial", device=device, baud=int(query.get("baud", 19200)), flow=flow, options=query)
        if scheme == "usb":
            vendor, _, product = parts.netloc.partition(":")
            return Address("usb", vendor=int(vendor, 16), product=int(product, 16), options=query)
    except ValueError as err:
        raise ValueError(f"bad printer address {address!r}: {err}") from err
    raise ValueError(f"bad printer address {address!r}: use tcp://HOST:PORT, serial:///dev/ttyUSB0?baud=19200 "
                     "or usb://VID:PID")


# --- transports ----------------------------------------------------------------------------------------------

class _Link:
    """A byte pipe to the printer; every call has a timeout."""

    def send(self, data: bytes, timeout: float) -> None:  # _WriteStalled, _LinkClosed
        raise NotImplementedError

    def recv(self, timeout: float) -> bytes:  # b"" when nothing came in time; _LinkClosed
        raise NotImplementedError

    def drain(self) -> None:
        """Throw away whatever the printer sent that nobody asked for."""
        while self.recv(0.0):
            pass

    def close(self) -> None:
        raise NotImplementedError


class _TcpLink(_Link):
    def __init__(self, host: str, port: int, connect_timeout: float) -> None:
        try:
            self.sock = socket.create_connection((host, port), timeout=connect_timeout)
        except socket.gaierror as err:
            raise PrinterError("not_found", detail=f"tcp://{host}:{port}: unknown host ({err})") from err
        except ConnectionRefusedError as err:
            raise PrinterError("not_found", detail=f"tcp://{host}:{port}: nothing listens there ({err})") from err
        except TimeoutError as err:
            raise PrinterError("offline", detail=f"tcp://{host}:{port}: no answer to connect "
                                                 f"within {connect_timeout:g} s") from err
        except OSError as err:  # no route, network down, ...
            raise PrinterError("offline", detail=f"tcp://{host}:{port}: {err}") from err
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # a status request goes out at once

    def send(self, data: bytes, timeout: float) -> None:
        try:
            self.sock.settimeout(timeout)
            self.sock.sendall(data)
        except TimeoutError as err:
            raise _WriteStalled(f"the printer accepted no data for {timeout:g} s") from err
        except OSError as err:
            raise _LinkClosed(f"connection lost while sending: {err}") from err

    def recv(self, timeout: float) -> bytes:
        try:
            if timeout <= 0:
                self.sock.setblocking(False)
            else:
                self.sock.settimeout(timeout)
            data = self.sock.recv(256)
        except (TimeoutError, BlockingIOError):
            return b""
        except OSError as err:
            raise _LinkClosed(f"connection lost: {err}") from err
        if not data:
            raise _LinkClosed("the printer closed the connection")
        return data

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class _SerialLink(_Link):
    def __init__(self, address: Address, connect_timeout: float) -> None:
        try:
            import serial  # pyserial: only for a serial printer
        except ImportError as err:
            raise PrinterError("not_found", detail=f"{address}: pyserial is not installed") from err
        self._serial_errors = (serial.SerialException, OSError)
        self._timeout_error = serial.SerialTimeoutException
        try:
            self.port = serial.Serial(address.device, baudrate=address.baud, timeout=connect_timeout,
                                      write_timeout=connect_timeout, rtscts=address.flow == "rtscts",
                                      dsrdtr=address.flow == "dsrdtr", xonxoff=address.flow == "xonxoff")
        except (serial.SerialException, OSError, ValueError) as err:
            raise PrinterError("not_found", detail=f"{address}: {err}") from err
        self.baud = address.baud

    def send(self, data: bytes, timeout: float) -> None:
        # a serial line is slow: 10 bits a byte, so give each write its time on the wire as well
        self.port.write_timeout = timeout + len(data) * 10 / self.baud * 1.5
        try:
            self.port.write(data)
            self.port.flush()
        except self._timeout_error as err:
            raise _WriteStalled(f"the printer accepted no data for {self.port.write_timeout:.1f} s") from err
        except self._serial_errors as err:
            raise _LinkClosed(f"serial line lost: {err}") from err

    def recv(self, timeout: float) -> bytes:
        try:
            if timeout <= 0:
                waiting = self.port.in_waiting
                return self.port.read(waiting) if waiting else b""
            self.port.timeout = timeout
            return self.port.read(1) + (self.port.read(self.port.in_waiting) if self.port.in_waiting else b"")
        except self._serial_errors as err:
            raise _LinkClosed(f"serial line lost: {err}") from err

    def close(self) -> None:
        try:
            self.port.close()
        except Exception:  # closing a port whose cable went
            pass


class _UsbLink(_Link):
    """python-escpos's ``Usb`` finds the device and frees it from the kernel's usblp; the bulk endpoints come
    from the device's own descriptors when the address does not name them (python-escpos assumes 0x82/0x01,
    right for Epson, not for every clone)."""

    def __init__(self, address: Address) -> None:
        try:
            import usb.core  # pyusb, which python-escpos's Usb drives
            import usb.util
            from escpos.printer import Usb
        except Exception as err:  # not installed; or a frozen build without escpos's capabilities.json
            raise PrinterError("not_found", detail=f"{address}: python-escpos with USB support (pyusb) is not "
                                                   f"installed ({err})") from err
        self._usb = usb
        try:
            printer = Usb(address.vendor, address.product, timeout=5000)
            printer.open()
            device = printer.device
            in_ep, out_ep = self._endpoints(device, address)
        except Exception as err:  # DeviceNotFoundError, USBError, no libusb backend, ...
            raise PrinterError("not_found", detail=f"{address}: {err}") from err
        self.printer, self.device, self.in_ep, self.out_ep = printer, device, in_ep, out_ep

    def _endpoints(self, device, address: Address) -> tuple[int, int]:
        util = self._usb.util
        if "in_ep" in address.options and "out_ep" in address.options:
            return int(address.options["in_ep"], 0), int(address.options["out_ep"], 0)
        interface = device.get_active_configuration()[(0, 0)]

        def bulk(direction: int) -> int:
            endpoint = util.find_descriptor(interface, custom_match=lambda e: (
                util.endpoint_direction(e.bEndpointAddress) == direction
                and util.endpoint_type(e.bmAttributes) == util.ENDPOINT_TYPE_BULK))
            if endpoint is None:
                raise RuntimeError("no bulk endpoint")
            return endpoint.bEndpointAddress

        return bulk(util.ENDPOINT_IN), bulk(util.ENDPOINT_OUT)

    def send(self, data: bytes, timeout: float) -> None:
        try:
            self.device.write(self.out_ep, data, max(1, int(timeout * 1000)))
        except self._usb.core.USBTimeoutError as err:
            raise _WriteStalled(f"the printer accepted no data for {timeout:g} s") from err
        except self._usb.core.USBError as err:
            raise _LinkClosed(f"USB: {err}") from err

    def recv(self, timeout: float) -> bytes:
        try:
            return bytes(self.device.read(self.in_ep, 64, max(1, int(timeout * 1000))))
        except self._usb.core.USBTimeoutError:
            return b""
        except self._usb.core.USBError as err:
            raise _LinkClosed(f"USB: {err}") from err

    def close(self) -> None:
        try:
            self._usb.util.dispose_resources(self.device)
        except Exception:
            pass


# --- the raster ----------------------------------------------------------------------------------------------

# PDFium is one global library and not thread-safe: one rendering at a time in this process.
SUPERSAMPLE = 4  # sub-pixels per dot, each way
STRIP_ROWS = 256  # dots rendered at a time (2304 x 1024 grey at 576 dots: 2.4 MB)
_PDFIUM_LOCK = threading.Lock()


def page_placement(page_width_pt: float, width_dots: int, dpi: int = PRINT_DPI) -> tuple[float, float]:
    """(scale in pixels per PDF point, left edge of the head on the page in pixels) for a page that wide.

    The head covers the middle of the roll: the page less ``ROLL_MARGIN_MM`` each side. When that printable
    width fits the head (576 dots hold 72 mm = 575.4 dots), the scale is exactly ``dpi``/72 and the offset a
    whole number of dots, so anything the PDF drew on the dot grid stays on whole dots; otherwise the page is
    scaled so its printable width fills the head.
    """
    scale = dpi / 72.0
    page_dots = page_width_pt * scale
    printable = page_dots - 2 * ROLL_MARGIN_MM / 25.4 * dpi
    if printable <= width_dots + 1:
        return scale, float(round((page_dots - width_dots) / 2))
    fit = width_dots / printable
    return scale * fit, (page_dots * fit - width_dots) / 2


def rasterise_pdf(path: Path | str, width_dots: int = DEFAULT_WIDTH_DOTS, *, dpi: int = PRINT_DPI,
                  threshold: int = 128) -> np.ndarray:
    """The PDF as the head prints it: a bool array (rows x ``width_dots``), True = black, pages one under another.

    PDFium renders each page in grey at ``SUPERSAMPLE`` x the exact scale (an explicit matrix: pypdfium2's
    ``render`` rounds the bitmap up to whole pixels and so stretches the page by a fraction of a dot), each dot is
    the mean of its sub-pixels, and a dot prints when at least half of it is covered (``threshold``). Supersampling
    rather than PDFium's own anti-aliasing because PDFium fills an axis-aligned rectangle to its *outer* whole
    pixels: a QR module whose edge the PDF writes as 387.00003 dots would gain a whole dot; here it gains a
    quarter of one, which the threshold drops. Edges on the dot grid, like the QR modules, come out exact.
    Rendered in strips of ``STRIP_ROWS`` dots, so a long document never needs a large bitmap.
    """
    # pypdfium2: PDFium (Chromium's PDF renderer) in a wheel, for Linux, Windows and macOS alike, no system
    # package (poppler, ghostscript) to install, and it loads in a frozen build; kept up with PDFium upstream.
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    f = SUPERSAMPLE
    flags = pdfium_c.FPDF_GRAYSCALE | pdfium_c.FPDF_PRINTING | pdfium_c.FPDF_ANNOT
    pages = []
    with _PDFIUM_LOCK:
        pdf = pdfium.PdfDocument(str(path))
        try:
            for index in range(len(pdf)):
                page = pdf[index]
                try:
                    width_pt, height_pt = page.get_size()
                    scale, left = page_placement(width_pt, width_dots, dpi)
                    rows = max(1, math.ceil(height_pt * scale - 1e-6))
                    black = np.empty((rows, width_dots), dtype=bool)
                    for top in range(0, rows, STRIP_ROWS):
                        strip = min(STRIP_ROWS, rows - top)
                        bitmap = pdfium.PdfBitmap.new_native(width_dots * f, strip * f, pdfium_c.FPDFBitmap_Gray)
                        try:
                            bitmap.fill_rect((255, 255, 255, 255), 0, 0, width_dots * f, strip * f)
                            matrix = pdfium_c.FS_MATRIX(scale * f, 0, 0, scale * f, -left * f, -top * f)
                            clip = pdfium_c.FS_RECTF(0, 0, width_dots * f, strip * f)
                            pdfium_c.FPDF_RenderPageBitmapWithMatrix(bitmap, page, ctypes.byref(matrix),
                                                                     ctypes.byref(clip), flags)
                            grey = bitmap.to_numpy().reshape(strip * f, -1)[:, :width_dots * f]
                            sums = grey.reshape(strip, f, width_dots, f).sum(axis=(1, 3), dtype=np.uint32)
                        finally:
                            bitmap.close()
                        black[top:top + strip] = sums < threshold * f * f
                    pages.append(black)
                finally:
                    page.close()
        finally:
            pdf.close()
    if not pages:
        raise ValueError("the PDF has no pages")
    return np.vstack(pages)


def raster_commands(black: np.ndarray, band_rows: int = BAND_ROWS) -> list[bytes]:
    """``GS v 0`` commands (normal density), one per band of at most ``band_rows`` rows."""
    rows, width = black.shape
    if width % 8:
        raise ValueError("the raster width must be a whole number of bytes")
    packed = np.packbits(black, axis=1)  # MSB first, 1 = print a dot: GS v 0's layout
    width_bytes = width // 8
    bands = []
    for top in range(0, rows, band_rows):
        band = packed[top:top + band_rows]
        header = b"\x1dv0\x00" + width_bytes.to_bytes(2, "little") + len(band).to_bytes(2, "little")
        bands.append(header + band.tobytes())
    return bands


# --- status --------------------------------------------------------------------------------------------------

def is_status_reply(byte: int) -> bool:
    """Whether ``byte`` has the fixed bits of a DLE EOT reply (0xx1xx10b)."""
    return (byte & REPLY_MASK) == REPLY_FIXED


def status_from_replies(replies: dict[int, int]) -> PrinterStatus:
    """A :class:`PrinterStatus` from the DLE EOT 1..4 reply bytes (Epson's bit meanings)."""
    s1, s2, s3, s4 = (replies.get(n, REPLY_FIXED) for n in (1, 2, 3, 4))
    paper_end = bool(s4 & S4_PAPER_END) or bool(s2 & S2_PAPER_END_STOP)
    near_end = bool(s4 & S4_NEAR_END)
    paper = "out" if paper_end else "low" if near_end else "ok"
    errors = tuple(reason for bit, reason in ((S3_MECHANICAL, "mechanical-error"), (S3_CUTTER, "cutter-error"),
                                              (S3_UNRECOVERABLE, "unrecoverable-error"),
                                              (S3_AUTO_RECOVERABLE, "recoverable-error")) if s3 & bit)
    if s2 & S2_COVER_OPEN:
        return PrinterStatus("offline", paper, ESCPOS_MESSAGES["cover_open"], ("cover-open-error",) + errors)
    if paper_end:
        return PrinterStatus("paper_out", "out", STATUS_MESSAGES["paper_out"], ("media-empty-error",) + errors)
    if errors or s2 & S2_ERROR:
        return PrinterStatus("offline", paper, ESCPOS_MESSAGES["printer_error"], errors or ("other-error",))
    low = ("media-low-report",) if near_end else ()
    if s1 & S1_OFFLINE:
        reason = "media-feed-report" if s2 & S2_FEED_BUTTON else "offline-report"
        return PrinterStatus("offline", paper, STATUS_MESSAGES["offline"], (reason,) + low)
    return PrinterStatus("ready", paper, STATUS_MESSAGES["paper_low" if near_end else "ready"], low)


def not_responding() -> PrinterStatus:
    """What an unanswered status request means: not "ok", ever."""
    return PrinterStatus("offline", "unknown", ESCPOS_MESSAGES["not_responding"], ("not-responding",))


class _Session:
    """One connection's conversation: questions out, answers sorted as they come back.

    Replies are single bytes told apart by their fixed bits: DLE EOT's have bit 4 set, GS r's have it clear.
    """

    def __init__(self, link: _Link, status_timeout: float, io_timeout: float) -> None:
        self.link = link
        self.status_timeout = status_timeout
        self.io_timeout = io_timeout
        self.buffer = bytearray()
        self.awaiting_confirm = False
        self.confirmed = False

    def send(self, data: bytes) -> None:
        self.link.send(data, self.io_timeout)

    def _fill(self, deadline: float) -> bool:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.buffer += self.link.recv(remaining)
        return True

    def status_byte(self, n: int) -> int | None:
        """DLE EOT ``n``; None when no reply comes within the status timeout."""
        self.send(DLE_EOT + bytes([n]))
        deadline = time.monotonic() + self.status_timeout
        while True:
            while self.buffer:
                byte = self.buffer.pop(0)
                if is_status_reply(byte):
                    return byte
                if self.awaiting_confirm and (byte & 0x90) == 0:
                    self.confirmed = True  # GS r 1's reply overtook ours
            if not self._fill(deadline):
                return None

    def status(self) -> dict[int, int] | None:
        """DLE EOT 1, 2, 3 and 4; None at the first that goes unanswered."""
        replies = {}
        for n in (1, 2, 3, 4):
            byte = self.status_byte(n)
            if byte is None:
                return None
            replies[n] = byte
        return replies

    def wait_confirm(self, timeout: float) -> bool:
        """Whether GS r 1's reply came (now or earlier) within ``timeout``."""
        deadline = time.monotonic() + timeout
        while not self.confirmed:
            while self.buffer and not self.confirmed:
                byte = self.buffer.pop(0)
                self.confirmed = (byte & 0x90) == 0  # GS r 1's reply: bit 4 clear
            if not self.confirmed and not self._fill(deadline):
                break
        return self.confirmed

    def model_name(self) -> str | None:
        """GS I 67: the printer's model name, or None when it does not say."""
        self.link.drain()
        self.send(GS_I_MODEL)
        deadline = time.monotonic() + self.status_timeout
        while b"\x00" not in self.buffer and self._fill(deadline):
            pass
        reply, _, _rest = bytes(self.buffer).partition(b"\x00")
        self.buffer.clear()
        self.link.drain()  # a late or longer reply must not pass for a status byte
        text = reply.removeprefix(b"_").decode("ascii", "replace")
        text = "".join(ch for ch in text if ch.isprintable()).strip()
        return text or None


# --- the printer ---------------------------------------------------------------------------------------------

class EscposPrinter(Printer):
    """An ESC/POS printer at ``address``; see the module's docstring.

    ``width_dots``: the head's width (576 for 80 mm; 512, 384). ``status_timeout_s``: how long each status
    question may go unanswered before the printer is "not responding". ``connect_timeout_s`` and
    ``io_timeout_s`` bound opening the connection and each write. ``mm_per_s`` is the slowest print speed
    allowed for when waiting for a job to be confirmed (a 200 mm receipt at 50 mm/s: 4 s).
    """

    def __init__(self, address: str, *, width_dots: int = DEFAULT_WIDTH_DOTS, status_timeout_s: float = 1.0,
                 connect_timeout_s: float = 3.0, io_timeout_s: float = 10.0, band_rows: int = BAND_ROWS,
                 threshold: int = 128, mm_per_s: float = 50.0) -> None:
        if width_dots % 8 or not 8 <= width_dots <= 1024:
            raise ValueError(f"width_dots must be a multiple of 8 up to 1024 (576, 512, 384), not {width_dots}")
        if not 1 <= band_rows <= 1024:
            raise ValueError("band_rows must be 1..1024")
        self.address = address
        self._address = parse_address(address)
        self.width_dots = width_dots
        self.status_timeout_s = status_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.io_timeout_s = io_timeout_s
        self.band_rows = band_rows
        self.threshold = threshold
        self.mm_per_s = mm_per_s
        self.model = DEFAULT_MODEL
        self._identified = False
        self._confirms: bool | None = None  # whether the printer answers GS r 1 (None: not yet known)
        self._lock = threading.Lock()  # one job (or status request) on the printer at a time
        self._seq = itertools.count(1)
        self._last: PrinterStatus | None = None

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.model

    def __repr__(self) -> str:
        return f"EscposPrinter({self.address!r}, width_dots={self.width_dots}, model={self.model!r})"

    # -- connection --

    def _open(self) -> _Session:
        a = self._address
        if a.scheme == "tcp":
            link: _Link = _TcpLink(a.host, a.port, self.connect_timeout_s)
        elif a.scheme == "serial":
            link = _SerialLink(a, self.connect_timeout_s)
        else:
            link = _UsbLink(a)
        return _Session(link, self.status_timeout_s, self.io_timeout_s)

    def _identify(self, session: _Session) -> None:
        """Ask the model once, after the printer first answered its status."""
        if self._identified:
            return
        self._identified = True
        model = session.model_name()
        if model:
            self.model = model
            log.info("ESC/POS printer at %s is a %s", self.address, model)
        else:
            log.info("ESC/POS printer at %s does not tell its model (GS I 67)", self.address)

    def _check(self, session: _Session, when: str) -> PrinterStatus:
        """The real-time status, as a PrinterStatus; unanswered is "not responding"."""
        replies = session.status()
        status = not_responding() if replies is None else status_from_replies(replies)
        if replies is None:
            log.warning("ESC/POS printer at %s: no answer to DLE EOT within %.1f s (%s)", self.address,
                        self.status_timeout_s, when)
        self._last = status
        return status

    # -- Printer --

    def status(self) -> PrinterStatus:
        if not self._lock.acquire(blocking=False):
            last = self._last
            paper = last.paper if last is not None else "unknown"
            return PrinterStatus("printing", paper, STATUS_MESSAGES["printing"],
                                 last.reasons if last is not None and last.ok else ())
        try:
            try:
                session = self._open()
            except PrinterError as err:
                log.info("ESC/POS printer at %s: %s", self.address, err.detail)
                state = "not_found" if err.code == "not_found" else "offline"
                reason = "not-found" if state == "not_found" else "not-responding"
                message = STATUS_MESSAGES["not_found"] if state == "not_found" else ESCPOS_MESSAGES["not_responding"]
                return PrinterStatus(state, "unknown", message, (reason,))
            try:
                status = self._check(session, "status")
                if status.reasons != ("not-responding",):
                    self._identify(session)
                return status
            except (_LinkClosed, _WriteStalled) as err:
                log.info("ESC/POS printer at %s: %s", self.address, err)
                return not_responding()
            finally:
                session.link.close()
        finally:
            self._lock.release()

    def print_pdf(self, path: Path, media: str | None = None) -> PrintJobResult:
        path = Path(path)
        media = media or DEFAULT_MEDIA

        def fail(code: str, detail: str, message: dict[str, str] | None = None) -> PrinterError:
            return PrinterError(code, message, detail=detail, path=path, media=media)

        try:
            with path.open("rb") as document:
                if document.read(5) != b"%PDF-":
                    raise fail("job_failed", f"{path.name} is not a PDF")
        except OSError as err:
            raise fail("job_failed", f"cannot read {path}: {err}") from err
        try:
            black = rasterise_pdf(path, self.width_dots, threshold=self.threshold)
        except Exception as err:  # a damaged PDF: PdfiumError, ValueError, ...
            raise fail("job_failed", f"cannot rasterise {path.name}: {err!r}") from err
        bands = raster_commands(black, self.band_rows)

        with self._lock:
            try:
                session = self._open()
            except PrinterError as err:
                err.path, err.media = path, media
                raise
            try:
                return self._job(session, path, media, bands, black.shape[0], fail)
            except _LinkClosed as err:
                raise fail("offline", f"{err}: the job was not printed") from err
            except _WriteStalled as err:
                raise self._stalled(str(err), fail) from err
            finally:
                session.link.close()

    def _blocking(self, status: PrinterStatus, fail, stage: str) -> PrinterError | None:
        """The error for a status that stops printing, or None."""
        if status.ok:
            return None
        if status.state == "paper_out":
            return fail("paper_out", f"paper out {stage} ({', '.join(status.reasons)})")
        if "not-responding" in status.reasons:
            return fail("offline", f"not responding to status requests {stage} "
                                   f"(DLE EOT, {self.status_timeout_s:g} s)", ESCPOS_MESSAGES["not_responding"])
        return fail("offline", f"{status.state} {stage} ({', '.join(status.reasons)})", status.message)

    def _job(self, session: _Session, path: Path, media: str, bands: list[bytes], rows: int,
             fail) -> PrintJobResult:
        session.link.drain()
        error = self._blocking(self._check(session, "before a job"), fail, "before the job")
        if error is not None:
            raise error
        self._identify(session)
        session.send(ESC_INIT + GS_ASB_OFF)
        for band in bands:
            session.send(band)
        session.send(GS_CUT)
        # GS r 1 is answered only once everything before it has been processed (printed, cut).
        session.awaiting_confirm = True
        session.send(GS_R_PAPER)
        # The longest the printing may take at ``mm_per_s``, and a margin for a printer known to answer GS r.
        printing_s = rows / (PRINT_DPI / 25.4) / self.mm_per_s
        deadline = time.monotonic() + printing_s + (0.0 if self._confirms is False else 3.0)
        poll = min(self.status_timeout_s, 0.25)  # how often the sensors are asked meanwhile
        while not session.wait_confirm(min(poll, max(0.0, deadline - time.monotonic()))):
            replies = session.status()  # meanwhile the printer's sensors, which it answers at once
            if replies is not None:
                status = status_from_replies(replies)
                error = self._blocking(status, fail, "during the job: not printed")
                if error is not None:
                    self._last = status
                    raise error
            if session.confirmed or time.monotonic() >= deadline:
                break
        if not session.confirmed and self._confirms is not False:
            log.warning("ESC/POS printer at %s did not answer GS r 1 within %.1f s: from now on its status after "
                        "the printing time decides", self.address, printing_s + 3.0)
        after = self._check(session, "after a job")
        error = self._blocking(after, fail, "after the job: not printed")
        if error is not None:
            raise error
        self._confirms = session.confirmed
        seq = next(self._seq)
        log.info("printed %s on %s (%d dots x %d rows, %d bands)", path.name, self.name, self.width_dots, rows,
                 len(bands))
        return PrintJobResult(path=path, media=media, job_id=f"escpos-{seq}", printer=self.name)

    def _stalled(self, detail: str, fail) -> PrinterError:
        """The printer stopped taking data: ask its status on a fresh connection to say why."""
        try:
            session = self._open()
        except PrinterError:
            return fail("offline", f"{detail}; then unreachable: the job was not printed")
        try:
            session.link.drain()
            error = self._blocking(self._check(session, "after a stalled job"), fail, "(stalled job): not printed")
        except (_LinkClosed, _WriteStalled):
            error = None
        finally:
            session.link.close()
        return error or fail("offline", f"{detail}: the job was not printed")
