"""Offline speech: eSpeak NG's Vietnamese and English voices, synthesised to a WAV file in memory.

The engine is eSpeak NG from the ``espeakng-loader`` wheel, which carries ``libespeak-ng`` and its
``espeak-ng-data`` (the Vietnamese dictionary and the northern, central and southern voices) inside the
Python package. Chosen over Debian's ``espeak-ng`` package because:

- nothing to install on the system: ``pip install`` is the whole set-up, on Debian, Windows or a laptop demo;
- the frozen build carries it like any other package data (kiosk.spec collects the library and the data
  next to the package, where :func:`espeakng_loader.get_library_path` looks), so the one-folder build speaks on a
  machine without eSpeak, and every kiosk speaks with the same eSpeak NG version (1.52) whatever its distribution;
- the library is self-contained (libstdc++ and libc only: no libpcaudio, no sound server): we only ask it for
  samples and play them through QtMultimedia ourselves.
When the wheel is absent the system's ``libespeak-ng`` (Debian's ``libespeak-ng1`` + ``espeak-ng-data``) is used
as a fallback, with its default data path.

Bound with ctypes to the stable ``speak_lib.h`` API: ``espeak_Initialize`` in synchronous mode (no audio output of
its own) with ``espeakINITIALIZE_DONT_EXIT`` (without it a missing data directory makes the library call
``exit(1)``), a synth callback that collects the 16-bit mono samples, ``espeak_SetVoiceByName``,
``espeak_SetParameter(espeakRATE)`` and ``espeak_Synth`` on UTF-8 text.

Threads: eSpeak NG keeps its state in process globals and is not thread-safe. There is one engine per process
(:func:`_load_engine`), and every call into it holds :data:`_ENGINE_LOCK`; the kiosk calls :meth:`Speech.synthesize`
from one worker thread only (kiosk/ui/bridges/speech.py), never from the GUI thread (DESIGN.md section 5).

Privacy: what is spoken may be personal (a name on the form, a dossier code). Nothing here writes a file, logs
never hold the text (only its language and length), and the cache of short phrases is emptied by
:meth:`Speech.clear_cache`, which the session wipe calls.

This module imports nothing of ``kiosk`` and no Qt (DESIGN.md section 4).
"""

from __future__ import annotations

import array
import ctypes
import ctypes.util
import io
import logging
import os
import sys
import threading
import wave
from collections import OrderedDict
from collections.abc import Mapping

log = logging.getLogger(__name__)

LANGUAGES = ("vi", "en")
#: eSpeak NG voice for each kiosk language; "vi" is the northern (Hà Nội) voice, "vi-VN-x-south" and
#: "vi-VN-x-central" are the others a province may prefer.
DEFAULT_VOICES: Mapping[str, str] = {"vi": "vi", "en": "en"}
#: Phrases up to this long are cached (titles, instructions, ticket numbers): screens repeat them.
CACHE_MAX_CHARS = 80
CACHE_ENTRIES = 64
#: eSpeak NG's own bounds for espeakRATE, in words per minute.
RATE_MIN, RATE_MAX = 80, 450
DEFAULT_RATE = 150

# speak_lib.h
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000
_CHARS_UTF8 = 1
_ENDPAUSE = 0x1000  # a sentence pause at the end: the phrase ends as speech does, not clipped
_POS_CHARACTER = 1
_PARAM_RATE = 1
_EE_OK = 0
_BUFFER_MS = 200  # samples per callback; any value works in synchronous mode
# espeak-ng 1.52 copies the data path into a fixed buffer (N_PATH_HOME: 160 bytes on POSIX, 230 on Windows)
# and truncates a longer one silently, then fails to find its data: refuse it with a reason instead.
_MAX_DATA_PATH = 229 if sys.platform == "win32" else 159

_DIGITS = {
    "vi": ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"),
    "en": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
}

_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class SpeechUnavailable(Exception):
    """The engine cannot be loaded; the message says why, for diagnostics (no personal data)."""


def spell_ticket(number: str, language: str) -> str:
    """A ticket or dossier number spelt out so each character is heard: "A001" -> "A không không một" (vi),
    "A zero zero one" (en). Letters stay letters (upper case), digits become words, anything else is dropped."""
    digits = _DIGITS.get(language)
    if digits is None:
        raise ValueError(f"no digit names for language {language!r}")
    words = []
    for char in number:
        if char in "0123456789":
            words.append(digits[int(char)])
        elif char.isalpha():
            words.append(char.upper())
    return " ".join(words)


