"""The kiosk window: a header that is always there (back, title, text size, contrast, language, home),
the stacked screens, the on-screen keyboard, and the idle countdown over everything."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.app.services import Services
from kiosk.core.session import Session, State, TransitionError
from kiosk.ui.bridges.camera import CameraBridge
from kiosk.ui.bridges.printer import PrintBridge
from kiosk.ui.bridges.sender import SenderBridge
from kiosk.ui.bridges.tasks import TaskRunner
from kiosk.ui.i18n import tr
from kiosk.ui.screens.base import Screen
from kiosk.ui.screens.home import HomeScreen
from kiosk.ui.theme import Theme
from kiosk.ui.widgets import ACTIVITY_LISTENERS, button, label

if TYPE_CHECKING:
    from kiosk.ui.keyboard import OnScreenKeyboard
    from kiosk.ui.submission import Submission

log = logging.getLogger("kiosk.ui")

W = TypeVar("W", bound=QWidget)

#: Acknowledgements kept for Submission (an ack may overtake its dossier's commit callback): the newest only,
#: since the sender acks every dossier the kiosk ever filed and an all-day kiosk must not keep them all.
ACKS_KEPT = 64


def _is_text_field(widget: QWidget) -> bool:
    """A field the on-screen keyboard types into. Asked of Qt by class name: importing QLineEdit and
    QPlainTextEdit here would make PySide build their enums (~2-3 ms) before the home screen is shown."""
    return widget.inherits("QLineEdit") or widget.inherits("QPlainTextEdit")


#: Every screen, in stack order, as (state, module, class). Only the home screen is imported and built
#: before the window is shown; the others (the forms pull in jsonschema and the whole catalogue) are built
#: by the warm-up right after, or on demand if a citizen is quicker than the warm-up.
SCREENS = [
    (State.HOME, "home", "HomeScreen"), (State.NUMBER, "number", "NumberScreen"),
    (State.PROCEDURE, "procedures", "ProcedureScreen"), (State.DETAILS, "details", "DetailsScreen"),
    (State.CONSENT, "consent", "ConsentScreen"), (State.IDENTIFY, "identify", "IdentifyScreen"),
    (State.FORM, "form", "FormScreen"), (State.WARD, "ward", "WardScreen"), (State.REVIEW, "review", "ReviewScreen"),
    (State.SUBMITTING, "submitting", "SubmittingScreen"), (State.DONE, "done", "DoneScreen"),
    (State.LOOKUP, "lookup", "LookupScreen"), (State.RATING, "rating", "RatingScreen"),
]


class ScreenTable(dict):
    """State -> screen; a screen not built yet is built when first asked for."""

    def __init__(self, build: Callable[[State], Screen]) -> None:
        super().__init__()
        self._build = build

    def __missing__(self, state: State) -> Screen:
        return self._build(State(state))


class IdleOverlay(QFrame):
    """"Are you still there?" with the seconds left before the session is wiped."""

    sig_continue = Signal()
    """The citizen is still there."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("idle-overlay")
        self.setProperty("role", "overlay")
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        box = QFrame(self)
        box.setProperty("role", "dialog")
        inner = QVBoxLayout(box)
        inner.setContentsMargins(48, 36, 48, 36)
        self.question = label(role="title")
        self.seconds = label(role="big")
        self.seconds.setObjectName("idle-seconds")
        self.seconds.setAlignment(Qt.AlignmentFlag.AlignCenter)
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
        self.hide()

    def show_remaining(self, seconds: float, language: str) -> None:
        self.seconds.setText(str(max(0, int(seconds + 0.999))))
        self.retranslate_ui(language)
        if not self.isVisible():
            self.setGeometry(self.parentWidget().rect())
            self.show()
            self.raise_()

    def retranslate_ui(self, language: str) -> None:
        self.question.setText(tr({"vi": "Bạn vẫn đang sử dụng kiosk?", "en": "Are you still there?"}, language))
        self.explain.setText(tr({"vi": "Để bảo vệ thông tin của bạn, kiosk sẽ xoá mọi thông tin đã nhập và "
                                       "trở về trang chủ sau số giây trên.",
                                 "en": "To protect your data, the kiosk will clear everything you entered and "
                                       "return home after these seconds."}, language))
        self.continue_button.setText(tr({"vi": "Tôi vẫn đang dùng — tiếp tục", "en": "I'm still here — continue"},
                                        language))


