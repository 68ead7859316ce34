"""Bilingual text, one place: every user-facing string is ``{"vi": ..., "en": ...}`` (Vietnamese first).

Two ways to show one: ``tr`` in the citizen's chosen language, ``both`` in both languages (errors a citizen
must understand whatever they chose, and the maintenance pages, where a technician may be a ward officer or a
vendor on the phone). Qt-free, so the app layer's messages and the screens share the same ``Text``."""

from __future__ import annotations

Text = dict[str, str]


def tr(text: Text | str | None, language: str) -> str:
    """The text in ``language`` (Vietnamese when a translation is missing)."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    return text.get(language) or text.get("vi") or next(iter(text.values()), "")


def both(text: Text, first: str = "vi", sep: str = "\n") -> str:
    """Both languages, ``first`` first (Vietnamese unless the reader chose English), joined by ``sep``; one
    language when the other is missing or says the same."""
    other = "en" if first == "vi" else "vi"
    one, two = text.get(first, ""), text.get(other, "")
    if not one:
        return two
    return one if not two or two == one else f"{one}{sep}{two}"
