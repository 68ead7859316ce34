"""A kiosk with no backend configured files a dossier without promising a synchronisation that never comes."""

from __future__ import annotations

from kiosk.core.samples import sample_payload
from kiosk.core.session import State

from .driver import Driver


def test_with_no_backend_the_submit_steps_and_done_screen_send_the_citizen_to_the_counter(qapp, qtbot, tmp_path):
    from kiosk.app.services import KioskSettings
    from kiosk.ui.app import build_window, close_window

    settings = KioskSettings(simulate=True, screen_dpi=96.0, camera={"fps": 15}, backend_url="")
    window = build_window(settings, tmp_path, prints_dir=tmp_path / "prints", autoplay_video=False,
                          start_simulator=False, thanks_ms=300)
    try:
        window.setFixedSize(1920, 1080)
        window.show()
        driver = Driver(window, qtbot)
        driver.birth_dossier_to_review(sample_payload(0))
        with qtbot.waitSignal(window.submission.sig_finished, timeout=30000) as finished:
            driver.click("review-submit")
        steps = window.screens[State.SUBMITTING].step_labels["send"].text()
        driver.on(State.DONE)
        assert finished.args[0]["dossier_code"] is None and finished.args[0]["printed"]
        details = window.screens[State.DONE].details.text()
        for said in (details, steps):
            assert "đồng bộ" not in said and "synchronised" not in said
        assert "Hãy mang giấy tiếp nhận đến quầy" in details  # what happens instead, in the citizen's language
    finally:
        close_window(window)
