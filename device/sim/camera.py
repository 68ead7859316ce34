"""A simulated kiosk camera: a synthetic ID card (or a receipt) held under it like a hand would, or a
document page laid on the tray.

The card is a clearly fake test card ("MẪU / SAMPLE", "không có giá trị" - of no value) with a photo
block, printed lines and the QR of the payload it was given. It is rendered once with a real font
(Pillow); each frame only warps it into the scene with a slowly wandering pose (shift, tilt, roll,
a little blur when it moves fast), so a frame costs a few milliseconds. The frame rate is the
caller's business: :class:`device.camera.CameraWorker` paces reads at ``fps``; the motion follows the
frame count, so a test that reads frames as fast as it can sees the same hand.

A document page (:mod:`device.sim.documents`) is laid on the tray, not held: it slides in for a few
frames, blurred by its motion, then lies still, with only sensor noise changing, so a page tracker can
tell when to take the picture. It is seen at an angle (perspective and roll), and on request under a
lamp's reflection, out of focus, partly outside the frame, in a dim room or far away.
:meth:`SimCamera.still` renders the same scene at three times the preview's size, as a document
camera's full-resolution still.

Faults: ``FAULTS.active("camera", "unplugged")`` makes open(), read() and still() fail, as a pulled
cable would.
"""

from __future__ import annotations

import math
import textwrap
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import qrcode
from PIL import Image, ImageDraw, ImageFont

from device.camera import Camera, CameraError
from device.sim.documents import SAMPLE_DOCUMENTS, render_document
from device.sim.faults import FAULTS

CARD_W, CARD_H = 856, 540  # ID-1 (85.6 x 54 mm) at 10 px/mm
RECEIPT_W, RECEIPT_H = 640, 600  # the top of a receipt: the part a citizen holds up
STILL_SCALE = 3  # still() at 3x the preview: 3840x2160 from 1280x720, an 8 MP document camera
SETTLE_FRAMES = 8  # a page laid on the tray slides for this many frames, then lies still

_FONT_DIRS = [
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/truetype/dejavu"),
    Path(__file__).resolve().parents[2] / "kiosk" / "assets" / "fonts",  # the font the receipts embed
]
_FONT_FILES = {False: ["NotoSans-Regular.ttf", "DejaVuSans.ttf"], True: ["NotoSans-Bold.ttf", "DejaVuSans-Bold.ttf"]}


@lru_cache(maxsize=32)
def _font(size: int, bold: bool = False) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for name in _FONT_FILES[bold]:
        for folder in _FONT_DIRS:
            if (folder / name).exists():
                return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size)  # Pillow's own font: fewer accents, still legible


