"""Document pages photographed on the camera tray: find the page, judge the picture, straighten, encode.

The paperless dossier (issue 24) asks the citizen to lay each supporting document on the tray. The
preview runs :class:`PageTracker` on every analysed frame: it finds the page's four corners, checks the
picture and says when the page has lain still and good long enough to take the still; :func:`scan_page`
then straightens the still to the page's own shape, flattens its lighting and encodes it as a JPEG
within the dossier's byte budget.

The page finder assumes what the kiosk's tray gives: a page brighter than a darker, evenly lit tray.
It thresholds the grey image (Otsu), takes the largest bright region that is clearly brighter than
what surrounds it, and fits a line to each of the region's four sides: their crossings are the
corners, to a pixel or so even where a corner is blurred or dog-eared.

Every check is measured on the page itself, warped to a fixed size (at most :data:`CANON_HEIGHT` px
high, from a frame at most :data:`CHECK_WIDTH` wide), so a 3840x2160 still and its 1280x720 preview
get the same verdict. The thresholds and the reasons for them are next to each constant below.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import cv2
import numpy as np

PROBLEMS: tuple[str, ...] = ("no_page", "small", "cut_off", "blur", "dark", "glare")
"""Every problem a picture of a page can have, in the order they are reported (most important first):
without a page nothing else is known; a page too small or cut off must be moved, which changes the rest."""

PROBLEM_MESSAGES: dict[str, dict[str, str]] = {
    "no_page": {"vi": "Chưa thấy giấy tờ: đặt tờ giấy lên khay, mặt có chữ hướng lên trên.",
                "en": "No page yet: place the page on the tray, text side up."},
    "small": {"vi": "Tờ giấy quá nhỏ trong khung hình: đặt tờ giấy gần hơn, vào giữa khay.",
              "en": "The page is too small in the frame: bring it closer, to the middle of the tray."},
    "cut_off": {"vi": "Tờ giấy bị tràn ra ngoài khung hình: đưa cả tờ giấy vào trong khung.",
                "en": "Part of the page is outside the frame: move the whole page into the frame."},
    "blur": {"vi": "Ảnh bị mờ: giữ yên tờ giấy và chờ một chút.",
             "en": "The photo is blurred: hold the page still for a moment."},
    "dark": {"vi": "Ảnh quá tối: đưa tờ giấy ra chỗ sáng hơn.",
             "en": "The photo is too dark: move the page into the light."},
    "glare": {"vi": "Ảnh bị lóa sáng trên chữ: nghiêng tờ giấy tránh nguồn sáng.",
              "en": "Light is reflecting off the text: tilt the page away from the light."},
}

A4_RATIO = 297 / 210  # long side over short side, 1.414
A4_LONG_INCHES = 297 / 25.4  # 11.69: the long side, which "dpi" is given for

# --- thresholds ---------------------------------------------------------------------------------------------
CHECK_WIDTH = 1280
"""The checks look at a frame no wider than this (a still is shrunk first): the same verdict for a
still and its preview, and the blur measure sees the detail the preview shows, not sensor grain."""
CANON_HEIGHT = 560
"""The page is measured warped to this height (or its own height in the frame when smaller: never
enlarged, which would blur it)."""
MIN_PAGE_AREA = 0.01
"""A bright region under 1% of the frame is not taken for a page (a speck, a reflection on the tray);
from 1% up it is a page, and one too small (below) is worth telling to bring closer."""
MIN_CONTRAST = 1.4
"""The page's mean grey over the tray's, at least: an empty tray's own shading (a ~1.3 ratio across the
frame) must not be taken for a page, a page in a dim room (~2.5) must still be found."""
SMALL_AREA = 0.12
"""A page under 12% of the frame is too small: an A4 page then spans under ~440 of 720 rows, so even
the 3x still gives it under ~115 dpi, where 10 pt text loses its accents."""
EDGE_MARGIN = 0.01
"""A corner within 1% of the frame's shorter side (7 px at 720) of its border, or beyond it: the page
runs out of the frame, and what is outside is lost."""
DARK_PAPER = 90
"""The paper (the page's 90th grey percentile, as text is the minority) under 90 of 255 is too dark: a
camera then amplifies its noise, and ink on paper keeps under ~60 levels of contrast."""
GLARE_LEVEL = 250
GLARE_AREA = 0.004
"""Glare: a connected patch where all three channels reach 250 (the sensor clipped; nothing printed
there survives), covering at least 0.4% of the page (about a word at 150 dpi). Auto-exposed paper sits
at 200-240, so a good page has no such patch."""
BLUR_LIMIT = 0.45
"""The blur measure (:func:`blur_measure`, 0 sharp .. 1 flat) above which text is too soft to read.
Measured on the simulated pages at 1280x720: sharp 0.09-0.16; a Gaussian blur of sigma 1.0 px 0.34,
1.3 px 0.41, 1.6 px 0.47, 2.6 px (the simulator's defocus) 0.56-0.72. Past ~1.5 px at the preview's
scale (4.5 px in the 3x still) 10 pt accents run into their letters."""
A4_TOLERANCE = 0.10
"""A page whose sides measure within 10% of A4's ratio is A4: a page seen 20 degrees off the camera's
axis measures ~6% off; an ID card (12% off) is not A4."""
STILL_PX = 1.0
DRIFT_PX = 2.0
"""Still: each corner moved at most 1 px (in the analysed copy, ~2 px at 1280x720) since the last
analysed frame and 2 px since the streak began; more and the still, at 3x, would be smeared."""


class PageNotFound(ValueError):
    """No page in the picture; :attr:`message` says what to do, in Vietnamese and English."""

    def __init__(self, detail: str = "no page found in the frame") -> None:
        super().__init__(detail)
        self.message = dict(PROBLEM_MESSAGES["no_page"])


@dataclass(frozen=True, eq=False)  # eq=False: arrays do not compare to a bool
class PageLook:
    """What one preview frame shows."""

    quad: np.ndarray | None
    """4x2 float32 page corners in the frame's pixel coordinates, tl, tr, br, bl; None: no page."""
    problems: tuple[str, ...]
    """Codes from :data:`PROBLEMS`, most important first; () when the page is good."""
    sharpness: float
    """1 minus the blur measure (see :func:`blur_measure`): ~0.85-0.9 sharp, under 0.55 blurred; 0 without a page."""
    steady: bool
    """The page has been still, sharp and without problems for ``hold`` analysed frames: capture now."""


@dataclass(frozen=True, eq=False)
class ScannedPage:
    """One page, straightened, enhanced and encoded for the dossier."""

    jpeg: bytes
    sha256: str  # hex digest of jpeg
    width: int
    height: int
    dpi: int  # effective, for an A4 page's long side (297 mm)
    problems: tuple[str, ...]  # the checks' verdict on the capture itself
    thumbnail: np.ndarray = field(repr=False)  # BGR, 240 px wide, of the straightened page


# --- finding the page ---------------------------------------------------------------------------------------

def _order_corners(points: np.ndarray) -> np.ndarray:
    """tl, tr, br, bl: clockwise around the centre, starting with the corner nearest the up-left diagonal
    (right for a page rolled up to ~40 degrees either way)."""
    centre = points.mean(axis=0)
    angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    order = np.argsort(angles)
    pts = points[order]
    off = np.abs(np.angle(np.exp(1j * (angles[order] + 3 * np.pi / 4))))
    start = int(np.argmin(off))
    return np.roll(pts, -start, axis=0).astype(np.float32)


def _refine_corners(contour: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Fit a line to each side's own outline points and cross them: the approximated polygon's vertices
    sit on the outline's noisiest points, the lines through hundreds of points do not."""
    pts = contour.reshape(-1, 2).astype(np.float32)
    centre = corners.mean(axis=0)
    lines = []
    for i in range(4):
        a, b = corners[i], corners[(i + 1) % 4]
        ab = b - a
        length = float(np.hypot(*ab))
        if length < 8:
            return corners
        u = ab / length
        rel = pts - a
        along = rel @ u
        across = rel @ np.array([-u[1], u[0]], np.float32)
        near = pts[(np.abs(across) < 2.5) & (along > 0.12 * length) & (along < 0.88 * length)]
        if len(near) < 6:
            return corners
        vx, vy, x0, y0 = cv2.fitLine(near, cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        normal = np.array([-vy, vx], np.float32)
        point = np.array([x0, y0], np.float32)
        # The outline runs through the page's outermost pixel centres: the paper's edge is half a pixel out.
        if (point - centre) @ normal < 0:
            normal = -normal
        lines.append((point + 0.5 * normal, np.array([vx, vy], np.float32)))
    out = []
    for i in range(4):
        (p1, d1), (p2, d2) = lines[(i - 1) % 4], lines[i]
        det = d1[0] * (-d2[1]) - d1[1] * (-d2[0])
        if abs(det) < 1e-6:
            return corners
        t = ((p2 - p1)[0] * (-d2[1]) - (p2 - p1)[1] * (-d2[0])) / det
        out.append(p1 + t * d1)
    refined = np.array(out, np.float32)
    # A wild crossing (near-parallel sides of a torn outline) would be worse than the plain vertex.
    if np.max(np.hypot(*(refined - corners).T)) > 0.05 * max(np.ptp(corners[:, 0]), np.ptp(corners[:, 1])) + 3:
        return corners
    return refined


def _find_quad(image: np.ndarray) -> np.ndarray | None:
    """The page's corners in ``image``'s own coordinates (a small copy: this is the per-frame cost)."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    grey = cv2.GaussianBlur(grey, (5, 5), 0)
    _, mask = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    # Opening drops thin bright lines (the tray's guide frame) and specks; closing bridges text at the edge.
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    if not contours:
        return None
    contour = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(contour)
    h, w = grey.shape[:2]
    if area < MIN_PAGE_AREA * w * h:
        return None
    hull = cv2.convexHull(contour)
    if area < 0.85 * cv2.contourArea(hull):
        return None  # not a sheet: a page is convex
    region = np.zeros_like(mask)
    cv2.drawContours(region, [contour], -1, 255, -1)
    inside = cv2.mean(grey, region)[0]
    outside = cv2.mean(grey, cv2.bitwise_not(region))[0]
    if inside - outside < 12 or inside < MIN_CONTRAST * max(outside, 1.0):
        return None
    perimeter = cv2.arcLength(hull, True)
    approx = None
    for eps in (0.02, 0.03, 0.045):
        poly = cv2.approxPolyDP(hull, eps * perimeter, True)
        if len(poly) == 4:
            approx = poly.reshape(4, 2).astype(np.float32)
            break
    if approx is None:
        # A page cut by the frame's border, or dog-eared: its rotated bounding box is the best guess.
        return _order_corners(cv2.boxPoints(cv2.minAreaRect(hull)).astype(np.float32))
    corners = _order_corners(approx)
    return _order_corners(_refine_corners(contour, corners))


def _shrink(frame: np.ndarray, width: int) -> tuple[np.ndarray, float]:
    """A copy at most ``width`` wide (area-averaged, which keeps edges where they are) and its scale."""
    w = frame.shape[1]
    if w <= width:
        return frame, 1.0
    scale = width / w
    size = (width, max(1, round(frame.shape[0] * scale)))
    return cv2.resize(frame, size, interpolation=cv2.INTER_AREA), scale


def _to_frame(quad: np.ndarray, scale: float) -> np.ndarray:
    # Pixel centres: pixel i of the copy covers the frame's [i/scale, (i+1)/scale).
    return ((quad + 0.5) / scale - 0.5).astype(np.float32)


def find_page(frame: np.ndarray, analyse_width: int = 640) -> np.ndarray | None:
    """The page's corners (4x2 float32, tl, tr, br, bl) in ``frame``'s pixel coordinates, or None."""
    small, scale = _shrink(frame, analyse_width)
    quad = _find_quad(small)
    return None if quad is None else _to_frame(quad, scale)


# --- judging the picture ------------------------------------------------------------------------------------

def _side_lengths(quad: np.ndarray) -> tuple[float, float]:
    """The page's width and height in frame pixels: the longer of each pair of opposite sides."""
    d = np.hypot(*(np.roll(quad, -1, axis=0) - quad).T)
    return max(d[0], d[2]), max(d[1], d[3])


def _percentile(grey: np.ndarray, q: float) -> float:
    # From the histogram: np.percentile sorts 300k pixels (~10 ms), this counts them (~0.2 ms).
    hist = cv2.calcHist([grey], [0], None, [256], [0, 256]).ravel()
    cum = np.cumsum(hist)
    return float(np.searchsorted(cum, q / 100 * cum[-1]))


def blur_measure(grey: np.ndarray) -> float:
    """How blurred ``grey`` is, 0 (sharp) .. 1 (flat), after Crété-Roffet et al., "The blur effect" (2007):
    blur the image again and see how much of its pixel-to-pixel variation that takes away. A sharp page
    loses most of it, a blurred one has little left to lose. It is a ratio, so it does not depend on the
    text's contrast or how much text there is; variations under the noise floor are left out, so sensor
    noise does not pass for detail."""
    f = grey.astype(np.float32)
    lo, hi = _percentile(grey, 5), _percentile(grey, 95)
    floor = max(3.0, 0.04 * (hi - lo))
    worst = 0.0
    for vertical in (True, False):
        b = cv2.blur(f, (1, 9) if vertical else (9, 1))  # ksize is (width, height)
        if vertical:
            d_f, d_b = cv2.absdiff(f[1:], f[:-1]), cv2.absdiff(b[1:], b[:-1])
        else:
            d_f, d_b = cv2.absdiff(f[:, 1:], f[:, :-1]), cv2.absdiff(b[:, 1:], b[:, :-1])
        # OpenCV rather than numpy: the same sums in a third of the time (this runs on every preview frame).
        d_f = cv2.threshold(d_f, floor, 0, cv2.THRESH_TOZERO)[1]
        total = cv2.sumElems(d_f)[0]
        if total <= 0:
            return 1.0
        lost = cv2.sumElems(cv2.max(cv2.subtract(d_f, d_b), 0.0))[0]
        worst = max(worst, (total - lost) / total)
    return worst


def _canonical(frame: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """The page's inside, warped upright to at most :data:`CANON_HEIGHT` px high, BGR; its edges (3%) are
    left out: the paper's rim, and the tray beyond it where the corners are a pixel off."""
    width, height = _side_lengths(quad)
    h = max(32, min(CANON_HEIGHT, round(height)))
    w = max(24, round(h * width / max(height, 1.0)))
    mx, my = 0.03 * w, 0.03 * h
    dst = np.array([[-mx, -my], [w + mx, -my], [w + mx, h + my], [-mx, h + my]], np.float32)
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    return cv2.warpPerspective(frame, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _assess(frame: np.ndarray, quad: np.ndarray) -> tuple[tuple[str, ...], float]:
    """The problems of a page at ``quad`` in ``frame`` and its sharpness (1 - blur measure)."""
    fh, fw = frame.shape[:2]
    found: set[str] = set()
    area = abs(cv2.contourArea(quad.astype(np.float32)))
    if area < SMALL_AREA * fw * fh:
        found.add("small")
    margin = max(2.0, EDGE_MARGIN * min(fw, fh))
    xs, ys = quad[:, 0], quad[:, 1]
    if xs.min() < margin or ys.min() < margin or xs.max() > fw - 1 - margin or ys.max() > fh - 1 - margin:
        found.add("cut_off")
    work, scale = _shrink(frame, CHECK_WIDTH)
    page = _canonical(work, _to_frame_inv(quad, scale))
    grey = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY) if page.ndim == 3 else page
    if _percentile(grey, 90) < DARK_PAPER:
        found.add("dark")
    colour = page if page.ndim == 3 else cv2.merge([page, page, page])
    clipped = cv2.inRange(colour, (GLARE_LEVEL,) * 3, (255, 255, 255))
    if cv2.countNonZero(clipped):
        clipped = cv2.morphologyEx(clipped, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
        n, _, stats, _ = cv2.connectedComponentsWithStats(clipped, connectivity=8)
        if n > 1 and stats[1:, cv2.CC_STAT_AREA].max() >= GLARE_AREA * grey.size:
            found.add("glare")
    blur = blur_measure(grey)
    if blur > BLUR_LIMIT:
        found.add("blur")
    return tuple(p for p in PROBLEMS if p in found), 1.0 - blur


def _to_frame_inv(quad: np.ndarray, scale: float) -> np.ndarray:
    return quad.astype(np.float32) if scale == 1.0 else ((quad + 0.5) * scale - 0.5).astype(np.float32)


def _too_dark(frame: np.ndarray) -> bool:
    small, _ = _shrink(frame, 320)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
    return _percentile(grey, 99) < DARK_PAPER


def check_page(frame: np.ndarray, quad: np.ndarray | None) -> tuple[str, ...]:
    """What is wrong with the picture of the page at ``quad`` in ``frame`` (codes from :data:`PROBLEMS`,
    most important first; () when it is good). Without a page: ``("no_page",)``, and ``"dark"`` too when
    nothing in the frame is bright enough to be paper (the page may be there, unseen)."""
    if quad is None:
        return ("no_page", "dark") if _too_dark(frame) else ("no_page",)
    return _assess(frame, np.asarray(quad, np.float32).reshape(4, 2))[0]


# --- the preview ----------------------------------------------------------------------------------------------

class PageTracker:
    """Follows the page over the preview's frames and says when to take the still.

    Each :meth:`feed` finds the page in a copy ``analyse_width`` wide, checks it (:func:`check_page`) and
    counts the frames in a row it has been good and still; ``hold`` such frames make it steady. Not
    thread-safe: one tracker per camera thread."""

    def __init__(self, hold: int = 4, analyse_width: int = 640) -> None:
        self.hold = hold
        self.analyse_width = analyse_width
        self.reset()

    def reset(self) -> None:
        """Forget the page: the next frames start a new count (a new page, a retake)."""
        self._previous: np.ndarray | None = None
        self._anchor: np.ndarray | None = None
        self._good = 0

    def feed(self, frame: np.ndarray) -> PageLook:
        """Look at one BGR frame."""
        small, scale = _shrink(frame, self.analyse_width)
        quad_small = _find_quad(small)
        if quad_small is None:
            self.reset()
            return PageLook(None, ("no_page", "dark") if _too_dark(small) else ("no_page",), 0.0, False)
        quad = _to_frame(quad_small, scale)
        problems, sharpness = _assess(frame, quad)
        still = (self._previous is not None and self._anchor is not None
                 and _moved(quad_small, self._previous) <= STILL_PX and _moved(quad_small, self._anchor) <= DRIFT_PX)
        if problems or not still:
            self._good = 0
            self._anchor = quad_small
        else:
            self._good += 1
        self._previous = quad_small
        return PageLook(quad, problems, sharpness, self._good >= self.hold)


def _moved(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.hypot(*(a - b).T)))


# --- the capture ----------------------------------------------------------------------------------------------

def straighten(frame: np.ndarray, quad: np.ndarray, max_dpi: int = 200) -> np.ndarray:
    """The page at ``quad`` warped flat and upright (tl at the top left).

    Its shape: A4 (portrait or landscape) when the quad's sides are within :data:`A4_TOLERANCE` of A4's
    1:1.414, else the quad's own (an ID card, 1:1.586, keeps its shape). Its size: as many pixels along the long side
    as the frame gives it there (never more: enlarging adds no detail, only bytes), and at most A4 at
    ``max_dpi`` (1654x2339 at 200)."""
    quad = np.asarray(quad, np.float32).reshape(4, 2)
    width, height = _side_lengths(quad)
    portrait = height >= width
    long_px, short_px = (height, width) if portrait else (width, height)
    ratio = long_px / max(short_px, 1.0)
    if abs(math.log(ratio / A4_RATIO)) < math.log(1 + A4_TOLERANCE):
        ratio = A4_RATIO
    long_out = max(2, min(round(long_px), round(max_dpi * A4_LONG_INCHES)))
    short_out = max(2, round(long_out / ratio))
    out_w, out_h = (short_out, long_out) if portrait else (long_out, short_out)
    source = frame
    shrink = long_out / max(long_px, 1.0)
    if shrink < 0.7:
        # Warping down more than ~1.4x skips pixels (aliasing on text): average the region down first.
        x0, y0 = np.floor(quad.min(axis=0)).astype(int)
        x1, y1 = np.ceil(quad.max(axis=0)).astype(int) + 1
        x0, y0 = max(x0, 0), max(y0, 0)
        x1, y1 = min(x1, frame.shape[1]), min(y1, frame.shape[0])
        region = frame[y0:y1, x0:x1]
        size = (max(1, round(region.shape[1] * shrink)), max(1, round(region.shape[0] * shrink)))
        source = cv2.resize(region, size, interpolation=cv2.INTER_AREA)
        sx, sy = size[0] / region.shape[1], size[1] / region.shape[0]
        quad = np.stack([(quad[:, 0] - x0 + 0.5) * sx - 0.5, (quad[:, 1] - y0 + 0.5) * sy - 0.5], axis=1)
    # The quad is the paper's outer edge: map it to the output's outer pixel edges.
    dst = np.array([[-0.5, -0.5], [out_w - 0.5, -0.5], [out_w - 0.5, out_h - 0.5], [-0.5, out_h - 0.5]], np.float32)
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    return cv2.warpPerspective(source, m, (out_w, out_h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)


def enhance(page: np.ndarray) -> np.ndarray:
    """The straightened page made easy to read, in colour (BGR in, BGR out; grey in, grey out): an officer
    checks the red stamp and the colours of an original. Uneven lighting is divided out (the paper
    becomes evenly white) and the contrast stretched (the ink black)."""
    grey = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY) if page.ndim == 3 else page
    h, w = grey.shape[:2]
    small = cv2.resize(grey, (max(1, w // 8), max(1, h // 8)), interpolation=cv2.INTER_AREA)
    # The paper's own brightness: the brightest within ~120 px (wider than any stroke or header band)...
    paper = cv2.dilate(small, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (15, 15)))
    paper = cv2.GaussianBlur(paper, (0, 0), 3)
    # ...but never under 60% of the page's paper: a lamp shades a page by less than that, so anything
    # darker is content (a photo, a large print) and must not be washed out to white.
    level = _percentile(small, 95)
    paper = np.maximum(paper, np.uint8(min(255, 0.6 * level)))
    paper = cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)
    paper = np.maximum(paper, 1)
    if page.ndim == 3:
        flat = cv2.divide(page, cv2.merge([paper, paper, paper]), scale=240)
        flat_grey = cv2.cvtColor(flat, cv2.COLOR_BGR2GRAY)
    else:
        flat = flat_grey = cv2.divide(page, paper, scale=240)
    lo = _percentile(flat_grey, 0.5)
    hi = max(lo + 32, _percentile(flat_grey, 60))  # over half a page is paper: the paper goes white
    lut = np.clip((np.arange(256, dtype=np.float32) - lo) * 255 / (hi - lo), 0, 255).astype(np.uint8)
    return cv2.LUT(flat, lut)


def _jpeg(image: np.ndarray, quality: int) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality, cv2.IMWRITE_JPEG_OPTIMIZE, 1])
    if not ok:
        raise ValueError("the page could not be encoded as JPEG")
    return data.tobytes()


def _with_dpi(data: bytes, dpi: int | None) -> bytes:
    # OpenCV writes a JFIF header with a 1:1 aspect and no unit; a viewer or a PDF maker reads the page's
    # physical size from these five bytes (units 1 = dots per inch, then X and Y density).
    if not dpi or data[6:11] != b"JFIF\x00":
        return data
    d = max(1, min(65535, int(dpi)))
    return data[:13] + bytes([1, d >> 8, d & 0xFF, d >> 8, d & 0xFF]) + data[18:]


def _encode(page: np.ndarray, max_bytes: int, dpi: int | None = None) -> tuple[bytes, np.ndarray]:
    image = page
    while True:
        best = _jpeg(image, 85)
        if len(best) <= max_bytes:
            return _with_dpi(best, dpi and round(dpi * image.shape[0] / page.shape[0])), image
        floor = _jpeg(image, 40)
        if len(floor) <= max_bytes:
            # Size falls steadily with quality: the best quality that fits, in ~6 tries.
            lo, hi, best = 40, 84, floor
            while lo < hi:
                q = (lo + hi + 1) // 2
                data = _jpeg(image, q)
                if len(data) <= max_bytes:
                    lo, best = q, data
                else:
                    hi = q - 1
            return _with_dpi(best, dpi and round(dpi * image.shape[0] / page.shape[0])), image
        # Below quality 40 JPEG blocks smear text more than a smaller page does: shrink it instead.
        if max(image.shape[:2]) <= 320:
            raise ValueError(f"a page does not fit in {max_bytes} bytes even at 320 px")
        factor = min(0.9, max(0.5, math.sqrt(max_bytes / len(floor))))
        size = (max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def encode_page(page: np.ndarray, max_bytes: int, *, dpi: int | None = None) -> bytes:
    """``page`` as a JPEG of at most ``max_bytes``: quality 85 when it fits, else the best quality down to
    40 that fits, else the page shrunk until it fits at 40; ValueError when not even 320 px fit. ``dpi``
    (for the page as given) goes into the JFIF header, adjusted if the page was shrunk."""
    return _encode(page, max_bytes, dpi)[0]


def scan_page(frame: np.ndarray, quad: np.ndarray | None = None, *, max_bytes: int = 600_000,
              max_dpi: int = 200, enhanced: bool = True) -> ScannedPage:
    """Straighten, check, enhance (unless ``enhanced`` is False) and encode the page in ``frame`` (a
    still); ``quad`` None: find it first, and raise :class:`PageNotFound` when there is none."""
    if quad is None:
        quad = find_page(frame)
        if quad is None:
            raise PageNotFound()
    quad = np.asarray(quad, np.float32).reshape(4, 2)
    problems = check_page(frame, quad)
    page = straighten(frame, quad, max_dpi)
    if enhanced:
        page = enhance(page)
    long_side = max(page.shape[:2])
    jpeg, sent = _encode(page, max_bytes, round(long_side / A4_LONG_INCHES))
    height, width = sent.shape[:2]
    thumb_h = max(1, round(240 * height / width))
    thumbnail = cv2.resize(sent, (240, thumb_h), interpolation=cv2.INTER_AREA)
    if thumbnail.ndim == 2:
        thumbnail = cv2.cvtColor(thumbnail, cv2.COLOR_GRAY2BGR)
    return ScannedPage(jpeg=jpeg, sha256=hashlib.sha256(jpeg).hexdigest(), width=width, height=height,
                       dpi=round(max(width, height) / A4_LONG_INCHES), problems=problems, thumbnail=thumbnail)
