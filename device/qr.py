"""QR decoding of camera frames: three libraries behind one small interface, and the kiosk's pipeline.

A :class:`Decoder` turns a grey frame into the texts of the QR codes it finds (zxing-cpp, pyzbar,
OpenCV). zxing-cpp is the fastest and surest single library on camera frames, so
:class:`QrPipeline` tries it first on the whole grey frame; only when that fails does it spend time on
fallbacks: first the symbol zxing-cpp located but could not read, cropped and enlarged (median,
sharpen, pyzbar, CLAHE with a global binariser), then whole-frame variants (half size, median,
sharpen, enlarged, CLAHE, pyzbar, inverted). It stops at the first text the caller's ``accept``
predicate takes (the kiosk passes one that parses the text as an ID card, so a payment QR in view
does not end the search), and a time budget bounds the fallbacks: the camera delivers another frame
soon anyway. ``benchmarks/qr_decode.py`` measures it against each library; figures in
``benchmarks/README.md``.

This module imports nothing from ``kiosk`` (DESIGN.md section 4): the caller passes the predicate.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np

log = logging.getLogger(__name__)

Accept = Callable[[str], bool]


@dataclass(frozen=True)
class DecodeResult:
    text: str
    decoder: str  # which stage read it, e.g. "zxing" or "zxing/crop-x2"
    ms: float  # time spent in decode(), all stages tried included


def to_grey(frame: np.ndarray) -> np.ndarray:
    """A contiguous 8-bit grey image from a grey, BGR or BGRA frame."""
    if frame.ndim == 3:
        code = cv2.COLOR_BGRA2GRAY if frame.shape[2] == 4 else cv2.COLOR_BGR2GRAY
        frame = cv2.cvtColor(frame, code)
    if frame.dtype != np.uint8:
        frame = np.clip(frame, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(frame)


class Decoder:
    """One QR library. ``decode`` returns the texts of every QR it reads in a grey frame."""

    name = "decoder"

    def decode(self, frame: np.ndarray) -> list[str]:
        raise NotImplementedError


class ZxingDecoder(Decoder):
    """zxing-cpp: finds QRs anywhere in the frame, at any angle, with its own downscaling."""

    name = "zxing"

    def __init__(self, binarizer: str = "LocalAverage", try_invert: bool = True, try_rotate: bool = True) -> None:
        import zxingcpp

        self._zx = zxingcpp
        self._options = {"formats": zxingcpp.BarcodeFormat.QRCode, "binarizer": getattr(zxingcpp.Binarizer, binarizer),
                         "try_invert": try_invert, "try_rotate": try_rotate}

    def read(self, grey: np.ndarray, return_errors: bool = False) -> list:
        """zxing-cpp's barcodes; with ``return_errors`` also those located but unreadable, with position."""
        return self._zx.read_barcodes(grey, return_errors=return_errors, **self._options)

    def decode(self, frame: np.ndarray) -> list[str]:
        return [b.text for b in self.read(to_grey(frame)) if b.valid and b.text]


class PyzbarDecoder(Decoder):
    """ZBar through pyzbar: a different detector and binariser, so it fails on other frames than zxing."""

    name = "pyzbar"

    def __init__(self) -> None:
        from pyzbar import pyzbar  # needs libzbar0; ImportError when the system library is missing

        self._pyzbar = pyzbar
        self._symbols = [pyzbar.ZBarSymbol.QRCODE]

    def decode(self, frame: np.ndarray) -> list[str]:
        texts = []
        for symbol in self._pyzbar.decode(to_grey(frame), symbols=self._symbols):
            try:
                texts.append(symbol.data.decode("utf-8"))
            except UnicodeDecodeError:
                continue  # not a UTF-8 text QR: never a card
        return texts


