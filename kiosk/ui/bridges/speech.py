"""The speech bridge: phrases synthesised on a worker thread, played on the GUI side through QtMultimedia.

:class:`Speaker` is what the screens call (issue 21, ADA 707.5): ``say()`` returns at once; a plain Python
thread (the only one that ever calls eSpeak NG, which is not thread-safe) turns the text into samples, and
its signal queues them into the GUI thread, where a ``QAudioSink`` plays them from a ``QBuffer`` in memory:
no temporary file, because what is spoken may be personal. A new ``say()`` interrupts what is being said:
each request carries a generation number, and a result whose generation is no longer the current one (a newer
``say()``, ``stop()`` or ``wipe()`` came meanwhile) is dropped, on the worker before synthesis when it can be.

Without an audio device (a demo laptop with no sound, the offscreen test machine) or without a voice, the
kiosk stays silent but behaves the same: phrases are still synthesised, "play" for as long as they would
have, and ``sig_spoken`` still reports them, so the walkthrough can record a transcript.
"""

from __future__ import annotations

import array
import io
import logging
import queue
import sys
import threading
import wave
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QTimer, Signal

if TYPE_CHECKING:
    from kiosk.app.speech import Speech

log = logging.getLogger(__name__)

DEFAULT_VOLUME = 0.8
DEFAULT_RATE = 150
VOLUME_STEP = 0.1


