"""device.page_scan: finding, checking, straightening and encoding document pages.

Two sources of frames: the simulated camera (device.sim.camera, the pages of device.sim.documents on
its tray) and photo-like frames drawn here with OpenCV alone, so the checks are not only tuned to the
simulator's way of drawing.
"""

from __future__ import annotations

import hashlib

import cv2
import numpy as np
import pytest

from device.page_scan import (
    PROBLEM_MESSAGES,
    PROBLEMS,
    PageLook,
    PageNotFound,
    PageTracker,
    ScannedPage,
    check_page,
    encode_page,
    enhance,
    find_page,
    scan_page,
    straighten,
)
from device.sim.camera import SETTLE_FRAMES, SimCamera

FRAME_W, FRAME_H = 1280, 720


# --- frames drawn without the simulator ----------------------------------------------------------------------

def drawn_page(width: int = 840, height: int = 1188) -> np.ndarray:
    """An A4 page (1:1.414) drawn with OpenCV: margin, a dark header band, lines of text, a red stamp."""
    page = np.full((height, width, 3), (232, 234, 236), np.uint8)
    cv2.rectangle(page, (40, 36), (width - 40, 96), (60, 30, 20), -1)
    cv2.putText(page, "SAMPLE PAGE", (60, 78), cv2.FONT_HERSHEY_DUPLEX, 1.2, (255, 255, 255), 2, cv2.LINE_AA)
    rng = np.random.default_rng(5)
    y = 160
    while y < height - 120:
        words = "".join(chr(c) for c in rng.integers(65, 91, 34))
        cv2.putText(page, words, (60, y), cv2.FONT_HERSHEY_SIMPLEX, 0.75, (30, 30, 30), 2, cv2.LINE_AA)
        y += 38
    cv2.circle(page, (width - 200, height - 220), 90, (40, 40, 200), 6, cv2.LINE_AA)
    return page


def photo(corners: list[list[float]], *, blur: float = 0.0, glare: bool = False, gain: float = 1.0,
          page: np.ndarray | None = None, seed: int = 1) -> np.ndarray:
    """A 1280x720 photo of ``page`` lying with its outer edges at ``corners`` (tl, tr, br, bl) on a dark
    tray, with optional defocus, a lamp's reflection, a gain (darkness) and sensor noise."""
    page = drawn_page() if page is None else page
    h, w = page.shape[:2]
    frame = np.full((FRAME_H, FRAME_W, 3), 66, np.uint8)
    frame[:] += np.linspace(0, 20, FRAME_W, dtype=np.float32).astype(np.uint8)[None, :, None]
    src = np.array([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]], np.float32)
    m = cv2.getPerspectiveTransform(src, np.array(corners, np.float32))
    cv2.warpPerspective(page, m, (FRAME_W, FRAME_H), dst=frame, flags=cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_TRANSPARENT)
    if blur:
        frame = cv2.GaussianBlur(frame, (0, 0), blur)
    if glare:
        spot = np.zeros((FRAME_H, FRAME_W), np.uint8)
        centre = np.array(corners, np.float32).mean(axis=0).astype(int)
        cv2.ellipse(spot, (int(centre[0]), int(centre[1]) - 80), (90, 40), 0, 0, 360, 255, -1)
        spot = cv2.GaussianBlur(spot, (0, 0), 12)
        frame = cv2.add(frame, cv2.merge([spot, spot, spot]))
    if gain != 1.0:
        frame = cv2.convertScaleAbs(frame, alpha=gain)
    noise = np.random.default_rng(seed).normal(0, 2, frame.shape)
    return np.clip(frame + noise, 0, 255).astype(np.uint8)


GOOD = [[430, 70], [850, 95], [830, 690], [395, 665]]  # a page ~600 px tall, slightly rolled and foreshortened
SMALL = [[600, 300], [700, 305], [695, 445], [596, 440]]
CUT = [[980, 60], [1400, 90], [1380, 690], [950, 660]]  # the right third beyond the frame


