"""The VietQR the kiosk shows is one a banking app accepts: checked by independent code, real vectors, a real QR."""

from __future__ import annotations

import cemacqr
import numpy as np
import pytest
import qrcode
import zxingcpp
from crccheck.crc import Crc16CcittFalse
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core import vietqr
from kiosk.core.vietqr import crc16_ccitt_false, crc_ok, parse_tlv, purpose_text, vietqr_payload

VCB_BIN = "970436"  # Vietcombank
ACCOUNT = "0011004012345"


def _payload() -> str:
    return vietqr_payload(VCB_BIN, ACCOUNT, 10000, "HS 001-261207-0001")


def test_an_independent_emvco_parser_reads_every_field() -> None:
    payload = _payload()
    qr = cemacqr.parse_payload(payload)
    assert qr.get("00") == "01"
    assert qr.get("01") == "12"  # dynamic: this one payment
    assert qr.get_in("38", "00") == "A000000727"
    beneficiary = {t.tag: t.value for t in cemacqr.parse_tlv(qr.get_in("38", "01"))}
    assert beneficiary == {"00": VCB_BIN, "01": ACCOUNT}
    assert qr.get_in("38", "02") == "QRIBFTTA"
    assert qr.get("53") == "704"
    assert qr.get("54") == "10000"
    assert qr.get("58") == "VN"
    assert qr.get_in("62", "08") == "HS 001 261207 0001"  # the hyphens became spaces
    assert qr.tags == ["00", "01", "38", "53", "54", "58", "62", "63"]
    assert qr.crc_ok
    assert qr.stated_crc == qr.stated_crc.upper() and len(qr.stated_crc) == 4


def test_a_second_crc_implementation_agrees() -> None:
    payload = _payload()
    assert int(payload[-4:], 16) == Crc16CcittFalse.calc(payload[:-4].encode("ascii"))
    assert crc16_ccitt_false(b"123456789") == 0x29B1  # the catalogued check value


@given(st.binary(max_size=300))
def test_our_crc_matches_crccheck_on_any_bytes(data: bytes) -> None:
    assert crc16_ccitt_false(data) == Crc16CcittFalse.calc(data)


def test_one_changed_digit_of_the_amount_is_caught() -> None:
    payload = _payload()
    assert payload.count("540510000") == 1
    tampered = payload.replace("540510000", "540590000")  # 90,000 đ under the old CRC
    assert tampered != payload and tampered[-4:] == payload[-4:]
    assert crc_ok(payload) and cemacqr.parse_payload(payload).crc_ok
    assert not crc_ok(tampered)
    assert not cemacqr.parse_payload(tampered).crc_ok


def test_a_changed_crc_is_caught() -> None:
    payload = _payload()
    wrong = payload[:-1] + ("0" if payload[-1] != "0" else "1")
    assert not crc_ok(wrong)
    lower = payload[:-4] + payload[-4:].lower()
    assert lower != payload  # this CRC has hex letters ...
    assert not crc_ok(lower)  # ... and EMVCo wants them upper-case


# Real payOS checkout QRs (NAPAS 247, MB Bank BIN 970422, payOS virtual accounts) from a public MySQL dump of
# a shop's `payments` table; each of these rows is marked 'paid', so a banking app scanned and accepted it.
PAID_PAYOS_QRS = [
    ("VQRQADHBZ1319", 6000, "TL99 50",
     "00020101021238570010A000000727012700069704220113VQRQADHBZ13190208QRIBFTTA5303704540460005802VN"
     "62110807TL99 50630410B8"),
    ("VQRQADHSO9744", 15000, "TL116 100",
     "00020101021238570010A000000727012700069704220113VQRQADHSO97440208QRIBFTTA53037045405150005802VN"
     "62130809TL116 1006304D4DB"),
    ("VQRQADIGQ6498", 12000, "TL91 100",
     "00020101021238570010A000000727012700069704220113VQRQADIGQ64980208QRIBFTTA53037045405120005802VN"
     "62120808TL91 1006304B1B4"),
    ("VQRQADIZO1616", 15000, "TL96 100",
     "00020101021238570010A000000727012700069704220113VQRQADIZO16160208QRIBFTTA53037045405150005802VN"
     "62120808TL96 1006304950A"),
]


