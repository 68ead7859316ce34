"""Reading a card that lies in the tray: many frames of one still code, a bounded cost per frame.

:class:`QrPipeline` reads one frame as well as it can, and a frame it cannot read costs up to its
budget (a few hundred milliseconds of the camera thread). A card lying in the tray offers more than
one frame: the same code, still, frame after frame, each with its own sensor noise. :class:`TrayReader`,
the camera worker's reader (its ``feed`` is called like the pipeline's), is built on that:

* **Average the still frames.** Consecutive frames of a still scene are averaged (a running mean, then
  an exponential one), so sensor, low-light and compression noise fall with the square root of the
  number of frames. Each frame is compared with the average at 1/4 size (against the noise measured
  in the difference itself, so a drift of a fraction of a pixel counts) and at 1/32 size (a hand, a
  card placed or taken; and a different scene, however dim, no longer correlates): any change starts
  the average again from that frame. (Frames are not re-aligned: a card that moves is a new scene.)
* **zxing-cpp on the average**, every decoded frame, without the inverted and rotated retries (a card
  QR is dark on light): a plain card reads here on its first frame. Once read, the next frames of the
  same still scene try that region alone first, a fraction of a whole-frame pass.
* **Locate once, then work on the region.** A texture map of the average (fine detail, box-filtered
  over a small QR's size at half resolution, ~0.5 ms) points at the dense squares of QR codes; the
  symbols zxing-cpp located but could not read widen them. Each region is cropped from the average
  and tried in variants: deconvolved for a Gaussian blur (a Wiener filter applied as a small kernel,
  two widths), for a motion streak (its direction and length estimated from the region, only where
  the region's gradients show one), or sharpened (unsharp masks); stretched to the full grey range,
  enlarged (cubic) to about 5 px per module, and binarised by zxing-cpp (local or fixed threshold)
  or ZBar. A variant costs about a millisecond, the streak one about two.
* **A budget per frame.** The extra work of one frame is capped at ``budget_ratio`` times what a
  zxing-cpp pass took on the scene's first, raw frame (so it scales with the machine and the scene),
  plus what the scene's earlier frames left unspent (at most two frames' worth), using running
  estimates of each step's cost; what does not fit waits for the next frame, which brings a better
  average anyway. A miss costs about as much as zxing-cpp alone, never hundreds of milliseconds, and
  the cycle of variants is spread over a few frames.
* **Never a wrong text.** Every text is a Reed-Solomon-checked zxing-cpp or ZBar decode and must pass
  the caller's ``accept`` predicate (the kiosk's parses it as a card); a region that decoded to a
  refused text (a payment QR beside the card) is not worked on again.

``benchmarks/qr_decode.py`` feeds it bursts of frames of a still card from two generator families,
against each single library; figures in ``benchmarks/README.md``. Imports nothing from ``kiosk``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np

from device.qr import Accept, DecodeResult, QrPipeline, ZxingDecoder, to_grey

log = logging.getLogger(__name__)

# The still check. Coarse: 1/32-size copies (even sigma-45 sensor noise averages out to ~1.4 levels), a
# block changing by _COARSE_LEVEL grey levels over _COARSE_AREA of the frame (a hand, a card placed or
# taken: changes too wide for the fine check's noise estimate), or the copies correlating less than
# _COARSE_CORRELATION (a different scene in low light, where few blocks change by 10 levels). Fine:
# 1/4-size copies, a pixel changing by _FINE_SIGMAS times the noise of the difference (from its mean
# absolute deviation) over _FINE_AREA of the frame (edges moving by a fraction of a pixel).
_COARSE_LEVEL, _COARSE_AREA = 10.0, 0.01
_COARSE_CORRELATION, _COARSE_MIN_VARIANCE = 0.98, 4.0
_FINE_SIGMAS, _FINE_FLOOR, _FINE_AREA = 6.0, 4.0, 0.002
_TARGET_MODULE_PX = 5.5  # enlarge a region until its modules are about this wide
_MODULES_GUESS = 50  # a card QR (version 7-10) is 45-57 modules wide
_MIN_REGION_SIDE = 60  # px of the frame: a card QR at 2 px per module is 90; smaller ones are a finder
#                        pattern zxing-cpp located alone (the texture map covers the symbol around it)
_MAX_REGION_SIDE = 520  # px of the frame; larger codes are read by the whole-frame pass
_MAX_WORK_SIDE = 900  # px of an enlarged region
_CREDIT_FRAMES = 2  # unspent budget carried to the next frames: at most this many frames' worth
_MAX_REGIONS = 3  # regions worked on at once: the densest texture, symbols zxing-cpp located
_WIENER_NOISE = 0.02  # the Wiener filter's noise-to-signal ratio (the average has little noise left)
_STREAK_ANISOTROPY = 1.4  # gradients this much stronger across than along a direction: a motion streak
_STREAK_LENGTHS = (3, 16)  # px, the streak lengths looked for

# The variants tried on a region: (stage name, filter, decoder). Filters: "as-is" (the crop as it is:
# a code read on an earlier frame of the same still scene), ("sharpen", sigma per unit of enlargement,
# amount), ("deblur", Gaussian sigma in frame pixels), ("motion",): a streak's direction and length
# estimated from the region itself, and undone (only where the region's gradients are anisotropic). The
# order is the greedy cover of the hard bursts both generator families of benchmarks/qr_decode.py offer
# (each variant adds the most not yet read); the streak variant is tried first on a region that shows a
# streak and never on the others.
_AS_IS = 0
_VARIANTS: tuple[tuple[str, object, str], ...] = (
    ("as-is", "as-is", "zxing"),
    ("sharpen", ("sharpen", 1.5, 2.0), "zxing"),
    ("deblur-fixed", ("deblur", 1.6), "zxing-fixed"),
    ("deblur-motion", ("motion",), "zxing"),
    ("deblur-light", ("deblur", 1.2), "zxing"),
    ("sharpen-fixed", ("sharpen", 1.5, 2.0), "zxing-fixed"),
    ("deblur", ("deblur", 1.6), "zxing"),
    ("sharpen-strong", ("sharpen", 1.0, 4.0), "zxing"),
    ("pyzbar", ("sharpen", 1.0, 1.5), "pyzbar"),
    ("plain", ("sharpen", 1.0, 0.0), "zxing"),
)


_ORDER_STREAKED = tuple(v for v, variant in enumerate(_VARIANTS) if variant[1] == ("motion",))


@dataclass(eq=False)
class _Region:
    x0: int
    y0: int
    x1: int
    y1: int
    source: str  # "texture" (the texture map) or "zxing" (a symbol zxing-cpp located)
    score: float = 0.0
    refused: bool = False  # decoded to a text the caller refused: another QR, not the card
    streaked: bool | None = None  # shows a motion streak (None: not looked at yet)

    def side(self) -> int:
        return max(self.x1 - self.x0, self.y1 - self.y0)

    def overlaps(self, other: _Region) -> bool:
        ix = min(self.x1, other.x1) - max(self.x0, other.x0)
        iy = min(self.y1, other.y1) - max(self.y0, other.y0)
        if ix <= 0 or iy <= 0:
            return False
        smaller = min((self.x1 - self.x0) * (self.y1 - self.y0), (other.x1 - other.x0) * (other.y1 - other.y0))
        return ix * iy > 0.3 * smaller


@dataclass
class _Cost:
    """A running estimate of one step's milliseconds per megapixel."""

    ms_per_mpx: float
    seen: int = 0

    def estimate(self, pixels: int) -> float:
        return self.ms_per_mpx * pixels / 1e6

    def update(self, ms: float, pixels: int) -> None:
        # One slow call (a first call, the machine busy) moves the estimate by a factor 3 at most: an
        # estimate too high to fit any budget would never be measured again.
        observed = min(max(ms * 1e6 / max(pixels, 1), self.ms_per_mpx / 3), self.ms_per_mpx * 3)
        self.seen += 1
        weight = 0.5 if self.seen < 4 else 0.2
        self.ms_per_mpx += weight * (observed - self.ms_per_mpx)

    def skipped(self) -> None:
        """The step did not fit a frame's budget: a little more optimistic next time, so a machine that
        was busy once does not shut a step out for good."""
        self.ms_per_mpx *= 0.95