def settled(camera: SimCamera, frames: int = SETTLE_FRAMES + 2) -> np.ndarray:
    frame = camera.read()
    for _ in range(frames - 1):
        frame = camera.read()
    return frame


@pytest.fixture
def camera() -> SimCamera:
    cam = SimCamera()
    cam.open()
    yield cam
    cam.close()


# --- messages -----------------------------------------------------------------------------------------------

def test_every_problem_has_a_bilingual_instruction():
    assert PROBLEMS == ("no_page", "small", "cut_off", "blur", "dark", "glare")
    assert set(PROBLEM_MESSAGES) == set(PROBLEMS)
    for code, message in PROBLEM_MESSAGES.items():
        assert set(message) == {"vi", "en"}, code
        assert message["vi"] and message["en"] and message["vi"] != message["en"]
    assert PROBLEM_MESSAGES["blur"]["vi"] == "Ảnh bị mờ: giữ yên tờ giấy và chờ một chút."
    assert PROBLEM_MESSAGES["blur"]["en"] == "The photo is blurred: hold the page still for a moment."
    assert "nghiêng" in PROBLEM_MESSAGES["glare"]["vi"] and "tilt" in PROBLEM_MESSAGES["glare"]["en"]
    assert "light" in PROBLEM_MESSAGES["dark"]["en"] and "closer" in PROBLEM_MESSAGES["small"]["en"]
    assert "frame" in PROBLEM_MESSAGES["cut_off"]["en"] and "tray" in PROBLEM_MESSAGES["no_page"]["en"]


# --- the checks -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "page", "tilt"), [
    ("giay-chung-sinh", 1, 8.0), ("giay-chung-sinh", 1, 0.0), ("giay-chung-sinh", 1, -14.0),
    ("bang-tot-nghiep", 1, 8.0), ("bang-tot-nghiep", 2, -8.0)])
def test_a_good_simulated_page_has_no_problem(camera, kind, page, tilt):
    camera.present_document(kind, page, tilt_deg=tilt)
    frame = settled(camera)
    quad = find_page(frame)
    assert quad is not None
    assert check_page(frame, quad) == ()
    still = camera.still()
    assert check_page(still, find_page(still)) == ()


def test_a_good_drawn_page_has_no_problem():
    frame = photo(GOOD)
    assert check_page(frame, find_page(frame)) == ()


@pytest.mark.parametrize("fault", ["glare", "blur", "cut_off", "dark", "small"])
def test_each_simulated_fault_is_named_alone(camera, fault):
    camera.present_document("giay-chung-sinh", **{fault: True})
    frame = settled(camera)
    quad = find_page(frame)
    assert quad is not None  # the page is found even so: the citizen is told what to change
    assert check_page(frame, quad) == (fault,)
    still = camera.still()
    assert check_page(still, find_page(still)) == (fault,)


@pytest.mark.parametrize(("fault", "corners", "options"), [
    ("blur", GOOD, {"blur": 3.0}),
    ("glare", GOOD, {"glare": True}),
    ("dark", GOOD, {"gain": 0.3}),
    ("small", SMALL, {}),
    ("cut_off", CUT, {}),
])
def test_each_check_triggers_on_a_drawn_frame(fault, corners, options):
    frame = photo(corners, **options)
    quad = find_page(frame)
    assert quad is not None
    assert check_page(frame, quad) == (fault,)


def test_a_mild_blur_passes_and_a_strong_one_does_not():
    assert "blur" not in check_page(photo(GOOD, blur=0.8), np.array(GOOD, np.float32))
    assert "blur" in check_page(photo(GOOD, blur=2.0), np.array(GOOD, np.float32))


def test_an_empty_tray_has_no_page(camera):
    empty = camera.read()
    assert find_page(empty) is None
    assert check_page(empty, None) == ("no_page",)
    tray = photo(GOOD, page=np.full((10, 10, 3), 66, np.uint8))  # a "page" the tray's colour: nothing to see
    assert find_page(tray) is None


