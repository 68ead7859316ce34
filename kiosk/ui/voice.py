"""The kiosk's voice (issue 21, ADA 707.5): each screen's title and instruction as it opens, each focused
field's label, value and help, and what changes on a screen (a ticket printed, a payment received).

It says only what the screen shows, read off the widgets (``Screen.spoken_text``): never a second script that
could drift from the screen. Speech on/off, volume and rate are the citizen's for the session; the wipe puts
the configured defaults back (``speech.enabled``, ``speech.volume``, ``speech.rate``). Synthesis and playback
are the :class:`~kiosk.ui.bridges.speech.Speaker`'s, off the GUI thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFrame

from kiosk.ui.bridges.speech import Speaker

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from kiosk.core.session import Session


class Voice(QObject):
    sig_said = Signal(str, str)
    """(screen state, phrase) as each phrase starts, a field's value left out (the walkthrough's transcript,
    a file: what the citizen typed is heard at the kiosk, not kept)."""

    def __init__(self, session: Session, *, enabled: bool = True, volume: float = 0.8, rate_wpm: int = 150,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.speaker = Speaker(enabled=enabled, volume=volume, rate_wpm=rate_wpm, parent=self)
        self.speaker.sig_spoken.connect(self._on_speaker_spoken)
        self._without_value: tuple[str, str] | None = None  # the last field phrase, and it without the value
        self.bar: SpeechBar | None = None  # the header's "Nghe / Listen" opens it

    def say_screen(self, screen: Any) -> None:  # a kiosk.ui.screens.base.Screen (not imported: a cycle)
        """The screen's title and instruction, as shown; interrupts whatever was being said."""
        self.say(screen.spoken_text())

    def say(self, text: str) -> None:
        self.speaker.say(text, self.session.language)

    def say_field(self, widget: QWidget) -> None:
        """A field got the focus: its label, its value and its help, as the form shows them."""
        label = str(widget.property("spoken_label") or "")
        value = widget.text() if hasattr(widget, "text") else ""
        after = [str(widget.property("spoken_error") or ""),  # what to fix comes first
                 str(widget.property("spoken_help") or "")]
        text = _sentences([label, value, *after])
        if text:
            self._without_value = (text, _sentences([label, "…" if value else "", *after]))
            self.say(text)

    def repeat(self) -> None:
        self.speaker.repeat()

    def retranslate_ui(self, language: str) -> None:
        if self.bar is not None:
            self.bar.retranslate_ui(language)

    def wipe(self) -> None:
        """The session ended: silence, and the configured on/off, volume and rate again."""
        self.speaker.wipe()
        if self.bar is not None:
            self.bar.hide()

    @property
    def status(self) -> str:
        return self.speaker.status

    def _on_window_screen_changed(self, state: str) -> None:
        from kiosk.core.session import State

        self.say_screen(self.parent().screens[State(state)])

    def _on_app_focus_changed(self, _old: Any, new: Any) -> None:
        if new is not None and new.property("spoken_label") and self.parent().isAncestorOf(new):
            self.say_field(new)

    def _on_speaker_spoken(self, text: str) -> None:
        if self._without_value is not None and self._without_value[0] == text:
            text = self._without_value[1]
        self.sig_said.emit(str(self.session.state), text)

    def shutdown(self) -> None:
        self.speaker.shutdown()



def _sentences(parts: list[str]) -> str:
    return " ".join(p if p[-1] in ".?!:…" else p + "." for p in (p.strip() for p in parts) if p)


class SpeechBar(QFrame):
    """Under the header, opened by "Nghe / Listen": hear the screen again, quieter, louder, speech off or on.
    What the citizen sets lasts for the session (the wipe closes the bar and restores the defaults)."""

    def __init__(self, voice: Voice) -> None:
        super().__init__()
        from PySide6.QtWidgets import QHBoxLayout

        from kiosk.ui.widgets import button

        self.voice = voice
        self.setObjectName("speech-bar")
        self.setProperty("role", "panel")
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 6, 16, 6)
        self.again = button(None, voice.repeat, name="speech-again")
        self.quieter = button(None, self._on_quieter_clicked, name="speech-quieter")
        self.louder = button(None, self._on_louder_clicked, name="speech-louder")
        self.on_off = button(None, self._on_on_off_clicked, name="speech-on-off")
        self.close_button = button(None, self.hide, name="speech-close")
        for b in (self.again, self.quieter, self.louder, self.on_off, self.close_button):
            row.addWidget(b)
        self.language = "vi"

    def _on_quieter_clicked(self) -> None:
        self.voice.speaker.volume_down()
        self.voice.repeat()  # heard at the new volume

    def _on_louder_clicked(self) -> None:
        self.voice.speaker.volume_up()
        self.voice.repeat()

    def _on_on_off_clicked(self) -> None:
        speaker = self.voice.speaker
        speaker.set_enabled(not speaker.enabled)
        if speaker.enabled:
            self.voice.repeat()
        self.retranslate_ui(self.language)

    def retranslate_ui(self, language: str) -> None:
        from kiosk.ui.i18n import tr

        self.language = language
        volume = round(self.voice.speaker.volume * 100)
        self.again.setText(tr({"vi": "Nghe lại", "en": "Hear again"}, language))
        self.quieter.setText(tr({"vi": "− Nhỏ hơn", "en": "− Quieter"}, language))
        self.louder.setText(tr({"vi": f"+ To hơn ({volume}%)", "en": f"+ Louder ({volume}%)"}, language))
        self.on_off.setText(tr({"vi": "Tắt giọng đọc", "en": "Speech off"} if self.voice.speaker.enabled
                               else {"vi": "Bật giọng đọc", "en": "Speech on"}, language))
        self.close_button.setText(tr({"vi": "✕ Đóng", "en": "✕ Close"}, language))


def attach_voice(window: Any, settings: Any) -> Voice:
    """Give the window its voice: each screen said as it opens, each focused field as it is touched, silence
    and the configured defaults again at the wipe."""
    from PySide6.QtWidgets import QApplication

    speech = settings.speech
    voice = Voice(window.session, enabled=bool(speech["enabled"]), volume=float(speech["volume"]),
                  rate_wpm=int(speech["rate"]), parent=window)
    window.ctx.voice = voice
    # slots of the voice, a child of the window: Qt disconnects them when the window goes
    window.sig_screen_changed.connect(voice._on_window_screen_changed)
    QApplication.instance().focusChanged.connect(voice._on_app_focus_changed)
    window.session.on_wipe(voice.wipe)
    # "Nghe / Listen" in the header on every screen: the screen again, and the bar with volume and on/off
    from kiosk.ui.widgets import button

    voice.bar = bar = SpeechBar(voice)
    bar.hide()
    window.layout().insertWidget(1, window.style_part(bar))
    window.listen_button = listen = button("header", lambda: (voice.repeat(), bar.show(),
                                                              bar.retranslate_ui(window.session.language)),
                                           name="header-listen")
    listen.setSizePolicy(listen.sizePolicy().horizontalPolicy().Fixed, listen.sizePolicy().verticalPolicy())
    header_row = window.text_size_button.parentWidget().layout()
    header_row.insertWidget(header_row.indexOf(window.text_size_button), listen)
    bar.retranslate_ui(window.session.language)
    window.refresh_header()
    return voice
