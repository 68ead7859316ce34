"""The 2025 wards, and the suggestion of the competent ward from an old-format card address."""

from __future__ import annotations

import pytest

from kiosk.core import wards


def test_the_2025_reform_counts() -> None:
    assert len(wards.provinces()) == 34
    assert len(wards.wards()) == 3321


def test_search_without_diacritics_finds_the_ward() -> None:
    found = wards.search_wards("cua nam", province_code="01")
    assert [w.name for w in found] == ["Phường Cửa Nam"]
    assert wards.ward_by_code(found[0].code) == found[0]


def test_fold_handles_d_with_stroke() -> None:
    assert wards.fold("Đống Đa") == "dong da"


@pytest.fixture(scope="module")
def converter_loaded() -> None:
    # Slow (about 15 s here): loaded once for the module, as the kiosk does off the GUI thread.
    wards.preload_converter().join()


@pytest.mark.parametrize(
    ("old_address", "ward_name", "province_code"),
    [
        ("Phường Hàng Bài, Quận Hoàn Kiếm, Hà Nội", "Phường Cửa Nam", "01"),
        ("Số 12 phố Hàng Bài, Phường Hàng Bài, Quận Hoàn Kiếm, Thành phố Hà Nội", "Phường Cửa Nam", "01"),
        ("Số 5 đường Lê Lợi, Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh", "Phường Sài Gòn", "79"),
        ("Tổ 3, Phường Hồng Gai, Thành phố Hạ Long, Quảng Ninh", "Phường Hồng Gai", "22"),
    ],
)
def test_old_address_suggests_the_2025_ward(converter_loaded: None, old_address: str, ward_name: str,
                                            province_code: str) -> None:
    ward = wards.suggest_ward(old_address)
    assert ward is not None
    assert (ward.name, ward.province_code) == (ward_name, province_code)


def test_nonsense_address_suggests_nothing(converter_loaded: None) -> None:
    assert wards.suggest_ward("không phải địa chỉ") is None
    assert wards.suggest_ward("") is None
