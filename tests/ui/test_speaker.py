"""The speech bridge (kiosk/ui/bridges/speech.py): say() returns at once and the real engine works on another
thread; each phrase is reported as it starts; a new phrase interrupts the one before; off means silent;
the wipe forgets. This machine may have no audio device: the Speaker then "plays" silently, and says so."""

from __future__ import annotations

import threading

import pytest

from kiosk.app.speech import speech_engine
from kiosk.ui.bridges.speech import Speaker

GUI_THREAD = threading.get_ident()


class RecordingSpeech:
    """The real engine, recording which thread calls it; ``gate`` (when set) holds a synthesis until opened."""

    def __init__(self) -> None:
        self.engine = speech_engine()
        self.threads: list[int] = []
        self.texts: list[str] = []
        self.gate: threading.Event | None = None
        self.entered = threading.Event()
        self.cleared = 0

    def load(self) -> bool:
        self.threads.append(threading.get_ident())
        return self.engine.load()

    @property
    def available(self) -> bool:
        return self.engine.available

    @property
    def reason(self) -> str:
        return self.engine.reason

    def synthesize(self, text: str, language: str, rate_wpm: int = 150) -> bytes:
        self.threads.append(threading.get_ident())
        self.texts.append(text)
        self.entered.set()
        if self.gate is not None:
            assert self.gate.wait(10)
        return self.engine.synthesize(text, language, rate_wpm)

    def clear_cache(self) -> None:
        self.cleared += 1
        self.engine.clear_cache()


@pytest.fixture
def speech() -> RecordingSpeech:
    return RecordingSpeech()


@pytest.fixture
def speaker(qapp, speech):
    speaker = Speaker(speech)
    yield speaker
    speaker.shutdown()
    speaker.deleteLater()


def spoken(speaker: Speaker) -> list[str]:
    said: list[str] = []
    speaker.sig_spoken.connect(said.append)
    return said


def test_say_returns_at_once_and_synthesis_runs_off_the_gui_thread(qtbot, speaker, speech) -> None:
    assert threading.get_ident() == GUI_THREAD
    speech.gate = threading.Event()  # the synthesis cannot finish until the test lets it
    said = spoken(speaker)
    speaker.say("Lấy số thứ tự", "vi")  # would deadlock here if say() synthesised on this thread
    assert said == [] and not speaker.speaking
    assert speech.entered.wait(5)
    speech.gate.set()
    with qtbot.waitSignal(speaker.sig_spoken, timeout=5000) as blocker:
        pass
    assert blocker.args == ["Lấy số thứ tự"]
    assert said == ["Lấy số thứ tự"]
    assert speech.threads and GUI_THREAD not in speech.threads
    assert speaker.speaking and speaker.current == "Lấy số thứ tự"
    # silent or not, the phrase "plays" for as long as it lasts (~1.5 s), then the speaker is quiet
    qtbot.waitUntil(lambda: not speaker.speaking, timeout=5000)
    assert speaker.current is None


def test_the_warm_up_loads_the_engine_on_the_speech_thread(qtbot, speaker, speech) -> None:
    speaker.warm_up()
    qtbot.waitUntil(lambda: len(speech.threads) == 1, timeout=5000)
    assert speech.threads[0] != GUI_THREAD and speech.texts == []
    assert speaker.status in ("ok", "no_audio_device")
    with qtbot.waitSignal(speaker.sig_spoken, timeout=5000):
        speaker.say("Lấy số thứ tự", "vi")


def test_a_new_phrase_interrupts_one_still_being_made(qtbot, speaker, speech) -> None:
    said = spoken(speaker)
    speech.gate = threading.Event()
    speaker.say("Vui lòng đặt thẻ căn cước dưới camera", "vi")
    assert speech.entered.wait(5)  # the worker is inside the first synthesis
    speaker.say("Chọn lĩnh vực", "vi")
    speaker.say("Choose a service area", "en")  # the second is stale before the worker reaches it
    speech.gate.set()
    qtbot.waitUntil(lambda: said == ["Choose a service area"], timeout=5000)
    # the first was made but dropped; the stale second was never made
    assert speech.texts == ["Vui lòng đặt thẻ căn cước dưới camera", "Choose a service area"]
    assert speaker.current == "Choose a service area"


def test_a_new_phrase_interrupts_one_playing(qtbot, speaker) -> None:
    said = spoken(speaker)
    long = ("Đặt mặt sau của thẻ căn cước (mặt có mã QR) vào khay, dưới camera, sao cho mã QR nằm trong "
            "khung vàng.")
    with qtbot.waitSignal(speaker.sig_spoken, timeout=5000):
        speaker.say(long, "vi")
    assert speaker.current == long  # ~7 s of speech: still playing
    speaker.set_rate(300)  # the test waits for this one to end
    with qtbot.waitSignal(speaker.sig_spoken, timeout=5000):
        speaker.say("Số của bạn: A không không một", "vi")
    assert said == [long, "Số của bạn: A không không một"]
    assert speaker.current == "Số của bạn: A không không một"
    qtbot.waitUntil(lambda: not speaker.speaking, timeout=10000)
    assert said[-1] == "Số của bạn: A không không một"


