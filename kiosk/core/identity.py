"""The citizen ID card (CCCD / thẻ căn cước) QR payload -> an identity.

Payload (UTF-8, ``|``-separated, DESIGN.md section 6)::

    ID12|old CMND9 or empty|Full name|DDMMYYYY birth|Nam/Nữ|Address|DDMMYYYY issue

Cards issued since mid-2024 may carry more fields; six or more are accepted and
unknown trailing ones are kept. Anything that is not a card, or a card payload that
contradicts itself, is refused with a typed :class:`IdentityError` whose message the
kiosk can show the citizen as it is.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from kiosk.core import clock

# Province (or centrally-run city) of birth registration: the first three digits of
# the 12-digit number (Circular 07/2016/TT-BCA, pre-2025 provinces).
BIRTH_PROVINCES: dict[str, str] = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn", "008": "Tuyên Quang",
    "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu", "014": "Sơn La", "015": "Yên Bái",
    "017": "Hòa Bình", "019": "Thái Nguyên", "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang",
    "025": "Phú Thọ", "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
    "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định", "037": "Ninh Bình",
    "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh", "044": "Quảng Bình", "045": "Quảng Trị",
    "046": "Thừa Thiên Huế", "048": "Đà Nẵng", "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định",
    "054": "Phú Yên", "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
    "064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng", "070": "Bình Phước",
    "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai", "077": "Bà Rịa - Vũng Tàu",
    "079": "Hồ Chí Minh", "080": "Long An", "082": "Tiền Giang", "083": "Bến Tre", "084": "Trà Vinh",
    "086": "Vĩnh Long", "087": "Đồng Tháp", "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ",
    "093": "Hậu Giang", "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}

# Digit 4 encodes century and sex: even = male, odd = female.
_CENTURY_BY_DIGIT = {0: 1900, 1: 1900, 2: 2000, 3: 2000, 4: 2100, 5: 2100, 6: 2200, 7: 2200, 8: 1800, 9: 1800}

_MESSAGES: dict[str, dict[str, str]] = {
    "not_cccd": {
        "vi": "Đây không phải mã QR trên căn cước công dân. Vui lòng đặt mặt sau của thẻ căn cước "
        "dưới camera, hoặc nhập thông tin bằng bàn phím.",
        "en": "This is not the QR code of a citizen ID card. Please place the back of your ID card "
        "under the camera, or type your details instead.",
    },
    "malformed": {
        "vi": "Không đọc được đầy đủ thông tin trên thẻ căn cước. Vui lòng thử lại hoặc nhập thông tin "
        "bằng bàn phím.",
        "en": "The ID card's details could not be read completely. Please try again or type your "
        "details instead.",
    },
    "inconsistent": {
        "vi": "Thông tin trên mã QR không khớp với số định danh. Vui lòng nhập thông tin bằng bàn phím "
        "hoặc hỏi cán bộ hướng dẫn.",
        "en": "The QR code's details do not match the ID number. Please type your details or ask "
        "an officer for help.",
    },
}

_URL_RE = re.compile(r"^\s*([a-z][a-z0-9+.-]*://|www\.)", re.IGNORECASE)
_DATE_RE = re.compile(r"^[0-9]{8}$")
# Scanners add a BOM, a line end or a C-string NUL around the payload: trimmed at its two ends only.
_TRIM = " \t\r\n\ufeff\u200b\x00"

# The backend contract's limits for the applicant (docs/backend-api.yaml, Applicant). Core may not import
# kiosk.backend, so the numbers live here and tests/unit/backend/test_contract_limits.py keeps them equal.
MAX_FULL_NAME_CHARS = 200
MAX_ADDRESS_CHARS = 500
# No living citizen was born before 1900; the century digits 8 and 9 (1800s) only occur in forged payloads.
EARLIEST_BIRTH_YEAR = 1900

# Unicode categories no card text can hold and nothing downstream can take: controls (C0, DEL, C1), format
# characters (bidirectional overrides, zero-width marks, a BOM inside the text), lone surrogates (not
# encodable as UTF-8), private-use and unassigned code points, line and paragraph separators.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


class IdentityError(ValueError):
    """A payload refused as a card, with the reason for the log and a message for the citizen."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
        self.message = dict(_MESSAGES[code])

    def to_json(self) -> dict[str, Any]:
        return {"error": self.code, "message": self.message, "detail": self.detail}


@dataclass(frozen=True)
class Identity:
    """What a citizen ID card says about its holder."""

    id_number: str
    old_id_number: str | None
    full_name: str
    date_of_birth: date
    sex: str  # "male" | "female"
    address: str
    issue_date: date | None
    birth_province_code: str
    extra_fields: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def birth_province(self) -> str | None:
        return BIRTH_PROVINCES.get(self.birth_province_code)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["date_of_birth"] = self.date_of_birth.isoformat()
        data["issue_date"] = self.issue_date.isoformat() if self.issue_date else None
        return data

    def __repr__(self) -> str:  # never let a stray repr() put the number in a log
        return f"Identity(id_number={mask_id(self.id_number)!r}, ...)"


def mask_id(value: str | None) -> str:
    """Mask an ID number for logs: ``001099012345`` -> ``0010******45``."""
    if not value:
        return ""
    if len(value) <= 6:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip(_TRIM).strip()


def _first_forbidden(text: str) -> str | None:
    """The first character no card can carry, or None."""
    for char in text:
        if unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
            return char
    return None


