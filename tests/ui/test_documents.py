"""The paperless dossier through the widgets (issue 24): the hospital's birth certificate laid on the simulated
camera's tray is taken by itself once still, straightened and checked; a page with glare says what to do and,
after one retake, may be sent anyway; the attachment reaches the real simulator with its SHA-256 and the receipt
lists it as received electronically; the camera, the disk and the wipe leave no dead end and nothing behind."""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from device.sim.faults import FAULTS
from kiosk.core.samples import sample_payload
from kiosk.core.session import State

BIRTH_CERTIFICATE = 1  # its index in forms/dang-ky-khai-sinh.json's documents


def _to_documents(driver, kiosk, before_documents=None) -> object:
    driver.to_form(sample_payload(0))
    driver.fill_birth_form()
    if before_documents is not None:
        before_documents()
    driver.click("form-next")
    driver.qtbot.waitUntil(lambda: kiosk.session.state == State.DOCUMENTS
                           and kiosk.stack.currentWidget() is kiosk.screens[State.DOCUMENTS], timeout=15000)
    screen = kiosk.screens[State.DOCUMENTS]
    assert screen.document[0] == BIRTH_CERTIFICATE
    return screen


@pytest.fixture
def tray(kiosk):
    camera = kiosk.services.sim_camera
    yield camera
    camera.remove_card()


def test_a_still_page_is_taken_straightened_and_reaches_the_backend(kiosk, driver, qtbot, tray):
    screen = _to_documents(driver, kiosk)
    tray.present_document("giay-chung-sinh", 1)
    qtbot.waitUntil(lambda: len(screen.current_pages()) == 1, timeout=30000)
    page = screen.current_pages()[0]
    tray.remove_card()
    # straightened to A4 proportions, and the thumbnail is on the screen
    assert abs(page.height / page.width - 297 / 210) < 0.03
    assert hashlib.sha256(page.jpeg).hexdigest() == page.sha256 and not page.problems
    qtbot.waitUntil(lambda: driver.find("documents-page-1").isVisible())  # its thumbnail, on the next turn
    review = screen.preview.review  # the page as sent, straightened, in place of the camera for a moment
    assert review is not None and abs(review.height() / review.width() - 297 / 210) < 0.03
    assert "Đã chụp trang 1" in screen.status.text()
    # the rest of the documents on paper, then the dossier filed
    driver.click("documents-next")
    driver.on(State.WARD)
    ward = kiosk.screens[State.WARD]
    qtbot.waitUntil(lambda: not ward._suggest_pending, timeout=90000)
    driver.click("ward-next")
    driver.on(State.REVIEW)
    driver.click("review-submit")
    driver.on(State.DONE, timeout=30000)
    code = kiosk.session.data.dossier_code
    assert code, "the simulator acknowledges the dossier"
    receipt = kiosk.submission.receipt_path
    text = " ".join(subprocess.run(["pdftotext", receipt, "-"], capture_output=True, text=True).stdout.split())
    assert "Bản điện tử" in text and "electronic (1 page)" in text  # the birth certificate's row
    assert "Đã nhận bản điện tử (chụp tại kiosk): 1 giấy tờ" in text
    assert "Received electronically (photographed at the kiosk): 1 document" in text
    # the sender uploads the page after the dossier: the simulator ends up holding it, whole, once
    store = kiosk.services.simulator.store
    qtbot.waitUntil(lambda: any(a["sha256"] == page.sha256 and a["complete"]
                                for a in store.attachments(code) or []), timeout=30000)
    held = [a for a in store.attachments(code) if a["sha256"] == page.sha256]
    assert len(held) == 1 and held[0]["document"] == BIRTH_CERTIFICATE
    assert [a["completions"] for a in store.attachment_completions(code)] == [1]
    assert hashlib.sha256(store.attachment_data(code, page.sha256)).hexdigest() == page.sha256


def test_glare_says_what_to_do_and_a_retaken_page_may_be_sent_anyway(kiosk, driver, qtbot, tray):
    screen = _to_documents(driver, kiosk)
    tray.present_document("giay-chung-sinh", 1, glare=True)
    from kiosk.app.documents import problem_messages

    # once the page has settled, the glare is what the screen says to fix
    qtbot.waitUntil(lambda: screen.look_problems[:1] == ("glare",), timeout=20000)
    assert screen.status.text() == problem_messages()["glare"]["vi"]
    assert screen.current_pages() == []  # a page with glare is not taken by itself
    driver.click("documents-capture")  # the citizen insists
    qtbot.waitUntil(lambda: len(screen.current_pages()) == 1, timeout=20000)
    first = screen.current_pages()[0]
    assert "glare" in first.problems and not first.acceptable
    assert not driver.find("documents-anyway").isVisible()  # not before one retake
    driver.click("documents-retake")
    driver.click("documents-capture")
    qtbot.waitUntil(lambda: screen.current_pages() and screen.current_pages()[0] is not first, timeout=20000)
    second = screen.current_pages()[0]
    assert first.size == 0  # the replaced photo was wiped
    assert second.problems and second.retaken
    driver.click("documents-anyway")
    assert second.sent_anyway and second.acceptable
    assert "✓" in driver.find("documents-page-1").text()


def test_without_a_camera_every_document_goes_on_paper(kiosk, driver, qtbot):
    screen = _to_documents(driver, kiosk, lambda: FAULTS.set("camera", "unplugged", True))
    qtbot.waitUntil(lambda: "Không dùng được máy ảnh" in screen.instructions.text(), timeout=15000)
    assert not driver.find("documents-capture").isVisible()
    driver.on(State.WARD)  # "I will bring this one on paper", for each document
    assert kiosk.session.data.pages == {}
    assert BIRTH_CERTIFICATE in kiosk.session.data.on_paper


def test_a_full_disk_refuses_the_capture_and_says_so(kiosk, driver, qtbot, tray, monkeypatch):
    import kiosk.app.documents as documents

    monkeypatch.setattr(documents, "room_for_capture", lambda *_a: False)
    screen = _to_documents(driver, kiosk)
    tray.present_document("giay-chung-sinh", 1)
    qtbot.waitUntil(lambda: screen.full, timeout=30000)
    assert "hết chỗ" in screen.status.text()
    assert screen.current_pages() == [] and not driver.find("documents-capture").isEnabled()
    driver.on(State.WARD)  # paper is the way on


def test_the_wipe_zeroes_the_photographs(kiosk, driver, qtbot, tray):
    screen = _to_documents(driver, kiosk)
    tray.present_document("giay-chung-sinh", 1)
    qtbot.waitUntil(lambda: len(screen.current_pages()) == 1, timeout=30000)
    page = screen.current_pages()[0]
    buffer = page.jpeg
    assert len(buffer) > 10_000
    kiosk.go_home()
    qtbot.waitUntil(lambda: kiosk.session.state == State.HOME)
    assert len(buffer) == 0 and page.thumbnail is None
    assert kiosk.session.data.pages == {} and screen._thumbs == {}