class Speaker(QObject):
    """Says phrases in Vietnamese or English, one at a time, the newest interrupting the one before."""

    sig_spoken = Signal(str)
    """A phrase began to be said: as its sound starts, or, with no audio device or no voice, when it would have."""

    _sig_synthesized = Signal(int, str, object, int)
    """From the worker: (generation, text, 16-bit mono PCM bytes, sample rate), delivered in the GUI thread."""

    def __init__(self, speech: Speech | None = None, *, enabled: bool = True, volume: float = DEFAULT_VOLUME,
                 rate_wpm: int = DEFAULT_RATE, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if speech is None:
            from kiosk.app.speech import speech_engine

            speech = speech_engine()
        self._speech = speech
        # the configured defaults (speech.enabled, speech.volume, speech.rate); the citizen's changes last
        # until the session wipe puts these back
        self._defaults = (bool(enabled), _clamp(volume), int(rate_wpm))
        self._enabled, self._volume, self._rate = self._defaults
        self._generation = 0  # read by the worker thread too: an int, replaced whole, never half-written
        self._last: tuple[str, str] | None = None
        self._current: str | None = None
        self._jobs: queue.SimpleQueue[tuple[int, str | None, str, int] | None] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._media: Any = None  # QtMultimedia, imported on the first phrase (as kiosk/ui/video.py does)
        self._devices: Any = None
        self._device: Any = None  # the default audio output; null when the machine has none
        self._sink: Any = None
        self._buffer: QBuffer | None = None
        self._silent = QTimer(self)  # a phrase "playing" with no audio device: as long as it would last
        self._silent.setSingleShot(True)
        self._silent.timeout.connect(self._on_silent_timeout)
        self._sig_synthesized.connect(self._on_worker_synthesized)

    # --- what the screens call ----------------------------------------------------------------------

    def say(self, text: str, language: str) -> None:
        """Say ``text`` in ``language`` ("vi" or "en"), interrupting whatever is being said. Returns at once."""
        self._interrupt()
        text = text.strip()
        if not text:
            return
        self._last = (text, language)
        if not self._enabled:
            return
        self._start_worker()
        self._jobs.put((self._generation, text, language, self._rate))

    def repeat(self) -> None:
        """Say the last phrase again (the "Nghe / Listen" button, the keypad's 5)."""
        if self._last is not None:
            self.say(*self._last)

    def stop(self) -> None:
        """Stop speaking; a phrase still being synthesised is dropped."""
        self._interrupt()

    def wipe(self) -> None:
        """The session ended: stop, forget the last phrase and the cached ones (they may be personal), and put
        the configured on/off, volume and rate back."""
        self._interrupt()
        self._last = None
        self._speech.clear_cache()
        self._enabled, volume, self._rate = self._defaults
        self.set_volume(volume)

    def warm_up(self) -> None:
        """Pay the one-off costs before the first phrase: the engine loads on the speech thread, and the media
        stack (~40-60 ms the first time, QtMultimedia's backend and the audio devices) opens here, so call it
        from a step of the window's warm-up, not while a citizen waits."""
        self._start_worker()
        self._jobs.put((self._generation, None, "", 0))
        self._ensure_media()

    def shutdown(self, timeout: float = 2.0) -> None:
        """Stop speaking and end the worker thread (the window is closing)."""
        self._interrupt()
        worker, self._worker = self._worker, None
        if worker is not None:
            self._jobs.put(None)
            worker.join(timeout)

    @property
    def enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, on: bool) -> None:
        """Speech on or off for this session; off stops what is being said."""
        self._enabled = bool(on)
        if not self._enabled:
            self._interrupt()

    @property
    def volume(self) -> float:
        """0 (silent) .. 1 (full), as the citizen hears it: applied on a logarithmic scale."""
        return self._volume

    def set_volume(self, volume: float) -> None:
        self._volume = _clamp(volume)
        if self._sink is not None:
            self._sink.setVolume(self._linear_volume())

    def volume_up(self) -> None:
        self.set_volume(self._volume + VOLUME_STEP)

    def volume_down(self) -> None:
        self.set_volume(self._volume - VOLUME_STEP)

    @property
    def rate_wpm(self) -> int:
        return self._rate

    def set_rate(self, rate_wpm: int) -> None:
        """Words per minute for the next phrases (eSpeak NG keeps it within 80..450)."""
        self._rate = int(rate_wpm)

    @property
    def speaking(self) -> bool:
        """A phrase is playing (or, silently, would be)."""
        return self._current is not None

    @property
    def audible(self) -> bool:
        """The phrase is playing on an audio device (not silently)."""
        return self._sink is not None

    @property
    def current(self) -> str | None:
        """The phrase being said, None when quiet."""
        return self._current

    @property
    def status(self) -> str:
        """For diagnostics: "ok", "no_audio_device" or "no_voice: <reason>". Loads the engine if no phrase has yet
        (a few milliseconds): the maintenance pages ask, not the citizen's screens."""
        if not self._speech.available:
            return f"no_voice: {self._speech.reason}"
        if not self._ensure_media() or self._device.isNull():
            return "no_audio_device"
        return "ok"

    # --- the worker thread --------------------------------------------------------------------------

    def _start_worker(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(target=self._work, name="kiosk-speech", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        """The speech thread: the only caller of the engine. Skips requests that a newer one made stale."""
        while True:
            job = self._jobs.get()
            if job is None:
                return
            generation, text, language, rate = job
            if text is None:  # warm_up(): load the engine now, not with the first phrase
                try:
                    self._speech.load()
                except Exception as err:  # never raises by contract; the thread must outlive a fault anyway
                    log.warning("speech: loading the engine failed: %r", type(err).__name__)
                continue
            if generation != self._generation:
                continue
            try:
                pcm, sample_rate = _pcm(self._speech.synthesize(text, language, rate))
            except Exception as err:  # the engine never raises by contract; a fault here must not end the thread
                log.warning("speech: synthesis failed (%s): %r", language, type(err).__name__)
                pcm, sample_rate = b"", 0
            if generation != self._generation:
                continue
            try:
                self._sig_synthesized.emit(generation, text, pcm, sample_rate)
            except RuntimeError:  # the Speaker is gone (the window closed without shutdown())
                return

    # --- playback, in the GUI thread ----------------------------------------------------------------

    def _on_worker_synthesized(self, generation: int, text: str, pcm: bytes, sample_rate: int) -> None:
        if generation != self._generation or not self._enabled:
            return  # a newer say(), a stop() or a wipe() came while this phrase was being made
        self._stop_playback()
        self._current = text
        if not (pcm and self._play(pcm, sample_rate)):
            self._silent.start(int(len(pcm) / 2 * 1000 / sample_rate) if pcm and sample_rate else 0)
        self.sig_spoken.emit(text)

    def _ensure_media(self) -> bool:
        if self._media is None:
            try:
                from PySide6 import QtMultimedia
            except ImportError:
                log.warning("speech: QtMultimedia is not available: the kiosk speaks silently")
                self._media = False
                return False
            self._media = QtMultimedia
            self._devices = QtMultimedia.QMediaDevices(self)
            self._devices.audioOutputsChanged.connect(self._on_devices_audio_outputs_changed)
            self._on_devices_audio_outputs_changed()
        return bool(self._media)

    def _on_devices_audio_outputs_changed(self) -> None:
        """Headphones plugged in or out: the next phrase goes to the default output of the moment."""
        self._device = self._media.QMediaDevices.defaultAudioOutput()
        if self._device.isNull():
            log.info("speech: no audio output device: speaking silently")

    def _play(self, pcm: bytes, sample_rate: int) -> bool:
        """Start ``pcm`` on the default audio output; False when it cannot be heard (no device, an error)."""
        if not self._ensure_media() or self._device.isNull():
            return False
        media = self._media
        audio_format = media.QAudioFormat()
        audio_format.setSampleRate(sample_rate)
        audio_format.setChannelCount(1)
        audio_format.setSampleFormat(media.QAudioFormat.SampleFormat.Int16)
        sink = media.QAudioSink(self._device, audio_format, self)
        sink.setVolume(self._linear_volume())
        buffer = QBuffer(self)
        buffer.setData(QByteArray(pcm))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        # a slot without the state argument: PySide6 6.11 cannot convert the signal's QAudio::State for a Python
        # slot (TypeError in the event loop), so the slot asks the sink instead
        sink.stateChanged.connect(lambda: self._on_sink_state_changed(sink))
        self._sink, self._buffer = sink, buffer
        sink.start(buffer)
        if sink.error() != media.QtAudio.Error.NoError:
            log.warning("speech: the audio output refused the phrase (%s): speaking silently", sink.error().name)
            self._release_sink()
            return False
        return True

    def _on_sink_state_changed(self, sink: Any) -> None:
        if sink is not self._sink:
            return  # a sink already stopped for a newer phrase
        state = sink.state()
        states = self._media.QtAudio.State
        if state == states.IdleState:  # every sample played
            self._release_sink()
            self._current = None
        elif state == states.StoppedState and sink.error() != self._media.QtAudio.Error.NoError:
            log.warning("speech: playback stopped: %s", sink.error().name)
            self._release_sink()
            self._current = None

    def _on_silent_timeout(self) -> None:
        self._current = None

    def _interrupt(self) -> None:
        self._generation += 1
        self._stop_playback()

    def _stop_playback(self) -> None:
        self._silent.stop()
        self._release_sink()
        self._current = None

    def _release_sink(self) -> None:
        sink, buffer = self._sink, self._buffer
        self._sink = self._buffer = None
        if sink is not None:
            sink.stop()
            sink.deleteLater()
        if buffer is not None:
            buffer.close()
            buffer.setData(QByteArray())  # the samples of a possibly personal phrase do not linger
            buffer.deleteLater()

    def _linear_volume(self) -> float:
        media = self._media
        scale = media.QtAudio.VolumeScale
        return media.QtAudio.convertVolume(self._volume, scale.LogarithmicVolumeScale, scale.LinearVolumeScale)


def _clamp(volume: float) -> float:
    return round(max(0.0, min(1.0, float(volume))), 2)


def _pcm(wav: bytes) -> tuple[bytes, int]:
    """The samples and sample rate of a WAV file from the engine; (b"", 0) for no sound."""
    if not wav:
        return b"", 0
    with wave.open(io.BytesIO(wav)) as reader:
        pcm, rate = reader.readframes(reader.getnframes()), reader.getframerate()
    if sys.byteorder == "big":  # WAV is little-endian; QAudioSink takes the host's order
        samples = array.array("h", pcm)
        samples.byteswap()
        pcm = samples.tobytes()
    return pcm, rate
