"""The kiosk's voice as the ui reaches it: the one speech engine of the process and the spelling of numbers.

The ui never imports ``device`` itself (import-linter, pyproject.toml); this module is the narrow door
(device/speech.py has the engine, eSpeak NG through the espeakng-loader wheel). eSpeak NG is one set of
globals per process, so there is one :class:`~device.speech.Speech` too, made on first use; loading the
library happens later still, on the speech worker's first phrase.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from device.speech import Speech

_lock = threading.Lock()
_speech: Speech | None = None


def speech_engine(voices: Mapping[str, str] | None = None) -> Speech:
    """The process's speech engine; ``voices`` ({"vi": "vi-VN-x-south"}, say) only counts on the first call."""
    global _speech
    with _lock:
        if _speech is None:
            from device.speech import Speech

            _speech = Speech(voices)
        return _speech


def spell_ticket(number: str, language: str) -> str:
    """A ticket or dossier number as it is read aloud, each character heard: "A001" -> "A không không một"."""
    from device.speech import spell_ticket as spell

    return spell(number, language)
