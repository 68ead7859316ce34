"""The ID-card QR parser: what a citizen gets for each kind of card or non-card."""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.identity import IdentityError, mask_id, parse_id_qr

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