class KioskWindow(QWidget):
    sig_screen_changed = Signal(str)
    """A screen is now shown (its state name)."""
    sig_ticket_issued = Signal(dict)
    """A queue ticket was issued and rendered (number, path, offline...)."""
    sig_lookup_done = Signal(dict)
    """A look-up ended (the result, or {} when nothing was found)."""
    sig_feedback_sent = Signal(bool)
    """A rating was delivered (True) or could not be (False)."""
    sig_printed = Signal(str, bool)
    """A print job ended: (tag, ok)."""
    sig_wiped = Signal()
    """The session was wiped (idle, finished or home)."""
    sig_focus_changed = Signal(object)
    """A field inside the window took the focus."""
    sig_warmed_up = Signal()
    """Every screen is built and every one-off cost paid (see ``warmed_up``)."""
    sig_printer_status = Signal(object)
    """The printer's last status came back from the print worker (device.printer.PrinterStatus)."""

    def __init__(self, services: Services, session: Session | None = None, theme: Theme | None = None,
                 kiosk_mode: bool = False, autoplay_video: bool = True, thanks_ms: int = 5000,
                 ack_wait_ms: int = 6000) -> None:
        super().__init__()
        self.setObjectName("kiosk-window")
        self.log = log
        self.services = services
        settings = services.settings
        self.session = session or Session(settings.idle_timeout_s, settings.idle_countdown_s)
        self.session.language = settings.language
        self.theme = theme or Theme(dpi=settings.screen_dpi or 96.0, large_text=settings.large_text,
                                    high_contrast=settings.high_contrast)
        self.kiosk_mode = kiosk_mode
        self.autoplay_video = autoplay_video
        self.thanks_ms = thanks_ms
        self.acks: dict[str, tuple[str, str]] = {}
        self._camera_wanted = False
        self.online: bool | None = None

        # A citizen's requests (tickets, look-ups) never queue behind the kiosk's own chores (heartbeat,
        # ratings already thanked for): on a lossy network a heartbeat held a ticket 21 s.
        self.backend_runner = TaskRunner("backend", parent=self)
        self.chores_runner = TaskRunner("chores", parent=self)
        self.disk_runner = TaskRunner("disk", parent=self)
        self.wards_runner = TaskRunner("wards", parent=self)
        self.camera = CameraBridge(services.camera_factory, every_nth=int(settings.camera.get("decode_every_nth", 2)),
                                   parent=self)
        self._printer: PrintBridge | None = None
        self._print_callbacks: dict[str, list[Callable[[bool, dict | None], None]]] = {}
        self._init_printer_watch()
        self.sender_bridge = SenderBridge(self)
        self.sender_bridge.sig_acknowledged.connect(self._on_sender_acknowledged)
        self.sender_bridge.sig_rejected.connect(self._on_sender_rejected)
        self.sender_bridge.sig_online.connect(self._on_sender_online)
        from kiosk.ui.health import KioskHealth

        #: what each part can do now, for the home tiles (started once the warm-up has attached the devices)
        self.health = KioskHealth(self)
        self.sig_warmed_up.connect(self.health.start)
        self._ack_wait_ms = ack_wait_ms
        self._submission: Submission | None = None
        #: True once every screen is built and every one-off cost is paid (kiosk.ui.app.start_warm_up);
        #: journeys started before that still work, they may only wait for what they need.
        self.warmed_up = False
        self._later: list[Callable[[], Any]] = []  # see run_in_turns

        #: The style sheet is set on each part of the window (header, each screen, keyboard, overlays), not
        #: on the window: a sheet on the window restyles all ~1,200 widgets at once when the theme changes
        #: (~70-120 ms frozen); per part, the hidden ones are restyled one per turn (see apply_theme).
        self._sheet = self.theme.stylesheet()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._build_header())
        self.stack = QStackedWidget()
        # The keyboard takes its room from the screen above it rather than growing the window.
        self.stack.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        layout.addWidget(self.stack, 1)
        # the keyboard is built with the first screen that has fields (home has none), below the stack
        self._keyboard: OnScreenKeyboard | None = None

        self.screens: dict[State, Screen] = ScreenTable(self._build_screen)
        self.screens[State.HOME] = self.style_part(HomeScreen(self))
        self.stack.addWidget(self.screens[State.HOME])
        self.overlay = self.style_part(IdleOverlay(self))
        self.overlay.sig_continue.connect(self._on_overlay_continue)
        from kiosk.ui.maintenance.panel import CornerGesture

        self.corner = CornerGesture(self, taps=int(settings.maintenance.get("gesture_taps", 5)),
                                    window_s=float(settings.maintenance.get("gesture_window_s", 3.0)))
        self.corner.sig_triggered.connect(self._on_corner_triggered)

        self.session.on_state(self._on_session_state)
        self.session.on_wipe(self._on_session_wipe)
        self._idle_timer = QTimer(self)
        self._idle_timer.setInterval(250)
        self._idle_timer.timeout.connect(self._on_idle_timer_timeout)
        self._idle_timer.start()
        self._heartbeat_timer = QTimer(self)
        self._heartbeat_timer.setInterval(int(settings.heartbeat_interval_s * 1000))
        self._heartbeat_timer.timeout.connect(self.send_heartbeat)
        self._heartbeat_timer.start()
        QApplication.instance().focusChanged.connect(self._on_app_focus_changed)
        ACTIVITY_LISTENERS.append(self.session.touch)
        self.retranslate_ui()
        self._show(State.HOME)

    @property
    def keyboard(self) -> OnScreenKeyboard:
        if self._keyboard is None:
            from kiosk.ui.keyboard import OnScreenKeyboard

            keyboard = self.style_part(OnScreenKeyboard())
            keyboard.setFixedHeight(self._keyboard_height(self.theme))
            keyboard.sig_hide_requested.connect(self._on_keyboard_hide_requested)
            keyboard.sig_enter_pressed.connect(self._on_keyboard_enter_pressed)
            keyboard.sig_key_pressed.connect(lambda _key: self.session.touch())
            keyboard.hide()
            keyboard.retranslate_ui(self.session.language)
            self.layout().addWidget(keyboard)
            self._keyboard = keyboard
        return self._keyboard

    @property
    def submission(self) -> Submission:
        if self._submission is None:
            from kiosk.ui.submission import Submission

            self._submission = Submission(self, ack_wait_ms=self._ack_wait_ms)
        return self._submission

    def _build_screen(self, state: State) -> Screen:
        import importlib

        index, module, name = next((i, m, n) for i, (s, m, n) in enumerate(SCREENS) if s == state)
        cls = getattr(importlib.import_module(f"kiosk.ui.screens.{module}"), name)
        screen = self.style_part(cls(self))
        self.screens[state] = screen
        # keep the stack in SCREENS order, whatever order the screens are built in
        position = sum(1 for s, _m, _n in SCREENS[:index] if s in self.screens)
        self.stack.insertWidget(position, screen)
        screen.retranslate_ui()
        return screen

    def warm_up_steps(self) -> list[Callable[[], Any]]:
        """The GUI-thread part of the warm-up, in short steps: build each screen, then style, lay out
        and paint it once offscreen (a first showing otherwise costs tens of milliseconds of polish and
        layout while a citizen waits). For ``run_in_turns``."""
        steps: list[Callable[[], Any]] = []
        for state, _module, _name in SCREENS:
            steps.append(lambda s=state: self.screens[s])
            steps.append(lambda s=state: self.paint_offscreen(self.screens[s]))
            if state == State.FORM:  # its pages: a step may return more steps, run next
                steps.append(lambda: [step for proc in self.services.catalogue
                                      for step in self.screens[State.FORM].page_steps(proc.id)])
        steps.append(lambda: self.paint_offscreen(self.keyboard))
        steps.append(lambda: self.paint_offscreen(self.overlay))
        steps.append(lambda: self.submission)
        return steps

    def paint_offscreen(self, widget: QWidget) -> None:
        """Style, lay out and paint ``widget`` once, unseen: its first showing is then cheap."""
        size = self.stack.size() if self.stack.width() > 100 else self.size()
        self.ensurePolished()
        widget.ensurePolished()
        if widget is not self.overlay:
            widget.resize(size.width(), widget.height() if widget is self.keyboard else size.height())
        widget.grab()

    # --- building ---------------------------------------------------------------------------------
    @staticmethod
    def _keyboard_height(theme: Theme) -> int:
        # five rows of keys at least one touch target tall (+ padding and borders), spacing, margins
        return 5 * (theme.touch_px + 12) + 4 * 6 + 16 + 4

    def _build_header(self) -> QFrame:
        header = QFrame()
        header.setProperty("role", "header")
        self.style_part(header)
        row = QHBoxLayout(header)
        row.setContentsMargins(16, 10, 56, 10)  # the top-right corner is the maintenance gesture's
        row.setSpacing(12)
        self.back_button = button("header", self.back, name="header-back")
        self.title = label(wrap=False)
        self.title.setObjectName("header-title")
        self.text_size_button = button("header", self.toggle_large_text, name="header-text-size")
        self.contrast_button = button("header", self.toggle_high_contrast, name="header-contrast")
        self.language_button = button("header", self.toggle_language, name="header-language")
        self.home_button = button("header", self.go_home, name="header-home")
        for b in (self.back_button, self.text_size_button, self.contrast_button, self.language_button,
                  self.home_button):
            b.setSizePolicy(b.sizePolicy().horizontalPolicy().Fixed, b.sizePolicy().verticalPolicy())
        row.addWidget(self.back_button)
        row.addWidget(self.title, 1)
        if self.services.settings.demo:
            # a demo's sample ward and test citizens must never be taken for a real ward's kiosk
            demo = label("BẢN TRÌNH DIỄN / DEMO", role="badge", wrap=False)
            demo.setObjectName("header-demo")
            row.addWidget(demo)
        row.addWidget(self.text_size_button)
        row.addWidget(self.contrast_button)
        row.addWidget(self.language_button)
        row.addWidget(self.home_button)
        return header

    # --- devices and background work ---------------------------------------------------------------
    def attach_printer(self, print_worker: Any) -> None:
        self._printer = PrintBridge(print_worker, self)
        self._printer.sig_printed.connect(self._on_printer_printed)
        self._printer.sig_status.connect(self._on_printer_status)
        self.refresh_printer_status()

    def attach_sender(self) -> None:
        self.services.start_sender(self.sender_bridge.on_acknowledged, self.sender_bridge.on_rejected,
                                   self.sender_bridge.on_state)

    def start_camera(self) -> None:
        """Start the camera on the next turn of the event loop, so the new screen paints first."""
        self._camera_wanted = True
        QTimer.singleShot(0, self._start_camera_now)

    def _start_camera_now(self) -> None:
        if self._camera_wanted and not self.camera.running:
            self.camera.start()

    def stop_camera(self) -> None:
        self._camera_wanted = False
        self.camera.stop()

    def watch_camera(self, on_decoded: Callable[[str], Any], on_frame: Callable | None = None,
                     on_status: Callable | None = None) -> Callable[[], None]:
        """The camera on while a screen is shown, its reads (and preview frames, status) to the screen's slots;
        returns what the screen calls when it leaves: the slots cut and the camera stopped."""
        unsubscribe = self.camera.subscribe(on_decoded, on_frame, on_status)
        self.start_camera()

        def unwatch() -> None:
            unsubscribe()
            self.stop_camera()

        return unwatch

    def take_ticket(self, area: dict, priority: str, on_done: Callable[[dict], None],
                    on_error: Callable[[BaseException], None]) -> None:
        self.backend_runner.run(lambda: self.services.issue_ticket(area, priority), on_done, on_error)

    def print_document(self, tag: str, path: Any, callback: Callable[[bool, dict | None], None],
                       media: str | None = None) -> None:
        key = f"{tag}:{path}"
        if self._printer is None:
            callback(False, {"vi": "chưa kết nối máy in", "en": "no printer attached"})
            self.sig_printed.emit(tag, False)
            return
        self._print_callbacks.setdefault(key, []).append(callback)
        try:
            self._printer.submit(key, path, media)
        except Exception as err:
            log.error("print job refused: %r", err)
            self._on_printer_printed(key, err)

    def _on_printer_printed(self, key: str, outcome: Any) -> None:
        ok = not isinstance(outcome, BaseException) and getattr(outcome, "ok", True) is not False
        message = getattr(outcome, "message", None) if not ok else None
        if not ok:
            log.warning("print failed: %s", getattr(outcome, "code", outcome))
        self._note_print_outcome(key.split(":", 1)[0], outcome, ok)
        for callback in self._print_callbacks.pop(key, []):
            callback(ok, message if isinstance(message, dict) else None)
        self.sig_printed.emit(key.split(":", 1)[0], ok)

    def _on_sender_acknowledged(self, local_ref: str, dossier_code: str, appointment: str) -> None:
        self.acks[local_ref] = (dossier_code, appointment)
        while len(self.acks) > ACKS_KEPT:  # oldest first (dicts keep insertion order)
            del self.acks[next(iter(self.acks))]
        self.submission.on_acknowledged(local_ref, dossier_code, appointment)

    def _on_sender_rejected(self, local_ref: str, message: dict) -> None:
        self.submission.on_rejected(local_ref, message)

    def _on_sender_online(self, online: bool) -> None:
        self.online = online

    # --- the printer's state, failed prints and reprints (issue 16) ---------------------------------
    #: While a screen or page shows "Print again", the printer is asked this often, so the button enables
    #: by itself once paper is back (a printer does not say when it is refilled).
    PRINTER_POLL_MS = 2000

    def _init_printer_watch(self) -> None:
        from kiosk.ui.printing import FailedPrints

        #: the printer's last status from the print worker; None until it first answered
        self.printer_status: Any = None
        #: the last tickets and receipts that failed to print (maintenance lists them, with a reprint)
        self.failed_prints = FailedPrints()
        self._printer_watchers = 0
        self._printer_poll = QTimer(self)
        self._printer_poll.setInterval(self.PRINTER_POLL_MS)
        self._printer_poll.timeout.connect(self.refresh_printer_status)

    def refresh_printer_status(self) -> None:
        """Ask the print worker for the printer's status; the answer comes as ``sig_printer_status``."""
        if self._printer is not None:
            self._printer.request_status()

    def watch_printer(self) -> Callable[[], None]:
        """Keep the printer's status fresh while a "Print again" is shown; returns what stops it."""
        self._printer_watchers += 1
        self._printer_poll.start()
        self.refresh_printer_status()
        done = False

        def unwatch() -> None:
            nonlocal done
            if not done:
                done = True
                self._printer_watchers -= 1
                if self._printer_watchers <= 0:
                    self._printer_poll.stop()

        return unwatch

    def _on_printer_status(self, status: Any) -> None:
        self.printer_status = status
        self.sig_printer_status.emit(status)

    def _note_print_outcome(self, tag: str, outcome: Any, ok: bool) -> None:
        from kiosk.ui.printing import KINDS

        path = getattr(outcome, "path", None)
        if path is not None and ok:
            self.failed_prints.discard(path)
        elif path is not None and tag in KINDS:
            self.failed_prints.add(tag, path, getattr(outcome, "media", None), getattr(outcome, "code", ""))
        if not ok:
            self.refresh_printer_status()  # what went wrong, for the screens' "Print again"

    def send_heartbeat(self) -> None:
        """One heartbeat to the province: every backend.heartbeat_interval_s, and once at start-up."""
        from kiosk.ui.heartbeat import send_heartbeat

        send_heartbeat(self)  # printer, outbox and HTTP off the GUI thread

    # --- navigation --------------------------------------------------------------------------------
    @property
    def current(self) -> Screen:
        return self.screens[self.session.state]

    def go(self, state: State) -> None:
        try:
            self.session.go(state)
        except TransitionError as err:
            log.error("navigation refused: %s", err)

    def back(self) -> None:
        screen = self.current
        if screen.handle_back():
            return
        if not screen.can_go_back():
            return
        self.session.back()

    def go_home(self) -> None:
        self.session.wipe()

    def _on_session_state(self, state: State) -> None:
        if state in (State.NUMBER, State.PROCEDURE, State.DETAILS):
            self.refresh_printer_status()  # a journey starts: know the printer before the last tap
        self._show(state)

    def _show(self, state: State) -> None:
        target = self.screens[state]
        old = self.stack.currentWidget()
        focused = QApplication.focusWidget()
        if focused is not None and self.isAncestorOf(focused):
            focused.clearFocus()
        if target.wants_keyboard or self._keyboard is not None:
            self.keyboard.setVisible(target.wants_keyboard)
        if isinstance(old, Screen) and old is not target:
            old.leave()
        self.run_in_turns(self._restyle(target))  # shown before its turn came, after a theme switch
        target.retranslate_ui()
        target.enter()
        self.stack.setCurrentWidget(target)
        field = target.default_field()
        if field is not None:
            field.setFocus(Qt.FocusReason.OtherFocusReason)
        self.refresh_header()
        self.sig_screen_changed.emit(state.value)

    def refresh_header(self) -> None:
        screen = self.current
        self.title.setText(tr(screen.title, self.session.language))
        # no back once a dossier is committed or a ticket printed: the screen offers its own way on
        self.back_button.setVisible(self.session.state != State.HOME and self.session.can_go_back()
                                    and screen.can_go_back())
        self.home_button.setVisible(self.session.state != State.HOME)

    def _on_session_wipe(self) -> None:
        for runner in (self.backend_runner, self.disk_runner, self.wards_runner):
            runner.cancel_callbacks()
        self.overlay.hide()
        self.acks.clear()  # only the session's own dossier's ack is ever read: a wiped session needs none
        if self._submission is not None:
            self._submission.reset()
        self.stop_camera()
        for screen in self.screens.values():
            screen.reset()
        self.session.language = self.services.settings.language
        self.retranslate_ui()
        self.sig_wiped.emit()
        log.info("session wiped")

    # --- idle ---------------------------------------------------------------------------------------
    def _on_idle_timer_timeout(self) -> None:
        if self.session.state == State.SUBMITTING and self.submission.in_flight:
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

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        self.session.touch()  # a touch on the background also counts as activity
        super().mousePressEvent(event)

    # --- keyboard -----------------------------------------------------------------------------------
    def _fields(self) -> list[QWidget]:
        screen = self.current
        fields = [w for w in screen.findChildren(QWidget) if _is_text_field(w)
                  and w.isVisibleTo(screen) and w.isEnabled() and not w.isReadOnly()]
        order = []
        w = screen.nextInFocusChain()
        seen = set()
        while w is not None and w is not screen and id(w) not in seen:
            seen.add(id(w))
            if w in fields:
                order.append(w)
            w = w.nextInFocusChain()
        return order or fields

    def _on_app_focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        if new is not None and _is_text_field(new) and self.isAncestorOf(new):
            self.keyboard.prepare_for(new)
            self.keyboard.show()
            self.sig_focus_changed.emit(new)
            QTimer.singleShot(0, lambda w=new: self.sig_focus_changed.emit(w) if w.hasFocus() else None)
        elif (new is None or not self.isAncestorOf(new)) and not self.current.wants_keyboard \
                and self._keyboard is not None:
            self.keyboard.hide()

    def _on_keyboard_hide_requested(self) -> None:
        focused = QApplication.focusWidget()
        if focused is not None:
            focused.clearFocus()
        self.keyboard.hide()

    def _on_keyboard_enter_pressed(self) -> None:
        focused = QApplication.focusWidget()
        fields = self._fields()
        if focused in fields and fields.index(focused) + 1 < len(fields):
            fields[fields.index(focused) + 1].setFocus(Qt.FocusReason.TabFocusReason)
        else:
            self._on_keyboard_hide_requested()

    # --- look -----------------------------------------------------------------------------------------
    def toggle_language(self) -> None:
        self.session.language = "en" if self.session.language == "vi" else "vi"
        self.session.touch()
        self.retranslate_ui()

    def set_language(self, language: str) -> None:
        self.session.language = language
        self.retranslate_ui()

    def toggle_large_text(self) -> None:
        self.apply_theme(Theme(self.theme.dpi, not self.theme.large_text, self.theme.high_contrast))

    def toggle_high_contrast(self) -> None:
        self.apply_theme(Theme(self.theme.dpi, self.theme.large_text, not self.theme.high_contrast))

    def style_part(self, part: W) -> W:
        """Give a part of the window (header, screen, keyboard, overlay) the current style sheet."""
        part.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)  # its own background: the window has none
        part.setStyleSheet(self._sheet)
        return part

    def _restyle(self, part: QWidget) -> list[Callable[[], Any]]:
        """Bring a part to the current theme, if it is not yet; returns the steps it leaves for later."""
        if part.styleSheet() == self._sheet:
            return []
        later = part.before_restyle() if isinstance(part, Screen) else []
        part.setStyleSheet(self._sheet)
        return later

    def apply_theme(self, theme: Theme) -> None:
        """Restyle what is on screen now; the hidden screens and the keyboard one per turn of the event loop
        after it (or when shown, if that comes first), so the switch costs one screen's restyle."""
        self.theme = theme
        self._sheet = theme.stylesheet()
        if self._keyboard is not None:
            self.keyboard.setFixedHeight(self._keyboard_height(theme))
        parts = [w for w in self.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
                 if w.styleSheet()]
        later: list[Callable[[], Any]] = []
        for part in [*parts, *self.screens.values()]:
            if part.isVisible():
                later += self._restyle(part)
            else:
                later.append(lambda p=part: self._restyle(p))
        self.retranslate_ui()
        self.run_in_turns(later)

    def run_in_turns(self, steps: list[Callable[[], Any]]) -> None:
        """Queue GUI work that can wait: one step per turn of the event loop, from the next turn on, so a
        touch waits for one step at most. One queue for the warm-up and the rebuilds after a theme switch:
        never two steps in one turn. A step may return a list of further steps, run before the rest."""
        if not steps:
            return
        idle = not self._later
        self._later.extend(steps)
        if idle:
            QTimer.singleShot(0, self, self._run_next_later)  # with a context: never fires on a closed window

    def _run_next_later(self) -> None:
        if self._later:
            try:
                more = self._later.pop(0)()
                if isinstance(more, list):  # the form pages, once the catalogue is in
                    self._later[0:0] = more
            except Exception as err:
                log.error("deferred GUI step failed: %r", err)
        if self._later:
            QTimer.singleShot(0, self, self._run_next_later)

    def retranslate_ui(self) -> None:
        lang = self.session.language
        self.back_button.setText(tr({"vi": "← Quay lại", "en": "← Back"}, lang))
        self.home_button.setText(tr({"vi": "⌂ Trang chủ", "en": "⌂ Home"}, lang))
        self.language_button.setText("English" if lang == "vi" else "Tiếng Việt")
        self.text_size_button.setText(tr({"vi": "A− Chữ thường", "en": "A− Normal text"}, lang)
                                      if self.theme.large_text else tr({"vi": "A+ Chữ to", "en": "A+ Large text"},
                                                                       lang))
        self.contrast_button.setText(tr({"vi": "◐ Tương phản", "en": "◐ Contrast"}, lang))
        if self._keyboard is not None:
            self.keyboard.retranslate_ui(lang)
        self.overlay.retranslate_ui(lang)
        for screen in self.screens.values():
            screen.retranslate_ui()
        self.refresh_header()

    # --- kiosk shell ------------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self.kiosk_mode:
            event.ignore()  # Close and Alt+F4 do nothing: leaving needs the maintenance PIN
            return
        self.shutdown()
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() == Qt.Key.Key_Escape or (self.kiosk_mode and event.key() == Qt.Key.Key_F4):
            event.accept()
            return
        super().keyPressEvent(event)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self.overlay.setGeometry(self.rect())
        self.corner.place()

    def _on_corner_triggered(self) -> None:
        from kiosk.ui.maintenance.panel import open_maintenance

        QTimer.singleShot(0, lambda: open_maintenance(self))

    def recover(self, where: str = "") -> None:
        """An unexpected error happened: it was logged; start over from home rather than show it."""
        log.error("recovering to the home screen after an unexpected error %s", where)
        try:
            self.session.wipe()
        except Exception:
            log.exception("the wipe itself failed")

    def shutdown(self) -> None:
        self._idle_timer.stop()
        self.health.stop()
        self._heartbeat_timer.stop()
        self._printer_poll.stop()
        self.camera.shutdown()
        for runner in (self.backend_runner, self.chores_runner, self.disk_runner, self.wards_runner):
            runner.shutdown()
        if self.session.touch in ACTIVITY_LISTENERS:
            ACTIVITY_LISTENERS.remove(self.session.touch)
        try:
            QApplication.instance().focusChanged.disconnect(self._on_app_focus_changed)
        except (RuntimeError, TypeError):
            pass

