"""The citizen session: which screen a citizen is on, what they have entered, and the idle wipe.

Qt-free (napari style: the model knows nothing of widgets). The window asks the session where
to go and subscribes to its changes; the idle timer lives here with an injectable clock so the
90 s timeout and the 15 s countdown can be tested without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class State(StrEnum):
    HOME = "home"
    NUMBER = "number"
    PROCEDURE = "procedure"
    DETAILS = "details"
    CONSENT = "consent"
    IDENTIFY = "identify"
    FORM = "form"
    DOCUMENTS = "documents"
    WARD = "ward"
    REVIEW = "review"
    SUBMITTING = "submitting"
    PAYMENT = "payment"
    DONE = "done"
    LOOKUP = "lookup"
    RATING = "rating"


#: Which states may follow which (back always goes to the previous screen; home is always allowed).
TRANSITIONS: dict[State, set[State]] = {
    State.HOME: {State.NUMBER, State.PROCEDURE, State.LOOKUP, State.RATING},
    State.NUMBER: set(),
    State.PROCEDURE: {State.DETAILS},
    State.DETAILS: {State.CONSENT},
    State.CONSENT: {State.IDENTIFY},
    State.IDENTIFY: {State.FORM},
    State.FORM: {State.WARD, State.DOCUMENTS},
    State.DOCUMENTS: {State.WARD},
    State.WARD: {State.REVIEW},
    State.REVIEW: {State.SUBMITTING, State.FORM, State.DOCUMENTS, State.WARD},
    State.SUBMITTING: {State.DONE, State.PAYMENT},
    State.PAYMENT: {State.DONE},
    State.DONE: {State.RATING},
    State.LOOKUP: {State.RATING},
    State.RATING: set(),
}
#: Screens with no way back: the dossier is already committed once submitting starts.
NO_BACK = {State.HOME, State.SUBMITTING, State.PAYMENT, State.DONE}


class TransitionError(ValueError):
    pass


@dataclass
class SessionData:
    """Everything a citizen has told the kiosk in this session (all of it personal, all of it wiped)."""

    procedure_id: str | None = None
    identity: Any = None  # kiosk.core.identity.Identity
    card_read: bool = False
    form: dict[str, str] = field(default_factory=dict)
    ward_code: str | None = None
    #: the photographed supporting documents, {document index: [kiosk.app.documents.CapturedPage]}
    pages: dict[int, list[Any]] = field(default_factory=dict)
    #: documents the citizen chose to bring on paper rather than photograph (indexes)
    on_paper: set[int] = field(default_factory=set)
    consent_given: bool = False
    consent_at: str | None = None
    local_ref: str | None = None
    dossier_code: str | None = None
    appointment_date: str | None = None
    fee: Any = None  # kiosk.core.fees.FeeQuote of the dossier being filed
    payment: Any = None  # kiosk.app.payment.PaymentOrder while the citizen pays at the kiosk
    paid_at: Any = None  # datetime the backend saw the transfer; None: to pay at the counter
    ticket_number: str | None = None
    lookup_code: str | None = None
    lookup_result: dict[str, Any] | None = None
    rating: str | None = None
    comment: str = ""


class Session:
    """State, history and idle timing of one citizen at the kiosk."""

    def __init__(self, idle_timeout_s: float = 90.0, countdown_s: float = 15.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_timeout_s = idle_timeout_s
        self.countdown_s = countdown_s
        self._clock = clock
        self.state = State.HOME
        self.history: list[State] = []
        self.data = SessionData()
        self.language = "vi"
        self._last_activity = clock()
        self._listeners: list[Callable[[State], None]] = []
        self._wipe_listeners: list[Callable[[], None]] = []

    # --- events ---------------------------------------------------------------------------------
    def on_state(self, listener: Callable[[State], None]) -> None:
        self._listeners.append(listener)

    def on_wipe(self, listener: Callable[[], None]) -> None:
        self._wipe_listeners.append(listener)

    def _emit(self) -> None:
        for listener in list(self._listeners):
            listener(self.state)

    # --- navigation -----------------------------------------------------------------------------
    def go(self, state: State) -> None:
        """Move forward to ``state`` (remembered for back)."""
        state = State(state)
        if state != State.HOME and state not in TRANSITIONS[self.state]:
            raise TransitionError(f"{self.state} -> {state} is not a step of any journey")
        self.touch()
        if state == State.HOME:
            self.wipe()
            return
        if self.state in (State.SUBMITTING, State.PAYMENT):
            self.history.clear()  # no way back into a committed dossier
        self.history.append(self.state)
        self.state = state
        self._emit()

    def can_go_back(self) -> bool:
        return self.state not in NO_BACK and bool(self.history)

    def back(self) -> State:
        self.touch()
        if not self.can_go_back():
            return self.state
        self.state = self.history.pop()
        if self.state == State.HOME:
            self.wipe()
        else:
            self._emit()
        return self.state

    # --- idle -----------------------------------------------------------------------------------
    def touch(self) -> None:
        """The citizen did something: restart the idle clock."""
        self._last_activity = self._clock()

    def idle_for(self) -> float:
        return self._clock() - self._last_activity

    def countdown_remaining(self) -> float | None:
        """Seconds left on the visible countdown, or None while the citizen is still active.

        The home screen never counts down (there is nothing to wipe)."""
        if self.state == State.HOME and not self.has_personal_data():
            return None
        idle = self.idle_for()
        if idle < self.idle_timeout_s:
            return None
        return max(0.0, self.idle_timeout_s + self.countdown_s - idle)

    def check_idle(self) -> bool:
        """Wipe if the countdown has run out; True if it did."""
        remaining = self.countdown_remaining()
        if remaining is not None and remaining <= 0:
            self.wipe()
            return True
        return False

    # --- privacy --------------------------------------------------------------------------------
    def has_personal_data(self) -> bool:
        return self.data != SessionData()

    def wipe(self) -> None:
        """End the session: every personal value gone, back to the home screen in Vietnamese."""
        # Overwrite the form values before dropping them, so no other reference keeps them alive.
        for key in list(self.data.form):
            self.data.form[key] = ""
        self.data.form.clear()
        for document in self.data.pages.values():  # photographs of documents: zeroed, not only dropped
            for page in document:
                page.wipe()
        self.data.pages.clear()
        self.data = SessionData()
        self.history.clear()
        self.state = State.HOME
        self.language = "vi"
        self.touch()
        for listener in list(self._wipe_listeners):
            listener()
        self._emit()
