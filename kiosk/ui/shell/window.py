"""The kiosk window: a header that is always there (back, title, text size, contrast, language, home),
the stacked screens, the on-screen keyboard, and the idle countdown over everything."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QPoint, QTimer, Signal
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
from kiosk.ui.bridges.devices import Devices
from kiosk.ui.bridges.tasks import TaskRunner
from kiosk.ui.context import JourneyEvents, Runners, ScreenContext
from kiosk.ui.i18n import tr
from kiosk.ui.screens.base import Screen
from kiosk.ui.screens.home import HomeScreen
from kiosk.ui.shell.idle import IdleOverlay, IdleWatch
from kiosk.ui.shell.turns import Turns
from kiosk.ui.theme import Theme
from kiosk.ui.widgets import ACTIVITY_LISTENERS, button, label, scroll_areas_of

# No ``Qt`` namespace here but where it is used: PySide builds its ~100 enums (~15 ms) on first use, and the
# home screen is built and shown without them (kiosk.ui.widgets.set_qt_enum).
if TYPE_CHECKING:
    from PySide6.QtGui import QCloseEvent, QKeyEvent

    from kiosk.app.memory import HeapTrimmer
    from kiosk.ui.keyboard import OnScreenKeyboard
    from kiosk.ui.submission import Submission

log = logging.getLogger("kiosk.ui")

W = TypeVar("W", bound=QWidget)


def _is_text_field(widget: QWidget) -> bool:
    """A field the on-screen keyboard types into (a read-only one takes no typing). Asked of Qt by class
    name: importing QLineEdit and QPlainTextEdit here would make PySide build their enums (~2-3 ms) before
    the home screen is shown."""
    return (widget.inherits("QLineEdit") or widget.inherits("QPlainTextEdit")) and not widget.isReadOnly()


#: Every screen, in stack order, as (state, module, class). Only the home screen is imported and built
#: before the window is shown; the others (the forms pull in jsonschema and the whole catalogue) are built
#: by the warm-up right after, or on demand if a citizen is quicker than the warm-up.
SCREENS = [
    (State.HOME, "home", "HomeScreen"), (State.NUMBER, "number", "NumberScreen"),
    (State.PROCEDURE, "procedures", "ProcedureScreen"), (State.DETAILS, "details", "DetailsScreen"),
    (State.CONSENT, "consent", "ConsentScreen"), (State.IDENTIFY, "identify", "IdentifyScreen"),
    (State.FORM, "form", "FormScreen"),
    (State.DOCUMENTS, "documents", "DocumentsScreen"), (State.WARD, "ward", "WardScreen"),
    (State.REVIEW, "review", "ReviewScreen"),
    (State.SUBMITTING, "submitting", "SubmittingScreen"), (State.PAYMENT, "payment", "PaymentScreen"),
    (State.DONE, "done", "DoneScreen"),
    (State.LOOKUP, "lookup", "LookupScreen"), (State.RATING, "rating", "RatingScreen"),
]


class ScreenStack(QStackedWidget):
    """The stacked screens. They give the docked keyboard its room: a screen's height for its width (its
    wrapping labels) would otherwise count as the least the stack may get, and the window's layout pushed the
    keyboard's bottom rows out of a 1366x768 window instead. A screen taller than the room left scrolls
    (its fields are in a scroll area) or is cut at the bottom, never the keyboard."""

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt override)
        return False


class ScreenTable(dict):
    """State -> screen; a screen not built yet is built when first asked for."""

    def __init__(self, build: Callable[[State], Screen]) -> None:
        super().__init__()
        self._build = build

    def __missing__(self, state: State) -> Screen:
        return self._build(State(state))


class KioskWindow(QWidget):
    sig_screen_changed = Signal(str)
    """A screen is now shown (its state name)."""
    sig_wiped = Signal()
    """The session was wiped (idle, finished or home)."""
    sig_warmed_up = Signal()
    """Every screen is built and every one-off cost paid (see ``warmed_up``)."""

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
        # A citizen's requests (tickets, look-ups) never queue behind the kiosk's own chores (heartbeat,
        # ratings already thanked for): on a lossy network a heartbeat held a ticket 21 s.
        self.runners = Runners(backend=TaskRunner("backend", parent=self), chores=TaskRunner("chores", parent=self),
                               disk=TaskRunner("disk", parent=self), wards=TaskRunner("wards", parent=self))
        self.devices = Devices(services, parent=self)
        self.devices.sender.sig_acknowledged.connect(self._on_sender_acknowledged)
        self.devices.sender.sig_rejected.connect(self._on_sender_rejected)
        self.events = JourneyEvents(self)
        from kiosk.ui.health import KioskHealth

        #: what each part can do now, for the home tiles (started once the warm-up has attached the devices)
        self.health = KioskHealth(services, self.devices, parent=self)
        self.sig_warmed_up.connect(self.health.start)
        #: everything a screen may use: screens are built with it and never see the window itself
        self.ctx = ScreenContext(session=self.session, app=services, navigator=self, devices=self.devices,
                                 runners=self.runners, events=self.events, theme=self.theme, host=self,
                                 health=self.health, submission=lambda: self.submission,
                                 autoplay_video=autoplay_video, thanks_ms=thanks_ms, log=log)
        self._ack_wait_ms = ack_wait_ms
        self._submission: Submission | None = None
        #: True once every screen is built and every one-off cost is paid (kiosk.ui.app.start_warm_up);
        #: journeys started before that still work, they may only wait for what they need.
        self.warmed_up = False
        self._heap: HeapTrimmer | None = None  # built at the first wipe
        self.turns = Turns(self)  # GUI work that can wait: one step per turn of the event loop

        #: The style sheet is set on each part of the window (header, each screen, keyboard, overlays), not
        #: on the window: a sheet on the window restyles all ~1,200 widgets at once when the theme changes
        #: (~70-120 ms frozen); per part, the hidden ones are restyled one per turn (see apply_theme).
        self._sheet = self.theme.stylesheet()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._build_header())
        self.stack = ScreenStack()
        # The keyboard takes its room from the screen above it rather than growing the window.
        self.stack.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        layout.addWidget(self.stack, 1)
        # the keyboard is built with the first screen that has fields (home has none), below the stack
        self._keyboard: OnScreenKeyboard | None = None

        self.screens: dict[State, Screen] = ScreenTable(self._build_screen)
        self.screens[State.HOME] = HomeScreen(self.ctx)
        self.stack.addWidget(self.screens[State.HOME])
        # Each part is styled once in its place: a part moved under a new parent after its style sheet was
        # set is styled all over again (each of its widgets polished anew).
        self.style_part(self.screens[State.HOME])
        self.overlay = self.style_part(IdleOverlay(self))
        from kiosk.ui.maintenance.corner import CornerGesture

        self.corner = CornerGesture(self, taps=int(settings.maintenance["gesture_taps"]),
                                    window_s=float(settings.maintenance["gesture_window_s"]))
        self.corner.sig_triggered.connect(self._on_corner_triggered)

        self.session.on_state(self._on_session_state)
        self.session.on_wipe(self._on_session_wipe)
        self.idle = IdleWatch(self.session, self.overlay, parent=self, busy=lambda: (
            self.session.state in (State.SUBMITTING, State.PAYMENT) and self._submission is not None
            and self._submission.in_flight))
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

            self._submission = Submission(self.ctx, ack_wait_ms=self._ack_wait_ms)
        return self._submission

    def _build_screen(self, state: State) -> Screen:
        import importlib

        index, module, name = next((i, m, n) for i, (s, m, n) in enumerate(SCREENS) if s == state)
        cls = getattr(importlib.import_module(f"kiosk.ui.screens.{module}"), name)
        screen = cls(self.ctx)
        self.screens[state] = screen
        # keep the stack in SCREENS order, whatever order the screens are built in
        position = sum(1 for s, _m, _n in SCREENS[:index] if s in self.screens)
        self.stack.insertWidget(position, screen)
        self.style_part(screen)  # in its place: styled once (see __init__)
        screen.retranslate_ui()
        return screen

    def warm_up_steps(self) -> list[Callable[[], Any]]:
        """The GUI-thread part of the warm-up, in short steps: build each screen, then style, lay out
        and paint it once offscreen (a first showing otherwise costs tens of milliseconds of polish and
        layout while a citizen waits). For ``run_in_turns``."""
        steps: list[Callable[[], Any]] = [lambda: self.screens[State.HOME].enable_page_swipe()]
        for state, _module, _name in SCREENS:
            steps.append(lambda s=state: self.screens[s])
            steps.append(lambda s=state: self.paint_offscreen(self.screens[s]))
            if state == State.FORM:  # its pages: a step may return more steps, run next
                steps.append(lambda: [step for proc in self.services.catalogue
                                      for step in self.screens[State.FORM].page_steps(proc.id)])
        steps.append(lambda: self.paint_offscreen(self.keyboard))
        steps.append(self.overlay.build)
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
        from kiosk.ui.keyboard import KEY_FONT_BASE_PX, keyboard_height  # imported already: the keyboard is built

        return keyboard_height(theme.touch_px, theme.font_px(KEY_FONT_BASE_PX))

    def _build_header(self) -> QFrame:
        header = QFrame(self)  # styled in its place: once (see __init__)
        header.setProperty("role", "header")
        self.style_part(header)
        row = QHBoxLayout(header)
        row.setContentsMargins(16, 10, 56, 10)  # the top-right corner is the maintenance gesture's
        row.setSpacing(8)
        self.back_button = button("header", self.back, name="header-back")
        self.title = label(wrap=True)  # a long title on a portrait screen takes a second line
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
            self.demo_badge = label("BẢN TRÌNH DIỄN / DEMO", role="badge", wrap=False)
            self.demo_badge.setObjectName("header-demo")
            row.addWidget(self.demo_badge)
        row.addWidget(self.text_size_button)
        row.addWidget(self.contrast_button)
        row.addWidget(self.language_button)
        row.addWidget(self.home_button)
        header.installEventFilter(self)  # its width changes: labels that fit (fit_header)
        self._header = header
        return header

    def _header_labels(self, level: int) -> dict[QWidget, str]:
        """Each header button's text at ``level``: 0 words everywhere; 1 the toggles (text size, contrast,
        language) and the demo badge shortened; 2 back and home shortened to their sign as well. A citizen
        keeps "Quay lại" and "Trang chủ" as long as the screen has room for them."""
        lang = self.session.language
        large = self.theme.large_text
        if level == 0:
            size = (tr({"vi": "A− Chữ thường", "en": "A− Normal text"}, lang) if large
                    else tr({"vi": "A+ Chữ to", "en": "A+ Large text"}, lang))
            contrast = tr({"vi": "◐ Tương phản", "en": "◐ Contrast"}, lang)
            language = "English" if lang == "vi" else "Tiếng Việt"
        else:
            size, contrast, language = ("A−" if large else "A+"), "◐", ("EN" if lang == "vi" else "VI")
        back = tr({"vi": "← Quay lại", "en": "← Back"}, lang) if level < 2 else "←"
        home = tr({"vi": "⌂ Trang chủ", "en": "⌂ Home"}, lang) if level < 2 else "⌂"
        labels: dict[QWidget, str] = {self.back_button: back, self.text_size_button: size,
                                      self.contrast_button: contrast, self.language_button: language,
                                      self.home_button: home}
        if getattr(self, "demo_badge", None) is not None:
            labels[self.demo_badge] = "BẢN TRÌNH DIỄN / DEMO" if level == 0 else "DEMO"
        listen = getattr(self, "listen_button", None)  # the voice's, added after the first paint
        if listen is not None:
            labels[listen] = tr({"vi": "Nghe", "en": "Listen"}, lang) if level < 2 else "♪"
        return labels

    #: The narrowest the title may get before the header shortens its buttons' labels (px at normal text).
    TITLE_MIN_PX = 260

    def fit_header(self) -> None:
        """Choose the longest labels with which the header's buttons and at least TITLE_MIN_PX of title fit
        the window's width (the title wraps onto a second line rather than being cut)."""
        row = self._header.layout()
        margins = row.contentsMargins()
        room = self.width() - margins.left() - margins.right()
        title_min = round(self.TITLE_MIN_PX * self.theme.scale)
        for level in (0, 1, 2):
            row.setSpacing(8 if level < 2 else 4)  # the tightest header also closes up its gaps
            labels = self._header_labels(level)
            shown = [w for w in labels if w is not self.back_button and w is not self.home_button
                     or w.isVisibleTo(self)]
            need = title_min + row.spacing() * len(shown)
            for widget in shown:
                widget.setText(labels[widget])
                widget.setMinimumWidth(0)
                widget.ensurePolished()  # a button added later (the voice's "Nghe") has the header's font now
                need += widget.sizeHint().width()
            if need <= room:
                break
        for widget in self._header_labels(level):
            widget.setMinimumWidth(widget.sizeHint().width())  # never squeezed below its text
        # Lay the row out now: a minimum width resizes its button at once, in place, and until the posted
        # layout request ran, a grown "Nghe" lay over its neighbour "A+" (seen on a portrait payment screen).
        row.invalidate()
        row.activate()

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802 (Qt override)
        if watched is getattr(self, "_header", None) and event.type() == event.Type.Resize \
                and event.oldSize().width() != event.size().width():
            self.fit_header()
        return super().eventFilter(watched, event)

    # --- background work ---------------------------------------------------------------------------
    def _on_sender_acknowledged(self, local_ref: str, dossier_code: str, appointment: str) -> None:
        self.submission.on_acknowledged(local_ref, dossier_code, appointment)

    def _on_sender_rejected(self, local_ref: str, message: dict) -> None:
        self.submission.on_rejected(local_ref, message)

    def send_heartbeat(self) -> None:
        """One heartbeat to the province: every backend.heartbeat_interval_s, and once at start-up."""
        from kiosk.ui.heartbeat import send_heartbeat

        send_heartbeat(self.ctx)  # printer, outbox and HTTP off the GUI thread

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
            self.devices.refresh_printer_status()  # a journey starts: know the printer before the last tap
        self._show(state)

    def _show(self, state: State) -> None:
        target = self.screens[state]
        old = self.stack.currentWidget()
        focused = QApplication.focusWidget()
        if focused is not None and self.isAncestorOf(focused):
            focused.clearFocus()
        # The keyboard follows the focus alone: shown on a screen with no focused field, it took keys that
        # typed nowhere. A screen's default field opens it below (focusChanged), in that field's layout.
        self.hide_keyboard()
        if isinstance(old, Screen) and old is not target:
            old.leave()
        self.run_in_turns(self._restyle(target))  # shown before its turn came, after a theme switch
        target.retranslate_ui()
        target.enter()
        self.stack.setCurrentWidget(target)
        field = target.default_field()
        if field is not None:
            from PySide6.QtCore import Qt

            field.setFocus(Qt.FocusReason.OtherFocusReason)
        self.refresh_header()
        self.sig_screen_changed.emit(state.value)

    def screen(self, state: State) -> Screen:
        return self.screens[state]

    def hide_keyboard(self) -> None:
        if self._keyboard is not None:
            self._keyboard.hide()

    def refresh_header(self) -> None:
        screen = self.current
        self.title.setText(tr(screen.title, self.session.language))
        # no back once a dossier is committed or a ticket printed: the screen offers its own way on
        self.back_button.setVisible(self.session.state != State.HOME and self.session.can_go_back()
                                    and screen.can_go_back())
        # On the payment screen the dossier is filed and its receipt not yet printed: the way on is paying or
        # "pay at the counter", never a wipe that would leave the citizen without a receipt.
        self.home_button.setVisible(self.session.state not in (State.HOME, State.PAYMENT))
        self.fit_header()  # back and home come and go, and the title changes

    def _on_session_wipe(self) -> None:
        for runner in (self.runners.backend, self.runners.disk, self.runners.wards):
            runner.cancel_callbacks()
        self.overlay.hide()
        if self._submission is not None:
            self._submission.reset()
        self.devices.forget()
        self._give_back_memory()
        for screen in self.screens.values():
            screen.reset()
        self.session.language = self.services.settings.language
        self.retranslate_ui()
        self.sig_wiped.emit()
        log.info("session wiped")

    def _give_back_memory(self) -> None:
        """The heap's free pages back to the system now and then, off the GUI thread (kiosk.app.memory)."""
        if self._heap is None:
            from kiosk.app.memory import HeapTrimmer  # ctypes: not before the home screen

            self._heap = HeapTrimmer()
        self.runners.chores.run(self._heap.after_wipe, survive_wipe=True)

    # --- idle ---------------------------------------------------------------------------------------
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
            # the field's own layout every time it gets focus, never the one the last field left
            self.keyboard.prepare_for(new)
            if self.keyboard.isHidden():
                self.keyboard.show()
                # the screen above shrinks for the keyboard now, so the field is scrolled into the room left
                self.layout().activate()
            self._scroll_into_view(new)
            # once more after the event loop's turn: layouts inside the screen settle after the window's
            QTimer.singleShot(0, new, lambda w=new: self._on_field_settled(w))
        else:  # focus left the text fields (hide key, last field's "next", another screen, the window)
            self.hide_keyboard()

    def _on_field_settled(self, field: QWidget) -> None:
        if field.hasFocus():
            self._scroll_into_view(field)

    #: Room kept above and below a field scrolled into view (px): its label above, its message below.
    FIELD_MARGIN_PX = 120

    @classmethod
    def _scroll_into_view(cls, field: QWidget) -> None:
        """Scroll each scroll area the field is in (the innermost first) until all of the field is in its
        viewport: the keyboard is docked below the screen, so a field in view is never behind it."""
        for area in scroll_areas_of(field):
            # the whole frame of the field, not QScrollArea.ensureWidgetVisible, which looks at a line edit's
            # cursor only and could leave its frame cut at the edge
            bar, room = area.verticalScrollBar(), area.viewport().height()
            top = field.mapTo(area.widget(), QPoint(0, 0)).y()  # in the content, as the bar's value counts
            margin = max(0, min(cls.FIELD_MARGIN_PX, (room - field.height()) // 2))
            value = bar.value()
            if top + field.height() + margin > value + room:
                value = top + field.height() + margin - room
            if top - margin < value:
                value = top - margin
            bar.setValue(value)

    def _on_keyboard_hide_requested(self) -> None:
        focused = QApplication.focusWidget()
        if focused is not None:
            focused.clearFocus()
        self.hide_keyboard()

    def _on_keyboard_enter_pressed(self) -> None:
        focused = QApplication.focusWidget()
        fields = self._fields()
        if focused in fields and fields.index(focused) + 1 < len(fields):
            from PySide6.QtCore import Qt

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
        """Give a part of the window (header, screen, keyboard, overlay) the current style sheet, and with it
        its own background: the window has none."""
        # Qt's style sheet style paints a QFrame's background by itself (the header, the overlays, a screen's
        # page scroll, which covers all of its screen); any other QWidget subclass (the keyboard) needs the
        # attribute. Not set where it changes nothing: the home screen is built without PySide's Qt enums.
        if not part.inherits("QFrame") and not (isinstance(part, Screen) and part.page_scroll is not None):
            from PySide6.QtCore import Qt

            part.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
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
        self.theme = self.ctx.theme = theme
        self._sheet = theme.stylesheet()
        if self._keyboard is not None:
            self.keyboard.setFixedHeight(self._keyboard_height(theme))
        from PySide6.QtCore import Qt

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
        """Queue GUI work that can wait (``kiosk.ui.shell.turns``)."""
        self.turns.run(steps)

    def retranslate_ui(self) -> None:
        lang = self.session.language
        if self._keyboard is not None:
            self.keyboard.retranslate_ui(lang)
        self.overlay.retranslate_ui(lang)
        for screen in self.screens.values():
            screen.retranslate_ui()
        if self.ctx.voice is not None:
            self.ctx.voice.retranslate_ui(lang)
        self.refresh_header()

    # --- kiosk shell ------------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self.kiosk_mode:
            event.ignore()  # Close and Alt+F4 do nothing: leaving needs the maintenance PIN
            return
        self.shutdown()
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        from PySide6.QtCore import Qt

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

        QTimer.singleShot(0, lambda: open_maintenance(self.ctx))

    def quit(self, status: int) -> None:
        """Leave the kiosk application with ``status`` (maintenance's restart and exit)."""
        self.kiosk_mode = False
        QApplication.instance().exit(status)

    def recover(self, where: str = "") -> None:
        """An unexpected error happened: it was logged; start over from home rather than show it."""
        log.error("recovering to the home screen after an unexpected error %s", where)
        try:
            self.session.wipe()
        except Exception:
            log.exception("the wipe itself failed")

    def shutdown(self) -> None:
        self.idle.stop()
        self.health.stop()
        self._heartbeat_timer.stop()
        self.devices.shutdown()
        for runner in self.runners.all():
            runner.shutdown()
        if self.session.touch in ACTIVITY_LISTENERS:
            ACTIVITY_LISTENERS.remove(self.session.touch)
        try:
            QApplication.instance().focusChanged.disconnect(self._on_app_focus_changed)
        except (RuntimeError, TypeError):
            pass