def wav_bytes(pcm: bytes, sample_rate: int) -> bytes:
    """A complete WAV file (16-bit mono) around native-order 16-bit samples."""
    if sys.byteorder == "big":  # WAV is little-endian
        samples = array.array("h", pcm)
        samples.byteswap()
        pcm = samples.tobytes()
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
    return out.getvalue()


def _locate() -> tuple[str, str | None, str]:
    """(library path, data path or None for the library's default, where they came from)."""
    try:
        import espeakng_loader
    except ImportError:
        espeakng_loader = None
    if espeakng_loader is not None:
        library = espeakng_loader.get_library_path()
        if os.path.exists(library):
            try:
                data = espeakng_loader.get_data_path()
            except RuntimeError as err:  # the wheel's data directory is missing (a build that forgot it)
                raise SpeechUnavailable(f"espeak-ng-data not found ({err})") from None
            return library, data, "espeakng-loader"
    library = ctypes.util.find_library("espeak-ng")
    if library is None:
        raise SpeechUnavailable("libespeak-ng not found (install the espeakng-loader wheel)")
    return library, None, "system"


class _Engine:
    """The process's one eSpeak NG instance. Callers hold :data:`_ENGINE_LOCK` around every method."""

    def __init__(self) -> None:
        library, data, self.source = _locate()
        if data is not None and len(os.fsencode(data)) > _MAX_DATA_PATH:
            raise SpeechUnavailable(f"espeak-ng-data path too long for libespeak-ng ({len(data)} > {_MAX_DATA_PATH})")
        try:
            lib = ctypes.CDLL(library)
        except OSError as err:
            raise SpeechUnavailable(f"libespeak-ng could not be loaded ({err})") from None
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Info.argtypes = [ctypes.c_void_p]
        lib.espeak_Info.restype = ctypes.c_char_p
        path = os.fsencode(data) if data is not None else None
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, path, _INITIALIZE_DONT_EXIT)
        if rate <= 0:  # with DONT_EXIT a missing or broken data directory returns 0 or -1
            raise SpeechUnavailable(f"eSpeak NG could not initialise (no usable espeak-ng-data, code {rate})")
        self.lib = lib
        self.sample_rate = rate
        self.version = (lib.espeak_Info(None) or b"?").decode("ascii", "replace")
        self._chunks: list[bytes] = []
        self._callback = _SynthCallback(self._on_samples)  # kept: the library holds only the pointer
        lib.espeak_SetSynthCallback(self._callback)
        self._voice: str | None = None

    def _on_samples(self, wav, count: int, _events) -> int:
        try:
            if count > 0 and wav:
                self._chunks.append(ctypes.string_at(wav, count * 2))
        except Exception:  # an exception cannot cross the C callback: end this synthesis instead
            log.exception("speech: collecting samples failed")
            return 1
        return 0

    def set_voice(self, name: str) -> bool:
        if name == self._voice:
            return True
        ok = self.lib.espeak_SetVoiceByName(name.encode("ascii")) == _EE_OK
        self._voice = name if ok else None
        return ok

    def synth(self, text: str, voice: str, rate_wpm: int) -> bytes:
        """Native-order 16-bit mono samples of ``text`` spoken by ``voice``."""
        if not self.set_voice(voice):
            raise SpeechUnavailable(f"no eSpeak NG voice {voice!r}")
        self.lib.espeak_SetParameter(_PARAM_RATE, rate_wpm, 0)
        encoded = text.encode("utf-8") + b"\0"
        self._chunks = []
        try:
            result = self.lib.espeak_Synth(encoded, len(encoded), 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _ENDPAUSE,
                                           None, None)
            if result != _EE_OK:
                raise RuntimeError(f"espeak_Synth returned {result}")
            return b"".join(self._chunks)
        finally:
            self._chunks = []


_ENGINE_LOCK = threading.Lock()
"""eSpeak NG is one set of globals per process: loading it and every synthesis hold this lock."""
_engine: _Engine | None = None
_engine_error: str | None = None


