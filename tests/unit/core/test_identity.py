"""The ID-card QR parser: what a citizen gets for each kind of card or non-card."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.identity import (
    EARLIEST_BIRTH_YEAR,
    MAX_ADDRESS_CHARS,
    MAX_FULL_NAME_CHARS,
    IdentityError,
    mask_id,
    parse_id_qr,
)

TODAY = date(2026, 11, 24)
CLEAN = "001099012345|012345678|Nguyễn Văn Thử|15031999|Nam|Số 12 phố Hàng Bài, Hà Nội|10042021"


def refusal(payload: str) -> IdentityError:
    with pytest.raises(IdentityError) as info:
        parse_id_qr(payload, today=TODAY)
    return info.value


def test_clean_card() -> None:
    ident = parse_id_qr(CLEAN, today=TODAY)
    assert ident.id_number == "001099012345"
    assert ident.old_id_number == "012345678"
    assert ident.full_name == "Nguyễn Văn Thử"
    assert ident.date_of_birth == date(1999, 3, 15)
    assert ident.sex == "male"
    assert ident.issue_date == date(2021, 4, 10)
    assert ident.birth_province_code == "001"
    assert ident.birth_province == "Hà Nội"
    assert ident.extra_fields == [] and ident.warnings == []


def test_female_born_2000s_without_old_number() -> None:
    ident = parse_id_qr("079301004567||Trần Thị Mẫu|02112001|Nữ|Quận 1, TP HCM|20062022", today=TODAY)
    assert ident.sex == "female" and ident.old_id_number is None
    assert ident.to_json()["date_of_birth"] == "2001-11-02"


def test_nfd_input_gives_nfc_output() -> None:
    ident = parse_id_qr(unicodedata.normalize("NFD", CLEAN), today=TODAY)
    assert ident.full_name == "Nguyễn Văn Thử"
    assert unicodedata.is_normalized("NFC", ident.full_name)
    assert unicodedata.is_normalized("NFC", ident.address)


def test_bom_spaces_and_crlf_are_trimmed() -> None:
    ident = parse_id_qr("\ufeff  " + CLEAN.replace("|Nam|", "| Nam |") + "\r\n", today=TODAY)
    assert ident.id_number == "001099012345" and ident.sex == "male"
    assert ident.issue_date == date(2021, 4, 10)


def test_extra_trailing_fields_are_kept() -> None:
    ident = parse_id_qr(CLEAN + "|Nguyễn Văn Cha|Trần Thị Mẹ", today=TODAY)
    assert ident.extra_fields == ["Nguyễn Văn Cha", "Trần Thị Mẹ"]


def test_six_fields_have_no_issue_date() -> None:
    ident = parse_id_qr(CLEAN.rsplit("|", 1)[0], today=TODAY)
    assert ident.issue_date is None
    assert "no_issue_date" in ident.warnings


@pytest.mark.parametrize(
    "payload",
    [
        "00020101021138570010A00000072701270006970436",  # VietQR payment
        "https://dichvucong.gov.vn/p/home/dvc-tra-cuu-ho-so.html",
        "www.example.vn",
        "Xin chào, đây là một dòng chữ",
        "",
        "   \r\n",
        "hello|world",
    ],
)
def test_not_a_card(payload: str) -> None:
    err = refusal(payload)
    assert err.code == "not_cccd"
    assert "căn cước" in err.message["vi"] and "ID card" in err.message["en"]


@pytest.mark.parametrize(
    "payload",
    [
        "001099012345|012345678|Nguyễn Văn Thử|15031999|Nam",  # five fields
        "00109901234|012345678|Nguyễn Văn Thử|15031999|Nam|Hà Nội|10042021",  # 11 digits
        "0010990123AB|012345678|Nguyễn Văn Thử|15031999|Nam|Hà Nội|10042021",
        "001099012345|012345678|Nguyễn Văn Thử|31021999|Nam|Hà Nội|10042021",  # 31 Feb
        "001099012345|012345678|Nguyễn Văn Thử|1999-03-15|Nam|Hà Nội|10042021",
        "001027012345|012345678|Nguyễn Văn Thử|15032027|Nam|Hà Nội|10042021",  # born in the future
        "001099012345|012345678|Nguyễn Văn Thử|15031999|Nam|Hà Nội|10042030",  # issued in the future
        "001099012345|012345678|Nguyễn Văn Thử|15031999|Nam|Hà Nội|10041998",  # issued before birth
        "001099012345|012345678|Nguyễn Văn Thử|15031999|Trai|Hà Nội|10042021",
        "001099012345|012345678||15031999|Nam|Hà Nội|10042021",
    ],
)
def test_malformed(payload: str) -> None:
    assert refusal(payload).code == "malformed"


@pytest.mark.parametrize(
    "payload",
    [
        "001199012345|012345678|Nguyễn Văn Thử|15031999|Nam|Hà Nội|10042021",  # digit 4 says female
        "001299012345|012345678|Nguyễn Văn Thử|15031999|Nam|Hà Nội|10042021",  # digit 4 says 2000s
        "001098012345|012345678|Nguyễn Văn Thử|15031999|Nam|Hà Nội|10042021",  # digits 5-6 say 1998
    ],
)
def test_inconsistent(payload: str) -> None:
    err = refusal(payload)
    assert err.code == "inconsistent"
    assert err.message["vi"] and err.message["en"]


def test_mask_id() -> None:
    assert mask_id("001099012345") == "0010******45"
    assert mask_id("") == ""
    assert "099012" not in mask_id("001099012345")


def test_identity_repr_hides_the_number() -> None:
    assert "001099012345" not in repr(parse_id_qr(CLEAN, today=TODAY))


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_any_string_is_a_result_or_a_typed_refusal(text: str) -> None:
    try:
        parse_id_qr(text, today=TODAY)
    except IdentityError as err:
        assert err.code in {"not_cccd", "malformed", "inconsistent"}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(exclude_characters="|")), min_size=6, max_size=12))
def test_any_pipe_separated_fields_are_a_result_or_a_typed_refusal(fields: list[str]) -> None:
    try:
        parse_id_qr("|".join(fields), today=TODAY)
    except IdentityError as err:
        assert err.code in {"not_cccd", "malformed", "inconsistent"}


@pytest.mark.parametrize("payload", ["A" * 100_000, ("1|" * 50_000), CLEAN + "|" + "x" * 100_000])
def test_huge_payload_is_answered(payload: str) -> None:
    # No timing assertion here (see benchmarks/): a linear parser answers; this proves it terminates
    # with a result or a typed refusal, not an exception.
    try:
        parse_id_qr(payload, today=TODAY)
    except IdentityError:
        pass


# --- what nothing downstream can take (issue 15 item 7) ---------------------------------------------------

NAME = "Nguyễn Văn Thử"
ADDRESS = "Số 12 phố Hàng Bài, Hà Nội"

# One representative of each family the fuzzing found accepted; every one must be refused.
BAD_CHARACTERS = {
    "lone high surrogate": "\ud800",
    "lone low surrogate": "\udfff",
    "NUL": "\x00",
    "ESC": "\x1b",
    "DEL": "\x7f",
    "C1 NEL": "\x85",
    "C1 CSI": "\x9b",
    "tab": "\t",
    "line feed": "\n",
    "right-to-left override": "\u202e",
    "right-to-left isolate": "\u2067",
    "right-to-left mark": "\u200f",
    "arabic letter mark": "\u061c",
    "zero-width space": "\u200b",
    "zero-width joiner": "\u200d",
    "word joiner": "\u2060",
    "BOM inside the text": "\ufeff",
    "line separator": "\u2028",
    "private use": "\ue000",
}


def card(name: str = NAME, address: str = ADDRESS, birth: str = "15031999", id_number: str = "001099012345") -> str:
    return f"{id_number}|012345678|{name}|{birth}|Nam|{address}|10042021"


def assert_refused_as_unreadable(payload: str) -> None:
    err = refusal(payload)
    assert err.code == "malformed"
    assert "căn cước" in err.message["vi"] and "ID card" in err.message["en"]


@pytest.mark.parametrize("char", BAD_CHARACTERS.values(), ids=BAD_CHARACTERS.keys())
@pytest.mark.parametrize("where", ["name", "address"])
def test_a_character_nothing_downstream_can_take_is_refused(char: str, where: str) -> None:
    if where == "name":
        assert_refused_as_unreadable(card(name="Nguyễn Văn" + char + " Thử"))
    else:
        assert_refused_as_unreadable(card(address="Số 12 phố" + char + "Hàng Bài, Hà Nội"))


def test_a_bad_character_in_an_unknown_trailing_field_is_refused() -> None:
    # Trailing fields are kept and printed by `kiosk parse-id`: they must be as clean as the others.
    assert_refused_as_unreadable(card() + "|Nguyễn Văn Cha\ud800")


def test_a_name_longer_than_the_contract_allows_is_refused() -> None:
    assert len(parse_id_qr(card(name="A" * MAX_FULL_NAME_CHARS), today=TODAY).full_name) == MAX_FULL_NAME_CHARS
    assert_refused_as_unreadable(card(name="A" * (MAX_FULL_NAME_CHARS + 1)))


def test_a_name_is_measured_as_sent_nfc_and_single_spaced() -> None:
    # 200 characters once composed and single-spaced, although the payload's text is longer.
    nfd = unicodedata.normalize("NFD", "Ữ" * (MAX_FULL_NAME_CHARS - 2))
    assert len(parse_id_qr(card(name=nfd + "   A"), today=TODAY).full_name) == MAX_FULL_NAME_CHARS


def test_a_name_of_only_wide_spaces_is_refused() -> None:
    assert_refused_as_unreadable(card(name="\u3000\u00a0"))


def test_an_address_longer_than_the_contract_allows_is_refused() -> None:
    assert parse_id_qr(card(address="a" * MAX_ADDRESS_CHARS), today=TODAY).address == "a" * MAX_ADDRESS_CHARS
    assert_refused_as_unreadable(card(address="a" * (MAX_ADDRESS_CHARS + 1)))


def test_a_birth_year_before_1900_is_refused_even_when_the_number_agrees() -> None:
    # Digit 4 = 8 encodes a man born in the 1800s: self-consistent, and still no living citizen.
    assert parse_id_qr(card(birth="01011900", id_number="001000012345"), today=TODAY).date_of_birth.year == 1900
    assert_refused_as_unreadable(card(birth="31121899", id_number="001899012345"))


_LETTERS = st.characters(whitelist_categories=("Lu", "Ll"), max_codepoint=0x1EFF)
_BAD = st.sampled_from(sorted(BAD_CHARACTERS.values())) | st.characters(
    whitelist_categories=("Cc", "Cf", "Cs", "Co", "Zl", "Zp"))


@settings(max_examples=300, deadline=None)
@given(st.text(_LETTERS, max_size=40), _BAD, st.text(_LETTERS, min_size=1, max_size=40),
       st.sampled_from(["name", "address", "old_id", "extra"]))
def test_property_any_control_format_or_surrogate_character_is_refused(
        before: str, bad: str, after: str, where: str) -> None:
    text = before + bad + after
    payload = {
        "name": card(name=text),
        "address": card(address=text),
        "old_id": card().replace("|012345678|", "|" + text + "|"),
        "extra": card() + "|" + text,
    }[where]
    assert_refused_as_unreadable(payload)


@settings(max_examples=200, deadline=None)
@given(st.text(_LETTERS | st.just(" "), min_size=MAX_FULL_NAME_CHARS + 1, max_size=400))
def test_property_a_name_over_the_contracts_length_is_refused(name: str) -> None:
    if len(" ".join(name.split())) > MAX_FULL_NAME_CHARS:
        assert_refused_as_unreadable(card(name=name))


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(1800, 1, 1), max_value=date(EARLIEST_BIRTH_YEAR - 1, 12, 31)),
       st.sampled_from(["Nam", "Nữ"]))
def test_property_a_birth_before_1900_is_refused(birth: date, sex: str) -> None:
    digit = 8 if sex == "Nam" else 9  # the 1800s century digit, so that the number itself agrees
    id_number = f"001{digit}{birth.year % 100:02d}012345"
    assert_refused_as_unreadable(card(birth=birth.strftime("%d%m%Y"), id_number=id_number).replace("|Nam|",
                                                                                                  f"|{sex}|"))


_FIELD = st.text(alphabet=st.characters(exclude_characters="|"), max_size=300)


@settings(max_examples=500, deadline=None)
@given(_FIELD, _FIELD, st.lists(_FIELD, max_size=2))
def test_property_what_is_accepted_is_utf8_and_within_the_contract(
        name: str, address: str, extra: list[str]) -> None:
    try:
        ident = parse_id_qr("|".join([card(name=name, address=address), *extra]), today=TODAY)
    except IdentityError:
        return
    json.dumps(ident.to_json(), ensure_ascii=False).encode("utf-8")  # raises on a lone surrogate
    for text in [ident.full_name, ident.address, *ident.extra_fields]:
        assert all(unicodedata.category(c)[0] != "C" and c not in "\u2028\u2029" for c in text)
    assert 1 <= len(ident.full_name) <= MAX_FULL_NAME_CHARS and len(ident.address) <= MAX_ADDRESS_CHARS


def run_cli_bytes(*args: str | bytes, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], input=stdin, capture_output=True,
                          check=False)


CLI_REFUSED = {
    **{f"{what} in the name": card(name="Nguyễn" + char + "Văn Thử") for what, char in BAD_CHARACTERS.items()
       if char not in "\x00\ud800\udfff"},  # argv cannot carry NUL; surrogates come as undecodable bytes below
    "name of 201 characters": card(name="A" * (MAX_FULL_NAME_CHARS + 1)),
    "address of 501 characters": card(address="a" * (MAX_ADDRESS_CHARS + 1)),
    "born in 1899": card(birth="31121899", id_number="001899012345"),
}


def assert_cli_refusal(proc: subprocess.CompletedProcess[bytes]) -> None:
    assert proc.returncode == 2, proc.stderr.decode("utf-8", "replace")
    data = json.loads(proc.stdout.decode("utf-8"))  # strict: the output is valid UTF-8
    assert data["error"] == "malformed" and data["message"]["vi"] and data["message"]["en"]
    assert b"Traceback" not in proc.stderr


@pytest.mark.parametrize("payload", CLI_REFUSED.values(), ids=CLI_REFUSED.keys())
def test_cli_refuses_each_family_with_exit_2(payload: str) -> None:
    assert_cli_refusal(run_cli_bytes("parse-id", "--json", "-", stdin=payload.encode("utf-8")))


def test_cli_refuses_a_nul_and_an_argument_that_is_not_utf8() -> None:
    # Non-UTF-8 argv bytes reach Python as lone surrogates; before, they were echoed back as invalid UTF-8.
    assert_cli_refusal(run_cli_bytes("parse-id", "--json", card(name="Nguyễn").encode("utf-8") + b"\xed\xa0\x80"))
    assert_cli_refusal(run_cli_bytes("parse-id", "--json", "-", stdin=card(name="Nguy\x00ễn").encode("utf-8")))


def test_cli_refuses_standard_input_that_is_not_utf8_cleanly() -> None:
    proc = run_cli_bytes("parse-id", "--json", "-", stdin=card().encode("utf-8").replace(b"Th", b"\xff\xfe"))
    assert proc.returncode == 2 and b"Traceback" not in proc.stderr
    data = json.loads(proc.stdout.decode("utf-8"))
    assert data["error"] == "not_cccd" and data["message"]["vi"] and data["message"]["en"]
    text = run_cli_bytes("parse-id", "-", stdin=b"\xff" + card().encode("utf-8"))
    assert text.returncode == 2 and "căn cước".encode() in text.stderr and b"Traceback" not in text.stderr


def test_cli_prints_utf8_whatever_the_locale() -> None:
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": "latin-1", "PYTHONUTF8": "0"}
    proc = subprocess.run([sys.executable, "-m", "kiosk.cli", "parse-id", "--json", "-"], input=CLEAN.encode(),
                          capture_output=True, check=False, env=env)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    assert json.loads(proc.stdout.decode("utf-8"))["full_name"] == "Nguyễn Văn Thử"


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], input=stdin, capture_output=True,
                          text=True, check=False)


def test_cli_prints_the_fields() -> None:
    proc = run_cli("parse-id", "--json", CLEAN)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["full_name"] == "Nguyễn Văn Thử" and data["date_of_birth"] == "1999-03-15"


def test_cli_reads_stdin() -> None:
    proc = run_cli("parse-id", "--json", "-", stdin=CLEAN + "\r\n")
    assert proc.returncode == 0 and json.loads(proc.stdout)["id_number"] == "001099012345"


def test_cli_refusal_exits_2_with_both_languages() -> None:
    proc = run_cli("parse-id", "--json", "https://example.vn")
    assert proc.returncode == 2
    data = json.loads(proc.stdout)
    assert data["error"] == "not_cccd" and set(data["message"]) >= {"vi", "en"}