class OpenCvDecoder(Decoder):
    """OpenCV's QRCodeDetector: no extra dependency, but slower and weaker on camera frames."""

    name = "opencv"

    def __init__(self) -> None:
        self._detector = cv2.QRCodeDetector()

    def decode(self, frame: np.ndarray) -> list[str]:
        try:
            text, _points, _ = self._detector.detectAndDecode(to_grey(frame))
        except cv2.error:
            return []
        return [text] if text else []


def available_decoders() -> dict[str, Decoder]:
    """Every single-library decoder that can run here, by name (pyzbar needs libzbar0)."""
    decoders: dict[str, Decoder] = {}
    for cls in (ZxingDecoder, PyzbarDecoder, OpenCvDecoder):
        try:
            decoders[cls.name] = cls()
        except (ImportError, OSError) as err:  # a missing wheel or system library
            log.warning("QR decoder %s unavailable: %s", cls.name, err)
    return decoders


# --- image helpers for the fallbacks --------------------------------------------------------------

def _clahe(grey: np.ndarray) -> np.ndarray:
    # A CLAHE object keeps scratch buffers: one per call, as two camera workers may decode at once.
    return cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(grey)


def _sharpen(grey: np.ndarray, sigma: float = 2.0, amount: float = 1.0) -> np.ndarray:
    """Unsharp mask: restores module edges a defocused or shaken camera smeared."""
    blurred = cv2.GaussianBlur(grey, (0, 0), sigma)
    return cv2.addWeighted(grey, 1.0 + amount, blurred, -amount, 0)


def _crop(grey: np.ndarray, corners: np.ndarray, margin: float = 0.35) -> np.ndarray | None:
    """The axis-aligned box around ``corners``, widened by ``margin`` of its size for the quiet zone."""
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    side = max(x1 - x0, y1 - y0)
    if side < 12:
        return None
    pad = side * margin
    h, w = grey.shape
    xa, ya = int(max(0, x0 - pad)), int(max(0, y0 - pad))
    xb, yb = int(min(w, x1 + pad)), int(min(h, y1 + pad))
    if xb - xa < 16 or yb - ya < 16:
        return None
    return grey[ya:yb, xa:xb]


def _enlarge(grey: np.ndarray, factor: float) -> np.ndarray:
    return cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)


# --- the pipeline ---------------------------------------------------------------------------------

