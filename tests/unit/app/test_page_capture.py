"""The camera thread's part of the paperless dossier (kiosk/app/documents.py) on the simulated tray: a page is
taken once when it settles, again only after the tray was emptied or a retake asks; a tap takes whatever lies
there; a full disk refuses; the session's pages become the dossier's attachments, and wiping zeroes them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from device.sim.camera import SimCamera
from kiosk.app import documents
from kiosk.app.documents import DISK_FULL, PageCapture, attachments, received_electronically
from kiosk.core.forms import load_catalogue

FORMS = Path(__file__).resolve().parents[3] / "forms"


def _run(capture: PageCapture, camera: SimCamera, frames: int) -> list:
    """Feed ``frames`` frames; every (look, page, error) that said something."""
    out = []
    for _ in range(frames):
        look, page, error = capture.feed(camera.read(), camera)
        if page is not None or error is not None:
            out.append((look, page, error))
    return out


@pytest.fixture
def tray():
    camera = SimCamera(fps=15)
    camera.open()
    yield camera
    camera.close()


def test_a_settled_page_is_taken_once_until_the_tray_is_emptied(tray, tmp_path):
    capture = PageCapture(1, 600_000, data_dir=tmp_path)
    tray.present_document("giay-chung-sinh", 1)
    taken = _run(capture, tray, 60)
    assert len(taken) == 1  # lying still for 60 frames, it is taken once
    page = taken[0][1]
    assert page.document == 1 and not page.problems and page.size <= 600_000
    assert hashlib.sha256(page.jpeg).hexdigest() == page.sha256
    assert page.thumbnail.shape[1] == documents.VIEW_WIDTH
    tray.remove_card()
    assert _run(capture, tray, 10) == []
    tray.present_document("bang-tot-nghiep", 2)  # the next page, laid after the tray was empty
    assert len(_run(capture, tray, 60)) == 1


def test_a_retake_takes_the_same_page_again_and_a_tap_takes_a_bad_one(tray, tmp_path):
    capture = PageCapture(1, 600_000, data_dir=tmp_path)
    tray.present_document("giay-chung-sinh", 1)
    assert len(_run(capture, tray, 60)) == 1
    capture.rearm()
    assert len(_run(capture, tray, 60)) == 1
    tray.present_document("giay-chung-sinh", 1, glare=True)
    assert _run(capture, tray, 60) == []  # glare: never steady, never taken by itself
    capture.request()
    (_look, page, error), = _run(capture, tray, 3)
    assert error is None and "glare" in page.problems and not page.acceptable


def test_a_tap_on_an_empty_tray_says_there_is_no_page(tray, tmp_path):
    capture = PageCapture(1, 600_000, data_dir=tmp_path)
    capture.request()
    (_look, page, error), = _run(capture, tray, 3)
    assert page is None and error["vi"] and error["en"]


def test_a_full_disk_refuses_the_capture(tray, tmp_path, monkeypatch):
    monkeypatch.setattr(documents, "room_for_capture", lambda *_a: False)
    capture = PageCapture(1, 600_000, data_dir=tmp_path)
    tray.present_document("giay-chung-sinh", 1)
    taken = _run(capture, tray, 60)
    assert taken and all(page is None and error == DISK_FULL for _l, page, error in taken)


def test_pages_become_attachments_and_wiping_zeroes_them(tray, tmp_path):
    proc = next(p for p in load_catalogue(FORMS) if p.id == "dang-ky-khai-sinh")
    capture = PageCapture(1, 600_000, data_dir=tmp_path)
    tray.present_document("giay-chung-sinh", 1)
    (_l, good, _e), = _run(capture, tray, 60)
    tray.present_document("giay-chung-sinh", 1, glare=True)
    capture.request()
    (_l, flagged, _e), = _run(capture, tray, 3)
    pages = {1: [good, flagged]}
    assert received_electronically(pages) == {1: 1}  # a failed page not insisted on is not sent
    flagged.sent_anyway = True
    sent = attachments(proc, pages)
    assert [(a.document, a.page, a.flags) for a in sent] == [(1, 1, ()), (1, 2, tuple(flagged.problems))]
    assert sent[0].sha256 == good.sha256 and sent[0].document_name == proc.documents[1]["name"]
    buffer = good.jpeg
    good.wipe()
    assert len(buffer) == 0 and good.thumbnail is None
