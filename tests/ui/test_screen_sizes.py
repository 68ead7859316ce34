"""The header and the form's choices fit a portrait kiosk and a laptop (issue 19): nothing the layout audit
calls clipped, the title wraps instead of being cut, and the buttons keep a word where there is room."""

from __future__ import annotations

import pytest

from kiosk.core.samples import sample_payload
from kiosk.core.session import State
from kiosk.tools.walkthrough.audit import MAX_FINDINGS, audit_window


def _clipped(window, prefix: str) -> list[dict]:
    result = audit_window(window)
    assert result["clipped"] < MAX_FINDINGS, "findings past the cap could hide the ones looked for"
    return [f for f in result["findings"] if f["kind"] == "clipped" and f["widget"].startswith(prefix)]


@pytest.mark.parametrize("sized", [(1080, 1920), (1366, 768)], indirect=True, ids=["portrait", "laptop"])
def test_the_header_and_the_form_choices_fit(sized, driver, qtbot) -> None:
    window = sized
    driver.start_dossier()
    assert not _clipped(window, "header-")  # the card screen: back, a long title, the toggles, home
    window.services.sim_camera.present_card(sample_payload(0))
    driver.on(State.FORM)
    window.services.sim_camera.remove_card()
    qtbot.waitUntil(lambda: not _clipped(window, "field-relationship"), timeout=3000)
    assert not _clipped(window, "header-")
    carer = driver.find("field-relationship-carer")
    # a portrait page stacks label, choices and message, so the choice may fit on one line or wrap
    assert carer.full_text() == "Người đang nuôi dưỡng trẻ"
    assert carer.text().replace("\n", " ") == carer.full_text()
    # the back and home buttons are on screen, whatever their labels
    assert window.back_button.isVisible() and window.home_button.isVisible()
