"""The QR pipeline on camera-like frames: it reads cards, reads more than zxing-cpp alone, invents nothing."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from device.qr import QrPipeline, available_decoders
from device.sim.camera import SimCamera, qr_image
from kiosk.core.identity import is_card_qr as is_card
from kiosk.core.identity import parse_id_qr
from kiosk.core.samples import sample_payload

ROOT = Path(__file__).resolve().parents[3]
PAYMENT_QR = "00020101021238570010A000000727012700069704220113VQRQ00001234560208QRIBFTTA53037045802VN6304ABCD"


def _load_generator():
    # The benchmark's own frame generator: blur, tilt, low light, glare, noise, JPEG at graded levels.
    spec = importlib.util.spec_from_file_location("qr_decode_benchmark", ROOT / "benchmarks" / "qr_decode.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bench = _load_generator()


def level(name: str):
    return next(lv for lv in bench.LEVELS if lv.name == name)


def frames(level_name: str, count: int, seed: int) -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        payload = bench.fake_payload(rng)
        out.append((payload, bench.make_frame(level(level_name), payload, rng)))
    return out


def sim_frame(payload: str | None, frames_in: int = 10) -> np.ndarray:
    camera = SimCamera()
    camera.open()
    if payload is not None:
        camera.present_card(payload)
    frame = None
    for _ in range(frames_in):
        frame = camera.read()
    return frame


@pytest.mark.parametrize("index", [0, 1, 2])
def test_reads_each_test_citizens_card_held_under_the_simulated_camera(index):
    result = QrPipeline(accept=is_card).decode(sim_frame(sample_payload(index)))
    assert result is not None
    assert result.text == sample_payload(index)
    assert parse_id_qr(result.text).id_number == parse_id_qr(sample_payload(index)).id_number


@pytest.mark.parametrize("name", ["clean", "tilt", "rotation", "noise", "jpeg"])
def test_reads_every_frame_of_the_moderate_levels(name):
    pipeline = QrPipeline(accept=is_card)
    for payload, frame in frames(name, 4, seed=11):
        result = pipeline.decode(frame)
        assert result is not None and result.text == payload, name


def test_reads_hard_frames_that_zxing_cpp_alone_misses():
    zxing = available_decoders()["zxing"]
    pipeline = QrPipeline(accept=is_card)
    hard = frames("low-light", 8, seed=5) + frames("blur", 8, seed=6)
    by_zxing = sum(payload in zxing.decode(frame) for payload, frame in hard)
    by_pipeline = 0
    for payload, frame in hard:
        result = pipeline.decode(frame)
        assert result is None or result.text == payload  # never a wrong text
        by_pipeline += result is not None
    assert by_pipeline > by_zxing


@pytest.mark.parametrize("kind", bench.NO_QR_KINDS)
def test_no_text_from_frames_without_a_qr(kind):
    pipeline = QrPipeline()  # no predicate: any text at all would be a false read
    rng = np.random.default_rng(3)
    for _ in range(3):
        assert pipeline.decode(bench.make_no_qr_frame(kind, rng)) is None


def test_no_text_from_the_empty_slot():
    assert QrPipeline().decode(sim_frame(None)) is None


def _two_qrs(left: str, right: str) -> np.ndarray:
    frame = np.full((720, 1280), 200, np.uint8)
    for text, x in ((left, 120), (right, 720)):
        qr = cv2.cvtColor(np.asarray(qr_image(text, 6, quiet=4)), cv2.COLOR_RGB2GRAY)
        frame[120:120 + qr.shape[0], x:x + qr.shape[1]] = qr
    return frame


def test_accept_predicate_skips_a_payment_qr_for_the_card_beside_it():
    frame = _two_qrs(PAYMENT_QR, sample_payload(0))
    result = QrPipeline(accept=is_card).decode(frame)
    assert result is not None and result.text == sample_payload(0)


def test_accept_predicate_refusing_everything_reads_nothing():
    frame = _two_qrs(PAYMENT_QR, "https://example.invalid/pay")
    assert QrPipeline(accept=is_card).decode(frame) is None
    # Without the predicate the same frame does yield a text: the refusal came from the predicate.
    assert QrPipeline().decode(frame) is not None


def test_predicate_given_per_call_wins_over_the_pipelines_own():
    frame = _two_qrs(PAYMENT_QR, sample_payload(1))
    pipeline = QrPipeline(accept=lambda text: False)
    result = pipeline.decode(frame, accept=lambda text: text.startswith("000201"))
    assert result is not None and result.text == PAYMENT_QR


@pytest.mark.parametrize("name", ["zxing", "pyzbar", "opencv"])
def test_each_single_library_reads_a_plain_card_qr(name):
    qr = cv2.cvtColor(np.asarray(qr_image(sample_payload(2), 5, quiet=4)), cv2.COLOR_RGB2GRAY)
    assert available_decoders()[name].decode(qr) == [sample_payload(2)]


def test_stream_feed_decodes_only_every_nth_frame():
    frame = sim_frame(sample_payload(0))
    pipeline = QrPipeline(every_nth=3)
    results = [pipeline.feed(frame) for _ in range(7)]
    assert [r is not None for r in results] == [True, False, False, True, False, False, True]


def test_colour_frames_are_read_like_grey_ones():
    camera = SimCamera()
    camera.open()
    camera.present_card(sample_payload(1))
    frame = camera.read()
    assert frame.ndim == 3
    result = QrPipeline().decode(frame)
    assert result is not None and result.text == sample_payload(1)


def _count_stages(pipeline: QrPipeline, monkeypatch) -> list[str]:
    tried: list[str] = []
    real = pipeline._decode_with
    monkeypatch.setattr(pipeline, "_decode_with", lambda stage, image: (tried.append(stage), real(stage, image))[1])
    return tried


def test_on_a_stream_an_empty_slot_gets_the_whole_frame_search_one_decode_in_four(monkeypatch):
    # the empty slot between citizens: nothing to read, and no reason to spend the budget on every frame
    empty = sim_frame(None)
    pipeline = QrPipeline(every_nth=1, full_search_every=4)
    tried = _count_stages(pipeline, monkeypatch)
    searched = []
    for _ in range(8):
        before = len(tried)
        assert pipeline.feed(empty) is None
        searched.append(len(tried) > before)
    assert searched == [True, False, False, False, True, False, False, False]
    # a single frame (the scan command, the benchmark) is always searched in full
    before = len(tried)
    assert pipeline.decode(empty) is None and len(tried) > before


def test_a_search_stops_between_two_variants_once_the_camera_is_stopping(monkeypatch):
    pipeline = QrPipeline(every_nth=1)
    tried = _count_stages(pipeline, monkeypatch)
    assert pipeline.decode(sim_frame(None), cancelled=lambda: True) is None
    assert len(tried) == 1  # the first whole-frame variant, then it gave up
