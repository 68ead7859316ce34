"""State that would grow with every journey of an all-day kiosk (issue 18) stays bounded."""

from __future__ import annotations

from kiosk.core.session import State
from kiosk.ui.bridges.devices import Devices


def test_acks_keep_only_the_newest(kiosk) -> None:
    # the sender acknowledges every dossier it delivers (a backlog after an outage: hundreds at once)
    refs = [f"L-SOAK-{i:04d}" for i in range(Devices.ACKS_KEPT + 40)]
    for i, ref in enumerate(refs):
        kiosk.devices.sender.sig_acknowledged.emit(ref, f"HS-{i:04d}", "")
    acks = kiosk.devices.acks
    assert len(acks) == Devices.ACKS_KEPT
    assert refs[0] not in acks and refs[39] not in acks
    # the newest are kept: a dossier whose ack overtook its commit callback still finds it
    assert acks[refs[-1]] == (f"HS-{len(refs) - 1:04d}", "")
    assert refs[40] in acks


def test_a_wipe_forgets_the_acks(kiosk, qtbot) -> None:
    kiosk.devices.sender.sig_acknowledged.emit("L-SOAK-WIPE", "HS-WIPE", "2026-12-10")
    assert kiosk.devices.acks["L-SOAK-WIPE"] == ("HS-WIPE", "2026-12-10")
    kiosk.go(State.PROCEDURE)
    qtbot.waitUntil(lambda: kiosk.session.state == State.PROCEDURE)
    kiosk.home_button.click()  # the citizen leaves: the session is wiped
    qtbot.waitUntil(lambda: kiosk.session.state == State.HOME)
    assert not kiosk.devices.acks