def _load_engine() -> _Engine | None:
    """The process's engine, loaded on first use (a few ms); None, with the reason kept, when it cannot be.
    The caller holds :data:`_ENGINE_LOCK`."""
    global _engine, _engine_error
    if _engine is None and _engine_error is None:
        try:
            _engine = _Engine()
        except SpeechUnavailable as err:
            _engine_error = str(err)
            log.warning("speech: unavailable: %s", err)
        except Exception as err:  # e.g. a system libespeak-ng too old to have a function we bind
            _engine_error = f"libespeak-ng unusable ({err!r})"
            log.warning("speech: unavailable: %s", _engine_error)
        else:
            log.info("speech: eSpeak NG %s from %s, %d Hz", _engine.version, _engine.source, _engine.sample_rate)
    return _engine


class Speech:
    """Text to a WAV file in Vietnamese or English; silent (``b""``) rather than failing.

    Cheap to make: the engine loads on first use (:meth:`load`, :attr:`available` or :meth:`synthesize`), so the
    kiosk can make it on the GUI thread and let its speech worker pay for the loading.
    """

    def __init__(self, voices: Mapping[str, str] | None = None, cache_entries: int = CACHE_ENTRIES) -> None:
        self._voices = dict(DEFAULT_VOICES)
        self._voices.update(voices or {})
        self._cache: OrderedDict[tuple[str, str, int], bytes] = OrderedDict()
        self._cache_entries = cache_entries
        # its own lock, not the engine's: the session wipe empties the cache without waiting for a synthesis
        self._cache_lock = threading.Lock()
        self._cache_epoch = 0  # bumped by clear_cache: a synthesis that began before the wipe is not cached after it
        self._voice_error: str | None = None
        self._checked = False

    def load(self) -> bool:
        """Load the engine and check the Vietnamese voice; True when the kiosk can speak."""
        with _ENGINE_LOCK:
            engine = _load_engine()
            if engine is not None and not self._checked:
                self._checked = True
                if not engine.set_voice(self._voices["vi"]):
                    self._voice_error = f"no Vietnamese voice {self._voices['vi']!r} in espeak-ng-data"
                    log.warning("speech: %s", self._voice_error)
        return engine is not None and self._voice_error is None

    @property
    def available(self) -> bool:
        return self.load()

    @property
    def reason(self) -> str:
        """Why the kiosk cannot speak ("" when it can), e.g. "libespeak-ng not found"."""
        if self.load():
            return ""
        return _engine_error or self._voice_error or "unknown"

    @property
    def sample_rate(self) -> int:
        """Samples per second of the WAVs (22050 for eSpeak NG); 0 when unavailable."""
        self.load()
        return _engine.sample_rate if _engine is not None else 0

    @property
    def cached(self) -> int:
        """How many phrases the cache holds."""
        with self._cache_lock:
            return len(self._cache)

    def clear_cache(self) -> None:
        """Forget every cached phrase (the session wipe: a phrase may have held personal data)."""
        with self._cache_lock:
            self._cache.clear()
            self._cache_epoch += 1

    def synthesize(self, text: str, language: str, rate_wpm: int = DEFAULT_RATE) -> bytes:
        """``text`` spoken in ``language`` ("vi" or "en") at ``rate_wpm`` words per minute (clamped to 80..450), as
        a complete WAV file, 16-bit mono at :attr:`sample_rate`.

        ``b""`` when there is nothing to say (empty or blank text) and when the text cannot be spoken (no engine,
        no voice, an unknown language, an engine error): the cause is logged, never the text. Blocks for a few
        milliseconds per short phrase: call it from a worker thread.
        """
        text = text.replace("\0", " ").strip()
        if not text:
            return b""
        voice = self._voices.get(language)
        if voice is None:
            log.warning("speech: no voice for language %r", language)
            return b""
        rate = max(RATE_MIN, min(RATE_MAX, int(rate_wpm)))
        key = (text, language, rate)
        cacheable = len(text) <= CACHE_MAX_CHARS
        with self._cache_lock:
            epoch = self._cache_epoch
            if cacheable and key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        with _ENGINE_LOCK:
            engine = _load_engine()
            if engine is None:
                return b""
            try:
                pcm = engine.synth(text, voice, rate)
                sample_rate = engine.sample_rate
            except Exception as err:  # no personal text in the log: the language and the length only
                log.warning("speech: synthesis failed (%s, %d characters): %s", language, len(text), err)
                return b""
        wav = wav_bytes(pcm, sample_rate)
        if cacheable:
            with self._cache_lock:
                if epoch == self._cache_epoch:
                    self._cache[key] = wav
                    while len(self._cache) > self._cache_entries:
                        self._cache.popitem(last=False)
        return wav
