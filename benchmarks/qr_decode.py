"""QR decode benchmark: the kiosk pipeline against each single library on camera-like frames.

Its own generator renders an ID card carrying a card QR (payloads built like
``kiosk.core.identity.build_id_qr``), places it in a 1280x720 grey scene in front of a
pinhole camera, and degrades the frame at graded difficulty levels: blur, tilt, rotation,
low light, glare, sensor noise, JPEG and combinations. Frames without any QR (an empty
slot, the card's front, a printed page, a keyboard-like grid) count false reads.

    .venv/bin/python benchmarks/qr_decode.py            # full run, prints the table
    .venv/bin/python benchmarks/qr_decode.py --per-level 10 --write-pngs /tmp/frames

A read counts as a success only if the decoded text equals the payload; any other text on a
QR frame, and any text at all on a QR-less frame, is a false read. Every decoder runs on the
same frames in the same process, one thread for OpenCV (``cv2.setNumThreads(1)``).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import cv2
import numpy as np
import qrcode

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from device.qr import DecodeResult, QrPipeline, available_decoders  # noqa: E402
from kiosk.core.identity import build_id_qr  # noqa: E402
from kiosk.core.identity import is_card_qr as is_card  # noqa: E402

FRAME_W, FRAME_H = 1280, 720
CARD_W, CARD_H = 856, 540  # ID-1 card (85.6 x 54 mm) at 10 px/mm
QR_SIDE, QR_QUIET, QR_TOP = 180, 10, 110  # an 18 mm QR at the top right, like a chip card's

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Thu", "Đức", "Ngọc"]
GIVEN = ["Thử", "Mẫu", "Kiểm Tra", "An", "Bình", "Chi", "Dũng", "Hạnh", "Khoa", "Yến"]
STREETS = ["phố Hàng Bài", "đường Lê Lợi", "phố Tràng Tiền", "đường Trần Phú", "ngõ 12 Kim Mã"]
PLACES = ["Phường Cửa Nam, Thành phố Hà Nội", "Phường Bến Thành, Thành phố Hồ Chí Minh",
          "Phường Hồng Gai, Tỉnh Quảng Ninh", "Xã Tân Lập, Huyện Đan Phượng, Hà Nội"]


def fake_payload(rng: np.random.Generator) -> str:
    """A random, clearly fictitious card payload that kiosk.core.identity accepts."""
    year = int(rng.integers(1940, 2008))
    sex = "male" if rng.random() < 0.5 else "female"
    digit = (0 if year < 2000 else 2) + (0 if sex == "male" else 1)
    province = str(rng.choice(["001", "022", "031", "048", "079", "092"]))
    number = f"{province}{digit}{year % 100:02d}{int(rng.integers(0, 999999)):06d}"
    born = date(year, int(rng.integers(1, 13)), int(rng.integers(1, 29)))
    name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    address = f"Số {int(rng.integers(1, 200))} {rng.choice(STREETS)}, {rng.choice(PLACES)}"
    issued = date(int(rng.integers(max(year + 14, 2016), 2025)), int(rng.integers(1, 13)), 1)
    old = "" if rng.random() < 0.4 else f"{int(rng.integers(10**8, 10**9))}"
    return build_id_qr(number, name, born, sex, address, issued, old)


def qr_matrix(payload: str) -> np.ndarray:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(payload.encode("utf-8"))
    qr.make(fit=True)
    return np.array(qr.get_matrix(), dtype=bool)


def render_card(payload: str | None, rng: np.random.Generator) -> np.ndarray:
    """A grey ID card, 856x540: guilloche background, photo block, text lines, QR top-right."""
    yy, xx = np.mgrid[0:CARD_H, 0:CARD_W].astype(np.float32)
    card = 214 + 10 * np.sin(xx / 23.0 + 3 * np.sin(yy / 41.0)) + 6 * np.cos((xx + yy) / 17.0)
    card = card.astype(np.uint8)  # OpenCV 5 draws text on 8-bit images only
    cv2.rectangle(card, (0, 0), (CARD_W, 78), 170, -1)  # the header band
    cv2.putText(card, "CAN CUOC - MAU / SAMPLE", (40, 52), cv2.FONT_HERSHEY_DUPLEX, 1.25, 40, 2, cv2.LINE_AA)
    photo = cv2.GaussianBlur(rng.normal(120, 25, (230, 180)).clip(0, 255).astype(np.uint8), (0, 0), 6)
    cv2.ellipse(photo, (90, 95), (50, 62), 0, 0, 360, 70, -1)
    cv2.ellipse(photo, (90, 230), (85, 70), 0, 0, 360, 80, -1)
    card[150:380, 40:220] = photo
    for row in range(6):
        words = " ".join("".join(chr(int(c)) for c in rng.integers(65, 91, int(rng.integers(3, 9))))
                         for _ in range(int(rng.integers(2, 5))))
        cv2.putText(card, words, (250, 180 + row * 52), cv2.FONT_HERSHEY_SIMPLEX, 0.85, 45, 2, cv2.LINE_AA)
    if payload is not None:
        matrix = qr_matrix(payload)
        side, quiet = QR_SIDE, QR_QUIET
        modules = cv2.resize(np.where(matrix, 15, 240).astype(np.uint8), (side, side),
                             interpolation=cv2.INTER_NEAREST)
        x0, y0 = CARD_W - side - 40, QR_TOP
        card[y0 - quiet:y0 + side + quiet, x0 - quiet:x0 + side + quiet] = 240
        card[y0:y0 + side, x0:x0 + side] = modules
    return card.astype(np.float32)


def render_page(rng: np.random.Generator) -> np.ndarray:
    """A printed A-page with text and a table: no QR."""
    page = np.full((CARD_H, CARD_W), 235, np.uint8)
    for row in range(14):
        text = " ".join("".join(chr(int(c)) for c in rng.integers(97, 123, int(rng.integers(2, 10))))
                        for _ in range(int(rng.integers(3, 8))))
        cv2.putText(page, text, (30, 40 + row * 36), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 30, 2, cv2.LINE_AA)
    for x in range(430, 830, 80):
        cv2.line(page, (x, 300), (x, 520), 40, 2)
    return page.astype(np.float32)


def render_grid(rng: np.random.Generator) -> np.ndarray:
    """A keyboard- or tile-like grid of dark squares: a classic trap for finder-pattern detectors."""
    grid = np.full((CARD_H, CARD_W), 200, np.uint8)
    for y in range(20, CARD_H - 40, 44):
        for x in range(20, CARD_W - 40, 44):
            shade = int(rng.integers(10, 90))
            cv2.rectangle(grid, (x, y), (x + 34, y + 34), shade, -1)
            if rng.random() < 0.3:
                cv2.rectangle(grid, (x + 10, y + 10), (x + 24, y + 24), 220, -1)
    return grid.astype(np.float32)


def background(rng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:FRAME_H, 0:FRAME_W].astype(np.float32)
    base = 90 + 40 * (xx / FRAME_W) + 25 * (yy / FRAME_H) + float(rng.normal(0, 15))
    grain = cv2.GaussianBlur(rng.normal(0, 12, (FRAME_H, FRAME_W)).astype(np.float32), (0, 0), 3)
    return base + grain


@dataclass
class Pose:
    scale: float = 0.62  # card width / frame width
    yaw: float = 0.0  # degrees, out of plane
    pitch: float = 0.0
    roll: float = 0.0  # in plane
    dx: float = 0.0  # centre offset, fraction of frame
    dy: float = 0.0


def card_homography(pose: Pose, w: int = CARD_W, h: int = CARD_H) -> np.ndarray:
    """Where a pinhole camera sees the card's pixels in the frame, as a 3x3 homography."""
    f = 1.1 * FRAME_W
    width = pose.scale * FRAME_W
    z = f * (w / width)  # depth where the card, face-on, is `width` pixels wide
    pts = np.array([[-w / 2, -h / 2, 0], [w / 2, -h / 2, 0], [w / 2, h / 2, 0], [-w / 2, h / 2, 0]], np.float64)
    a, b, c = (math.radians(v) for v in (pose.yaw, pose.pitch, pose.roll))
    ry = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    rx = np.array([[1, 0, 0], [0, math.cos(b), -math.sin(b)], [0, math.sin(b), math.cos(b)]])
    rz = np.array([[math.cos(c), -math.sin(c), 0], [math.sin(c), math.cos(c), 0], [0, 0, 1]])
    cam = pts @ (rz @ rx @ ry).T + np.array([0, 0, z])
    proj = np.stack([f * cam[:, 0] / cam[:, 2] + FRAME_W * (0.5 + pose.dx),
                     f * cam[:, 1] / cam[:, 2] + FRAME_H * (0.5 + pose.dy)], axis=1).astype(np.float32)
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    return cv2.getPerspectiveTransform(src, proj)