@pytest.mark.parametrize(("account", "amount", "purpose", "expected"), PAID_PAYOS_QRS)
def test_we_build_exactly_what_a_production_gateway_built(account: str, amount: int, purpose: str,
                                                           expected: str) -> None:
    assert crc_ok(expected)
    assert vietqr_payload("970422", account, amount, purpose) == expected


def test_the_payload_survives_a_real_qr_image() -> None:
    payload = vietqr_payload(VCB_BIN, ACCOUNT, 1_250_000, "Lệ phí hồ sơ Đặng")
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=4)
    code.add_data(payload)
    code.make(fit=True)
    pixels = np.array(code.make_image(fill_color="black", back_color="white").convert("L"))
    assert pixels[:20, :20].min() == 255  # the quiet zone is there
    results = zxingcpp.read_barcodes(pixels)
    assert [r.text for r in results] == [payload]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode


def test_purpose_text_is_what_banking_apps_accept() -> None:
    assert purpose_text("Lệ phí hồ sơ Đặng") == "Le phi ho so Dang"
    assert purpose_text("đường Điện Biên Phủ") == "duong Dien Bien Phu"
    assert purpose_text("Nộp lệ phí cấp bản sao trích lục khai sinh") == "Nop le phi cap ban sao tr"
    assert purpose_text("HS#001/2026 (phí)!  –  x") == "HS 001 2026 phi x"
    assert purpose_text("ab cd", limit=3) == "ab"  # a cut never leaves a trailing space
    assert purpose_text("€ ✓ ™") == ""


def test_vietnamese_purpose_is_folded_into_the_payload() -> None:
    qr = cemacqr.parse_payload(vietqr_payload(VCB_BIN, ACCOUNT, 50000, "Lệ phí hồ sơ Đặng"))
    assert qr.get_in("62", "08") == "Le phi ho so Dang"
    assert qr.raw.isascii() and qr.crc_ok


def test_parse_tlv_and_crc_ok_for_diagnostics() -> None:
    payload = _payload()
    fields = parse_tlv(payload)
    assert list(fields) == ["00", "01", "38", "53", "54", "58", "62", "63"]
    assert fields["54"] == "10000" and fields["62"] == "0818HS 001 261207 0001"
    for broken in ("0002", "00020", "0x0201", "000201000201", payload[:-1]):
        with pytest.raises(ValueError):
            parse_tlv(broken)
    assert not crc_ok("") and not crc_ok(payload[:-1]) and not crc_ok(payload[:-8])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"bank_bin": "97043"}, "BIN"),
        ({"bank_bin": "9704366"}, "BIN"),
        ({"bank_bin": "97043a"}, "BIN"),
        ({"bank_bin": "٩٧٠٤٣٦"}, "BIN"),  # Arabic-Indic digits pass str.isdigit, not NAPAS
        ({"bank_bin": 970436}, "BIN"),
        ({"account": ""}, "account"),
        ({"account": "0011-004012345"}, "account"),
        ({"account": "1" * 20}, "account"),
        ({"account": "sốtàikhoản"}, "account"),
        ({"amount_vnd": 0}, "amount"),
        ({"amount_vnd": -5000}, "amount"),
        ({"amount_vnd": 10000.0}, "amount"),
        ({"amount_vnd": True}, "amount"),
        ({"amount_vnd": 10_000_000_000}, "amount"),
        ({"purpose": "!!! ???"}, "purpose"),
    ],
)
def test_bad_input_is_refused_naming_the_field(kwargs: dict, field: str) -> None:
    args = {"bank_bin": VCB_BIN, "account": ACCOUNT, "amount_vnd": 10000, "purpose": "HS 001"} | kwargs
    with pytest.raises(ValueError, match=field):
        vietqr_payload(**args)


def test_limits_that_are_still_accepted() -> None:
    assert crc_ok(vietqr_payload(VCB_BIN, "A" * 19, 9_999_999_999, "x"))
    assert crc_ok(vietqr_payload(VCB_BIN, "1", 1, "x"))


def test_a_value_over_99_characters_cannot_be_written() -> None:
    assert vietqr._tlv("62", "x" * 99, "additional data").startswith("6299")
    with pytest.raises(ValueError, match="additional data"):
        vietqr._tlv("62", "x" * 100, "additional data")
