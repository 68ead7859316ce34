"""A citizen without a readable card types their details: the dossier carries exactly what they typed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from kiosk.core.session import State
from kiosk.ui.submission import applicant_from_form


def test_typed_details_ask_for_birth_date_and_sex_and_the_dossier_carries_them(driver, kiosk, qtbot):
    kiosk.services.simulator.pause()  # offline: the payload stays in the outbox for us to read
    kiosk.submission.ack_wait_ms = 500
    driver.start_dossier("dang-ky-khai-sinh")
    driver.click("identify-type")
    driver.on(State.FORM)
    driver.click("form-next")
    assert kiosk.session.state == State.FORM
    # both are required when nothing was read from a card
    assert driver.find("error-declarant_date_of_birth").text()
    assert driver.find("error-declarant_sex").text()

    driver.type_into("field-declarant_full_name", "Lê Thị Gõ")
    # the 4th digit (0) and 5th-6th (90) of this number would "suggest" a man born in 1990
    driver.type_into("field-declarant_id_number", "001090012345")
    driver.type_into("field-declarant_date_of_birth", "15/03/1988")
    driver.click("field-declarant_sex-female")
    driver.type_into("field-declarant_address", "Số 5 phố Tràng Thi, Hà Nội")
    driver.click("field-relationship-mother")
    driver.type_into("field-phone", "0912345678")
    driver.type_into("field-child_full_name", "Lê Minh An")
    driver.type_into("field-child_date_of_birth", (date.today() - timedelta(days=5)).strftime("%d/%m/%Y"))
    driver.click("field-child_sex-male")
    driver.type_into("field-child_place_of_birth", "Bệnh viện Phụ sản Hà Nội")
    driver.type_into("field-child_hometown", "Hà Nội")
    driver.type_into("field-mother_full_name", "Lê Thị Gõ")
    driver.type_into("field-mother_date_of_birth", "15/03/1988")
    driver.type_into("field-mother_address", "Số 5 phố Tràng Thi, Hà Nội")
    driver.click("field-declaration_true")
    driver.click("form-next")
    driver.on(State.WARD)
    driver.click("ward-next")
    driver.on(State.REVIEW)
    with qtbot.waitSignal(kiosk.submission.sig_finished, timeout=30000) as finished:
        driver.click("review-submit")
        driver.on(State.DONE)  # a fee: through the payment screen ("pay at the counter")
    local_ref = finished.args[0]["local_ref"]
    applicant = kiosk.services.outbox().payload(local_ref)["applicant"]
    assert applicant["date_of_birth"] == "1988-03-15"
    assert applicant["sex"] == "female"
    assert applicant["id_number"] == "001090012345"


def test_a_typed_applicant_without_birth_date_or_sex_is_refused_not_guessed(kiosk):
    proc = kiosk.services.procedure("dang-ky-khai-sinh")
    typed = {"declarant_full_name": "Lê Thị Gõ", "declarant_id_number": "001090012345",
             "declarant_address": "Số 5 phố Tràng Thi, Hà Nội"}
    with pytest.raises(ValueError) as refused:  # today's code made up 1990-01-01 and "male"
        applicant_from_form(proc, typed, None)
    assert refused.value.missing == ["date_of_birth", "sex"]
    assert refused.value.message["vi"] and refused.value.message["en"]