def place(card: np.ndarray, pose: Pose, scene: np.ndarray) -> np.ndarray:
    """Project the card through a pinhole camera onto the scene."""
    h, w = card.shape
    m = card_homography(pose, w, h)
    warped = cv2.warpPerspective(card, m, (FRAME_W, FRAME_H), flags=cv2.INTER_AREA,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=-1)
    mask = cv2.warpPerspective(np.ones_like(card), m, (FRAME_W, FRAME_H), flags=cv2.INTER_LINEAR)
    return scene * (1 - mask) + np.maximum(warped, 0) * mask


# --- degradations (float32 grey images, 0..255) ----------------------------------------------------

def gaussian_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(img, (0, 0), sigma) if sigma > 0 else img


def motion_blur(img: np.ndarray, length: int, angle: float) -> np.ndarray:
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0
    rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle, 1.0)
    kernel = cv2.warpAffine(kernel, rot, (length, length))
    return cv2.filter2D(img, -1, kernel / kernel.sum())


def low_light(img: np.ndarray, gain: float, rng: np.random.Generator) -> np.ndarray:
    # Few photons: dark, shot noise, then the camera's gain lifts it a little and quantises.
    dark = img * gain + 4
    shot = rng.normal(0, 1, img.shape).astype(np.float32) * np.sqrt(np.maximum(dark, 1)) * 0.9
    return np.round(dark + shot)


