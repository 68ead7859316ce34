"""The tray reader: a still card's burst of noisy frames is read where single frames are not, an empty tray
gives nothing, a QR the caller refuses is never returned, and the work per frame is bounded."""

from __future__ import annotations

import importlib.util
import math
import sys
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from device.camera import CameraWorker
from device.qr import QrPipeline, available_decoders
from device.qr_frames import TrayReader
from device.sim.camera import SimCamera, qr_image
from kiosk.core.identity import is_card_qr as is_card
from kiosk.core.samples import sample_payload

ROOT = Path(__file__).resolve().parents[3]
PAYMENT_QR = "00020101021238570010A000000727012700069704220113VQRQ00001234560208QRIBFTTA53037045802VN6304ABCD"
GENEROUS = 1000.0  # a budget ratio no frame reaches: every variant runs, so what is read does not depend on timing


def _load_benchmark():
    spec = importlib.util.spec_from_file_location("qr_decode_benchmark", ROOT / "benchmarks" / "qr_decode.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _load_benchmark()


def tray_burst(level_name: str, seed: int, frames: int = 5, payload: str | None = None):
    level = next(lv for lv in bench.TRAY_LEVELS if lv.name == level_name)
    rng = np.random.default_rng(seed)
    payload = payload or bench.fake_payload(rng)
    return payload, bench.tray_burst(level, payload, rng, frames)


def feed_all(reader: TrayReader, frames, accept=None) -> list[str | None]:
    texts = []
    for frame in frames:
        result = reader.feed(frame, accept)
        texts.append(result.text if result else None)
    return texts


@pytest.mark.parametrize("level, seeds", [("small-blur", (100, 101, 102)), ("noise", (101, 103, 106)),
                                          ("perspective", (102, 103, 104))])
def test_still_cards_zxing_cpp_alone_does_not_read_in_any_frame_are_read(level, seeds):
    zxing = available_decoders()["zxing"]
    reader = TrayReader(accept=is_card, budget_ratio=GENEROUS)
    for seed in seeds:
        payload, frames = tray_burst(level, seed)
        assert not any(payload in zxing.decode(frame) for frame in frames)
        texts = feed_all(reader, frames)
        assert payload in texts
        assert set(texts) <= {None, payload}  # never a wrong text


@pytest.mark.parametrize("seed", [201, 203])
def test_averaging_the_burst_reads_a_card_no_single_frame_of_it_gives(seed):
    # Sensor noise sigma 45 on 2.5-3.5 px modules: no frame alone is read, even with every variant tried.
    rng = np.random.default_rng(seed)
    payload = bench.fake_payload(rng)
    frames = bench.tray_burst(bench.TrayLevel("very-noisy", noise=(45, 45)), payload, rng, 8)
    for frame in frames:
        assert TrayReader(accept=is_card, budget_ratio=GENEROUS).feed(frame) is None
    reader = TrayReader(accept=is_card, budget_ratio=GENEROUS)
    texts = feed_all(reader, frames)
    assert payload in texts and texts.index(payload) >= 1
    assert reader.averaged == 8


@pytest.mark.parametrize("family", ["tray", "camera"])
@pytest.mark.parametrize("kind", bench.NO_QR_KINDS)
def test_a_tray_without_any_qr_gives_nothing(family, kind):
    reader = TrayReader(budget_ratio=GENEROUS)
    rng = np.random.default_rng(5)
    frames = bench.no_qr_burst(family, kind, rng, 5)
    assert feed_all(reader, frames, accept=lambda text: True) == [None] * 5


def test_a_qr_the_caller_refuses_is_never_returned():
    # A payment QR printed like a card's, small and noisy, lying in the tray: the regions are worked on,
    # but a text the predicate refuses never comes out; without the predicate the same burst is read.
    _, frames = tray_burst("small", 11, frames=6, payload=PAYMENT_QR)
    assert feed_all(TrayReader(accept=is_card, budget_ratio=GENEROUS), frames) == [None] * 6
    assert PAYMENT_QR in feed_all(TrayReader(budget_ratio=GENEROUS), frames)


def test_a_refusing_predicate_given_per_frame_wins_over_the_readers_own():
    payload, frames = tray_burst("small", 12)
    reader = TrayReader(accept=lambda text: True, budget_ratio=GENEROUS)
    assert feed_all(reader, frames, accept=lambda text: False) == [None] * 5


def _two_qrs(left: str, right: str) -> np.ndarray:
    frame = np.full((720, 1280), 200, np.uint8)
    for text, x in ((left, 120), (right, 720)):
        qr = cv2.cvtColor(np.asarray(qr_image(text, 4, quiet=4)), cv2.COLOR_RGB2GRAY)
        frame[120:120 + qr.shape[0], x:x + qr.shape[1]] = qr
    return frame


def test_the_card_beside_a_payment_qr_is_read_and_only_the_card():
    frame = _two_qrs(PAYMENT_QR, sample_payload(0))
    reader = TrayReader(accept=is_card)
    assert feed_all(reader, [frame] * 3) == [sample_payload(0)] * 3


def test_the_average_grows_while_the_scene_is_still_and_starts_again_when_it_changes():
    _, still = tray_burst("small", 21, frames=4)
    _, other = tray_burst("small", 22, frames=2)
    reader = TrayReader(budget_ratio=0.0)
    counts = []
    for frame in still + other:
        reader.feed(frame)
        counts.append(reader.averaged)
    assert counts == [1, 2, 3, 4, 1, 2]


def test_a_card_drifting_by_a_fraction_of_a_pixel_is_not_averaged_into_a_smear():
    rng = np.random.default_rng(31)
    level = next(lv for lv in bench.TRAY_LEVELS if lv.name == "small")
    payload = bench.fake_payload(rng)
    optical = bench.tray_scene(level, bench.render_card(payload, rng), bench.qr_matrix(payload).shape[0], rng)
    reader = TrayReader(budget_ratio=0.0)
    counts = []
    for k in range(5):  # 0.6 px further each frame: a card sliding slowly, a hand drifting
        shifted = cv2.warpAffine(optical, np.float32([[1, 0, 0.6 * k], [0, 1, 0]]), optical.shape[::-1],
                                 borderMode=cv2.BORDER_REPLICATE)
        reader.feed(bench.tray_frames(shifted, 5.0, None, rng, 1)[0])
        counts.append(reader.averaged)
    assert counts == [1] * 5


def test_the_lamp_flickering_does_not_restart_the_average():
    rng = np.random.default_rng(41)
    level = next(lv for lv in bench.TRAY_LEVELS if lv.name == "small")
    payload = bench.fake_payload(rng)
    optical = bench.tray_scene(level, bench.render_card(payload, rng), bench.qr_matrix(payload).shape[0], rng)
    reader = TrayReader(budget_ratio=0.0)
    for gain in (1.0, 1.04, 0.97, 1.02):
        reader.feed(np.clip(optical * gain + rng.normal(0, 6, optical.shape), 0, 255).astype(np.uint8))
    assert reader.averaged == 4


def _count_region_reads(reader: TrayReader, monkeypatch) -> list[str]:
    tried: list[str] = []
    real = reader._read
    monkeypatch.setattr(reader, "_read", lambda decoder, image: (tried.append(decoder), real(decoder, image))[1])
    return tried


def test_without_a_budget_a_miss_costs_one_zxing_pass_and_nothing_more(monkeypatch):
    _, frames = tray_burst("blur", 51)
    reader = TrayReader(accept=is_card, budget_ratio=0.0)
    tried = _count_region_reads(reader, monkeypatch)
    feed_all(reader, frames)
    assert tried == []


def test_the_region_work_is_spread_over_the_frames_and_stops_when_the_camera_does(monkeypatch):
    _, frames = tray_burst("motion-blur", 52)
    reader = TrayReader(accept=lambda text: False, budget_ratio=GENEROUS)
    tried = _count_region_reads(reader, monkeypatch)
    reader.feed(frames[0], cancelled=lambda: True)
    assert tried == []  # the camera is stopping: no extra work at all
    reader.feed(frames[1])
    assert len(tried) >= 5  # with room to spare, one frame tries every variant on the region


def test_one_frame_in_every_nth_is_decoded_but_every_frame_is_averaged():
    payload, frames = tray_burst("noise", 61, frames=6)
    reader = TrayReader(every_nth=3, accept=is_card, budget_ratio=GENEROUS)
    results, counts = [], []
    for frame in frames:
        results.append(reader.feed(frame))
        counts.append(reader.averaged)
    assert counts == [1, 2, 3, 4, 5, 6]
    assert all(r is None for i, r in enumerate(results) if i % 3)


def test_colour_frames_are_read_and_the_reader_is_a_pipeline_for_its_callers():
    camera = SimCamera()
    camera.open()
    camera.present_card(sample_payload(1))
    reader = TrayReader(accept=is_card)
    assert isinstance(reader, QrPipeline)
    texts = [r.text if r else None for r in (reader.feed(camera.read()) for _ in range(5))]
    assert sample_payload(1) in texts
    # the single-frame full search is still there (the scan command, the self-test)
    assert reader.decode(camera.read()).text == sample_payload(1)


def test_the_camera_worker_reads_the_simulated_card_through_a_tray_reader():
    camera = SimCamera()
    decoded: list[str] = []
    done = threading.Event()
    worker = CameraWorker(camera, decoder=TrayReader(every_nth=2), accept=is_card,
                          on_decoded=lambda text: (decoded.append(text), done.set()))
    worker.start()
    try:
        camera.present_card(sample_payload(2))
        assert done.wait(10.0)
    finally:
        worker.stop()
    assert decoded == [sample_payload(2)]


def test_the_tray_family_is_harder_than_the_first_one_for_zxing_cpp_alone():
    # The benchmark's second generator family: 2-4 px modules; zxing-cpp reads few of its first frames.
    zxing = available_decoders()["zxing"]
    rng = np.random.default_rng(71)
    reads = 0
    for level in bench.TRAY_LEVELS:
        payload = bench.fake_payload(rng)
        frame = bench.tray_burst(level, payload, rng, 1)[0]
        reads += payload in zxing.decode(frame)
        assert frame.shape == (720, 1280) and frame.dtype == np.uint8
    assert reads <= math.ceil(len(bench.TRAY_LEVELS) / 2)
