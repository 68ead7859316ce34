"""The idle countdown: "Are you still there?" over the window, and the session wiped when nobody answers.

A kiosk is left mid-journey all the time; what the last citizen typed must not wait for the next one
(DESIGN.md section 10). The session counts the idle time; this asks it four times a second and shows the
countdown, never while a dossier is being committed and printed.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QVBoxLayout, QWidget

from kiosk.core.session import Session
from kiosk.ui.i18n import tr
from kiosk.ui.widgets import button, label, set_qt_enum


class IdleOverlay(QFrame):
    """"Are you still there?" with the seconds left before the session is wiped."""

    sig_continue = Signal()
    """The citizen is still there."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("idle-overlay")
        self.setProperty("role", "overlay")
        self.hide()
        #: the language its texts are to be in (retranslate_ui before its content is built)
        self._language = "vi"
        self._built = False

    def build(self) -> None:
        """Its content, once: not with the window, whose first paint has no use for it (~2 ms before the home
        screen shows), but by the window's warm-up, or when the countdown first shows if that comes first."""
        if self._built:
            return
        self._built = True
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        box = QFrame(self)
        box.setProperty("role", "dialog")
        inner = QVBoxLayout(box)
        inner.setContentsMargins(48, 36, 48, 36)
        self.question = label(role="title")
        self.seconds = label(role="big")
        self.seconds.setObjectName("idle-seconds")
        set_qt_enum(self.seconds, "alignment", "AlignCenter")
        self.explain = label()
        self.continue_button = button("primary", self.sig_continue.emit, name="idle-continue")
        for w in (self.question, self.seconds, self.explain, self.continue_button):
            inner.addWidget(w)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(box, 3)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(1)
        self.retranslate_ui(self._language)

    def show_remaining(self, seconds: float, language: str) -> None:
        self.build()
        self.seconds.setText(str(max(0, int(seconds + 0.999))))
        self.retranslate_ui(language)
        if not self.isVisible():
            self.setGeometry(self.parentWidget().rect())
            self.show()
            self.raise_()

    def retranslate_ui(self, language: str) -> None:
        self._language = language
        if not self._built:
            return
        self.question.setText(tr({"vi": "Bạn vẫn đang sử dụng kiosk?", "en": "Are you still there?"}, language))
        self.explain.setText(tr({"vi": "Để bảo vệ thông tin của bạn, kiosk sẽ xoá mọi thông tin đã nhập và "
                                       "trở về trang chủ sau số giây trên.",
                                 "en": "To protect your data, the kiosk will clear everything you entered and "
                                       "return home after these seconds."}, language))
        self.continue_button.setText(tr({"vi": "Tôi vẫn đang dùng — tiếp tục", "en": "I'm still here — continue"},
                                        language))


class IdleWatch(QObject):
    """Asks the session four times a second whether the citizen left, and shows the countdown."""

    CHECK_MS = 250

    def __init__(self, session: Session, overlay: IdleOverlay, busy: Callable[[], bool],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.overlay = overlay
        self._busy = busy  # True while a dossier is committed and printed: never wipe then
        overlay.sig_continue.connect(self._on_overlay_continue)
        self._timer = QTimer(self)
        self._timer.setInterval(self.CHECK_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._timer.start()

    def _on_timer_timeout(self) -> None:
        if self._busy():
            self.session.touch()  # never wipe in the middle of committing and printing
            return
        if self.session.check_idle():
            return
        remaining = self.session.countdown_remaining()
        if remaining is None:
            if self.overlay.isVisible():
                self.overlay.hide()
        else:
            self.overlay.show_remaining(remaining, self.session.language)

    def _on_overlay_continue(self) -> None:
        self.session.touch()
        self.overlay.hide()

    def stop(self) -> None:
        self._timer.stop()