def test_stop_silences_and_drops_what_is_being_made(qtbot, speaker, speech) -> None:
    said = spoken(speaker)
    with qtbot.waitSignal(speaker.sig_spoken, timeout=5000):
        speaker.say("Lấy số thứ tự", "vi")
    speaker.stop()
    assert not speaker.speaking
    speech.gate = threading.Event()
    speech.entered.clear()
    speaker.say("Tra cứu hồ sơ", "vi")
    assert speech.entered.wait(5)
    speaker.stop()
    speech.gate.set()
    # the phrase made after stop() never plays: a later one arrives and is the only one after the first
    with qtbot.waitSignal(speaker.sig_spoken, timeout=5000):
        speaker.say("Đánh giá", "vi")
    assert said == ["Lấy số thứ tự", "Đánh giá"]


def test_disabled_says_nothing_and_repeat_says_the_last_phrase_again(qtbot, speaker, speech) -> None:
    said = spoken(speaker)
    speaker.set_enabled(False)
    speaker.say("Lấy số thứ tự", "vi")
    speaker.repeat()
    # nothing is queued for the worker: another (enabled) phrase is the first thing spoken
    speaker.set_enabled(True)
    with qtbot.waitSignal(speaker.sig_spoken, timeout=5000):
        speaker.repeat()  # the Listen button: the screen's phrase, remembered while speech was off
    assert said == ["Lấy số thứ tự"]
    assert speech.texts == ["Lấy số thứ tự"]
    # turning speech off mid-phrase silences it
    speaker.set_enabled(False)
    assert not speaker.speaking


def test_volume_steps_stay_within_bounds(speaker) -> None:
    speaker.set_volume(0.95)
    speaker.volume_up()
    assert speaker.volume == 1.0
    speaker.volume_up()
    assert speaker.volume == 1.0
    speaker.set_volume(0.3)
    speaker.volume_down()
    assert speaker.volume == pytest.approx(0.2)
    for _ in range(5):
        speaker.volume_down()
    assert speaker.volume == 0.0
    speaker.set_volume(7)
    assert speaker.volume == 1.0


def test_the_wipe_stops_forgets_and_puts_the_defaults_back(qtbot, qapp, speech) -> None:
    speaker = Speaker(speech, enabled=True, volume=0.6, rate_wpm=160)
    try:
        said = spoken(speaker)
        with qtbot.waitSignal(speaker.sig_spoken, timeout=5000):
            speaker.say("Nguyễn Văn An", "vi")  # personal: must not survive the session
        speaker.set_volume(1.0)
        speaker.set_rate(120)
        speaker.set_enabled(False)
        speaker.wipe()
        assert not speaker.speaking and speaker.current is None
        assert speech.cleared == 1 and speech.engine.cached == 0
        assert (speaker.enabled, speaker.volume, speaker.rate_wpm) == (True, 0.6, 160)
        speaker.repeat()  # nothing left to repeat
        with qtbot.waitSignal(speaker.sig_spoken, timeout=5000):
            speaker.say("Xin chào", "vi")
        assert said == ["Nguyễn Văn An", "Xin chào"]
    finally:
        speaker.shutdown()
        speaker.deleteLater()


def test_the_real_engine_by_default_and_the_status_says_what_is_missing(qtbot, qapp) -> None:
    from PySide6.QtMultimedia import QMediaDevices

    speaker = Speaker()  # the process's engine through kiosk.app.speech
    try:
        with qtbot.waitSignal(speaker.sig_spoken, timeout=5000) as blocker:
            speaker.say("Lấy số thứ tự", "vi")
        assert blocker.args == ["Lấy số thứ tự"]
        expected = "no_audio_device" if QMediaDevices.defaultAudioOutput().isNull() else "ok"
        assert speaker.status == expected
    finally:
        speaker.shutdown()
        speaker.deleteLater()


def test_no_voice_is_silent_but_still_reported(qtbot, qapp) -> None:
    class NoVoice:
        available = False
        reason = "libespeak-ng not found"

        def load(self) -> bool:
            return False

        def synthesize(self, text: str, language: str, rate_wpm: int = 150) -> bytes:
            return b""

        def clear_cache(self) -> None:
            pass

    speaker = Speaker(NoVoice())
    try:
        assert speaker.status == "no_voice: libespeak-ng not found"
        with qtbot.waitSignal(speaker.sig_spoken, timeout=5000) as blocker:
            speaker.say("Lấy số thứ tự", "vi")  # the transcript still has it
        assert blocker.args == ["Lấy số thứ tự"]
        qtbot.waitUntil(lambda: not speaker.speaking, timeout=2000)
    finally:
        speaker.shutdown()
        speaker.deleteLater()


def test_phrases_play_on_the_audio_device_when_there_is_one(qtbot, speaker) -> None:
    from PySide6.QtMultimedia import QMediaDevices

    if QMediaDevices.defaultAudioOutput().isNull():
        pytest.skip("no audio output device on this machine (the silent path is tested above)")
    assert speaker.status == "ok"
    with qtbot.waitSignal(speaker.sig_spoken, timeout=5000):
        speaker.say("Lấy số thứ tự", "vi")
    assert speaker.audible and speaker.speaking
    speaker.volume_down()  # applied to the phrase playing
    qtbot.waitUntil(lambda: not speaker.speaking, timeout=10000)  # played to the end
    assert not speaker.audible
    with qtbot.waitSignal(speaker.sig_spoken, timeout=5000):
        speaker.say("Vui lòng đặt thẻ căn cước dưới camera", "vi")
    with qtbot.waitSignal(speaker.sig_spoken, timeout=5000):
        speaker.say("Choose a service area", "en")  # interrupts the one playing
    assert speaker.audible and speaker.current == "Choose a service area"
    speaker.stop()
    assert not speaker.audible and not speaker.speaking