@dataclass
class _State:
    """What the reader knows about the scene since it last changed."""

    mean: np.ndarray | None = None  # float32 running mean of the still frames
    quarter: np.ndarray | None = None  # ... of their 1/4-size copies
    small: np.ndarray | None = None  # ... of their 1/32-size copies
    frames: int = 0
    raw_pass_ms: float = 0.0  # the zxing-cpp pass on the scene's first (raw) frame
    credit_ms: float = 0.0  # budget the scene's earlier frames left unspent (negative: overran)
    regions: list[_Region] = field(default_factory=list)
    located_at: int = -1  # the frame count when the texture map last ran
    next_attempt: int = 0  # position in the cycle of (variant, region) attempts
    hot: tuple[int, _Region] | None = None  # the attempt that read last: tried first on the next frame


class _NoTime:
    """An attempt that did not fit in the frame's budget."""


_NO_TIME = _NoTime()


@lru_cache(maxsize=8)
def _deblur_kernel(sigma: float, noise: float = _WIENER_NOISE, size: int = 11) -> np.ndarray:
    """A Wiener deconvolution filter for a Gaussian blur of ``sigma`` px, as a small spatial kernel (11x11:
    OpenCV convolves it directly, ~0.4 ms on a region; from 12x12 it goes through the DFT, 6x slower,
    and 21x21 reads only a few more codes)."""
    n = 64
    fy, fx = np.fft.fftfreq(n)[:, None], np.fft.fftfreq(n)[None, :]
    blur = np.exp(-2 * np.pi**2 * sigma**2 * (fx**2 + fy**2))
    kernel = np.fft.fftshift(np.real(np.fft.ifft2(blur / (blur * blur + noise))))
    r = size // 2
    kernel = kernel[n // 2 - r:n // 2 + r + 1, n // 2 - r:n // 2 + r + 1]
    return (kernel / kernel.sum()).astype(np.float32)


def _streak_across(crop: np.ndarray) -> float | None:
    """The direction (degrees) of a region's strongest gradients if they are markedly stronger than
    across it (a motion streak runs at right angles to it), else None. A QR alone has as many edges
    one way as the other."""
    gx = cv2.Sobel(crop, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(crop, cv2.CV_32F, 0, 1, ksize=3)
    jxx, jyy, jxy = cv2.mean(gx * gx)[0], cv2.mean(gy * gy)[0], cv2.mean(gx * gy)[0]
    half_trace = (jxx + jyy) / 2
    spread = math.sqrt(max(half_trace * half_trace - (jxx * jyy - jxy * jxy), 0.0))
    if half_trace + spread < _STREAK_ANISOTROPY * max(half_trace - spread, 1e-6):
        return None
    return 0.5 * math.degrees(math.atan2(2 * jxy, jxx - jyy))


def _undo_streak(crop: np.ndarray) -> np.ndarray | None:
    """A motion streak undone, or None if the region shows none. The streak's direction is the one its
    gradients are weakest along (the structure tensor); the region is turned to lay it along the rows,
    where its length is the lag at which the derivative along the rows anti-correlates most (a box blur
    of length L turns each edge into two of opposite sign L apart); then a Wiener filter for that box,
    row by row. About 1.5 ms on a region."""
    across = _streak_across(crop)
    if across is None:
        return None
    h, w = crop.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), across + 90, 1.0)
    rows = cv2.warpAffine(crop, turn, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    slope = np.diff(rows, axis=1)
    low, high = _STREAK_LENGTHS
    length = low + int(np.argmin([cv2.mean(slope[:, :-lag] * slope[:, lag:])[0] for lag in range(low, high)]))
    n = cv2.getOptimalDFTSize(w + 2 * length)
    padded = cv2.copyMakeBorder(rows, 0, 0, length, n - w - length, cv2.BORDER_REFLECT)
    box = np.zeros(n, np.float32)
    box[:length] = 1.0 / length
    box = np.fft.rfft(np.roll(box, -(length // 2)))
    restored = np.fft.irfft(np.fft.rfft(padded, axis=1) * np.conj(box) / (np.abs(box) ** 2 + _WIENER_NOISE),
                            n=n, axis=1)
    return restored[:, length:length + w].astype(np.float32)


def _sharpen(image: np.ndarray, sigma: float, amount: float) -> np.ndarray:
    if amount <= 0:
        return image
    return cv2.addWeighted(image, 1.0 + amount, cv2.GaussianBlur(image, (0, 0), sigma), -amount, 0)


def _stretch(image: np.ndarray) -> np.ndarray:
    """To the full grey range (1st-99th percentile): a dim or glared card's modules then straddle a fixed
    threshold."""
    sample = image[::2, ::2].ravel()
    k = sample.size // 100
    ordered = np.partition(sample, (k, sample.size - 1 - k))
    low, high = float(ordered[k]), float(ordered[sample.size - 1 - k])
    scale = 255.0 / max(high - low, 8.0)
    return cv2.convertScaleAbs(image, alpha=scale, beta=-low * scale).astype(np.float32)


def _run(flags: np.ndarray, at: int) -> tuple[int, int]:
    """The run of true ``flags`` around index ``at``, as [start, end)."""
    falses = np.flatnonzero(~flags)
    before, after = falses[falses < at], falses[falses > at]
    return (int(before[-1]) + 1 if before.size else 0), (int(after[0]) if after.size else flags.size)


class TrayReader(QrPipeline):
    """The camera worker's QR reader for a card lying in the tray: :meth:`feed` frame after frame.

    ``feed(frame, accept=None, cancelled=None) -> DecodeResult | None`` like :class:`QrPipeline`'s, so
    the worker calls it the same way; every frame updates the average, one in ``every_nth`` is decoded.
    ``decode(frame)`` is still the single-frame full search (the scan command, the self-test). One
    reader per camera stream: it keeps the stream's state, and is not thread-safe.
    """

    def __init__(self, every_nth: int = 1, accept: Accept | None = None, budget_ratio: float = 1.5,
                 max_frames: int = 16, relocate_every: int = 4) -> None:
        super().__init__(every_nth=every_nth, accept=accept)
        self.budget_ratio = budget_ratio
        self.max_frames = max(1, max_frames)
        self.relocate_every = max(1, relocate_every)
        self._zxing_fixed = ZxingDecoder("FixedThreshold", try_invert=False, try_rotate=False)
        # Each step's cost in ms per megapixel of the enlarged region: a first guess, then measured.
        self._costs = {"locate": _Cost(3.0), "enlarge": _Cost(3.0), "deblur": _Cost(6.0), "motion": _Cost(12.0),
                       "zxing": _Cost(6.0), "zxing-fixed": _Cost(5.0), "pyzbar": _Cost(40.0)}
        self._state = _State()

    # --- the stream ---------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget the scene: the next frame starts a new average."""
        self._state = _State()

    @property
    def averaged(self) -> int:
        """How many frames the current average holds (1: the scene just changed)."""
        return self._state.frames

    def feed(self, frame: np.ndarray, accept: Accept | None = None,
             cancelled: Callable[[], bool] | None = None) -> DecodeResult | None:
        """Take the next frame of the stream; the first text ``accept`` takes (any without a predicate)
        once read, else None. ``cancelled`` (the camera stopping) ends the frame's extra work early."""
        start = time.perf_counter()
        grey = to_grey(frame)
        self._observe(grey)
        self._count += 1
        if (self._count - 1) % self.every_nth:
            return None
        accept = accept or self.accept
        state = self._state

        def result(found: tuple[str, str]) -> DecodeResult:
            return DecodeResult(found[0], found[1], (time.perf_counter() - start) * 1000)

        if state.hot is not None and state.frames > 1:  # the still scene read before: that region first,
            # within the frame's budget (a code read as it is costs a fraction of a pass; one ZBar read
            # after enlarging would cost several on every frame)
            deadline = start + (self.budget_ratio * state.raw_pass_ms + max(state.credit_ms, 0.0)) / 1000
            found = self._attempt(*state.hot, accept, lambda cost: time.perf_counter() + cost / 1000 <= deadline,
                                  {})
            if isinstance(found, tuple):
                return result(found)
            state.hot = None
        image = grey if state.frames == 1 else cv2.convertScaleAbs(state.mean)
        t0 = time.perf_counter()
        barcodes = self._zxing.read(image, return_errors=True)
        pass_ms = (time.perf_counter() - t0) * 1000
        if state.frames == 1:
            state.raw_pass_ms = pass_ms
        for barcode in barcodes:
            if barcode.valid and barcode.text:
                region = self._add_region(self._region_of(barcode))
                if accept is None or accept(barcode.text):
                    state.hot = (_AS_IS, region)
                    return result((barcode.text, "zxing" if state.frames == 1 else f"zxing/mean{state.frames}"))
                region.refused = True  # another QR (a payment QR beside the card): not worth more work
        for barcode in barcodes:
            if not barcode.valid:
                self._add_region(self._region_of(barcode))
        # The budget: a share of what a zxing-cpp pass costs on this scene's raw frames (the pass on the
        # average is quicker: less noise, fewer false finder patterns to follow), plus what the scene's
        # earlier frames left unspent (so a step costing two frames' budget runs on every other frame),
        # minus what they overran.
        budget = self.budget_ratio * max(pass_ms, state.raw_pass_ms)
        allowance = budget + state.credit_ms
        t0 = time.perf_counter()
        found = self._extra_work(image, accept, t0 + allowance / 1000, cancelled)
        spent = (time.perf_counter() - t0) * 1000
        state.credit_ms = min(max(allowance - spent, -budget), _CREDIT_FRAMES * budget)
        return result(found) if found else None

    # --- the average --------------------------------------------------------------------------------

    def _observe(self, grey: np.ndarray) -> None:
        state = self._state
        h, w = grey.shape
        half = cv2.resize(grey, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
        quarter = cv2.resize(half, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
        # (whole 8x8 blocks of the quarter: OpenCV's fast path, 15x quicker than a fractional one)
        small = cv2.resize(quarter[:max(8, (h // 32) * 8), :max(8, (w // 32) * 8)],
                           (max(1, w // 32), max(1, h // 32)), interpolation=cv2.INTER_AREA)
        quarter, small = quarter.astype(np.float32), small.astype(np.float32)
        if state.mean is not None and state.mean.shape == grey.shape and not self._moved(quarter, small):
            state.frames += 1
            weight = 1.0 / min(state.frames, self.max_frames)
            cv2.accumulateWeighted(grey, state.mean, weight)
            cv2.accumulateWeighted(quarter, state.quarter, weight)
            cv2.accumulateWeighted(small, state.small, weight)
            return
        self._state = _State(mean=grey.astype(np.float32), quarter=quarter, small=small, frames=1)

    def _moved(self, quarter: np.ndarray, small: np.ndarray) -> bool:
        state = self._state
        # A different scene, however dim (a low-light frame has little contrast for fixed thresholds): the
        # 1/32-size copies no longer correlate. Sensor noise is ~1/32 of the frame's there: a still scene
        # correlates at 0.999 and more.
        a = small - float(cv2.mean(small)[0])
        b = state.small - float(cv2.mean(state.small)[0])
        va, vb = float(cv2.mean(a * a)[0]), float(cv2.mean(b * b)[0])
        if max(va, vb) > _COARSE_MIN_VARIANCE and float(cv2.mean(a * b)[0]) < _COARSE_CORRELATION * math.sqrt(va * vb):
            return True
        coarse = cv2.subtract(small, state.small)
        # A change of exposure or a flickering lamp moves everything alike: measured from the mean change.
        coarse = cv2.absdiff(coarse, cv2.mean(coarse))
        if cv2.countNonZero(cv2.compare(coarse, _COARSE_LEVEL, cv2.CMP_GT)) > _COARSE_AREA * coarse.size:
            return True
        fine = cv2.subtract(quarter, state.quarter)
        fine = cv2.absdiff(fine, cv2.mean(fine))
        noise = 1.25 * cv2.mean(fine)[0]  # the mean absolute deviation of Gaussian noise is 0.8 sigma
        level = max(_FINE_SIGMAS * noise, _FINE_FLOOR)
        return cv2.countNonZero(cv2.compare(fine, level, cv2.CMP_GT)) > _FINE_AREA * fine.size

    # --- regions ------------------------------------------------------------------------------------

    @staticmethod
    def _region_of(barcode) -> _Region:
        p = barcode.position
        xs = [c.x for c in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)]
        ys = [c.y for c in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)]
        return _Region(int(min(xs)), int(min(ys)), int(max(xs)) + 1, int(max(ys)) + 1, "zxing")

    def _add_region(self, region: _Region) -> _Region:
        """A new region, or the known one it overlaps widened to cover it (zxing-cpp may locate only part
        of a blurred symbol)."""
        regions = self._state.regions
        for known in regions:
            if known.overlaps(region):
                known.x0, known.y0 = min(known.x0, region.x0), min(known.y0, region.y0)
                known.x1, known.y1 = max(known.x1, region.x1), max(known.y1, region.y1)
                known.refused = known.refused or region.refused
                known.score = max(known.score, region.score)
                return known
        regions.append(region)
        regions.sort(key=lambda r: (r.refused, -r.score))
        return region

    @staticmethod
    def _locate(mean: np.ndarray, peaks: int = 3) -> list[_Region]:
        """Dense fine detail, box-filtered over a small QR's size at half resolution: the QRs' squares."""
        h, w = mean.shape
        half = cv2.resize(mean, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
        detail = cv2.absdiff(half, cv2.blur(half, (5, 5)))
        energy = cv2.boxFilter(detail, cv2.CV_32F, (31, 31))
        found: list[_Region] = []
        top = 0.0
        reach = _MAX_REGION_SIDE // 4  # half-size pixels either side of a peak
        for _ in range(peaks):
            _, peak, _, (px, py) = cv2.minMaxLoc(energy)
            if peak <= 0 or (found and peak < 0.6 * top):
                break
            top = max(top, peak)
            ya, xa = max(0, py - reach), max(0, px - reach)
            window = energy[ya:py + reach, xa:px + reach] > 0.5 * peak
            y0, y1 = _run(window.any(axis=1), py - ya)
            x0, x1 = _run(window.any(axis=0), px - xa)
            x0, x1, y0, y1 = x0 + xa, x1 + xa, y0 + ya, y1 + ya
            found.append(_Region(2 * x0, 2 * y0, 2 * x1, 2 * y1, "texture", score=float(peak)))
            energy[max(0, y0 - 16):y1 + 16, max(0, x0 - 16):x1 + 16] = 0  # this square, done
        return found

    # --- the bounded extra work of one frame --------------------------------------------------------

    def _extra_work(self, image: np.ndarray, accept: Accept | None, deadline: float,
                    cancelled: Callable[[], bool] | None) -> tuple[str, str] | None:
        state = self._state

        def fits(cost_ms: float) -> bool:
            return time.perf_counter() + cost_ms / 1000 <= deadline and not (cancelled and cancelled())

        if state.located_at < 0 or state.frames - state.located_at >= self.relocate_every:
            pixels = image.size // 4
            if not fits(self._costs["locate"].estimate(pixels)):
                self._costs["locate"].skipped()
                return None
            t0 = time.perf_counter()
            state.regions = [r for r in state.regions if r.source == "zxing" or r.refused]
            for region in self._locate(image):
                self._add_region(region)
            state.located_at = state.frames
            self._costs["locate"].update((time.perf_counter() - t0) * 1000, pixels)
        best = max((r.score for r in state.regions if r.source == "texture"), default=0.0)
        work = [r for r in state.regions if not r.refused and _MIN_REGION_SIDE <= r.side() <= _MAX_REGION_SIDE
                and (r.source == "zxing" or r.score >= 0.75 * best)][:_MAX_REGIONS]
        for region in work:
            if region.streaked is None:  # ~0.2 ms, once per region
                x0, y0, x1, y1 = self._crop_box(region)
                region.streaked = _streak_across(state.mean[y0:y1, x0:x1]) is not None
        # A streaked region tries the streak variant first; others never (it would find no streak).
        cycle = [(v, r) for v in _ORDER_STREAKED for r in work if r.streaked]
        cycle += [(v, r) for v in range(1, len(_VARIANTS)) for r in work
                  if _VARIANTS[v][1] != ("motion",) and (v, r) not in cycle]
        cycle = [(v, r) for v, r in cycle if not (_VARIANTS[v][2] == "pyzbar" and self._pyzbar is None)]
        if not cycle:
            return None
        start = state.next_attempt % len(cycle)
        plan = cycle[start:] + cycle[:start]
        if state.hot in plan:  # what read last time is tried first
            plan.remove(state.hot)
            plan.insert(0, state.hot)
        prepared: dict[tuple, tuple[np.ndarray, float] | None] = {}
        for v, region in plan:
            hot = (v, region) == state.hot
            found = self._attempt(v, region, accept, fits, prepared)
            if found is _NO_TIME:
                return None
            if not hot:
                state.next_attempt += 1
            if found is not None:
                return found
            if hot:
                state.hot = None
            if region.refused:
                return None
        return None

    def _attempt(self, v: int, region: _Region, accept: Accept | None, fits: Callable[[float], bool],
                 prepared: dict[tuple, tuple[np.ndarray, float] | None]) -> tuple[str, str] | _NoTime | None:
        """One variant on one region: (text, stage), None for nothing, or _NO_TIME if it does not fit."""
        name, kind, decoder = _VARIANTS[v]
        key = (id(region), kind if kind == "as-is" or kind[0] != "sharpen" else "enlarge")
        fresh = key not in prepared
        if fresh:
            step = "enlarge" if key[1] in ("as-is", "enlarge") else kind[0]
            pixels = self._work_pixels(region, enlarge=kind != "as-is")
            if not fits(self._costs[step].estimate(pixels) + self._costs[decoder].estimate(pixels)):
                self._costs[step].skipped()
                self._costs[decoder].skipped()
                return _NO_TIME
            t0 = time.perf_counter()
            prepared[key] = self._prepare(region, kind)
            self._costs[step].update((time.perf_counter() - t0) * 1000, pixels)
        if prepared[key] is None:
            return None
        image, factor = prepared[key]
        if not fresh and not fits(self._costs[decoder].estimate(image.size)):
            self._costs[decoder].skipped()  # (an image prepared for this attempt is decoded whatever it cost)
            return _NO_TIME
        t0 = time.perf_counter()
        if kind != "as-is" and kind[0] == "sharpen":
            image = _sharpen(image, kind[1] * factor, kind[2])
        texts = self._read(decoder, np.clip(image, 0, 255).astype(np.uint8) if image.dtype != np.uint8 else image)
        self._costs[decoder].update((time.perf_counter() - t0) * 1000, image.size)
        for text in texts:
            if accept is None or accept(text):
                self._state.hot = (v, region)
                return text, f"tray/{region.source}-x{factor:.1f}-{name}/mean{self._state.frames}"
        if texts:  # another QR: never worth another attempt
            region.refused = True
        return None

    def _crop_box(self, region: _Region, pad: float = 0.2) -> tuple[int, int, int, int]:
        h, w = self._state.mean.shape
        margin = int(region.side() * pad) + 4
        return (max(0, region.x0 - margin), max(0, region.y0 - margin),
                min(w, region.x1 + margin), min(h, region.y1 + margin))

    @staticmethod
    def _factor(region: _Region) -> float:
        module = max(region.side(), 1) / _MODULES_GUESS
        factor = float(np.clip(_TARGET_MODULE_PX / module, 1.0, 3.0))
        return max(1.0, min(factor, _MAX_WORK_SIDE / max(region.side() * 1.4, 1)))

    def _work_pixels(self, region: _Region, enlarge: bool) -> int:
        x0, y0, x1, y1 = self._crop_box(region)
        factor = self._factor(region) if enlarge else 1.0
        return int((x1 - x0) * (y1 - y0) * factor * factor)

    def _prepare(self, region: _Region, kind) -> tuple[np.ndarray, float] | None:
        """The region cropped from the average: as it is, or deblurred, stretched and enlarged (None: no
        motion streak to undo)."""
        x0, y0, x1, y1 = self._crop_box(region)
        crop = self._state.mean[y0:y1, x0:x1]
        if kind == "as-is":
            return cv2.convertScaleAbs(crop), 1.0
        if kind[0] == "deblur":
            crop = cv2.filter2D(crop, -1, _deblur_kernel(kind[1]), borderType=cv2.BORDER_REPLICATE)
        elif kind[0] == "motion":
            crop = _undo_streak(crop)
            if crop is None:
                return None
        factor = self._factor(region)
        crop = _stretch(crop)
        if factor > 1.0:
            crop = cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        return crop, factor

    def _read(self, decoder: str, image: np.ndarray) -> list[str]:
        if decoder == "pyzbar":
            return self._pyzbar.decode(image) if self._pyzbar else []
        if decoder == "zxing-fixed":
            return self._zxing_fixed.decode(image)
        return self._zxing.decode(image)
