"""``kiosk walkthrough``: every journey, scripted through the real widgets, offscreen.

It clicks the buttons and types on the on-screen keyboard like a citizen would (QTest mouse
clicks, never calls around the UI), with the simulated camera, printer and backend. Each round:
take a number; file a birth registration (card read by the simulated camera, the rest typed);
look the dossier up by showing its receipt to the camera; rate the service. It writes
``screens/NN-<screen>.png``, the PDFs in ``prints/`` and ``journey.json`` with the stall figures.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QApplication

from kiosk.core import clock
from kiosk.core.samples import TEST_CITIZENS, TEST_PHONE, sample_payload
from kiosk.core.session import State
from kiosk.tools.probe import StallProbe
from kiosk.tools.walkthrough.common import BIRTH, ScreenDriver, WalkthroughError, type_keys, wait_in_loop

if TYPE_CHECKING:
    from kiosk.tools.walkthrough.maintenance import MaintenanceWalkthrough

log = logging.getLogger("kiosk.walkthrough")


def rss_mb() -> float:
    """Resident memory now (kiosk.app.memory.resident_bytes); the peak where /proc is not Linux's."""
    from kiosk.app.memory import resident_bytes

    now = resident_bytes()
    if now is None:
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return round(now / 1e6, 1)


CERTIFIED_COPY = "chung-thuc-ban-sao"