def test_a_black_frame_says_no_page_and_dark():
    black = np.full((FRAME_H, FRAME_W, 3), 4, np.uint8)
    assert find_page(black) is None
    assert check_page(black, None) == ("no_page", "dark")


# --- finding the page -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "page", "tilt"), [
    ("giay-chung-sinh", 1, 0.0), ("giay-chung-sinh", 1, 8.0), ("giay-chung-sinh", 1, -14.0),
    ("giay-chung-sinh", 1, 20.0), ("bang-tot-nghiep", 1, 8.0), ("bang-tot-nghiep", 2, -8.0)])
def test_corners_match_the_simulators(camera, kind, page, tilt):
    camera.present_document(kind, page, tilt_deg=tilt)
    frame = settled(camera)
    quad = find_page(frame)
    assert quad.shape == (4, 2) and quad.dtype == np.float32
    assert np.abs(quad - camera.last_document_quad).max() < 2.5
    still = camera.still()
    assert np.abs(find_page(still) - camera.last_still_quad).max() < 6.0  # 2 preview pixels


def test_corners_match_a_drawn_page():
    quad = find_page(photo(GOOD))
    assert np.abs(quad - np.array(GOOD, np.float32)).max() < 2.5


def test_corners_come_in_reading_order_whatever_the_roll():
    for roll in (-30, -10, 10, 30):
        c, s = np.cos(np.radians(roll)), np.sin(np.radians(roll))
        base = np.array([[-200, -283], [200, -283], [200, 283], [-200, 283]], np.float32)
        corners = base @ np.array([[c, s], [-s, c]], np.float32) + np.array([640, 360], np.float32)
        quad = find_page(photo(corners.tolist()))
        assert np.abs(quad - corners).max() < 2.5, roll


# --- straightening --------------------------------------------------------------------------------------------

def band_darkness(page: np.ndarray) -> tuple[float, float]:
    """Mean grey of the rows where the header band is (3.5-6.5% down the page, its middle 80%), and of the
    same rows counted from the bottom."""
    grey = cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)
    h, w = grey.shape
    rows = slice(int(0.035 * h), int(0.065 * h))
    cols = slice(int(0.1 * w), int(0.9 * w))
    return float(grey[rows, cols].mean()), float(grey[::-1][rows, cols].mean())


def test_straighten_gives_an_upright_a4_portrait_page(camera):
    camera.present_document("giay-chung-sinh", tilt_deg=-12)
    settled(camera)
    still = camera.still()
    page = straighten(still, find_page(still))
    h, w = page.shape[:2]
    assert h / w == pytest.approx(297 / 210, rel=0.005)
    top, bottom = band_darkness(page)
    assert top < 90 and bottom > 170  # the dark header band is at the top


def test_straighten_gives_an_upright_a4_landscape_page(camera):
    camera.present_document("bang-tot-nghiep", 1)
    settled(camera)
    still = camera.still()
    page = straighten(still, find_page(still))
    h, w = page.shape[:2]
    assert w / h == pytest.approx(297 / 210, rel=0.005)
    top, bottom = band_darkness(page)
    assert top < 90 and bottom > 150


def test_straighten_a_drawn_page():
    page = straighten(photo(GOOD), np.array(GOOD, np.float32))
    assert page.shape[0] / page.shape[1] == pytest.approx(297 / 210, rel=0.005)
    top, bottom = band_darkness(page)
    assert top < 100 and bottom > 170


def test_a_page_that_is_not_a4_keeps_its_own_shape():
    card = [[400, 200], [880, 200], [880, 503], [400, 503]]  # an ID card's 1:1.586, seen square on
    page = straighten(photo(card), np.array(card, np.float32))
    assert page.shape[1] / page.shape[0] == pytest.approx(480 / 303, rel=0.01)