def qr_image(text: str, module_px: int, quiet: int = 2) -> Image.Image:
    """A crisp QR of ``text`` (UTF-8, error correction M, like an ID card's)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=module_px, border=quiet)
    qr.add_data(text.encode("utf-8"))
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")


def _card_fields(payload: str) -> dict[str, str]:
    parts = payload.split("|")
    parts += [""] * (7 - len(parts))

    def ddmmyyyy(raw: str) -> str:
        return f"{raw[:2]}/{raw[2:4]}/{raw[4:]}" if len(raw) == 8 and raw.isdigit() else raw

    return {"id": parts[0], "name": parts[2].upper(), "born": ddmmyyyy(parts[3]), "sex": parts[4],
            "address": parts[5], "issued": ddmmyyyy(parts[6])}


def render_card(payload: str) -> np.ndarray:
    """The face of a fake chip ID card carrying ``payload`` in its QR, BGR 856x540."""
    card = Image.new("RGB", (CARD_W, CARD_H), (236, 240, 233))
    draw = ImageDraw.Draw(card)
    for y in range(0, CARD_H, 6):  # a faint guilloche, so the card is not a flat grey field
        pts = [(x, y + 4 * math.sin(x / 19 + y / 37)) for x in range(0, CARD_W + 8, 8)]
        draw.line(pts, fill=(220, 229, 222), width=1)
    draw.rectangle((0, 0, CARD_W, 96), fill=(196, 214, 232))
    draw.text((CARD_W // 2 - 60, 10), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", font=_font(20, True), fill=(25, 35, 60),
              anchor="ma")
    draw.text((CARD_W // 2 - 60, 36), "Độc lập - Tự do - Hạnh phúc", font=_font(18), fill=(25, 35, 60), anchor="ma")
    draw.text((CARD_W // 2 - 60, 60), "CĂN CƯỚC MẪU / SAMPLE ID CARD", font=_font(24, True), fill=(170, 20, 20),
              anchor="ma")
    # The photo block: a grey silhouette, no face of anyone.
    draw.rectangle((34, 130, 214, 360), fill=(150, 158, 166))
    draw.ellipse((84, 160, 164, 262), fill=(92, 98, 106))
    draw.ellipse((52, 270, 196, 420), fill=(92, 98, 106))
    draw.rectangle((34, 361, 214, 420), fill=(236, 240, 233))
    f = _card_fields(payload)
    rows = [("Số định danh cá nhân / Personal identification number", f["id"], 26),
            ("Họ, chữ đệm và tên khai sinh / Full name", f["name"], 24),
            ("Ngày, tháng, năm sinh / Date of birth", f["born"], 22),
            ("Giới tính / Sex", f["sex"], 22)]
    y = 122
    for label, value, size in rows:
        draw.text((236, y), label, font=_font(15), fill=(70, 76, 84))
        draw.text((236, y + 18), value, font=_font(size, True), fill=(15, 18, 24))
        y += 56
    draw.text((236, y), "Nơi thường trú / Place of residence", font=_font(15), fill=(70, 76, 84))
    for i, line in enumerate(textwrap.wrap(f["address"], 56)[:2]):
        draw.text((236, y + 18 + 22 * i), line, font=_font(17), fill=(15, 18, 24))
    draw.text((34, 440), "THẺ THỬ NGHIỆM - KHÔNG CÓ GIÁ TRỊ / TEST CARD - OF NO VALUE", font=_font(19, True),
              fill=(170, 20, 20))
    draw.text((34, 470), f"Ngày cấp / Date of issue: {f['issued']}", font=_font(16), fill=(70, 76, 84))
    qr = qr_image(payload, 4)
    side = 190  # about 19 mm, where a chip card carries it: top right
    qr = qr.resize((side, side), Image.Resampling.NEAREST)
    card.paste(qr, (CARD_W - side - 26, 108))
    # The watermark goes on last and light, as on a specimen: it must not hide the QR.
    stamp = Image.new("L", (CARD_W, CARD_H), 0)
    ImageDraw.Draw(stamp).text((200, 330), "MẪU / SAMPLE", font=_font(64, True), fill=60)
    stamp = stamp.rotate(10, center=(420, 370))
    stamp.paste(0, (CARD_W - side - 40, 96, CARD_W, 96 + side + 26))  # keep the QR clean whatever the font
    card.paste((200, 30, 30), mask=stamp)
    return cv2.cvtColor(np.asarray(card), cv2.COLOR_RGB2BGR)


def render_receipt(code: str) -> np.ndarray:
    """The top of a printed receipt with its QR top-left carrying ``code``, BGR."""
    paper = Image.new("RGB", (RECEIPT_W, RECEIPT_H), (246, 246, 242))
    draw = ImageDraw.Draw(paper)
    qr = qr_image(code, 6, quiet=2).resize((200, 200), Image.Resampling.NEAREST)
    paper.paste(qr, (30, 30))
    draw.text((250, 40), "UBND PHƯỜNG CỬA NAM", font=_font(22, True), fill=(20, 20, 20))
    draw.text((250, 72), "Bộ phận Một cửa", font=_font(20), fill=(20, 20, 20))
    draw.text((250, 120), f"Mã hồ sơ: {code}", font=_font(22, True), fill=(20, 20, 20))
    draw.text((30, 270), "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", font=_font(26, True), fill=(20, 20, 20))
    draw.text((30, 306), "(bản mẫu của kiosk mô phỏng / simulated kiosk sample)", font=_font(18), fill=(60, 60, 60))
    for i in range(5):
        draw.line((30, 370 + i * 40, RECEIPT_W - 30 - (i % 3) * 90, 370 + i * 40), fill=(120, 120, 120), width=2)
    return cv2.cvtColor(np.asarray(paper), cv2.COLOR_RGB2BGR)


def _slot_background(width: int, height: int) -> np.ndarray:
    """The kiosk's card slot seen from above: a dark, evenly lit tray with a guide frame."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    shade = 58 + 22 * (xx / width) + 14 * (yy / height)
    rng = np.random.default_rng(3)
    shade += cv2.GaussianBlur(rng.normal(0, 6, (height, width)).astype(np.float32), (0, 0), 2)
    tray = cv2.cvtColor(np.clip(shade, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    cx, cy, w, h = width // 2, height // 2, int(width * 0.66), int(width * 0.66 * 54 / 85.6)
    cv2.rectangle(tray, (cx - w // 2, cy - h // 2), (cx + w // 2, cy + h // 2), (110, 150, 110), 2, cv2.LINE_AA)
    return tray


@lru_cache(maxsize=4)
def _render_item(wanted: tuple[str, str] | None) -> tuple[np.ndarray | None, float]:
    """The image of what is shown and its width as a fraction of the frame. Cached: demos repeat the sample
    card (1.4 MB rendered); four items, not more, or every new receipt code stays in memory."""
    if wanted is None:
        return None, 0.0
    kind, text = wanted
    if kind == "receipt":
        return render_receipt(text), 0.42
    return render_card(text), 0.6


@dataclass(frozen=True)
class _DocumentScene:
    """A document page on the tray and how it is seen. ``placement`` counts the calls: laying the same
    page down again starts its settling again."""

    kind: str
    page: int
    tilt_deg: float
    glare: bool
    blur: bool
    cut_off: bool
    dark: bool
    small: bool
    placement: int


@lru_cache(maxsize=4)
def _lit_page(kind: str, page: int) -> np.ndarray:
    """The page under the kiosk's lamp: a little uneven (brighter towards the top left), the paper well
    below the sensor's white, as an auto-exposed camera sees it. A good page must not clip anywhere, or a
    glare check could not tell a reflection from the paper."""
    doc = render_document(kind, page)
    h, w = doc.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 0.90 - 0.07 * (xx / w) - 0.07 * (yy / h)
    return cv2.multiply(doc, cv2.merge([light, light, light]), dtype=cv2.CV_8U)


def _still_matrix(k: float) -> np.ndarray:
    """Preview pixel coordinates to a k-times larger frame's (pixel centres stay centres)."""
    return np.array([[k, 0, (k - 1) / 2], [0, k, (k - 1) / 2], [0, 0, 1]], np.float64)


def _warp_into(frame: np.ndarray, item: np.ndarray, m: np.ndarray) -> tuple[int, int, int, int] | None:
    """Warp ``item`` by ``m`` straight onto ``frame``, within its bounding box only; the box, or None when
    the item is wholly outside."""
    h, w = item.shape[:2]
    box = cv2.perspectiveTransform(np.array([[[0, 0], [w, 0], [w, h], [0, h]]], np.float32), m)[0]
    x0, y0 = np.floor(box.min(axis=0)).astype(int)
    x1, y1 = np.ceil(box.max(axis=0)).astype(int)
    x0, y0 = max(x0, 0), max(y0, 0)
    x1, y1 = min(x1, frame.shape[1]), min(y1, frame.shape[0])
    if x1 <= x0 or y1 <= y0:
        return None
    shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64)
    cv2.warpPerspective(item, shift @ m, (x1 - x0, y1 - y0), dst=frame[y0:y1, x0:x1], flags=cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_TRANSPARENT)
    return int(x0), int(y0), int(x1), int(y1)


def _item_quad(item: np.ndarray, m: np.ndarray) -> np.ndarray:
    """The item's outline (its outer pixel edges, not its corner pixels' centres) in frame coordinates,
    tl, tr, br, bl, float32 4x2."""
    h, w = item.shape[:2]
    edges = np.array([[[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]]], np.float32)
    return cv2.perspectiveTransform(edges, m)[0].astype(np.float32)


class SimCamera(Camera):
    """A camera that shows a synthetic card, a receipt, a document page or the empty slot."""

    def __init__(self, fps: float = 30.0, width: int = 1280, height: int = 720, seed: int = 0) -> None:
        self.fps = fps
        self.width = width
        self.height = height
        self._lock = threading.Lock()
        self._wanted: tuple[str, str] | _DocumentScene | None = None  # what the demo/test asked to show
        self._shown: tuple[str, str] | _DocumentScene | None = None  # what the item below was rendered from
        self._item: np.ndarray | None = None
        self._item_scale = 0.6
        self._background: np.ndarray | None = None
        self._opened = False
        self._frame_no = 0
        self._phase = np.random.default_rng(seed).uniform(0, 2 * math.pi, 6)
        self._seed = seed
        self._placements = 0
        self._document: np.ndarray | None = None  # the lit page of the shown _DocumentScene
        self._scene_start = 0  # the frame number the page was laid down at
        self._last_t = 0.0  # the hand's time at the last read(): still() shows the same pose
        self._last_step = 0  # frames since the page was laid down, at the last read()
        self._glare: dict[float, tuple[np.ndarray, tuple[int, int]]] = {}  # per scale: the lamp's reflection
        self._noise: list[np.ndarray] | None = None
        self._still_background: np.ndarray | None = None
        #: The shown page's true outline in the last read() frame (tl, tr, br, bl, float32 4x2), None without
        #: a page; for tests of a page finder.
        self.last_document_quad: np.ndarray | None = None
        #: The same in the last still().
        self.last_still_quad: np.ndarray | None = None

    # --- what lies under the camera -------------------------------------------------------------------
    # These are called from the GUI thread (the demo panel): they only note the wish. Rendering a card
    # takes tens of milliseconds, so it happens on the next read(), in the camera worker's thread.

    def present_card(self, payload: str) -> None:
        """Hold an ID card whose QR carries ``payload`` under the camera."""
        with self._lock:
            self._wanted = ("card", payload)

    def present_receipt(self, code: str) -> None:
        """Hold a printed receipt whose QR carries ``code`` under the camera."""
        with self._lock:
            self._wanted = ("receipt", code)

    def remove_card(self) -> None:
        """Take whatever was shown away: the empty slot."""
        with self._lock:
            self._wanted = None

    def present_document(self, kind: str, page: int = 1, *, tilt_deg: float = 8.0, glare: bool = False,
                         blur: bool = False, cut_off: bool = False, dark: bool = False, small: bool = False) -> None:
        """Lay page ``page`` of the sample document ``kind`` (:data:`device.sim.documents.SAMPLE_DOCUMENTS`)
        on the tray. It slides for :data:`SETTLE_FRAMES` frames, then lies still, seen at an angle (roll
        ``tilt_deg``, perspective in proportion). The flags spoil the picture on purpose: ``glare`` a lamp's
        reflection over the text, ``blur`` the camera out of focus, ``cut_off`` a quarter of the page
        outside the frame, ``dark`` a dim room, ``small`` the page far away."""
        if kind not in SAMPLE_DOCUMENTS or not 1 <= page <= SAMPLE_DOCUMENTS[kind]["pages"]:
            raise ValueError(f"no sample document page {kind!r} {page}")
        with self._lock:
            self._placements += 1
            self._wanted = _DocumentScene(kind, page, float(tilt_deg), glare, blur, cut_off, dark, small,
                                          self._placements)

    # --- Camera ---------------------------------------------------------------------------------------

    def open(self) -> None:
        if FAULTS.active("camera", "unplugged"):
            raise CameraError("unplugged", "simulated camera unplugged")
        self._opened = True

    def read(self) -> np.ndarray:
        if not self._opened:
            raise CameraError("unplugged", "simulated camera is not open")
        if FAULTS.active("camera", "unplugged"):
            self._opened = False  # a pulled cable stays pulled until the camera is reopened
            raise CameraError("unplugged", "simulated camera unplugged")
        with self._lock:
            wanted = self._wanted
        if wanted != self._shown:
            if isinstance(wanted, _DocumentScene):
                self._item, self._item_scale = None, 0.0
                self._document = _lit_page(wanted.kind, wanted.page)
                self._scene_start = self._frame_no
                self._glare.clear()
            else:
                self._item, self._item_scale = _render_item(wanted)
                self._document = None
            self._shown = wanted
        if self._background is None:
            self._background = _slot_background(self.width, self.height)
        t = self._frame_no / self.fps
        self._last_t, self._last_step = t, self._frame_no - self._scene_start
        self._frame_no += 1
        frame = self._background.copy()
        self.last_document_quad = None
        if self._item is not None:
            self._draw_held(frame, self._item, self._item_scale, t)
        elif self._document is not None:
            self.last_document_quad = self._draw_document(frame, 1, self._last_step)
            self._add_noise(frame)
        return frame

    def still(self) -> np.ndarray:
        """The scene of the last read() at :data:`STILL_SCALE` times its size (3840x2160 from 1280x720),
        as a document camera's full-resolution still: the same pose, the same faults, no new motion.
        Called from the camera's thread, like read()."""
        if not self._opened:
            raise CameraError("unplugged", "simulated camera is not open")
        if FAULTS.active("camera", "unplugged"):
            self._opened = False
            raise CameraError("unplugged", "simulated camera unplugged")
        k = STILL_SCALE
        if self._still_background is None:
            background = self._background if self._background is not None else _slot_background(self.width,
                                                                                                  self.height)
            self._still_background = cv2.resize(background, (self.width * k, self.height * k),
                                                interpolation=cv2.INTER_LINEAR)
        frame = self._still_background.copy()
        self.last_still_quad = None
        if self._item is not None:
            pose = self._pose(self._last_t)
            m = _still_matrix(k) @ self._homography(self._item, self._item_scale, pose)
            _warp_into(frame, self._item, m)
        elif self._document is not None:
            self.last_still_quad = self._draw_document(frame, k, self._last_step)
        return frame

    def close(self) -> None:
        self._opened = False

    # --- the hand ----------------------------------------------------------------------------------------

    def _pose(self, t: float) -> tuple[float, float, float, float, float]:
        """Shift (fraction of the frame), yaw, pitch, roll (degrees) of a hand that cannot keep still."""
        p = self._phase

        def wobble(a: float, f1: float, f2: float, i: int) -> float:
            return a * (0.7 * math.sin(2 * math.pi * f1 * t + p[i]) + 0.3 * math.sin(2 * math.pi * f2 * t + p[5 - i]))

        return (wobble(0.03, 0.23, 0.71, 0), wobble(0.025, 0.19, 0.83, 1), wobble(7, 0.17, 0.61, 2),
                wobble(7, 0.13, 0.57, 3), wobble(5, 0.11, 0.47, 4))

    def _homography(self, item: np.ndarray, scale: float, pose: tuple[float, ...]) -> np.ndarray:
        h, w = item.shape[:2]
        dx, dy, yaw, pitch, roll = pose
        f = 1.1 * self.width
        z = f * w / (scale * self.width)
        a, b, c = (math.radians(v) for v in (yaw, pitch, roll))
        ry = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
        rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
        rz = np.array([[math.cos(c), -math.sin(c), 0], [math.sin(c), math.cos(c), 0], [0, 0, 1]])
        corners = np.array([[-w / 2, -h / 2, 0], [w / 2, -h / 2, 0], [w / 2, h / 2, 0], [-w / 2, h / 2, 0]])
        cam = corners @ (rz @ rx @ ry).T + np.array([0.0, 0.0, z])
        proj = np.stack([f * cam[:, 0] / cam[:, 2] + self.width * (0.5 + dx),
                         f * cam[:, 1] / cam[:, 2] + self.height * (0.5 + dy)], axis=1)
        src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
        return cv2.getPerspectiveTransform(src, proj.astype(np.float32))

    def _draw_held(self, frame: np.ndarray, item: np.ndarray, scale: float, t: float) -> None:
        pose = self._pose(t)
        m = self._homography(item, scale, pose)
        # Warp into the card's bounding box only, straight onto the background (transparent border).
        h, w = item.shape[:2]
        box = cv2.perspectiveTransform(np.array([[[0, 0], [w, 0], [w, h], [0, h]]], np.float32), m)[0]
        x0, y0 = np.floor(box.min(axis=0)).astype(int)
        x1, y1 = np.ceil(box.max(axis=0)).astype(int)
        x0, y0 = max(x0, 0), max(y0, 0)
        x1, y1 = min(x1, self.width), min(y1, self.height)
        if x1 <= x0 or y1 <= y0:
            return
        shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64)
        roi = frame[y0:y1, x0:x1]
        cv2.warpPerspective(item, shift @ m, (x1 - x0, y1 - y0), dst=roi, flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_TRANSPARENT)
        # Motion blur follows the hand's speed: sharp when it pauses, soft when it drifts.
        ahead = self._pose(t + 1 / self.fps)
        speed = math.hypot((ahead[0] - pose[0]) * self.width, (ahead[1] - pose[1]) * self.height)
        sigma = min(1.4, 0.3 + speed / 6)
        if sigma > 0.5:
            cv2.GaussianBlur(roi, (0, 0), sigma, dst=roi)

    # --- the page on the tray ------------------------------------------------------------------------------

    def _document_matrix(self, scene: _DocumentScene, page: np.ndarray, step: int) -> tuple[np.ndarray, float]:
        """The page's homography into the preview frame ``step`` frames after it was laid down, and how
        fast it still moves (a blur sigma in preview pixels)."""
        h, w = page.shape[:2]
        # A portrait page fills ~80% of the frame's height, a landscape one ~72% (its width is the limit).
        height = (0.80 if h >= w else 0.72) * self.height
        # Rolled, the page needs more rows: keep its bounding box within ~88% of the frame's height, as a
        # citizen lays a page so that it fits the tray (cut_off puts it out on purpose).
        roll = math.radians(abs(scene.tilt_deg))
        height = min(height, 0.88 * self.height / (math.cos(roll) + w / h * math.sin(roll)))
        if scene.small:
            height *= 0.42  # far away: the page is ~5% of the frame
        scale = height * w / h / self.width
        dx = dy = 0.0
        if scene.cut_off:
            dx = 0.5 - 0.25 * scale  # a quarter of the page beyond the frame's right edge
        tilt = scene.tilt_deg
        yaw, pitch, roll = 0.4 * tilt, -0.8 * tilt, tilt
        # The page slides in and stops: the remaining way falls off quadratically (ease-out).
        left = max(0.0, 1.0 - step / SETTLE_FRAMES) ** 2
        pose = (dx + 0.09 * left, dy - 0.05 * left, yaw, pitch, roll + 6 * left)
        return self._homography(page, scale, pose), 3.0 * left

    def _draw_document(self, frame: np.ndarray, k: float, step: int) -> np.ndarray:
        scene = self._shown
        page = self._document
        assert isinstance(scene, _DocumentScene) and page is not None
        m, motion = self._document_matrix(scene, page, step)
        m = _still_matrix(k) @ m
        box = _warp_into(frame, page, m)
        # Out of focus the whole scene blurs; in motion the page does. Sigmas scale with the frame, so a still
        # is as blurred as its preview, only larger.
        sigma = math.hypot(2.6 if scene.blur else 0.0, motion) * k
        if box is not None and sigma > 0.4 * k:
            pad = int(3 * sigma) + 1
            x0, y0 = max(box[0] - pad, 0), max(box[1] - pad, 0)
            x1, y1 = min(box[2] + pad, frame.shape[1]), min(box[3] + pad, frame.shape[0])
            roi = frame[y0:y1, x0:x1]
            cv2.GaussianBlur(roi, (0, 0), sigma, dst=roi)
        if scene.glare:
            self._add_glare(frame, scene, page, k)
        if scene.dark:
            cv2.convertScaleAbs(frame, dst=frame, alpha=0.3)  # a dim room: paper at ~65 of 255
        return _item_quad(page, m)

    def _add_glare(self, frame: np.ndarray, scene: _DocumentScene, page: np.ndarray, k: float) -> None:
        """The lamp's reflection: a bright ellipse, clipped white at its core, fixed in the frame (the light
        does not move with the page), over the text a third of the way down the page at rest."""
        if k not in self._glare:
            # Drawn at the preview's scale and enlarged: a wide blur at 3x costs a third of a second.
            h, w = page.shape[:2]
            m = self._document_matrix(scene, page, SETTLE_FRAMES)[0]
            centre = cv2.perspectiveTransform(np.array([[[0.5 * w, 0.36 * h]]], np.float32), m)[0, 0]
            quad = _item_quad(page, m)
            page_w = float(np.linalg.norm(quad[1] - quad[0]))
            axes = (int(0.24 * page_w), int(0.10 * page_w))
            pad = int(0.45 * page_w)
            spot = np.zeros((2 * pad, 2 * pad), np.uint8)
            cv2.ellipse(spot, (pad, pad), axes, 20, 0, 360, 255, -1, cv2.LINE_AA)
            spot = cv2.GaussianBlur(spot, (0, 0), 0.06 * page_w)
            spot = cv2.convertScaleAbs(spot, alpha=1.9)  # saturated at the core, a soft halo around
            if k != 1:
                spot = cv2.resize(spot, None, fx=k, fy=k, interpolation=cv2.INTER_LINEAR)
            origin = (int(round(k * (centre[0] - pad))), int(round(k * (centre[1] - pad))))
            self._glare[k] = (cv2.merge([spot, spot, spot]), origin)
        spot, (x, y) = self._glare[k]
        sh, sw = spot.shape[:2]
        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + sw, frame.shape[1]), min(y + sh, frame.shape[0])
        if x1 > x0 and y1 > y0:
            roi = frame[y0:y1, x0:x1]
            cv2.add(roi, spot[y0 - y:y1 - y, x0 - x:x1 - x], dst=roi)

    def _add_noise(self, frame: np.ndarray) -> None:
        # Sensor noise, fresh each frame as a real sensor's, so a "still" page is not bit-identical between
        # frames. Drawing it costs ~15 ms a frame: three patterns drawn once, taken in turn.
        if self._noise is None or self._noise[0].shape != frame.shape:
            rng = np.random.default_rng(self._seed + 17)
            self._noise = [np.clip(rng.normal(0, 2.0, frame.shape), -8, 8).astype(np.int8) for _ in range(3)]
        cv2.add(frame, self._noise[self._frame_no % 3], dst=frame, dtype=cv2.CV_8U)