def glare(img: np.ndarray, rng: np.random.Generator, strength: float) -> np.ndarray:
    """A specular highlight on the card's plastic: a bright, partly saturating blob."""
    cx = FRAME_W * (0.5 + rng.uniform(0.05, 0.25))
    cy = FRAME_H * (0.5 + rng.uniform(-0.3, 0.1))
    sx, sy = rng.uniform(60, 160), rng.uniform(40, 110)
    yy, xx = np.mgrid[0:FRAME_H, 0:FRAME_W].astype(np.float32)
    blob = np.exp(-(((xx - cx) / sx) ** 2 + ((yy - cy) / sy) ** 2))
    return img * (1 - 0.5 * strength * blob) + 255 * strength * blob


def sensor_noise(img: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    return img + rng.normal(0, sigma, img.shape).astype(np.float32)


def jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", np.clip(img, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE).astype(np.float32)


# --- levels ----------------------------------------------------------------------------------------

def hand_pose(rng: np.random.Generator, tilt: float = 8, roll: float = 8, scale: tuple = (0.55, 0.72)) -> Pose:
    return Pose(scale=rng.uniform(*scale), yaw=rng.uniform(-tilt, tilt), pitch=rng.uniform(-tilt, tilt),
                roll=rng.uniform(-roll, roll), dx=rng.uniform(-0.1, 0.1), dy=rng.uniform(-0.08, 0.08))


Degrade = Callable[[np.ndarray, np.random.Generator], np.ndarray]


@dataclass
class Level:
    name: str
    pose: Callable[[np.random.Generator], Pose]
    degrade: Degrade = field(default=lambda img, rng: img)
    hard: bool = True


def _mild(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return sensor_noise(gaussian_blur(img, 0.6), 2.0, rng)


LEVELS: list[Level] = [
    Level("clean", lambda r: hand_pose(r, 3, 3), _mild, hard=False),
    Level("blur", lambda r: hand_pose(r),
          lambda i, r: sensor_noise(gaussian_blur(i, r.uniform(1.2, 2.2)), 2.0, r)),
    Level("motion-blur", lambda r: hand_pose(r),
          lambda i, r: sensor_noise(motion_blur(i, int(r.integers(5, 10)), r.uniform(0, 180)), 2.0, r)),
    Level("tilt", lambda r: hand_pose(r, tilt=50, roll=5), _mild),
    Level("rotation", lambda r: hand_pose(r, tilt=5, roll=180), _mild),
    Level("small", lambda r: hand_pose(r, scale=(0.36, 0.44)), _mild),
    Level("low-light", lambda r: hand_pose(r),
          lambda i, r: low_light(gaussian_blur(i, 0.8), r.uniform(0.08, 0.16), r)),
    Level("glare", lambda r: hand_pose(r), lambda i, r: _mild(glare(i, r, r.uniform(0.7, 1.0)), r)),
    Level("noise", lambda r: hand_pose(r),
          lambda i, r: sensor_noise(gaussian_blur(i, 0.8), r.uniform(22, 34), r)),
    Level("jpeg", lambda r: hand_pose(r),
          lambda i, r: jpeg(sensor_noise(gaussian_blur(i, 0.9), 4.0, r), int(r.integers(6, 14)))),
    Level("combo-handheld", lambda r: hand_pose(r, tilt=30, roll=30),
          lambda i, r: jpeg(sensor_noise(motion_blur(gaussian_blur(i, 1.0), int(r.integers(4, 8)),
                                                     r.uniform(0, 180)), 8.0, r), 35)),
    Level("combo-dim-glare", lambda r: hand_pose(r, tilt=20, roll=90),
          lambda i, r: jpeg(low_light(glare(gaussian_blur(i, 1.1), r, 0.6), r.uniform(0.18, 0.3), r), 40)),
]

NO_QR_KINDS = ["empty", "card-front", "page", "grid"]


def qr_in_view(pose: Pose, margin: float = 8) -> bool:
    """The QR (with its quiet zone) lies inside the frame: a frame the camera could never read is no test."""
    x0, y0 = CARD_W - QR_SIDE - 40 - QR_QUIET, QR_TOP - QR_QUIET
    x1, y1 = CARD_W - 40 + QR_QUIET, QR_TOP + QR_SIDE + QR_QUIET
    pts = np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]], np.float32)
    frame_pts = cv2.perspectiveTransform(pts, card_homography(pose))[0]
    return bool(np.all(frame_pts >= margin) and np.all(frame_pts[:, 0] < FRAME_W - margin)
                and np.all(frame_pts[:, 1] < FRAME_H - margin))


