"""Offline speech with the real engine (eSpeak NG from the espeakng-loader wheel): Vietnamese and English WAVs
that hold sound and last longer as the text grows (measured on the WAVs, not timed), the spelling of ticket
numbers, the cache of short phrases and its wipe, and silence instead of failure when there is no engine."""

from __future__ import annotations

import array
import io
import math
import subprocess
import sys
import threading
import wave
from pathlib import Path

import pytest

from device.speech import CACHE_ENTRIES, CACHE_MAX_CHARS, Speech, spell_ticket

ROOT = Path(__file__).resolve().parents[3]

VI_PHRASES = (
    "Lấy số thứ tự",
    "Vui lòng đặt thẻ căn cước dưới camera",
    # the identify screen's instruction, as the screen shows it
    "Đặt mặt sau của thẻ căn cước (mặt có mã QR) vào khay, dưới camera, sao cho mã QR nằm trong khung vàng.",
)
EN_PHRASES = (
    "Take a number",
    "Please place your ID card under the camera",
    "Place your ID card, back side up (the side with the QR code), in the tray under the camera so the QR code "
    "sits inside the yellow frame.",
)
#: 16-bit full scale is 32767; speech from eSpeak NG measures ~2500-4000 RMS, silence 0
MIN_RMS = 500


def read_wav(data: bytes) -> tuple[float, float, array.array]:
    """(duration in seconds, RMS, samples) of a 16-bit mono WAV file."""
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        rate = wav.getframerate()
        samples = array.array("h", wav.readframes(wav.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    rms = math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0
    return len(samples) / rate, rms, samples


@pytest.fixture(scope="module")
def speech() -> Speech:
    engine = Speech()
    assert engine.available, engine.reason
    return engine


def test_the_engine_is_there(speech: Speech) -> None:
    assert speech.reason == ""
    assert speech.sample_rate == 22050


@pytest.mark.parametrize(("language", "phrases"), [("vi", VI_PHRASES), ("en", EN_PHRASES)])
def test_phrases_are_heard_and_last_longer_as_the_text_grows(speech: Speech, language: str,
                                                             phrases: tuple[str, ...]) -> None:
    durations = []
    for phrase in phrases:
        wav = speech.synthesize(phrase, language)
        duration, rms, _ = read_wav(wav)
        assert rms > MIN_RMS, (phrase, rms)
        durations.append(duration)
    assert durations == sorted(durations) and len(set(durations)) == len(durations), durations
    assert durations[0] > 0.5  # a real phrase, not a click


def test_a_slower_rate_gives_a_longer_phrase(speech: Speech) -> None:
    slow, _, _ = read_wav(speech.synthesize(VI_PHRASES[1], "vi", rate_wpm=100))
    fast, _, _ = read_wav(speech.synthesize(VI_PHRASES[1], "vi", rate_wpm=250))
    assert slow > fast * 1.5


def test_the_vietnamese_voice_is_not_the_english_one(speech: Speech) -> None:
    # English eSpeak reads the Vietnamese letters one by one: longer, and other sounds
    vi_duration, _, vi_samples = read_wav(speech.synthesize("Lấy số thứ tự", "vi"))
    en_duration, _, en_samples = read_wav(speech.synthesize("Lấy số thứ tự", "en"))
    assert vi_samples != en_samples
    assert abs(vi_duration - en_duration) > 0.5
    # and the same digits sound different too
    assert speech.synthesize("1 2 3", "vi") != speech.synthesize("1 2 3", "en")


def test_ticket_numbers_are_spelt_character_by_character() -> None:
    assert spell_ticket("A001", "vi") == "A không không một"
    assert spell_ticket("A001", "en") == "A zero zero one"
    assert spell_ticket("b-27", "vi") == "B hai bảy"
    assert spell_ticket("HS 2025 0098", "en") == "H S two zero two five zero zero nine eight"
    assert spell_ticket("", "vi") == ""
    with pytest.raises(ValueError):
        spell_ticket("A001", "fr")


def test_a_spelt_ticket_is_spoken(speech: Speech) -> None:
    duration, rms, _ = read_wav(speech.synthesize(spell_ticket("A001", "vi"), "vi"))
    assert rms > MIN_RMS and duration > 1.0


def test_nothing_to_say_is_no_wav(speech: Speech) -> None:
    # Decided: empty or blank text is b"" (nothing to play), like every other case where nothing can be said.
    assert speech.synthesize("", "vi") == b""
    assert speech.synthesize("  \n ", "en") == b""


def test_an_unknown_language_is_silence_and_the_log_holds_no_text(speech: Speech, caplog) -> None:
    assert speech.synthesize("Nguyễn Văn An", "fr") == b""
    assert "Nguyễn" not in caplog.text


def test_the_cache_returns_the_same_wav_and_the_wipe_empties_it() -> None:
    speech = Speech()
    first = speech.synthesize("Lấy số thứ tự", "vi")
    assert speech.cached == 1
    assert speech.synthesize("Lấy số thứ tự", "vi") is first
    # another language or rate is another entry
    assert speech.synthesize("Lấy số thứ tự", "en") != first
    assert speech.synthesize("Lấy số thứ tự", "vi", rate_wpm=120) != first
    assert speech.cached == 3
    speech.clear_cache()
    assert speech.cached == 0
    again = speech.synthesize("Lấy số thứ tự", "vi")
    assert again is not first
    # made anew: eSpeak NG carries a little state from the phrase before, so samples may differ by a few
    assert read_wav(again)[0] == pytest.approx(read_wav(first)[0], abs=0.02)


def test_the_cache_keeps_short_phrases_only_and_a_bounded_number() -> None:
    speech = Speech()
    speech.synthesize("x" * (CACHE_MAX_CHARS + 1), "en")
    assert speech.cached == 0
    for n in range(CACHE_ENTRIES + 5):
        speech.synthesize(str(n), "en")
    assert speech.cached == CACHE_ENTRIES
    speech.clear_cache()
    assert speech.cached == 0


def test_threads_share_the_one_engine_safely(speech: Speech) -> None:
    # eSpeak NG is not thread-safe: the engine lock serialises callers, each gets its own phrase back whole
    # (not one mixed with another's samples). Compared by duration: eSpeak NG carries a little state from one
    # phrase to the next, so the same text may differ by a few samples.
    texts = [(f"Số {n}", "vi") if n % 2 else (f"Number {n} please", "en") for n in range(12)]
    expected = {t: read_wav(Speech().synthesize(*t))[0] for t in texts}
    results: dict[tuple[str, str], bytes] = {}

    def work(item: tuple[str, str]) -> None:
        results[item] = Speech().synthesize(*item)

    threads = [threading.Thread(target=work, args=(t,)) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.keys() == expected.keys()
    for item, wav in results.items():
        duration, rms, _ = read_wav(wav)
        assert rms > MIN_RMS
        assert duration == pytest.approx(expected[item], abs=0.02), item


def run_isolated(code: str) -> str:
    """``code`` in a fresh interpreter (eSpeak NG loads once per process)."""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_without_the_library_the_kiosk_is_silent_and_says_why() -> None:
    out = run_isolated(
        "import sys, ctypes.util\n"
        "sys.modules['espeakng_loader'] = None\n"  # the wheel is not installed
        "ctypes.util.find_library = lambda name: None\n"  # nor Debian's libespeak-ng1
        "from device.speech import Speech\n"
        "s = Speech()\n"
        "print(s.available, s.reason, s.sample_rate, s.synthesize('Lấy số', 'vi') == b'', sep='|')\n")
    assert out.strip() == "False|libespeak-ng not found (install the espeakng-loader wheel)|0|True"


def test_a_data_path_espeak_would_truncate_is_refused_not_crashed_on() -> None:
    # libespeak-ng 1.52 keeps its data path in 160 bytes; a longer one used to end in exit(1)
    out = run_isolated(
        "import espeakng_loader\n"
        "espeakng_loader.get_data_path = lambda: '/' + 'x' * 200 + '/espeak-ng-data'\n"
        "from device.speech import Speech\n"
        "s = Speech()\n"
        "print(s.available, s.reason, s.synthesize('Lấy số', 'vi') == b'', sep='|')\n")
    available, reason, silent = out.strip().split("|")
    assert (available, silent) == ("False", "True")
    assert "too long" in reason


def test_missing_data_is_reported_not_an_exit() -> None:
    out = run_isolated(
        "import espeakng_loader\n"
        "espeakng_loader.get_data_path = lambda: '/nonexistent/espeak-ng-data'\n"
        "from device.speech import Speech\n"
        "s = Speech()\n"
        "print(s.available, s.reason, s.synthesize('Lấy số', 'vi') == b'', sep='|')\n")
    available, reason, silent = out.strip().split("|")
    assert (available, silent) == ("False", "True")
    assert "could not initialise" in reason
