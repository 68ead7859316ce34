"""Telex composition and direct tone keys of the on-screen keyboard."""

from __future__ import annotations

import pytest

from kiosk.core.telex import apply_key, apply_tone_key, compose, set_tone


@pytest.mark.parametrize(("keys", "expected"), [
    ("Nguyeenx", "Nguyễn"),
    ("ddaay", "đây"),
    ("Thuwr", "Thử"),
    ("Vieetj Nam", "Việt Nam"),
    ("truowngf", "trường"),
    ("nguwowif", "người"),
    ("dduwowngf", "đường"),
    ("nuwowcs", "nước"),
    ("Traafn Thij Maaux", "Trần Thị Mẫu"),
    ("DDaij", "Đại"),
    ("Hafng Baif", "Hàng Bài"),
    ("chuyeenj", "chuyện"),
    ("khuyur", "khuỷu"),
    ("Mawtj", "Mặt"),
    ("w", "ư"),
])
def test_telex_composes_vietnamese_words(keys: str, expected: str) -> None:
    assert compose(keys) == expected


@pytest.mark.parametrize(("keys", "expected"), [
    ("hoaf", "hoà"),   # modern rule: oa/oe/uy put the tone on the second vowel
    ("thuyr", "thuỷ"),
    ("hoef", "hoè"),
    ("quys", "quý"),   # the u of qu is a consonant
    ("giaf", "già"),   # the i of gi too
    ("gif", "gì"),
    ("muaf", "mùa"),
    ("toans", "toán"),  # a final consonant moves the tone to the last vowel
    ("hoaif", "hoài"),  # three vowels: the middle one
])
def test_tone_placement_follows_the_modern_rules(keys: str, expected: str) -> None:
    assert compose(keys) == expected


def test_repeating_a_key_undoes_it_and_types_the_letter() -> None:
    assert compose("ass") == "as"
    assert compose("aaa") == "aa"
    assert compose("ddd") == "dd"
    assert compose("aww") == "aw"


def test_z_removes_the_tone_and_a_new_tone_replaces_the_old() -> None:
    assert compose("asz") == "a"
    assert compose("Nguyeenxf") == "Nguyền"


def test_tone_keys_after_an_impossible_ending_are_letters() -> None:
    # "lamb" ends in a cluster no Vietnamese syllable ends with, so "s" stays a letter
    assert compose("lambs") == "lambs"
    assert compose("xyz") == "xyz"


def test_direct_tone_keys_place_and_remove_the_tone() -> None:
    assert apply_tone_key("Nguyên", "x") == "Nguyễn"
    assert apply_tone_key("Nguyễn", "x") == "Nguyên"
    assert apply_tone_key("hoa", "f") == "hoà"
    assert apply_tone_key("", "s") == ""
    assert set_tone("Nguyễn", "") == "Nguyên"


def test_apply_key_works_on_the_composed_word_shown_in_the_field() -> None:
    assert apply_key("Nguyên", "x") == "Nguyễn"
    assert apply_key("đâ", "y") == "đây"