def make_frame(level: Level, payload: str, rng: np.random.Generator) -> np.ndarray:
    card = render_card(payload, rng)
    pose = level.pose(rng)
    while not qr_in_view(pose):
        pose = level.pose(rng)
    img = place(card, pose, background(rng))
    img = level.degrade(img, rng)
    return np.clip(img, 0, 255).astype(np.uint8)


def make_no_qr_frame(kind: str, rng: np.random.Generator) -> np.ndarray:
    scene = background(rng)
    if kind == "card-front":
        scene = place(render_card(None, rng), hand_pose(rng, 20, 30), scene)
    elif kind == "page":
        scene = place(render_page(rng), hand_pose(rng, 15, 20, scale=(0.7, 0.9)), scene)
    elif kind == "grid":
        scene = place(render_grid(rng), hand_pose(rng, 15, 20, scale=(0.7, 0.9)), scene)
    img = sensor_noise(gaussian_blur(scene, rng.uniform(0.5, 1.5)), rng.uniform(2, 12), rng)
    return np.clip(img, 0, 255).astype(np.uint8)


# --- the run ---------------------------------------------------------------------------------------

def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {model}, Python {platform.python_version()}"


def run(per_level: int, no_qr: int, seed: int, png_dir: Path | None) -> int:
    cv2.setNumThreads(1)
    rng = np.random.default_rng(seed)
    decoders = available_decoders()
    pipeline = QrPipeline(accept=is_card)

    last: list[DecodeResult | None] = [None]

    def run_one(name: str, frame: np.ndarray, accept_any: bool = False) -> tuple[list[str], float]:
        t0 = time.perf_counter()
        if name == "pipeline":
            # On QR-less frames the card predicate is switched off: any text at all is a false read.
            last[0] = pipeline.decode(frame, (lambda text: True) if accept_any else None)
            texts = [last[0].text] if last[0] else []
        else:
            texts = decoders[name].decode(frame)
        return texts, (time.perf_counter() - t0) * 1000

    names = ["pipeline", *decoders]
    ok = {n: {lv.name: 0 for lv in LEVELS} for n in names}
    wrong = dict.fromkeys(names, 0)
    times: dict[str, list[float]] = {n: [] for n in names}
    stages: dict[str, int] = {}
    zxing_read: list[bool] = []  # per QR frame: did zxing-cpp alone read it
    for level in LEVELS:
        for k in range(per_level):
            payload = fake_payload(rng)
            frame = make_frame(level, payload, rng)
            if png_dir:
                png_dir.mkdir(parents=True, exist_ok=True)
                cv2.imwrite(str(png_dir / f"{level.name}-{k:02d}.png"), frame)
            for name in names:
                texts, ms = run_one(name, frame)
                times[name].append(ms)
                if name == "pipeline" and last[0]:
                    stages[last[0].decoder] = stages.get(last[0].decoder, 0) + 1
                if payload in texts:
                    ok[name][level.name] += 1
                if name == "zxing":
                    zxing_read.append(payload in texts)
                if any(t != payload for t in texts):
                    wrong[name] += 1
    false_no_qr = dict.fromkeys(names, 0)
    for k in range(no_qr):
        kind = NO_QR_KINDS[k % len(NO_QR_KINDS)]
        frame = make_no_qr_frame(kind, rng)
        if png_dir:
            cv2.imwrite(str(png_dir / f"noqr-{kind}-{k:02d}.png"), frame)
        for name in names:
            texts, ms = run_one(name, frame, accept_any=True)
            if texts:
                false_no_qr[name] += 1

    hard = [lv.name for lv in LEVELS if lv.hard]
    print(f"machine: {machine()}; seed {seed}; {per_level} frames per level, {no_qr} frames without QR; "
          f"{FRAME_W}x{FRAME_H} grey")
    header = f"| {'level':<16} | " + " | ".join(f"{n:>9}" for n in names) + " |"
    print(header)
    print("|" + "-" * 18 + "|" + "|".join("-" * 11 for _ in names) + "|")
    for level in LEVELS:
        print(f"| {level.name:<16} | " + " | ".join(f"{ok[n][level.name]:>4}/{per_level:<4}" for n in names) + " |")
    total_hard = per_level * len(hard)
    print(f"| {'hard total':<16} | "
          + " | ".join(f"{sum(ok[n][h] for h in hard):>4}/{total_hard:<4}" for n in names) + " |")
    print(f"| {'wrong text':<16} | " + " | ".join(f"{wrong[n]:>9}" for n in names) + " |")
    print(f"| {'false, no QR':<16} | " + " | ".join(f"{false_no_qr[n]:>4}/{no_qr:<4}" for n in names) + " |")
    print(f"| {'median ms':<16} | " + " | ".join(f"{statistics.median(times[n]):>9.1f}" for n in names) + " |")
    print(f"| {'p90 ms':<16} | "
          + " | ".join(f"{statistics.quantiles(times[n], n=10)[-1]:>9.1f}" for n in names) + " |")
    print(f"| {'max ms':<16} | " + " | ".join(f"{max(times[n]):>9.1f}" for n in names) + " |")
    easy = [i for i, read in enumerate(zxing_read) if read]
    print(f"| {'median, zx reads':<16} | "
          + " | ".join(f"{statistics.median(times[n][i] for i in easy):>9.1f}" for n in names) + " |")
    print("pipeline stage that read each frame: "
          + ", ".join(f"{k} {v}" for k, v in sorted(stages.items(), key=lambda kv: -kv[1])))

    best_single = max((n for n in names if n != "pipeline"), key=lambda n: sum(ok[n][h] for h in hard))
    more = sum(ok["pipeline"][h] for h in hard) > sum(ok[best_single][h] for h in hard)
    no_false = wrong["pipeline"] == 0 and false_no_qr["pipeline"] == 0
    ratio = statistics.median(times["pipeline"]) / statistics.median(times["zxing"])
    print(f"targets: more hard frames than {best_single}: {'yes' if more else 'NO'}; "
          f"zero false reads: {'yes' if no_false else 'NO'}; "
          f"median {ratio:.2f}x zxing-cpp (target <= 1.5): {'yes' if ratio <= 1.5 else 'NO'}")
    return 0 if (more and no_false and ratio <= 1.5) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-level", type=int, default=30, help="frames per difficulty level")
    parser.add_argument("--no-qr", type=int, default=40, help="frames without a QR (false-read check)")
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--write-pngs", type=Path, default=None, help="also save every frame as PNG here")
    args = parser.parse_args(argv)
    return run(args.per_level, args.no_qr, args.seed, args.write_pngs)


if __name__ == "__main__":
    sys.exit(main())