class Walkthrough(ScreenDriver):
    """The citizens' journeys (:meth:`run`), each timed and measured into ``journey.json``."""

    def __init__(self, window: Any, out_dir: Path, fast: bool = False, probe: StallProbe | None = None) -> None:
        super().__init__(window, out_dir, fast=fast, probe=probe)
        self.journeys: list[dict[str, Any]] = []
        self.dossiers = 0  # dossiers filed so far: each takes the next test citizen's card
        self.photographed = False  # a birth certificate was photographed (once a walkthrough)
        self.last_ticket: dict | None = None
        self.last_lookup: dict | None = None
        self.feedback: bool | None = None
        self.faults: list[dict[str, Any]] = []  # the fault rounds' outcomes (FAULT_ROUNDS)
        self.follow_url: str | None = None
        self.follow: dict[str, Any] = {}  # the follow page on a phone (follow_page)
        window.events.sig_ticket_issued.connect(self._on_window_ticket_issued)
        window.events.sig_lookup_done.connect(self._on_window_lookup_done)
        window.events.sig_feedback_sent.connect(self._on_window_feedback_sent)
        #: what the voice said, in order: {screen, text} (journey.json's "speech"); the walkthrough's own
        #: screenshots name no citizen, and neither does this: the test citizens' names are sample data
        self.speech: list[dict[str, str]] = []

    # --- signals --------------------------------------------------------------------------------
    def _on_window_ticket_issued(self, ticket: dict) -> None:
        self.last_ticket = ticket

    def _on_window_lookup_done(self, result: dict) -> None:
        self.last_lookup = result

    def _on_window_feedback_sent(self, ok: bool) -> None:
        self.feedback = ok

    def _on_voice_said(self, screen: str, text: str) -> None:
        self.speech.append({"screen": screen, "text": text})

    # --- journeys -------------------------------------------------------------------------------
    def _journey(self, kind: str, run: Any) -> dict[str, Any]:
        self.on_screen(State.HOME)
        self.probe.begin_journey(f"{kind}-{len(self.journeys)}")
        started = time.perf_counter()
        # journey.json names a dossier by its code and local reference only, never by its applicant
        entry: dict[str, Any] = {"kind": kind, "dossier_code": None, "local_ref": None, "ticket_number": None}
        try:
            run(entry)
        finally:
            name = f"{kind}-{len(self.journeys)}"
            self.probe.end_journey()
            entry["duration_ms"] = round((time.perf_counter() - started) * 1000)
            entry["rss_mb"] = rss_mb()
            # Python's own objects (pymalloc blocks): flat while RSS grows means the growth is native
            # (Qt, glibc's heap), not objects the kiosk keeps.
            entry["python_blocks"] = sys.getallocatedblocks()
            # The soak benchmark also watches for leaked file descriptors and threads.
            entry["open_files"] = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
            entry["threads"] = threading.active_count()
            entry["ui_stall_ms"] = {k: v for k, v in self.probe.journey(name).items() if k != "samples"}
            self.journeys.append(entry)
        return entry

    def take_number(self, entry: dict) -> None:
        self.screenshot("home")
        self.click("tile-number")
        self.on_screen(State.NUMBER)
        self.screenshot("number-area")
        area_button = next(b for b, area in self.window.screens[State.NUMBER].area_buttons if area["id"] == "ho-tich")
        self.click(area_button)
        self.screenshot("number-priority")
        self.last_ticket = None
        self.click("priority-elderly")
        screen = self.window.screens[State.NUMBER]
        self.wait_until(lambda: screen.print_state in ("printed", "print_failed", "failed"), "the ticket to print")
        if screen.print_state != "printed":
            self.screenshot("number-failed")
            raise WalkthroughError(f"the ticket did not print ({screen.print_state})")
        self.screenshot("number-ticket")
        entry["ticket_number"] = screen.ticket["number"]
        self.follow_url = screen.ticket.get("follow_url")  # the QR under the number (follow_page)
        self.click("ticket-done")
        self.on_screen(State.HOME)

    def file_dossier(self, entry: dict, on_done: Any = None, pay: str = "counter") -> None:
        """``on_done(entry)``, if given, checks the done screen instead of "the receipt printed" (a fault round).
        ``pay``: how the fee is settled when the payment screen comes: "bank" (the simulated bank sees the
        citizen's transfer) or "counter" (the citizen chooses to pay at the counter)."""
        # The test citizens in turn, so two dossiers in a row differ as two citizens' would: a screen that
        # is cheap only when shown the same text again (the review's summary was) shows in the figures.
        which = self.dossiers % len(TEST_CITIZENS)
        self.dossiers += 1
        citizen = TEST_CITIZENS[which]
        self.click("tile-procedure")
        self.on_screen(State.PROCEDURE)
        self.screenshot("procedure")
        self.type_into("procedure-search", "khai sinh")  # without diacritics: the search folds them
        self.wait_until(lambda: self.find(f"procedure-{BIRTH}").isVisible(), "the birth registration to be listed")
        self.screenshot("procedure-search")
        self.click(f"procedure-{BIRTH}")
        self.on_screen(State.DETAILS)
        video = self.window.screens[State.DETAILS].video
        if video.state != "still":
            if video.state != "playing":
                self.click("video-play")
            self.wait_until(lambda: video.state in ("playing", "ended", "still"), "the guide video to play")
            self.settle(400 if self.fast else 2500)
        self.screenshot("details-video")
        if video.state == "playing":
            self.click("video-play")  # pause
        self.click("details-start")
        self.on_screen(State.CONSENT)
        self.screenshot("consent")
        self.click("consent-agree")
        self.on_screen(State.IDENTIFY)
        self.wait_until(lambda: self.window.screens[State.IDENTIFY].preview._image is not None,
                        "the camera preview", 15)
        self.screenshot("identify-waiting")
        sim = self.window.services.sim_camera
        if sim is None:
            raise WalkthroughError("the walkthrough needs the simulated camera")
        sim.present_card(sample_payload(which))
        self.on_screen(State.FORM, 20)
        sim.remove_card()
        self.screenshot("form-prefilled")
        page = self.window.screens[State.FORM].page
        if page.values().get("declarant_id_number") != citizen["id_number"]:
            raise WalkthroughError("the form was not pre-filled from the card")
        self.click("field-relationship-father")
        self.type_into("field-phone", TEST_PHONE)
        self.type_into("field-child_full_name", "Nguyễn Minh Thư")
        self.screenshot("form-keyboard")
        child_birth = (clock.today() - timedelta(days=12)).strftime("%d/%m/%Y")
        self.type_into("field-child_date_of_birth", child_birth)
        self.click("field-child_sex-female")
        self.type_into("field-child_place_of_birth", "Bệnh viện Phụ sản Hà Nội")
        self.type_into("field-child_hometown", "Hà Nội")
        self.type_into("field-mother_full_name", "Trần Thị Mẫu")
        self.type_into("field-mother_date_of_birth", "02/11/2001")
        self.type_into("field-mother_address", "Số 12 phố Hàng Bài, Hà Nội")
        self.press_key("hide")
        page.ensureWidgetVisible(self.find("field-declaration_true"))
        self.click("field-declaration_true")
        self.screenshot("form-filled")
        # the first citizen photographs the hospital's birth certificate (paperless dossier); the others, and
        # the fault rounds, bring their papers to the counter
        photograph = on_done is None and which == 0 and not self.photographed
        self.form_to_review("", take_suggestion=True,
                            documents=(lambda: self.photograph_documents(entry)) if photograph else None)
        self.click("review-submit")
        self.on_screen(State.SUBMITTING)
        self.screenshot("submitting")
        self.to_done(entry, pay)
        self.screenshot("done")
        data = self.window.session.data
        if photograph:
            self.check_attachments(entry, data.dossier_code)
        if "payment" in entry:
            entry["payment"]["receipt"] = "paid" if data.paid_at else "to pay at the counter"
            entry["payment"]["receipt_file"] = Path(self.window.submission.receipt_path or "").name
        entry.update(dossier_code=data.dossier_code, local_ref=data.local_ref, ticket_number=data.ticket_number)
        if on_done is not None:
            on_done(entry)
        elif not self.window.submission.receipt_printed:
            raise WalkthroughError("the receipt did not print")
        self.click("done-finish")
        self.on_screen(State.HOME)

    def file_certified_copy(self, entry: dict) -> None:
        """A certified copy of a 3-page paper in 2 copies (2,000 + 2,000 + 1,000 dong a copy: 10,000), the
        fee paid at the kiosk by VietQR through the simulated bank; the receipt says paid."""
        which = self.dossiers % len(TEST_CITIZENS)
        self.dossiers += 1
        self.click("tile-procedure")
        self.on_screen(State.PROCEDURE)
        self.type_into("procedure-search", "chung thuc ban sao")
        self.wait_until(lambda: self.find(f"procedure-{CERTIFIED_COPY}").isVisible(), "the certified copy listed")
        self.press_key("hide")
        self.click(f"procedure-{CERTIFIED_COPY}")
        self.on_screen(State.DETAILS)
        self.screenshot("copy-details")
        self.click("details-start")
        self.on_screen(State.CONSENT)
        self.click("consent-agree")
        self.on_screen(State.IDENTIFY)
        sim = self.window.services.sim_camera
        if sim is None:
            raise WalkthroughError("the walkthrough needs the simulated camera")
        sim.present_card(sample_payload(which))
        self.on_screen(State.FORM, 20)
        sim.remove_card()
        self.type_into("field-document_name", "Bằng tốt nghiệp đại học")
        for key, value in (("pages", "3"), ("copies", "2")):
            self.type_into(f"field-{key}", "")
            self.press_key("backspace")  # the form starts at 1
            type_keys(self.window.keyboard, value, self.press_key)
        self.press_key("hide")
        page = self.window.screens[State.FORM].page
        page.ensureWidgetVisible(self.find("field-declaration_true"))
        self.click("field-declaration_true")
        self.screenshot("copy-form")
        self.form_to_review("copy-")
        self.click("review-submit")
        self.on_screen(State.SUBMITTING)
        self.to_done(entry, "bank")
        self.screenshot("copy-done")
        data = self.window.session.data
        entry.update(dossier_code=data.dossier_code, local_ref=data.local_ref, ticket_number=data.ticket_number,
                     procedure=CERTIFIED_COPY)
        if "payment" in entry:
            entry["payment"]["receipt"] = "paid" if data.paid_at else "to pay at the counter"
            entry["payment"]["receipt_file"] = Path(self.window.submission.receipt_path or "").name
        self.click("done-finish")
        self.on_screen(State.HOME)

    def form_to_review(self, prefix: str, take_suggestion: bool = False, screens: bool = True,
                       documents: Any = None) -> None:
        """"Continue" on a filled form, the documents screen, the ward screen (once its suggestion is in), to the
        review. A refused form is screenshot as ``<prefix>form-errors`` and ends the walkthrough with the errors;
        ``screens``: the ward and review screens are saved as ``<prefix>ward`` and ``<prefix>review`` too;
        ``documents``: what to do on the documents screen (default: every document on paper)."""
        page = self.window.screens[State.FORM].page
        self.click("form-next")
        if self.window.session.state == State.FORM:
            self.screenshot(f"{prefix}form-errors")
            raise WalkthroughError(f"the form was refused: { {k: v['en'] for k, v in page._errors.items()} }")
        if self.window.session.state == State.DOCUMENTS:
            if documents is not None:
                documents()
            self.all_on_paper()
        self.on_screen(State.WARD)
        ward = self.window.screens[State.WARD]
        self.wait_until(lambda: not ward._suggest_pending, "the ward suggestion", 90)
        # a card from another province gets no suggestion to tap (the screen says so): the kiosk's ward stays
        if take_suggestion and ward.suggested is not None and self.find("ward-suggestion").isVisible():
            self.click("ward-suggestion")
        if screens:
            self.screenshot(f"{prefix}ward")
        self.click("ward-next")
        self.on_screen(State.REVIEW)
        if screens:
            self.screenshot(f"{prefix}review")

    def all_on_paper(self) -> None:
        """The documents screen: each document left goes to the counter on paper."""
        screen = self.window.screens[State.DOCUMENTS]
        while self.window.session.state == State.DOCUMENTS:
            before = screen.cursor
            self.click("documents-paper")
            self.wait_until(lambda b=before: screen.cursor != b or self.window.session.state != State.DOCUMENTS,
                            "the next document")

    def photograph_documents(self, entry: dict) -> None:
        """The paperless dossier: the hospital's birth certificate laid on the tray under the simulated camera,
        first with glare (the screen says what to do), then as it should be; the kiosk takes it by itself once
        it lies still, straightened. journey.json's ``documents`` records the page and the checks seen."""
        screen = self.window.screens[State.DOCUMENTS]
        sim = self.window.services.sim_camera
        if sim is None:
            raise WalkthroughError("the walkthrough needs the simulated camera")
        self.on_screen(State.DOCUMENTS)
        self.wait_until(lambda: screen.preview._image is not None, "the camera preview", 15)
        index, _doc = screen.document
        self.screenshot("documents-waiting")
        record: dict[str, Any] = {"document": index, "checks_seen": []}
        sim.present_document("giay-chung-sinh", 1, glare=True)
        self.wait_until(lambda: screen.look_problems[:1] == ("glare",), "the glare to be seen", 20)
        record["checks_seen"].append("glare")
        self.settle(600)  # the page has settled on the tray: the picture as a citizen would look at it
        self.screenshot("documents-glare")
        sim.present_document("giay-chung-sinh", 1)
        self.wait_until(lambda: len(screen.current_pages()) == 1, "the birth certificate to be taken", 30)
        page = screen.current_pages()[0]
        sim.remove_card()
        self.settle(100)
        self.screenshot("documents-taken")  # the page as it will be sent, straightened, in place of the camera
        record.update(sha256=page.sha256, bytes=page.size, width=page.width, height=page.height, dpi=page.dpi,
                      problems=list(page.problems), screenshot="documents-taken.png")
        entry["documents"] = record
        self.photographed = True
        self.click("documents-next")

    def check_attachments(self, entry: dict, dossier_code: str | None) -> None:
        """The photographed page reached the backend whole: it lists the attachment with the same SHA-256,
        complete; the receipt says the document was received electronically."""
        import subprocess

        from kiosk.app.demo import backend_attachments

        record = entry["documents"]
        receipt = self.window.submission.receipt_path
        if receipt:
            text = subprocess.run(["pdftotext", "-layout", receipt, "-"], capture_output=True, text=True).stdout
            record["receipt_says_electronic"] = "Bản điện tử" in text and "Received electronically" in text
            if not record["receipt_says_electronic"]:
                raise WalkthroughError("the receipt does not list the photographed document as received")
        if not dossier_code:
            record["backend"] = "offline: the attachment waits in the outbox"
            return
        services = self.window.services
        held: list[dict] = []
        failed: list[BaseException] = []

        def ask() -> None:
            self.window.runners.chores.run(lambda: backend_attachments(services, dossier_code),
                                           lambda got: held.__setitem__(slice(None), got or [{}]), failed.append)

        def complete() -> bool:
            return any(a.get("sha256") == record["sha256"] and a.get("complete") for a in held)

        # the in-process simulator must hold it soon; a backend given with --backend (maybe slow or failing on
        # purpose) is asked briefly: the sender keeps uploading in the background, the outbox keeps the page
        simulated = services.simulator is not None
        deadline = time.monotonic() + (60 if simulated else 10)
        while not complete() and time.monotonic() < deadline:
            held.clear()
            failed.clear()
            ask()
            self.wait_until(lambda: bool(held) or bool(failed), "the backend's list of attachments", 20)
            if not complete():
                self.settle(300)
        if not complete():
            if simulated:
                raise WalkthroughError(f"the backend does not hold the photographed page: {held or failed}")
            record["backend"] = "still uploading: the outbox keeps the page until the backend holds it"
            return
        record["backend"] = {"sha256_matches": True, "attachments": [
            {k: a.get(k) for k in ("sha256", "size", "complete", "document", "page")} for a in held]}

    def to_done(self, entry: dict, pay: str) -> None:
        """From the submitting screen to the done screen, through the payment screen when the dossier has a
        fee and the backend answered (``settle_fee``)."""
        self.wait_until(lambda: self.window.session.state in (State.PAYMENT, State.DONE), "the payment or done "
                        "screen", 30)
        if self.window.session.state == State.PAYMENT:
            self.settle_fee(entry, pay)
        self.on_screen(State.DONE, 30)

    def settle_fee(self, entry: dict, pay: str) -> None:
        """The payment screen: read its VietQR back off the screen as a phone would, then pay through the
        simulated bank or choose the counter; journey.json records what the QR carried and how it ended."""
        import cv2
        import zxingcpp

        from kiosk.app.demo import citizen_paid
        from kiosk.core.vietqr import crc_ok, parse_tlv

        screen = self.window.screens[State.PAYMENT]
        order = self.window.session.data.payment
        path = self.screenshot(f"payment-{pay}")
        # the screenshot as saved, not the string the kiosk encoded
        found = zxingcpp.read_barcodes(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE))
        text = next((b.text for b in found if b.text.startswith("000201")), "")
        tags = parse_tlv(text) if text else {}
        account = parse_tlv(parse_tlv(tags.get("38", "")).get("01", "")) if tags.get("38") else {}
        entry["payment"] = {"how": pay, "reference": order.reference, "amount_vnd": order.amount_vnd,
                            "qr": {"decoded": bool(text), "crc_ok": bool(text) and crc_ok(text),
                                   "bank_bin": account.get("00"), "account": account.get("01"),
                                   "amount": tags.get("54"), "currency": tags.get("53"),
                                   "purpose": parse_tlv(tags["62"]).get("08") if tags.get("62") else None},
                            "screenshot": path.name}
        if text != order.qr_payload:
            raise WalkthroughError("the VietQR on the payment screen does not read back as the kiosk made it")
        if pay == "bank":
            services = self.window.services
            failed: list[BaseException] = []
            self.window.runners.chores.run(lambda: citizen_paid(services, order.reference), None, failed.append)
            self.wait_until(lambda: screen.outcome in ("paid", "counter", "expired") or bool(failed),
                            "the bank's transfer to be seen", 60)
            if not failed:
                self.screenshot("payment-paid")
                return
            # a flaky or real backend: the walkthrough's bank could not pay; the fee goes to the counter
            entry["payment"]["bank_error"] = type(failed[0]).__name__
        if not screen.outcome:
            self.click("payment-counter")

    def look_up(self, entry: dict, code: str) -> None:
        self.click("tile-lookup")
        self.on_screen(State.LOOKUP)
        self.wait_until(lambda: self.window.screens[State.LOOKUP].preview._image is not None, "the camera preview")
        self.screenshot("lookup")
        self.last_lookup = None
        sim = self.window.services.sim_camera
        # A citizen who shows their ID card instead of the receipt: told so, nothing shown or sent
        from kiosk.ui.screens.lookup import NOT_A_RECEIPT_QR

        screen = self.window.screens[State.LOOKUP]
        sim.present_card(sample_payload(0))
        self.wait_until(lambda: screen.error_message is NOT_A_RECEIPT_QR, "the card to be refused", 20)
        sim.remove_card()
        self.settle(20)
        self.screenshot("lookup-not-a-receipt")
        if screen.code.text() or self.last_lookup is not None:
            raise WalkthroughError("the look-up screen took the ID card for a receipt")
        sim.present_receipt(code)
        self.wait_until(lambda: self.last_lookup is not None, "the look-up result", 20)
        sim.remove_card()
        self.settle(20)
        self.screenshot("lookup-result")
        if (self.last_lookup or {}).get("code") != code:
            raise WalkthroughError(f"the look-up found {self.last_lookup!r}, not {code}")
        entry.update(dossier_code=code if not code.startswith("L-") else None,
                     local_ref=code if code.startswith("L-") else None)
        self.click("header-home")
        self.on_screen(State.HOME)

    def rate(self, entry: dict, code: str | None) -> None:
        self.click("tile-rating")
        self.on_screen(State.RATING)
        self.screenshot("rating")
        self.click("rating-very_satisfied")
        self.type_into("rating-comment", "Nhanh và dễ dùng")
        self.press_key("hide")
        self.feedback = None
        self.screenshot("rating-chosen")
        self.click("rating-send")
        self.wait_until(lambda: self.feedback is not None, "the feedback to be sent", 60)
        self.screenshot("rating-thanks")
        entry["feedback_delivered"] = bool(self.feedback)  # a flaky backend may lose a rating, not a dossier
        self.on_screen(State.HOME, 20)

    # --- keys only (issue 21): a citizen with a USB keypad and a keyboard, no touch ---------------------
    def key(self, name: str) -> None:
        """Press one key on the window, as a USB keypad does (no field focused: the keypad navigator's)."""
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        QTest.keyClick(self.window, getattr(Qt.Key, f"Key_{name}"))
        QApplication.processEvents()

    def ring_to(self, name: str, limit: int = 150) -> None:
        """Down, Down, ... until the keypad's ring is on the control called ``name``."""
        nav = self.window.keypad
        for _ in range(limit):
            if nav.current is not None and nav.current.objectName() == name:
                return
            self.key("Down")
        raise WalkthroughError(f"the keypad ring never reached {name!r} on {self.window.session.state}")

    def press(self, name: str) -> None:
        """Ring to the control called ``name`` and press Enter on it."""
        self.ring_to(name)
        self.key("Enter")

    def key_into(self, name: str, text: str, clear: bool = False) -> None:
        """Ring to a field, Enter to type into it, type ``text`` on a physical keyboard, Enter to go on."""
        from PySide6.QtTest import QTest

        self.ring_to(name)
        field = self.find(name)
        if not field.hasFocus():  # a screen's first field may have it already (the look-up's code)
            self.key("Enter")
            self.wait_until(field.hasFocus, f"the focus on {name}")
        if clear:
            field.clear()
        QTest.keyClicks(field, text)
        self.key("Enter")

    def keys_only(self, entry: dict) -> None:
        """Every journey with keys alone: a number, a certified copy (its fee left to the counter), a look-up
        of that dossier and a rating; each screen and control spoken on the way (journey.json "speech")."""
        self.window.hide_keyboard()
        done: list[str] = []
        # a number
        self.press("tile-number")
        self.on_screen(State.NUMBER)
        screen = self.window.screens[State.NUMBER]
        self.press(next(b for b, area in screen.area_buttons if area["id"] == "ho-tich").objectName())
        self.press("priority-none")
        self.wait_until(lambda: screen.print_state in ("printed", "print_failed", "failed"), "the ticket")
        self.screenshot("keys-number")
        entry["ticket_number"] = screen.ticket["number"] if screen.ticket else None
        self.press("ticket-done")
        self.on_screen(State.HOME)
        done.append("number")
        # a certified copy
        self.press("tile-procedure")
        self.on_screen(State.PROCEDURE)
        self.press(f"procedure-{CERTIFIED_COPY}")
        self.on_screen(State.DETAILS)
        self.press("details-start")
        self.on_screen(State.CONSENT)
        self.press("consent-agree")
        self.on_screen(State.IDENTIFY)
        sim = self.window.services.sim_camera
        sim.present_card(sample_payload(self.dossiers % len(TEST_CITIZENS)))  # the card in the tray
        self.dossiers += 1
        self.on_screen(State.FORM, 20)
        sim.remove_card()
        self.window.hide_keyboard()  # a keypad user types on the physical keys
        self.key_into("field-document_name", "Giay khai sinh")
        self.press("field-declaration_true")
        self.screenshot("keys-form")
        self.press("form-next")
        self.on_screen(State.WARD)
        ward = self.window.screens[State.WARD]
        self.wait_until(lambda: not ward._suggest_pending, "the ward suggestion", 90)
        self.press("ward-next")
        self.on_screen(State.REVIEW)
        self.press("review-submit")
        self.wait_until(lambda: self.window.session.state in (State.PAYMENT, State.DONE), "payment or done", 30)
        if self.window.session.state == State.PAYMENT:
            self.screenshot("keys-payment")
            self.press("payment-counter")
        self.on_screen(State.DONE, 30)
        self.screenshot("keys-done")
        data = self.window.session.data
        code = data.dossier_code or data.local_ref or ""
        entry.update(dossier_code=data.dossier_code, local_ref=data.local_ref)
        self.press("done-finish")
        self.on_screen(State.HOME)
        done.append("dossier")
        # a look-up of that dossier, the code typed on the keypad
        self.press("tile-lookup")
        self.on_screen(State.LOOKUP)
        self.window.hide_keyboard()
        self.last_lookup = None
        self.key_into("lookup-code", code)
        self.press("lookup-search")
        self.wait_until(lambda: self.last_lookup is not None, "the look-up", 30)
        entry["lookup_found"] = bool(self.last_lookup)  # a flaky backend may not answer: the screen says so
        self.screenshot("keys-lookup")
        self.key("Clear")  # the keypad's Clear: back
        self.on_screen(State.HOME)
        done.append("lookup")
        # a rating
        self.press("tile-rating")
        self.on_screen(State.RATING)
        self.press("rating-very_satisfied")
        self.feedback = None
        self.press("rating-send")
        self.wait_until(lambda: self.feedback is not None, "the feedback to be sent", 60)
        self.screenshot("keys-rating")
        self.on_screen(State.HOME, 20)
        done.append("rating")
        entry["finished"] = done

    # --- fault rounds (issue 16) ----------------------------------------------------------------------
    def _refill_paper(self) -> None:
        """The officer puts a new roll in (the demo panel's "refill paper")."""
        from device.sim.faults import FAULTS

        FAULTS.set("printer", "paper_out", False)
        refill = getattr(self.window.services.printer, "refill", None)
        if refill is not None:
            refill()

    def _check_paper(self) -> None:
        """Between rounds the officer puts in a new roll before it runs out, as a ward does each morning: the
        simulated roll holds 200 documents, and a 1,000-journey soak prints ~750."""
        if getattr(self.window.services.printer, "paper", 200) < 20:
            self._refill_paper()

    def _spooled(self) -> set[Path]:
        spool = getattr(self.window.services.printer, "spool_dir", None)
        return set(Path(spool).glob("*.pdf")) if spool is not None else set()

    def fault_paper_out(self, entry: dict) -> None:
        """KIOSK_SIM_FAULTS=printer:paper_out: a number and a dossier both finish on screen (number or code with
        a QR), then, paper refilled, "Print again" prints them."""
        from device.sim.faults import FAULTS

        FAULTS.set("printer", "paper_out", True)
        # a number: told before the last tap, then the number large with its QR
        self.click("tile-number")
        self.on_screen(State.NUMBER)
        screen = self.window.screens[State.NUMBER]
        self.click(next(b for b, area in screen.area_buttons if area["id"] == "ho-tich"))
        notice = self.find("number-printer-notice")
        self.wait_until(notice.isVisible, "the no-paper notice before the last tap", 10)
        self.screenshot("fault-paper-number-notice")
        self.click("priority-none")
        self.wait_until(lambda: screen.print_state in ("printed", "print_failed", "failed"), "the ticket")
        if screen.print_state != "print_failed" or not self.find("ticket-qr").isVisible():
            raise WalkthroughError(f"with no paper the ticket screen shows no on-screen ticket ({screen.print_state})")
        number = screen.ticket["number"]
        entry.update(ticket_number=number, ticket_on_screen=True)
        self.screenshot("fault-paper-number")
        before = self._spooled()
        self._refill_paper()
        self.click("ticket-reprint")  # waits until it enables by itself
        self.wait_until(lambda: screen.print_state == "printed", "the ticket printed again")
        entry["ticket_reprinted"] = [p.name for p in self._spooled() - before if number in p.name]
        if not entry["ticket_reprinted"]:
            raise WalkthroughError("'Print again' printed no ticket")
        self.screenshot("fault-paper-number-reprinted")
        self.click("ticket-done")
        self.on_screen(State.HOME)

        # a dossier: filed all the same, its done screen with the code, appointment and the receipt's QR
        FAULTS.set("printer", "paper_out", True)

        def on_done(dossier: dict) -> None:
            sub = self.window.submission
            if sub.receipt_printed or not self.find("done-qr").isVisible():
                raise WalkthroughError("with no paper the done screen shows no on-screen receipt")
            data = self.window.session.data
            entry.update(dossier_code=data.dossier_code, local_ref=data.local_ref, receipt_on_screen=True,
                         counter_ticket=data.ticket_number)
            self.screenshot("fault-paper-done")
            receipt = Path(sub.receipt_path or "receipt").stem  # named by the code it was rendered with
            before = self._spooled()
            self._refill_paper()
            self.click("done-reprint")
            self.wait_until(lambda: sub.receipt_printed, "the receipt printed again")
            # the counter's queue ticket, which did not print either, comes with it
            self.wait_until(lambda: not data.ticket_number or any(
                data.ticket_number in p.name for p in self._spooled() - before), "the counter ticket printed again")
            entry["receipt_reprinted"] = [p.name for p in self._spooled() - before if receipt in p.name]
            if not entry["receipt_reprinted"]:
                raise WalkthroughError("'Print again' printed no receipt")
            self.screenshot("fault-paper-done-reprinted")

        self.file_dossier({}, on_done)
        self.on_screen(State.HOME)

    def extras(self) -> None:
        """The accessibility modes and English, for the README."""
        self.probe.begin_journey("extras")
        # the idle countdown, as a citizen who walked away would leave it (the clock is moved, not waited)
        self.click("tile-rating")
        self.on_screen(State.RATING)
        session = self.window.session
        session._last_activity -= session.idle_timeout_s + 3
        self.wait_until(self.window.overlay.isVisible, "the idle countdown", 5)
        self.screenshot("idle-countdown")
        self.click("idle-continue")
        self.click("header-home")
        self.on_screen(State.HOME)
        self.click("tile-procedure")
        self.on_screen(State.PROCEDURE)
        self.click("header-language")
        self.settle(30)
        self.screenshot("procedure-english")
        self.click("header-language")
        self.click("header-home")
        self.on_screen(State.HOME)
        self.click("header-contrast")
        self.click("header-text-size")
        self.settle(50)
        self.screenshot("home-large-high-contrast")
        self.click("header-contrast")
        self.click("header-text-size")

    def follow_page(self, number: str | None) -> None:
        """The last ticket's follow page on a phone (headless Chromium at 390x844, kiosk.tools.phone): it shows
        the number and the people ahead; then a counter of the simulated backend calls the next citizen (the
        priority ticket just taken) and the page, polling by itself, says which counter. Two screenshots,
        and the outcome in journey.json's "follow_page"; skipped, with the reason, where there is no browser
        or no simulated backend."""
        import tempfile

        from kiosk.app.demo import call_next_ticket
        from kiosk.tools.phone import PhoneUnavailable, phone_browser, wait_for_text

        if not self.follow_url or not number:
            self.follow = {"outcome": "skipped", "reason": "the ticket carries no follow URL (a local ticket)"}
            return
        if self.window.services.simulator is None:
            self.follow = {"outcome": "skipped", "reason": "a real backend: no counter to call here"}
            return
        self.probe.pause()  # the browser is the phone's work, not the kiosk's
        try:
            with tempfile.TemporaryDirectory(prefix="kiosk-phone-") as profile:
                try:
                    phone = phone_browser(Path(profile))
                except PhoneUnavailable as err:
                    self.follow = {"outcome": "skipped", "reason": str(err)}
                    return
                try:
                    phone.get(self.follow_url)
                    wait_for_text(phone, number)
                    shots = [self._phone_shot(phone, "follow-page")]
                    call_next_ticket(self.window.services, counter=3)
                    wait_for_text(phone, "quầy 3")
                    shots.append(self._phone_shot(phone, "follow-page-called"))
                    self.follow = {"outcome": "updated", "url": self.follow_url, "number": number,
                                   "called_to_counter": 3, "screens": shots}
                finally:
                    phone.quit()
        except Exception as err:  # noqa: BLE001 (recorded: the page is the phone's, the kiosk goes on)
            self.follow = {"outcome": "failed", "reason": f"{type(err).__name__}: {err}"}
        finally:
            self.probe.resume()

    def _phone_shot(self, phone: Any, name: str) -> str:
        self.shot += 1
        path = self.screens_dir / f"{self.shot:02d}-{name}.png"
        phone.save_screenshot(str(path))
        return path.name

    # --- fault rounds: a device or the network fails, the citizen still gets a way forward ---------------
    #: The fault rounds, run in this order after the journeys; each records its outcome in journey.json's
    #: "faults" (they run last: they take parts down, and the journeys' figures are those of a healthy kiosk).
    FAULT_ROUNDS = ("fault_paper_out", "fault_camera_unplugged", "fault_backend_silent", "fault_everything_down")

    def _fault_round(self, name: str) -> dict[str, Any]:
        """Run one fault round from home; whatever happens, its faults are cleared and its outcome recorded
        (``round`` is the method's name without ``fault_``; ``outcome`` "ok" unless the round says more)."""
        from device.sim.faults import FAULTS

        self.on_screen(State.HOME)
        self.probe.begin_journey(f"fault-{name}")
        started = time.perf_counter()
        entry: dict[str, Any] = {"round": name.removeprefix("fault_"), "outcome": None}
        self.faults.append(entry)
        try:
            getattr(self, name)(entry)
            entry["outcome"] = entry["outcome"] or "ok"
        except WalkthroughError as err:
            entry.update(outcome="failed", error=str(err))
            raise
        finally:
            self.probe.end_journey()
            entry["duration_ms"] = round((time.perf_counter() - started) * 1000)
            for device, fault in (("printer", "paper_out"), ("printer", "offline"), ("camera", "unplugged")):
                FAULTS.set(device, fault, False)
            if self.window.session.state != State.HOME:
                self.window.go_home()
        return entry

    def fault_camera_unplugged(self, entry: dict) -> None:
        """KIOSK_SIM_FAULTS=camera:unplugged: the card screen says so, the citizen types, the dossier is filed."""
        from device.sim.faults import FAULTS

        FAULTS.set("camera", "unplugged", True)
        try:
            self.click("tile-procedure")
            self.on_screen(State.PROCEDURE)
            self.type_into("procedure-search", "khai sinh")
            self.click(f"procedure-{BIRTH}")
            self.on_screen(State.DETAILS)
            self.click("details-start")
            self.on_screen(State.CONSENT)
            self.click("consent-agree")
            self.on_screen(State.IDENTIFY)
            identify = self.window.screens[State.IDENTIFY]
            self.wait_until(lambda: identify.preview.unavailable != "", "the card screen to say the camera is gone")
            self.screenshot("fault-camera-identify")
            self.click("identify-type")
            self.on_screen(State.FORM)
            page = self.window.screens[State.FORM].page
            self.type_into("field-declarant_full_name", "Lê Thị Gõ")
            self.type_into("field-declarant_id_number", "001188012345")
            self.type_into("field-declarant_date_of_birth", "15/03/1988")
            self.click("field-declarant_sex-female")
            self.type_into("field-declarant_address", "Số 5 phố Tràng Thi, Hà Nội")
            self.click("field-relationship-mother")
            self.type_into("field-phone", TEST_PHONE)
            self.type_into("field-child_full_name", "Lê Minh An")
            self.type_into("field-child_date_of_birth", (clock.today() - timedelta(days=5)).strftime("%d/%m/%Y"))
            self.click("field-child_sex-male")
            self.type_into("field-child_place_of_birth", "Bệnh viện Phụ sản Hà Nội")
            self.type_into("field-child_hometown", "Hà Nội")
            self.type_into("field-mother_full_name", "Lê Thị Gõ")
            self.type_into("field-mother_date_of_birth", "15/03/1988")
            self.type_into("field-mother_address", "Số 5 phố Tràng Thi, Hà Nội")
            self.press_key("hide")
            page.ensureWidgetVisible(self.find("field-declaration_true"))
            self.click("field-declaration_true")
            self.form_to_review("fault-camera-", screens=False)
            self.click("review-submit")
            self.to_done(entry, "counter")
            self.screenshot("fault-camera-done")
            data = self.window.session.data
            entry.update(outcome="dossier_filed_by_typing", dossier_code=data.dossier_code, local_ref=data.local_ref,
                         card_read=bool(data.card_read))
            self.click("done-finish")
            self.on_screen(State.HOME)
        finally:
            FAULTS.set("camera", "unplugged", False)

    def fault_everything_down(self, entry: dict) -> None:
        """Printer offline, camera unplugged, backend unreachable and the outbox damaged (without it a dossier
        cannot finish either): the home screen says out of service and points to the counter; then every part
        comes back and so do the tiles, unasked."""
        from device.sim.faults import FAULTS
        from kiosk.backend.outbox import DB_NAME

        simulator = self.window.services.simulator
        if simulator is None:  # a real backend (--backend URL) is not the walkthrough's to take down
            entry["outcome"] = "skipped: the backend is not the simulator"
            return
        data_dir = self.window.services.data_dir
        moved: list[tuple[Path, Path]] = []
        home = self.window.screens[State.HOME]
        health = self.window.health
        try:
            for device, fault in (("printer", "offline"), ("camera", "unplugged"), ("network", "down")):
                FAULTS.set(device, fault, True)
            simulator.pause()
            # the damaged outbox: the file a fresh connection reads is garbage; the kiosk's open connections
            # keep the real database, moved aside and put back below
            for suffix in ("", "-wal", "-shm"):
                path = data_dir / f"{DB_NAME}{suffix}"
                if path.exists():
                    aside = data_dir / f"walkthrough-aside-{DB_NAME}{suffix}"
                    path.rename(aside)
                    moved.append((aside, path))
            (data_dir / DB_NAME).write_bytes(b"\x00damaged by the walkthrough\x00" * 64)
            self.wait_until(home.out_of_service.isVisible, "the home screen to say out of service", 30)
            self.settle(50)
            self.screenshot("fault-all-home")
            entry.update(outcome="out_of_service_shown", cause=health.heartbeat_fields().get("cause", ""),
                         tiles_offered=[s.value for s, t in home.tiles.items() if t.isVisible() and t.isEnabled()])
        finally:
            (data_dir / DB_NAME).unlink(missing_ok=True)
            for suffix in ("-wal", "-shm"):
                (data_dir / f"{DB_NAME}{suffix}").unlink(missing_ok=True)
            for aside, path in moved:
                aside.rename(path)
            for device, fault in (("printer", "offline"), ("camera", "unplugged"), ("network", "down")):
                FAULTS.set(device, fault, False)
            simulator.resume()
        self.wait_until(lambda: all(health.availability().values()) and not home.out_of_service.isVisible(),
                        "every tile to come back", 30)
        self.screenshot("fault-all-recovered")
        entry["recovered"] = True

    def fault_backend_silent(self, outcome: dict) -> None:
        """A backend that reads every request and never answers (packets dropped after the handshake):
        the citizen's number comes from the local range within ``backend.citizen_deadline_s``. The time
        from the last tap to the number on screen goes into journey.json (measured, not asserted)."""
        sim = self.window.services.simulator
        if sim is None:  # a real backend (--backend URL): not ours to silence
            outcome["outcome"] = "skipped: the backend is not the simulator"
            return
        outcome["outcome"] = "failed"
        screen = self.window.screens[State.NUMBER]
        sim.faults.silence(True)
        try:
            self.on_screen(State.HOME)
            self.click("tile-number")
            self.on_screen(State.NUMBER)
            area_button = next(b for b, area in screen.area_buttons if area["id"] == "ho-tich")
            self.click(area_button)
            tapped = time.perf_counter()
            self.click("priority-none")
            self.wait_until(lambda: screen.ticket is not None or screen.print_state == "failed",
                            "a number with the backend silent", 30)
            outcome["time_to_number_ms"] = round((time.perf_counter() - tapped) * 1000)
            from kiosk.backend.client import DEFAULT_DEADLINES

            deadlines = {**DEFAULT_DEADLINES, **self.window.services.settings.backend_deadlines}
            outcome["citizen_deadline_s"] = deadlines["ticket"]
            if screen.ticket is not None:
                outcome.update(outcome="number", ticket_number=screen.ticket["number"],
                               offline=screen.ticket["offline"])
            self.wait_until(lambda: screen.print_state != "printing", "the ticket to print")
            self.screenshot("fault-backend-silent-ticket")
            self.click("ticket-done")
            self.on_screen(State.HOME)
        finally:
            sim.faults.silence(False)

    def run(self, rounds: int = 1) -> dict[str, Any]:
        if self.window.ctx.voice is not None:  # attached by the warm-up, which is over by now
            self.window.ctx.voice.sig_said.connect(self._on_voice_said)
        for i in range(rounds):
            self._check_paper()
            number = self._journey("number", self.take_number)
            if i == 0:
                self.follow_page(number["ticket_number"])
            # a birth registration's fee (its extract copy) is left to the counter; in the first round a second
            # citizen pays a certified copy's fee at the kiosk through the simulated bank
            dossier = self._journey("dossier", self.file_dossier)
            if i == 0:
                self._journey("dossier", self.file_certified_copy)
            code = dossier["dossier_code"] or dossier["local_ref"]
            self._journey("lookup", lambda e, c=code: self.look_up(e, c))
            self._journey("rating", lambda e, c=code: self.rate(e, c))
        self._journey("keys_only", self.keys_only)
        self.extras()
        for name in self.FAULT_ROUNDS:
            self._fault_round(name)
        return self.result()

    def result(self) -> dict[str, Any]:
        # The figures cover the citizens' journeys; the walkthrough's extras (switching the large-text
        # and high-contrast modes restyles every widget at once) are reported apart.
        # The fault rounds are reported by their outcome ("faults"), not in the healthy kiosk's figures.
        in_journeys = [ms for name, samples in self.probe.journeys.items()
                       if name != "extras" and not name.startswith("fault-") for ms in samples]
        overall = self.probe.summary(in_journeys)
        return {"journeys": self.journeys, "faults": self.faults, "follow_page": self.follow, "speech": self.speech,
                "ui_stall_ms": {"max": overall["max"], "p99": overall["p99"], "samples": overall["samples"],
                                "worst": [{"ms": ms, "journey": j, "when": c, "gui_thread_ms": split}
                                          for ms, j, c, split in self.probe.worst
                                          if j and j != "extras" and not j.startswith("fault-")][:5]},
                "mode_switch_stall_ms": self.probe.journey("extras")["max"]}