def test_straighten_never_enlarges_and_stops_at_max_dpi(camera):
    small = straighten(photo(SMALL), np.array(SMALL, np.float32))
    assert small.shape[0] <= 141  # the quad's longer side: no invented detail
    camera.present_document("bang-tot-nghiep", 1, tilt_deg=0)
    settled(camera)
    still = camera.still()
    quad = find_page(still)
    assert max(straighten(still, quad).shape[:2]) <= 2339  # A4 at 200 dpi
    at_150 = straighten(still, quad, max_dpi=150)
    assert max(at_150.shape[:2]) == 1754 and min(at_150.shape[:2]) == 1240  # A4 at 150 dpi


# --- enhancing ------------------------------------------------------------------------------------------------

def test_enhance_flattens_uneven_light_and_keeps_colour():
    page = drawn_page()
    light = np.linspace(0.65, 1.0, page.shape[1], dtype=np.float32)[None, :, None]
    shaded = (page * light).astype(np.uint8)
    out = enhance(shaded)
    assert out.shape == shaded.shape and out.dtype == np.uint8
    grey_in, grey_out = (cv2.cvtColor(x, cv2.COLOR_BGR2GRAY) for x in (shaded, out))
    margin = (slice(1130, 1180), slice(None))  # a strip of bare paper along the bottom
    assert grey_in[margin].std() > 20 and grey_out[margin].std() < 6
    assert grey_out[margin].mean() > 235
    # The stamp is still red, the header band still dark, the text still black.
    stamp = out[page.shape[0] - 220, page.shape[1] - 200 + 90]
    assert stamp[2] > stamp[0] + 60
    assert grey_out[50:85, 300:500].mean() < 110
    assert grey_out.min() < 40
    assert enhance(grey_in).ndim == 2


# --- encoding ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scanned_page() -> np.ndarray:
    cam = SimCamera()
    cam.open()
    cam.present_document("giay-chung-sinh")
    settled(cam)
    still = cam.still()
    return enhance(straighten(still, find_page(still)))


@pytest.mark.parametrize("budget", [600_000, 150_000, 60_000, 20_000])
def test_encode_page_fits_the_budget(scanned_page, budget):
    data = encode_page(scanned_page, budget)
    assert len(data) <= budget
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    if budget >= 150_000:
        assert image.shape == scanned_page.shape  # quality gave way, the size did not
    assert image.shape[0] / image.shape[1] == pytest.approx(scanned_page.shape[0] / scanned_page.shape[1], rel=0.01)


def test_encode_page_refuses_an_impossible_budget(scanned_page):
    with pytest.raises(ValueError):
        encode_page(scanned_page, 300)


def test_encode_page_writes_the_dpi(scanned_page):
    data = encode_page(scanned_page, 600_000, dpi=150)
    assert data[6:11] == b"JFIF\x00" and data[13] == 1
    assert int.from_bytes(data[14:16], "big") == 150 == int.from_bytes(data[16:18], "big")


# --- scanning -------------------------------------------------------------------------------------------------

