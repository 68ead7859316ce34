"""Administrative divisions after the 1 July 2025 reform: 34 provinces, 3,321 wards.

The list itself comes from ``vietnam-provinces`` (official codes, loads in
milliseconds). Suggesting the 2025 ward for an address written the pre-2025 way
(xã/phường, huyện/quận, tỉnh) uses ``vietnam-address-converter``, whose tables take
seconds to load: :func:`suggest_ward` therefore loads it lazily, once, and must be
called off the GUI thread (:func:`preload_converter` warms it in the background).
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

from vietnam_provinces import Province, Ward


@dataclass(frozen=True)
class WardInfo:
    code: str  # five digits, official
    name: str  # with its type, e.g. "Phường Cửa Nam"
    province_code: str  # two digits
    province_name: str

    @property
    def full_name(self) -> str:
        return f"{self.name}, {self.province_name}"

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name, "province_code": self.province_code,
                "province_name": self.province_name}


def fold(text: str) -> str:
    """Lower-case text without diacritics, so "cua nam" finds "Cửa Nam"."""
    text = unicodedata.normalize("NFD", text.casefold()).replace("đ", "d")
    return "".join(c for c in text if unicodedata.category(c) != "Mn")


@cache
def provinces() -> dict[str, str]:
    """Province code (two digits) -> name, for the 34 provinces."""
    return {f"{p.code.value:02d}": p.name for p in Province.iter_all()}


@cache
def wards() -> tuple[WardInfo, ...]:
    names = provinces()
    return tuple(
        WardInfo(f"{w.code.value:05d}", w.name, f"{w.province_code.value:02d}",
                 names[f"{w.province_code.value:02d}"])
        for w in Ward.iter_all()
    )


@cache
def _by_code() -> dict[str, WardInfo]:
    return {w.code: w for w in wards()}


def ward_by_code(code: str) -> WardInfo | None:
    return _by_code().get(code.zfill(5))


def wards_in_province(province_code: str) -> list[WardInfo]:
    return [w for w in wards() if w.province_code == province_code.zfill(2)]


def search_wards(query: str, province_code: str | None = None, limit: int = 50) -> list[WardInfo]:
    """Wards whose name contains the query, with or without diacritics."""
    needle = fold(query.strip())
    pool = wards_in_province(province_code) if province_code else wards()
    return [w for w in pool if needle in fold(w.name)][:limit]


_converter: Any = None
_converter_lock = threading.Lock()


def _get_converter() -> Any:
    global _converter
    with _converter_lock:
        if _converter is None:
            # The module-level function caches its tables (lru_cache); a converter
            # instance from create_converter() rebuilds more and loads twice as slowly.
            from vietnam_address_converter import auto_convert_address

            auto_convert_address("Phường Hàng Bài, Quận Hoàn Kiếm, Hà Nội")  # build the tables now
            _converter = auto_convert_address
        return _converter


def preload_converter() -> threading.Thread:
    """Start loading the address converter in a daemon thread (it takes seconds)."""
    thread = threading.Thread(target=_get_converter, name="ward-converter-preload", daemon=True)
    thread.start()
    return thread


def _match_ward(province_name: str, ward_name: str, ward_name_with_type: str) -> WardInfo | None:
    province = fold(province_name)
    candidates = [w for w in wards() if province in fold(w.province_name)]
    for w in candidates:
        if fold(w.name) == fold(ward_name_with_type):
            return w
    for w in candidates:  # the converter's type word may differ from the official one
        if fold(w.name).endswith(" " + fold(ward_name)):
            return w
    return None


def suggest_ward(address: str) -> WardInfo | None:
    """The 2025 ward that an address (old or new format) belongs to, or None.

    Slow on first call (loads the converter's tables): never call it on the GUI thread.
    """
    if not address or not address.strip():
        return None
    try:
        result = _get_converter()(address)
    except Exception:  # the converter is a best-effort suggestion, never a failure
        return None
    new = (result or {}).get("converted_new") or {}
    ward = new.get("ward") or {}
    province = new.get("province") or {}
    if not ward.get("name") or not province.get("name"):
        return None
    return _match_ward(province["name"], ward["name"], ward.get("name_with_type") or ward["name"])
