"""The citizen session: navigation, back, idle countdown and the wipe."""

from __future__ import annotations

import pytest
from helpers.clock import FakeClock

from kiosk.core.identity import parse_id_qr
from kiosk.core.samples import sample_payload
from kiosk.core.session import Session, State, TransitionError


def _filled_session(clock: FakeClock) -> Session:
    session = Session(idle_timeout_s=90, countdown_s=15, clock=clock)
    for state in (State.PROCEDURE, State.DETAILS, State.CONSENT, State.IDENTIFY, State.FORM):
        session.go(state)
    session.data.procedure_id = "dang-ky-khai-sinh"
    session.data.identity = parse_id_qr(sample_payload(0))
    session.data.form = {"mother_id": "001099012345", "child_name": "Nguyễn Văn Bé"}
    return session


def test_back_walks_the_journey_backwards_to_home_and_wipes() -> None:
    clock = FakeClock()
    session = _filled_session(clock)
    assert session.back() == State.IDENTIFY
    assert session.back() == State.CONSENT
    for _ in range(3):
        session.back()
    assert session.state == State.HOME
    assert not session.has_personal_data()


def test_journeys_cannot_skip_steps() -> None:
    session = Session()
    with pytest.raises(TransitionError):
        session.go(State.REVIEW)


def test_no_way_back_once_the_dossier_is_submitting() -> None:
    session = _filled_session(FakeClock())
    session.go(State.WARD)
    session.go(State.REVIEW)
    session.go(State.SUBMITTING)
    assert not session.can_go_back()
    session.go(State.DONE)
    assert session.back() == State.DONE


def test_idle_timeout_counts_down_then_wipes_everything() -> None:
    clock = FakeClock()
    session = _filled_session(clock)
    wiped = []
    session.on_wipe(lambda: wiped.append(True))
    clock.now += 89
    assert session.countdown_remaining() is None
    clock.now += 2
    assert session.countdown_remaining() == pytest.approx(14)
    assert not session.check_idle()
    session.touch()  # the citizen taps "continue"
    assert session.countdown_remaining() is None
    clock.now += 105
    assert session.check_idle()
    assert wiped == [True]
    assert session.state == State.HOME
    assert session.data.identity is None and session.data.form == {}
    assert "001099012345" not in repr(vars(session))


def test_wipe_restores_vietnamese() -> None:
    session = Session()
    session.language = "en"
    session.wipe()
    assert session.language == "vi"


def test_home_without_data_never_counts_down() -> None:
    clock = FakeClock()
    session = Session(clock=clock)
    clock.now += 1000
    assert session.countdown_remaining() is None