class QrPipeline:
    """zxing-cpp first, fallbacks only on failure; ``feed`` decodes every Nth frame of a stream."""

    def __init__(self, every_nth: int = 3, accept: Accept | None = None, budget_ms: float = 250.0,
                 full_search_every: int = 4) -> None:
        self.every_nth = max(1, every_nth)
        self.accept = accept
        self.budget_ms = budget_ms
        # On a stream, the whole-frame variants (up to ``budget_ms`` of work) run on one decoded frame in
        # ``full_search_every``: an empty slot or a passing hand otherwise costs ~100 ms of decoding per
        # frame, fighting the GUI thread for the GIL (the UI stalls); a card too blurred for zxing-cpp to
        # read is still searched several times a second. Single-frame decode() always searches in full.
        self.full_search_every = max(1, full_search_every)
        self._decodes = 0
        # A card QR is dark on light: skipping zxing-cpp's inverted pass and its rotation retries (for
        # 1D codes) cuts the common case by a quarter; an inverted frame still has its own fallback.
        self._zxing = ZxingDecoder(try_invert=False, try_rotate=False)
        self._zxing_global = ZxingDecoder("GlobalHistogram", try_invert=False, try_rotate=False)
        try:
            self._pyzbar: PyzbarDecoder | None = PyzbarDecoder()
        except (ImportError, OSError) as err:
            log.warning("pyzbar unavailable, pipeline runs without it: %s", err)
            self._pyzbar = None
        self._count = 0

    def feed(self, frame: np.ndarray, accept: Accept | None = None,
             cancelled: Callable[[], bool] | None = None) -> DecodeResult | None:
        """Decode one frame in every ``every_nth`` of a stream; ``None`` for the others. ``cancelled``
        (the camera stopping) ends a long search between two variants."""
        self._count += 1
        if (self._count - 1) % self.every_nth:
            return None
        self._decodes += 1
        full = (self._decodes - 1) % self.full_search_every == 0
        return self.decode(frame, accept, full_search=full, cancelled=cancelled)

    def decode(self, frame: np.ndarray, accept: Accept | None = None, *, full_search: bool = True,
               cancelled: Callable[[], bool] | None = None) -> DecodeResult | None:
        """The first text in ``frame`` that ``accept`` takes (any text without a predicate), or None.
        Without ``full_search``: zxing-cpp and the region it located only, not the whole-frame variants."""
        accept = accept or self.accept
        start = time.perf_counter()
        grey = to_grey(frame)

        def take(texts: list[str], stage: str) -> DecodeResult | None:
            for text in texts:
                if accept is None or accept(text):
                    return DecodeResult(text, stage, (time.perf_counter() - start) * 1000)
            return None

        def over_budget() -> bool:
            return (time.perf_counter() - start) * 1000 > self.budget_ms or bool(cancelled and cancelled())

        barcodes = self._zxing.read(grey, return_errors=True)
        found = take([b.text for b in barcodes if b.valid and b.text], "zxing")
        if found:
            return found
        # zxing-cpp located a symbol but could not read it: enlarge that region and re-binarise.
        for barcode in barcodes:
            if barcode.valid:
                continue
            p = barcode.position
            corners = np.array([[c.x, c.y] for c in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)],
                               np.float32)
            crop = _crop(grey, corners)
            if crop is None or max(crop.shape) > 600:
                continue
            for stage, image in self._crop_variants(crop):
                found = take(self._decode_with(stage, image), f"zxing-located/{stage}")
                if found or over_budget():
                    return found
        if not full_search:
            return None
        for stage, image in self._frame_variants(grey):
            found = take(self._decode_with(stage, image), stage)
            if found or over_budget():
                return found
        return None

    def _decode_with(self, stage: str, image: np.ndarray) -> list[str]:
        library = stage.split("/", 1)[0]
        if library == "pyzbar":
            return self._pyzbar.decode(image) if self._pyzbar else []
        if library == "zxing-global":
            return self._zxing_global.decode(image)
        return self._zxing.decode(image)

    # Variants in order of frames read per millisecond, measured with benchmarks/qr_decode.py: a small
    # blurred QR is read once its modules are enlarged past ~4 px and its edges restored.
    def _crop_variants(self, crop: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
        x2 = _enlarge(crop, 2.0)
        yield "zxing/crop-x2-median", cv2.medianBlur(x2, 3)
        yield "zxing/crop-x3", _enlarge(crop, 3.0)
        yield "zxing/crop-x2-sharpen", _sharpen(x2)
        yield "pyzbar/crop-x2-sharpen", _sharpen(x2)
        yield "zxing-global/crop-x2-clahe", _clahe(x2)

    def _frame_variants(self, grey: np.ndarray) -> Iterator[tuple[str, np.ndarray]]:
        yield "zxing/half", cv2.resize(grey, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        yield "zxing/median", cv2.medianBlur(grey, 3)
        yield "zxing/sharpen", _sharpen(grey)
        yield "zxing/sharpen-strong", _sharpen(grey, 1.5, 3.0)
        yield "zxing/x2", _enlarge(grey, 2.0)
        yield "zxing/x1.5-sharpen", _sharpen(_enlarge(grey, 1.5))
        yield "zxing-global/clahe", _clahe(grey)
        yield "pyzbar/frame", grey
        yield "zxing/inverted", cv2.bitwise_not(grey)


_default_pipeline: QrPipeline | None = None


def decode(frame: np.ndarray, accept: Accept | None = None) -> DecodeResult | None:
    """Decode one frame with a process-wide :class:`QrPipeline` (not thread-safe across threads)."""
    global _default_pipeline
    if _default_pipeline is None:
        _default_pipeline = QrPipeline()
    return _default_pipeline.decode(frame, accept)
