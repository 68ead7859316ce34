"""Every citizen journey, through the widgets: touches and the on-screen keyboard, simulated devices."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.core.samples import TEST_CITIZENS, sample_payload
from kiosk.core.session import State


def test_the_home_screen_names_the_kiosks_ward_and_province(driver, kiosk):
    driver.on(State.HOME)
    # the configured ward code 00073, as the 2025 ward list names it
    assert kiosk.screens[State.HOME].ward.text() == "Phường Cửa Nam, Thành phố Hà Nội"


def test_take_a_number_in_three_touches_prints_a_ticket(driver, kiosk, qtbot):
    with qtbot.waitSignal(kiosk.devices.sig_printed, timeout=15000) as printed:
        driver.click("tile-number")
        area = next(b for b, a in kiosk.screens[State.NUMBER].area_buttons if a["id"] == "ho-tich")
        driver.click(area)
        driver.click("priority-none")
    assert printed.args == ["ticket", True]
    number = driver.find("ticket-number").text()
    assert number.startswith("A") and number[1:].isdigit()
    spooled = sorted(kiosk.services.printer.spool_dir.glob("*.pdf"))
    assert spooled and number in spooled[-1].name
    assert not driver.find("header-back").isVisible()  # a printed ticket cannot be "un-taken"
    driver.click("ticket-done")
    driver.on(State.HOME)


def test_file_a_birth_registration_with_the_card_and_the_keyboard(driver, kiosk, qtbot):
    driver.to_form(sample_payload(0))
    page = kiosk.screens[State.FORM].page
    assert page.values()["declarant_full_name"] == TEST_CITIZENS[0]["full_name"]
    assert page.values()["declarant_id_number"] == TEST_CITIZENS[0]["id_number"]
    driver.fill_birth_form()
    assert page.values()["child_full_name"] == "Nguyễn Minh Thư"  # typed with Telex on the on-screen keys
    driver.click("form-next")
    driver.on(State.WARD)
    assert "Phường Cửa Nam" in driver.find("ward-chosen").text()  # the kiosk's ward by default
    driver.click("ward-next")
    driver.on(State.REVIEW)
    summary = driver.find("review-summary").toPlainText()
    assert "Nguyễn Minh Thư" in summary and "Bệnh viện Phụ sản Hà Nội" in summary
    assert "001099012345" not in summary and "0010******45" in summary  # masked on screen
    with qtbot.waitSignal(kiosk.submission.sig_finished, timeout=30000) as finished:
        driver.click("review-submit")
        driver.on(State.DONE)  # a fee: through the payment screen ("pay at the counter")
    result = finished.args[0]
    driver.on(State.DONE)
    code = result["dossier_code"]
    assert code and code.startswith("00073-")
    assert driver.find("done-code").text() == code
    assert result["printed"]
    held = kiosk.services.simulator.store.list_dossiers(result["local_ref"])
    assert [d["dossier_code"] for d in held] == [code]  # recorded exactly once
    assert any("receipt" in p.name for p in kiosk.services.printer.spool_dir.glob("*.pdf"))
    # originals must be shown at the counter: a queue ticket came with the receipt
    assert kiosk.session.data.ticket_number
    driver.click("done-rate")
    driver.on(State.RATING)
    driver.click("header-home")
    driver.on(State.HOME)
    assert kiosk.screens[State.REVIEW].summary.toPlainText() == ""  # nothing of the dossier left behind


def test_a_payment_qr_is_refused_plainly_and_typing_instead_works(driver, kiosk, qtbot):
    driver.start_dossier()
    kiosk.services.sim_camera.present_card("00020101021238570010A00000072701270006970403")
    refusal = driver.find("identify-refusal")
    qtbot.waitUntil(lambda: "căn cước" in refusal.text(), timeout=15000)
    assert "ID card" in refusal.text()  # Vietnamese first, then English
    kiosk.services.sim_camera.remove_card()
    driver.click("identify-type")
    driver.on(State.FORM)
    assert kiosk.screens[State.FORM].page.values()["declarant_id_number"] == ""


def test_validation_messages_appear_beside_the_fields(driver, kiosk, qtbot):
    driver.start_dossier()
    driver.click("identify-type")
    driver.on(State.FORM)
    driver.type_into("field-phone", "12")
    driver.click("form-next")
    assert kiosk.session.state == State.FORM
    assert driver.find("error-child_full_name").text()  # required
    assert driver.find("error-phone").text()  # malformed
    summary = driver.find("form-summary")
    count = int(summary.text().split()[1])  # "Còn N mục cần sửa ..."
    assert summary.text().startswith("Còn") and count >= 2
    driver.type_into("field-child_full_name", "An")
    qtbot.waitUntil(lambda: driver.find("error-child_full_name").text() == "")  # cleared once valid
    # the count follows the fix at once, without touching "Continue" again
    qtbot.waitUntil(lambda: summary.text().startswith(f"Còn {count - 1} mục"))


def test_offline_dossier_gets_a_provisional_reference_and_says_it_will_sync(driver, kiosk, qtbot):
    kiosk.services.simulator.pause()  # the provincial backend is unreachable
    kiosk.submission.ack_wait_ms = 1500
    try:
        driver.birth_dossier_to_review(sample_payload(0))
        with qtbot.waitSignal(kiosk.submission.sig_finished, timeout=30000) as finished:
            driver.click("review-submit")
            driver.on(State.DONE)  # a fee: through the payment screen ("pay at the counter")
        driver.on(State.DONE)
        assert finished.args[0]["dossier_code"] is None
        local_ref = finished.args[0]["local_ref"]
        assert driver.find("done-code").text() == local_ref
        details = kiosk.screens[State.DONE].details.text()
        assert "đồng bộ" in details
    finally:
        kiosk.submission.ack_wait_ms = 4000
        kiosk.services.simulator.resume()
    # once the backend is back, the sender delivers it exactly once
    kiosk.services.sender.wake()
    qtbot.waitUntil(lambda: len(kiosk.services.simulator.store.list_dossiers(local_ref)) == 1, timeout=30000)


def test_look_up_by_showing_the_receipt_then_by_typing(driver, kiosk, qtbot):
    code = _submit_quickly(kiosk)
    driver.click("tile-lookup")
    driver.on(State.LOOKUP)
    with qtbot.waitSignal(kiosk.events.sig_lookup_done, timeout=20000) as done:
        kiosk.services.sim_camera.present_receipt(code)
    kiosk.services.sim_camera.remove_card()
    assert done.args[0]["code"] == code
    assert "Đã tiếp nhận" in driver.find("lookup-result").text()
    driver.find("lookup-code").setText("")
    with qtbot.waitSignal(kiosk.events.sig_lookup_done, timeout=20000) as done:
        driver.type_into("lookup-code", "00073-010101-9999")
        driver.click("lookup-search")
    assert done.args[0] == {}
    assert "Không tìm thấy" in kiosk.screens[State.LOOKUP].error.text()


def _requests_seen(kiosk) -> int:
    return sum(kiosk.services.simulator.stats.values())


@pytest.fixture
def health_checks_held(kiosk, qtbot):
    """The kiosk's own health checks (GET /health every few seconds) held, so only a citizen's requests count."""
    kiosk.health._timer.stop()
    qtbot.waitUntil(lambda: not kiosk.health._checking, timeout=10000)
    yield
    kiosk.health._timer.start()


def test_an_id_card_shown_to_the_look_up_screen_is_neither_shown_nor_sent(driver, kiosk, qtbot, caplog,
                                                                          health_checks_held):
    import logging

    caplog.set_level(logging.DEBUG)
    citizen = TEST_CITIZENS[0]
    driver.click("tile-lookup")
    driver.on(State.LOOKUP)
    before = _requests_seen(kiosk)
    screen = kiosk.screens[State.LOOKUP]
    kiosk.services.sim_camera.present_card(sample_payload(0))
    try:
        qtbot.waitUntil(lambda: "không phải mã QR của giấy tiếp nhận" in screen.error.text(), timeout=20000)
    finally:
        kiosk.services.sim_camera.remove_card()
    assert "This is not a receipt QR; please show the QR at the top of your receipt" in screen.error.text()
    assert driver.find("lookup-code").text() == ""
    assert driver.find("lookup-result").text() == ""
    assert not screen.busy and kiosk.session.data.lookup_code in (None, "")
    assert _requests_seen(kiosk) == before
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for part in (citizen["id_number"], citizen["full_name"], "Hàng Bài"):
        assert part not in logged


def test_a_typed_text_that_is_not_a_dossier_code_is_not_sent(driver, kiosk, qtbot, health_checks_held):
    driver.click("tile-lookup")
    driver.on(State.LOOKUP)
    before = _requests_seen(kiosk)
    driver.type_into("lookup-code", TEST_CITIZENS[0]["id_number"])
    driver.click("lookup-search")
    error = kiosk.screens[State.LOOKUP].error
    assert "Mã hồ sơ không đúng dạng" in error.text() and "00073-261124-0001" in error.text()
    assert not kiosk.screens[State.LOOKUP].busy
    assert _requests_seen(kiosk) == before


def _submit_quickly(kiosk) -> str:
    """A dossier straight into the backend, as a previous citizen would have left it."""
    from kiosk.core.dossier import Applicant, Dossier

    proc = kiosk.services.procedure("dang-ky-khai-sinh")
    applicant = Applicant("001099012345", "Nguyễn Văn Thử", "1999-03-15", "male", "Hà Nội")
    dossier = Dossier(procedure_code=proc.code, procedure_id=proc.id, kiosk_id="KIOSK-01", ward_code="00073",
                      applicant=applicant, local_ref="L-KIOSK-01-010101-0042")
    client = kiosk.services.make_client()
    try:
        return client.submit_dossier(dossier.to_payload(), dossier.idempotency_key)["dossier_code"]
    finally:
        client.close()


def test_rating_with_a_comment_reaches_the_backend_then_home(driver, kiosk, qtbot):
    driver.click("tile-rating")
    driver.on(State.RATING)
    driver.click("rating-satisfied")
    driver.type_into("rating-comment", "Nhanh")
    with qtbot.waitSignal(kiosk.events.sig_feedback_sent, timeout=15000) as sent:
        driver.click("rating-send")
    assert sent.args == [True]
    assert driver.find("rating-thanks").text()
    driver.on(State.HOME)  # back home by itself after the thank-you


def test_back_is_always_possible_until_the_dossier_is_committed(driver, kiosk):
    driver.start_dossier()
    for expected in (State.CONSENT, State.DETAILS, State.PROCEDURE, State.HOME):
        driver.click("header-back")
        driver.on(expected)


def test_search_finds_procedures_with_or_without_diacritics(driver, kiosk, qtbot):
    driver.click("tile-procedure")
    driver.on(State.PROCEDURE)
    birth = driver.find("procedure-dang-ky-khai-sinh")
    marriage = driver.find("procedure-dang-ky-ket-hon")
    driver.type_into("procedure-search", "khai sinh")
    qtbot.waitUntil(lambda: birth.isVisible() and not marriage.isVisible())
    search = driver.find("procedure-search")
    search.setText("")
    driver.type_into("procedure-search", "kết hôn")
    qtbot.waitUntil(lambda: marriage.isVisible() and not birth.isVisible())


def test_paper_out_keeps_the_number_on_screen_and_says_so(driver, kiosk, qtbot):
    from device.sim.faults import FAULTS

    FAULTS.set("printer", "paper_out", True)
    try:
        with qtbot.waitSignal(kiosk.devices.sig_printed, timeout=15000) as printed:
            driver.click("tile-number")
            driver.click(kiosk.screens[State.NUMBER].area_buttons[0][0])
            driver.click("priority-pregnant")
        assert printed.args == ["ticket", False]
        assert driver.find("ticket-number").text().startswith("P")
        error = kiosk.screens[State.NUMBER].ticket_error.text()
        assert "giấy" in error and "paper" in error.lower()  # Vietnamese first, then English
    finally:
        FAULTS.set("printer", "paper_out", False)


def test_heartbeat_reports_the_outbox(kiosk, qtbot):
    answer = kiosk.runners.backend.call(lambda: kiosk.services.heartbeat({"camera": "idle"}), timeout=15)
    assert "received_at" in answer


def test_a_procedure_qr_under_the_camera_opens_its_details(driver, kiosk):
    driver.click("tile-procedure")
    driver.on(State.PROCEDURE)
    kiosk.services.sim_camera.present_card("1.001193")  # the national code of birth registration
    try:
        driver.on(State.DETAILS)
    finally:
        kiosk.services.sim_camera.remove_card()
    assert kiosk.session.data.procedure_id == "dang-ky-khai-sinh"


# --- non-boundary filing stays inside the province (issue 15 item 8) ----------------------------------

def _card_from_ho_chi_minh_city() -> str:
    from kiosk.core.identity import build_id_qr

    return build_id_qr("079099012345", "Lê Văn Thử", date(1999, 3, 15), "male",
                       "Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh", date(2021, 4, 10))


def test_a_card_from_another_province_is_information_and_only_the_kiosks_province_is_offered(driver, kiosk, qtbot):
    from kiosk.core import wards

    driver.birth_dossier_to_ward(_card_from_ho_chi_minh_city())
    info = driver.find("ward-other-province")
    # the address converter answers from its helper process; loading its tables takes a while on a busy machine
    qtbot.waitUntil(info.isVisible, timeout=180000)
    assert "tỉnh, thành phố khác" in info.text() and "Hồ Chí Minh" in info.text()
    assert not driver.find("ward-suggestion").isVisible()  # never offered as a choice
    offered = driver.find("ward-list")
    names = {offered.item(i).text() for i in range(offered.count())}
    assert names == {w.name for w in wards.wards_in_province("01")}  # Hà Nội's wards, and only those
    assert "Phường Sài Gòn" not in names
    assert "Phường Cửa Nam" in driver.find("ward-chosen").text()
    driver.click("ward-next")
    driver.on(State.REVIEW)
    assert kiosk.session.data.ward_code == "00073"


def test_a_dossier_the_backend_refuses_is_told_plainly_and_prints_no_receipt(driver, kiosk, qtbot):
    store = kiosk.services.simulator.store
    store.province_code = "79"  # a backend for Hồ Chí Minh City: this Hà Nội kiosk's ward is outside it
    spooled_before = set(kiosk.services.printer.spool_dir.glob("*receipt*.pdf"))
    finished: list[dict] = []
    kiosk.submission.sig_finished.connect(finished.append)
    try:
        driver.birth_dossier_to_review(sample_payload(0))
        driver.click("review-submit")
        error = kiosk.screens[State.SUBMITTING].error
        qtbot.waitUntil(lambda: "chưa được tiếp nhận" in error.text(), timeout=30000)
        assert "another province" in error.text() and "counter" in error.text()  # Vietnamese, then English
        assert "Traceback" not in error.text() and "422" not in error.text()
        assert "✗" in driver.find("submit-step-send").text()
        assert kiosk.session.state == State.SUBMITTING and not finished  # no receipt, no "will be synchronised"
        assert set(kiosk.services.printer.spool_dir.glob("*receipt*.pdf")) == spooled_before
        driver.click("header-home")
        driver.on(State.HOME)
    finally:
        kiosk.submission.sig_finished.disconnect(finished.append)
        store.province_code = "01"


def test_a_priority_number_says_so_on_screen_and_on_the_ticket(driver, kiosk, qtbot):
    """The category is called with the number: A-numbers and P-numbers share one sequence in the ward."""
    from pypdf import PdfReader

    with qtbot.waitSignal(kiosk.devices.sig_printed, timeout=15000) as printed:
        driver.click("tile-number")
        area = next(b for b, a in kiosk.screens[State.NUMBER].area_buttons if a["id"] == "cu-tru")
        driver.click(area)
        driver.click("priority-elderly")
    assert printed.args == ["ticket", True]
    number = driver.find("ticket-number").text()
    assert number.startswith("P") and number[1:].isdigit()
    assert "Ưu tiên" in kiosk.screens[State.NUMBER].ticket_info.text()
    spooled = sorted(kiosk.services.printer.spool_dir.glob(f"*{number}*.pdf"))
    text = PdfReader(spooled[-1]).pages[0].extract_text()
    assert number in text and "ƯU TIÊN" in text
    driver.click("ticket-done")
    driver.on(State.HOME)