def _parse_date(raw: str, what: str, today: date) -> date:
    if not _DATE_RE.match(raw):
        raise IdentityError("malformed", f"{what} is not DDMMYYYY")
    try:
        value = date(int(raw[4:]), int(raw[2:4]), int(raw[:2]))
    except ValueError:
        raise IdentityError("malformed", f"{what} is not a real date") from None
    if value > today:
        raise IdentityError("malformed", f"{what} is in the future")
    return value


def _looks_like_card(fields: list[str]) -> bool:
    # Free text that merely contains a "|" is not a card; a digit-only first field is.
    return len(fields) >= 6 or fields[0].isdigit()


def parse_id_qr(payload: str | bytes, today: date | None = None) -> Identity:
    """Parse a card QR payload, or raise :class:`IdentityError` (never anything else)."""
    today = today or clock.today()
    if isinstance(payload, bytes):
        try:
            payload = payload.decode("utf-8")
        except UnicodeDecodeError:
            raise IdentityError("not_cccd", "payload is not UTF-8") from None
    if not isinstance(payload, str):
        raise IdentityError("not_cccd", "payload is not text")
    text = _clean(payload)
    if not text:
        raise IdentityError("not_cccd", "empty payload")
    forbidden = _first_forbidden(text)
    if forbidden is not None:
        # The code point, never the text around it: the payload carries the citizen's name and address.
        raise IdentityError("malformed", f"forbidden character U+{ord(forbidden):04X}")
    if text.startswith("000201"):
        raise IdentityError("not_cccd", "EMVCo payment QR")
    if _URL_RE.match(text):
        raise IdentityError("not_cccd", "URL")
    if "|" not in text:
        raise IdentityError("not_cccd", "no field separator")
    fields = [_clean(f) for f in text.split("|")]
    if not _looks_like_card(fields):
        raise IdentityError("not_cccd", "first field is not a number")
    if len(fields) < 6:
        raise IdentityError("malformed", f"{len(fields)} fields, at least 6 expected")

    id_number, old_id, full_name, birth_raw, sex_raw, address = fields[:6]
    issue_raw = fields[6] if len(fields) > 6 else ""
    extra = fields[7:]
    warnings: list[str] = []

    if not (len(id_number) == 12 and id_number.isascii() and id_number.isdigit()):
        raise IdentityError("malformed", "ID number is not 12 digits")
    if old_id and not (old_id.isascii() and old_id.isdigit() and len(old_id) in (9, 12)):
        warnings.append("old_id_number_unusual")
    full_name = " ".join(full_name.split())
    if not full_name:
        raise IdentityError("malformed", "full name is empty")
    if len(full_name) > MAX_FULL_NAME_CHARS:
        raise IdentityError("malformed", f"full name is longer than {MAX_FULL_NAME_CHARS} characters")
    if len(address) > MAX_ADDRESS_CHARS:
        raise IdentityError("malformed", f"address is longer than {MAX_ADDRESS_CHARS} characters")
    birth = _parse_date(birth_raw, "date of birth", today)
    if birth.year < EARLIEST_BIRTH_YEAR:
        raise IdentityError("malformed", f"date of birth before {EARLIEST_BIRTH_YEAR}")
    sex_key = sex_raw.casefold()
    if sex_key == "nam":
        sex = "male"
    elif sex_key == "nữ":
        sex = "female"
    else:
        raise IdentityError("malformed", "sex is neither Nam nor Nữ")
    issue: date | None = None
    if issue_raw:
        issue = _parse_date(issue_raw, "issue date", today)
        if issue < birth:
            raise IdentityError("malformed", "issue date before date of birth")
    else:
        warnings.append("no_issue_date")

    province_code = id_number[:3]
    if province_code not in BIRTH_PROVINCES:
        warnings.append("unknown_birth_province")
    digit = int(id_number[3])
    if _CENTURY_BY_DIGIT[digit] != birth.year // 100 * 100:
        raise IdentityError("inconsistent", "century digit contradicts the year of birth")
    if ("male" if digit % 2 == 0 else "female") != sex:
        raise IdentityError("inconsistent", "sex digit contradicts the sex")
    if id_number[4:6] != f"{birth.year % 100:02d}":
        raise IdentityError("inconsistent", "year digits contradict the year of birth")
    if not address:
        warnings.append("no_address")

    return Identity(
        id_number=id_number,
        old_id_number=old_id or None,
        full_name=full_name,
        date_of_birth=birth,
        sex=sex,
        address=address,
        issue_date=issue,
        birth_province_code=province_code,
        extra_fields=extra,
        warnings=warnings,
    )


def is_card_qr(text: str) -> bool:
    """Whether ``text`` parses as a card: the predicate the QR pipeline stops on."""
    try:
        parse_id_qr(text)
    except IdentityError:
        return False
    return True


def build_id_qr(
    id_number: str,
    full_name: str,
    date_of_birth: date,
    sex: str,
    address: str,
    issue_date: date | None = None,
    old_id_number: str = "",
) -> str:
    """The payload a card with these details carries (for simulated cards and tests)."""
    sex_word = "Nam" if sex == "male" else "Nữ"
    parts = [id_number, old_id_number, full_name, date_of_birth.strftime("%d%m%Y"), sex_word, address,
             issue_date.strftime("%d%m%Y") if issue_date else ""]
    return "|".join(parts)
