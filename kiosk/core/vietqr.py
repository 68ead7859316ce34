"""VietQR: the NAPAS 247 bank-transfer QR that every Vietnamese banking app scans.

A fee is paid by the citizen's own phone: the kiosk shows one dynamic QR naming the ward's account, the
amount and the dossier, so nothing is typed and no money touches the kiosk. The payload is EMVCo
merchant-presented TLV (two-digit tag, two-digit length, value) closed by a CRC-16/CCITT-FALSE that a
banking app checks before it shows anything; one wrong character and the code is refused. Built here
with no dependency so the rule is in one short place and tests check it against independent parsers.
"""

from __future__ import annotations

import re
import unicodedata

NAPAS_GUID = "A000000727"  # NAPAS's application identifier: the code is a NAPAS 247 transfer
SERVICE_TRANSFER_TO_ACCOUNT = "QRIBFTTA"  # transfer to an account number (QRIBFTTC would be to a card)

MAX_AMOUNT_VND = 9_999_999_999  # far above any fee; keeps tag 54 well inside its 13 characters
_BIN = re.compile(r"[0-9]{6}")  # explicit ranges: \d would also match non-ASCII digits
_ACCOUNT = re.compile(r"[0-9A-Za-z]{1,19}")
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9 ]+")


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor): EMVCo's checksum."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc


def _crc_hex(text: str) -> str:
    # EMVCo wants exactly four upper-case hex digits
    return f"{crc16_ccitt_false(text.encode('utf-8')):04X}"


def _tlv(tag: str, value: str, field: str) -> str:
    # the length is two decimal digits, so a longer value cannot be written at all
    if len(value) > 99:
        raise ValueError(f"VietQR {field} is {len(value)} characters long; a field holds at most 99")
    return f"{tag}{len(value):02d}{value}"


def purpose_text(text: str, limit: int = 25) -> str:
    """The transfer purpose as banking apps accept it: plain ASCII letters, digits and single spaces.

    Apps reject or mangle diacritics and symbols in tag 62/08 and many cut it at 25 characters, so the
    text is folded here rather than left to each app: đ/Đ first (NFD does not decompose them), then
    combining marks dropped, anything else becomes a space.
    """
    folded = text.replace("đ", "d").replace("Đ", "D")
    folded = "".join(c for c in unicodedata.normalize("NFD", folded) if not unicodedata.combining(c))
    folded = " ".join(_NOT_ALLOWED.sub(" ", folded).split())
    return folded[:limit].rstrip()  # a cut may end on a space


def vietqr_payload(bank_bin: str, account: str, amount_vnd: int, purpose: str) -> str:
    """The VietQR text for one transfer of ``amount_vnd`` đồng to ``account`` at the bank ``bank_bin``.

    Dynamic (point of initiation 12): the code is for this one payment, with its amount fixed. Every
    input is checked here, because a malformed code would only show up as a refusal in the citizen's app.
    """
    if not isinstance(bank_bin, str) or not _BIN.fullmatch(bank_bin):
        raise ValueError(f"VietQR bank BIN must be 6 digits, got {bank_bin!r}")
    if not isinstance(account, str) or not _ACCOUNT.fullmatch(account):
        raise ValueError(f"VietQR account number must be 1-19 ASCII letters or digits, got {account!r}")
    # bool is an int subclass and a float would need rounding: refuse both rather than guess
    if type(amount_vnd) is not int or not 1 <= amount_vnd <= MAX_AMOUNT_VND:
        raise ValueError(f"VietQR amount must be a whole number of đồng in 1..{MAX_AMOUNT_VND}, got {amount_vnd!r}")
    clean_purpose = purpose_text(purpose)
    if not clean_purpose:
        raise ValueError(f"VietQR purpose has no letters or digits left after cleaning: {purpose!r}")
    beneficiary = _tlv("00", bank_bin, "bank BIN") + _tlv("01", account, "account number")
    merchant = (
        _tlv("00", NAPAS_GUID, "GUID")
        + _tlv("01", beneficiary, "beneficiary")
        + _tlv("02", SERVICE_TRANSFER_TO_ACCOUNT, "service code")
    )
    body = (
        _tlv("00", "01", "payload format")
        + _tlv("01", "12", "point of initiation")
        + _tlv("38", merchant, "merchant account information")
        + _tlv("53", "704", "currency")  # ISO 4217 numeric for VND
        + _tlv("54", str(amount_vnd), "amount")  # the đồng has no minor unit: no decimals
        + _tlv("58", "VN", "country")
        + _tlv("62", _tlv("08", clean_purpose, "purpose"), "additional data")
        + "6304"  # the CRC's own tag and length are covered by the CRC
    )
    return body + _crc_hex(body)


def parse_tlv(payload: str) -> dict[str, str]:
    """The top-level tags of a payload, in order, for the kiosk's diagnostics; ValueError if malformed."""
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(payload):
        tag, length = payload[pos : pos + 2], payload[pos + 2 : pos + 4]
        if not (len(length) == 2 and tag.isascii() and tag.isdigit() and length.isascii() and length.isdigit()):
            raise ValueError(f"VietQR payload is malformed at character {pos}")
        end = pos + 4 + int(length)
        if end > len(payload):
            raise ValueError(f"VietQR tag {tag} at character {pos} runs past the end of the payload")
        if tag in fields:
            raise ValueError(f"VietQR tag {tag} appears twice")
        fields[tag] = payload[pos + 4 : end]
        pos = end
    return fields


def crc_ok(payload: str) -> bool:
    """Whether the payload is well formed and ends in tag 63 carrying its own correct CRC."""
    try:
        fields = parse_tlv(payload)
    except ValueError:
        return False
    if list(fields)[-1:] != ["63"] or len(fields["63"]) != 4:
        return False
    return fields["63"] == _crc_hex(payload[:-4])
