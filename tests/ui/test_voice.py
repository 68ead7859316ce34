"""The kiosk's voice says what the screen shows (issue 21): each screen's title and instruction as it opens, in
the language on screen; the ticket number spelt out; a touched field's label, value and help; nothing when off."""

from __future__ import annotations

import pytest

from kiosk.core.samples import sample_payload
from kiosk.core.session import State


def _sentences(*texts: str) -> str:
    return " ".join(t if t[-1] in ".?!:…" else t + "." for t in (t.strip() for t in texts) if t)


@pytest.fixture()
def said(kiosk, qtbot):
    """Every phrase the voice starts to say, in order (the speaker runs silent here: no audio device)."""
    phrases: list[tuple[str, str]] = []
    voice = kiosk.ctx.voice
    assert voice is not None, "the warm-up gives the window its voice"
    voice.sig_said.connect(lambda state, text: phrases.append((state, text)))
    yield phrases
    voice.sig_said.disconnect()


def _phrase_for(said, qtbot, state: State) -> str:
    qtbot.waitUntil(lambda: any(s == state for s, _ in said), timeout=10000)
    return [t for s, t in said if s == state][-1]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_each_screen_says_the_title_and_instruction_it_shows(driver, kiosk, qtbot, said, language):
    if kiosk.session.language != language:
        driver.click("header-language")
    qtbot.waitUntil(lambda: kiosk.session.language == language)
    cases = [("tile-number", State.NUMBER, ("area_prompt",)), ("tile-procedure", State.PROCEDURE, ("prompt",)),
             ("tile-lookup", State.LOOKUP, ("prompt",)), ("tile-rating", State.RATING, ("prompt",))]
    for tile, state, instruction in cases:
        driver.click(tile)
        driver.on(state)
        screen = kiosk.screens[state]
        shown = [kiosk.title.text()] + [getattr(screen, name).text() for name in instruction]
        assert all(shown), (state, shown)  # a title and an instruction are on screen
        assert _phrase_for(said, qtbot, state) == _sentences(*shown)
        driver.click("header-home")
        driver.on(State.HOME)
    # into a dossier: the consent text and the card instructions, as shown
    driver.click("tile-procedure")
    driver.on(State.PROCEDURE)
    driver.click("procedure-dang-ky-khai-sinh")
    driver.on(State.DETAILS)
    details = kiosk.screens[State.DETAILS]
    assert _phrase_for(said, qtbot, State.DETAILS) == _sentences(
        kiosk.title.text(), details.name.text(), details.facts.text(), details.documents_title.text(),
        details.documents.text())
    driver.click("details-start")
    driver.on(State.CONSENT)
    assert _phrase_for(said, qtbot, State.CONSENT) == _sentences(kiosk.title.text(),
                                                                 kiosk.screens[State.CONSENT].text.text())
    driver.click("consent-agree")
    driver.on(State.IDENTIFY)
    assert _phrase_for(said, qtbot, State.IDENTIFY) == _sentences(
        kiosk.title.text(), kiosk.screens[State.IDENTIFY].instructions.text())
    driver.click("header-home")
    driver.on(State.HOME)


def test_the_ticket_number_is_spelt_out_with_the_people_ahead(driver, kiosk, qtbot, said):
    from kiosk.app.speech import spell_ticket

    screen = driver.take_number()
    qtbot.waitUntil(lambda: screen.print_state == "printed", timeout=30000)
    number = screen.ticket_number.text()
    spelt = spell_ticket(number, "vi")
    assert spelt.split()[0] == number[0] and len(spelt.split()) == len(number)  # each character a word
    qtbot.waitUntil(lambda: any(spelt in t for _, t in said), timeout=10000)
    phrase = next(t for _, t in reversed(said) if spelt in t)
    assert screen.ticket_info.text().split("\n")[0] in phrase  # the people ahead, as the screen says it
    assert number not in phrase.replace(spelt, "")  # not "A003" read as a word
    driver.click("ticket-done")
    driver.on(State.HOME)


def test_a_touched_field_says_its_label_value_and_help(driver, kiosk, qtbot, said):
    driver.to_form(sample_payload(0))
    field = driver.find("field-declarant_full_name")
    row_label = field.property("spoken_label")
    assert row_label and "Họ" in row_label
    heard: list[str] = []
    kiosk.ctx.voice.speaker.sig_spoken.connect(heard.append)
    try:
        driver.click(field)
        qtbot.waitUntil(lambda: any(t.startswith(row_label) for t in heard), timeout=10000)
    finally:
        kiosk.ctx.voice.speaker.sig_spoken.disconnect(heard.append)
    phrase = next(t for t in reversed(heard) if t.startswith(row_label))
    assert field.text() in phrase  # the name read from the card, after the label: heard at the kiosk
    transcript = next(t for _, t in reversed(said) if t.startswith(row_label))
    assert field.text() not in transcript and "…" in transcript  # but not written to a transcript
    driver.click("header-home")
    driver.on(State.HOME)


def test_speech_off_says_nothing_and_the_wipe_turns_it_back_on(driver, kiosk, qtbot, said):
    voice = kiosk.ctx.voice
    voice.speaker.set_enabled(False)
    with qtbot.assertNotEmitted(voice.sig_said, wait=300):  # a phrase that must not come
        driver.click("tile-lookup")
        driver.on(State.LOOKUP)
    driver.click("header-home")  # the wipe: the next citizen hears the kiosk again
    driver.on(State.HOME)
    assert voice.speaker.enabled


def test_listen_in_the_header_says_the_screen_again_and_opens_volume_and_on_off(driver, kiosk, qtbot, said):
    voice = kiosk.ctx.voice
    driver.click("tile-lookup")
    driver.on(State.LOOKUP)
    listen = driver.find("header-listen")
    assert listen.isVisible() and listen.text() == "Nghe"
    first = _phrase_for(said, qtbot, State.LOOKUP)
    said.clear()
    driver.click(listen)
    qtbot.waitUntil(lambda: bool(said), timeout=10000)
    assert said[-1][1] == first  # the same screen, again
    bar = driver.find("speech-bar")
    assert bar.isVisible()
    before = voice.speaker.volume
    driver.click("speech-louder")
    assert voice.speaker.volume > before and "To hơn" in driver.find("speech-louder").text()
    driver.click("speech-on-off")
    assert not voice.speaker.enabled and driver.find("speech-on-off").text() == "Bật giọng đọc"
    driver.click("header-home")  # the wipe: the next citizen gets the configured voice and no bar
    driver.on(State.HOME)
    assert voice.speaker.enabled and voice.speaker.volume == before and not bar.isVisible()