def run_walkthrough(out_dir: Path, *, rounds: int = 1, fast: bool = False, backend_url: str | None = None,
                    token: str | None = None, data_dir: Path | None = None, started: float | None = None,
                    maintenance: bool = False, screen: tuple[int, int] = (1920, 1080), large_text: bool = False,
                    language: str = "vi") -> int:
    """The ``kiosk walkthrough`` command; returns the exit status. ``screen``: the window's size (offscreen,
    so any size works); ``large_text`` and ``language``: the kiosk's start-up text size and language, as
    configured (a wiped session goes back to them). Every screenshot and every field typed into is
    audited (kiosk.tools.walkthrough.audit) into journey.json's ``layout_audit``."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    started = started or time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data_dir = Path(data_dir) if data_dir else out_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    from kiosk.app.services import KioskSettings
    from kiosk.core.logs import setup_logging
    from kiosk.ui.app import application, build_window, close_window, wait_warmed_up

    setup_logging(data_dir)
    app = application()
    settings = KioskSettings(simulate=True, demo=True, screen_dpi=96.0, backend_url=backend_url or "",
                             backend_token=token or "", camera={"fps": 15, "decode_every_nth": 2},
                             large_text=large_text, language=language)
    window = build_window(settings, data_dir, prints_dir=out_dir / "prints", autoplay_video=not fast,
                          start_simulator=not backend_url, thanks_ms=600 if fast else 3000, defer_warm_up=True)
    window.setFixedSize(*screen)
    window.show()
    probe = StallProbe()
    walk: Walkthrough | MaintenanceWalkthrough
    if maintenance:  # the technician's journey instead of the citizens'
        # imported here, one way only: the maintenance walkthrough builds on common.py, never on this module
        from kiosk.tools.walkthrough.maintenance import MaintenanceWalkthrough

        walk = MaintenanceWalkthrough(window, out_dir, fast=fast, probe=probe)
    else:
        walk = Walkthrough(window, out_dir, fast=fast, probe=probe)
    from kiosk.tools.walkthrough.audit import LayoutAudit

    audit = walk.layout_audit = LayoutAudit(f"{screen[0]}x{screen[1]}", large_text, language)
    wait_in_loop(50)
    startup_ms = round((time.perf_counter() - started) * 1000)
    # as the kiosk does: the home screen first, then the warm-up; the journeys start once it is over
    if not wait_warmed_up(window):
        log.warning("the warm-up did not finish in time")
    # and the address converter loaded in its helper process (~15 s of a core at boot): the stall figures
    # are those of a kiosk in service, not of its first seconds after boot
    window.runners.wards.call(window.services.wait_ward_suggester, timeout=180)
    probe.start()
    status = 0
    try:
        result = walk.run(rounds)
    except WalkthroughError as err:
        log.error("walkthrough failed: %s", err)
        print(f"walkthrough failed: {err}")
        result = walk.result()
        result["error"] = str(err)
        status = 1
    finally:
        probe.stop()
    result["startup_ms"] = startup_ms
    result["layout_audit"] = audit.result()
    if window.services.print_worker is not None:
        window.services.print_worker.stop(timeout=10)
    (out_dir / "journey.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    close_window(window)
    window.deleteLater()
    QApplication.processEvents()
    del app
    return status


__all__ = ["Walkthrough", "WalkthroughError", "run_walkthrough"]