def test_scan_page_of_a_still(camera):
    camera.present_document("giay-chung-sinh")
    settled(camera)
    scanned = scan_page(camera.still())
    assert isinstance(scanned, ScannedPage)
    assert scanned.sha256 == hashlib.sha256(scanned.jpeg).hexdigest()
    assert len(scanned.jpeg) <= 600_000
    image = cv2.imdecode(np.frombuffer(scanned.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert (scanned.width, scanned.height) == (image.shape[1], image.shape[0])
    assert scanned.height / scanned.width == pytest.approx(297 / 210, rel=0.005)
    assert scanned.dpi == round(scanned.height / (297 / 25.4))
    assert 130 <= scanned.dpi <= 200
    assert scanned.problems == ()
    assert scanned.thumbnail.shape[1] == 240 and scanned.thumbnail.shape[2] == 3
    assert scanned.thumbnail.shape[0] == pytest.approx(240 * 297 / 210, abs=2)
    top, bottom = band_darkness(scanned.thumbnail)
    assert top < 100 and bottom > 170


def test_scan_page_reports_the_captures_problems_and_honours_its_budget(camera):
    camera.present_document("bang-tot-nghiep", 2, glare=True)
    settled(camera)
    scanned = scan_page(camera.still(), max_bytes=120_000, max_dpi=150)
    assert scanned.problems == ("glare",)
    assert len(scanned.jpeg) <= 120_000
    assert max(scanned.width, scanned.height) <= 1754


def test_scan_page_with_a_given_quad():
    frame = photo(GOOD)
    scanned = scan_page(frame, np.array(GOOD, np.float32), enhanced=False)
    assert scanned.problems == ()
    assert scanned.height / scanned.width == pytest.approx(297 / 210, rel=0.005)


def test_scan_page_without_a_page(camera):
    with pytest.raises(PageNotFound) as caught:
        scan_page(camera.read())
    assert isinstance(caught.value, ValueError)
    assert caught.value.message == PROBLEM_MESSAGES["no_page"]


# --- the tracker ----------------------------------------------------------------------------------------------

def test_tracker_becomes_steady_once_the_page_settles(camera):
    tracker = PageTracker(hold=4)
    camera.present_document("giay-chung-sinh")
    looks = [tracker.feed(camera.read()) for _ in range(SETTLE_FRAMES + 8)]
    assert all(isinstance(look, PageLook) for look in looks)
    assert not any(look.steady for look in looks[:SETTLE_FRAMES + 4])  # sliding, then 4 still frames to wait
    assert looks[-1].steady and looks[-1].problems == ()
    assert looks[-1].sharpness > 0.7
    assert np.abs(looks[-1].quad - camera.last_document_quad).max() < 2.5
    # Moved again: no longer steady; reset: the count starts over.
    camera.present_document("giay-chung-sinh", tilt_deg=-5)
    assert not tracker.feed(camera.read()).steady
    tracker.reset()
    camera.present_document("giay-chung-sinh")
    looks = [tracker.feed(camera.read()) for _ in range(SETTLE_FRAMES + 8)]
    assert looks[-1].steady


def test_tracker_hold_sets_how_long_to_wait(camera):
    camera.present_document("giay-chung-sinh")
    frames = [camera.read() for _ in range(SETTLE_FRAMES + 12)]
    first = {}
    for hold in (1, 4, 8):
        tracker = PageTracker(hold=hold)
        first[hold] = next(i for i, frame in enumerate(frames) if tracker.feed(frame).steady)
    assert first[1] + 3 == first[4] and first[4] + 4 == first[8]


def test_tracker_is_never_steady_on_a_blurred_page(camera):
    tracker = PageTracker()
    camera.present_document("giay-chung-sinh", blur=True)
    looks = [tracker.feed(camera.read()) for _ in range(SETTLE_FRAMES + 12)]
    assert not any(look.steady for look in looks)
    assert looks[-1].problems == ("blur",)
    assert looks[-1].sharpness < 0.55


def test_tracker_is_never_steady_on_a_moving_page():
    tracker = PageTracker()
    for i in range(16):
        corners = (np.array(GOOD, np.float32) + np.array([4 * i, -1.5 * i], np.float32)).tolist()
        look = tracker.feed(photo(corners, seed=i))
        assert look.problems == ()
        assert not look.steady
    # A still page among the same frames is steady soon.
    looks = [tracker.feed(photo(GOOD, seed=100 + i)) for i in range(6)]
    assert looks[-1].steady


def test_tracker_without_a_page(camera):
    look = PageTracker().feed(camera.read())
    assert look.quad is None and look.problems == ("no_page",) and not look.steady and look.sharpness == 0.0


def test_tracker_analyses_a_small_copy_and_answers_in_frame_coordinates():
    frame = photo(GOOD)
    for width in (320, 640, 1280):
        look = PageTracker(analyse_width=width).feed(frame)
        assert np.abs(look.quad - np.array(GOOD, np.float32)).max() < 1.5 * FRAME_W / width
