"""``kiosk walkthrough --maintenance``: the technician's journey through the real widgets, offscreen.

Five taps in the corner, a wrong PIN three times (the lockout shows; the PIN clock is moved on rather
than waited out), the right PIN, diagnostics with a card under the simulated camera, a test print, the
outbox with a rejected dossier retried, a refused then a saved configuration change, the logs, and exit.
Screens are saved as ``screens/NN-maint-<screen>.png``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from kiosk.tools.walkthrough.common import ScreenDriver, WalkthroughError
from kiosk.ui.maintenance import panel as maintenance
from kiosk.ui.maintenance import pin

PIN = "246810"
WRONG_PIN = "86420975"


class PinClock:
    """Wall time plus whatever the walkthrough skipped (a lockout is moved past, not waited out)."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.time() + self.skipped


class MaintenanceWalkthrough(ScreenDriver):
    """The technician's journey (:meth:`run`); ``kiosk walkthrough --maintenance`` runs it instead of the
    citizens' (kiosk/tools/walkthrough/citizen.py)."""

    def __init__(self, window: Any, out_dir: Any, **kwargs: Any) -> None:
        super().__init__(window, out_dir, **kwargs)
        self.data_dir = window.services.data_dir
        self.summary: dict[str, Any] = {}
        self.quit_status: int | None = None

    # --- helpers --------------------------------------------------------------------------------
    def overlay(self, cls: type) -> Any:
        found = [w for w in self.window.findChildren(cls) if w.isVisible()]
        return found[0] if found else None

    def panel(self) -> Any:
        panel = self.overlay(maintenance.MaintenancePanel)
        if panel is None:
            raise WalkthroughError("the maintenance panel is not open")
        return panel

    def enter_pin(self, pad: Any, pin: str) -> Any:
        """Type ``pin`` on the pad; the failed check, or "accepted" once the pad closed on the right PIN."""
        before = pad.last_check
        accepted: list[bool] = []
        pad.sig_finished.connect(accepted.append)
        for digit in pin:
            self.click(pad.keys[digit])
        self.click(pad.keys["ok"])
        self.wait_until(lambda: accepted or (not pad.busy and pad.last_check is not before),
                        "the PIN to be checked", 20)
        if accepted:
            return "accepted" if accepted[0] else None
        pad.sig_finished.disconnect(accepted.append)
        return pad.last_check

    def type_config(self, field_name: str, text: str) -> None:
        page = self.panel().page("config")
        field = self.find(field_name)
        self.click(field)
        self.wait_until(field.hasFocus, f"focus on {field_name}")
        kb = page.keyboard
        for _ in range(len(field.text())):
            self.click(kb.key_button("backspace"))
        for ch in text:
            if ch.isdigit() and kb.mode != "numeric":
                self.click(kb.key_button("numeric"))
            self.click(kb.key_button(ch))

    # --- the journey ----------------------------------------------------------------------------
    def run(self, rounds: int = 1) -> dict[str, Any]:
        from kiosk.core.pin import PinStore

        clock = PinClock()
        saved_clock, saved_quit = pin.PIN_CLOCK, maintenance.quit_app
        pin.PIN_CLOCK = clock
        maintenance.quit_app = lambda _window, status: setattr(self, "quit_status", status)
        try:
            PinStore(self.data_dir).set_pin(PIN)
            self._seed_rejected_dossier()
            self.probe.begin_journey("maintenance")
            self._enter(clock)
            self._diagnostics()
            self._test_print()
            self._outbox()
            self._config()
            self._logs()
            self._exit()
        finally:
            self.probe.end_journey()
            pin.PIN_CLOCK, maintenance.quit_app = saved_clock, saved_quit
        audit = [json.loads(line) for line in
                 PinStore(self.data_dir).audit_path.read_text(encoding="utf-8").splitlines()]
        self.summary["audit_events"] = [a["event"] + (f":{a.get('result') or a.get('action') or ''}") for a in audit]
        self.summary["quit_status"] = self.quit_status
        return self.result()

    def result(self) -> dict[str, Any]:
        """journey.json: what the journey found, the screens saved and the stall figures (so far, when a
        step failed: ``kiosk walkthrough`` writes it either way)."""
        return {"maintenance": self.summary, "screens": sorted(p.name for p in self.screens_dir.glob("*-maint-*")),
                "ui_stall_ms": {k: v for k, v in self.probe.journey("maintenance").items() if k != "samples"}}

    def _seed_rejected_dossier(self) -> None:
        """A dossier the province refused, as the sender records a 422 (committed at once, so the
        sender never sees it pending)."""
        from kiosk.backend.outbox import Outbox
        from kiosk.core.dossier import sample_dossier

        with Outbox.in_data_dir(self.data_dir) as outbox, outbox.batch():
            item = outbox.add(sample_dossier(1, kiosk_id=self.window.services.settings.kiosk_id))
            outbox.mark_rejected(item.local_ref, 422, {"title": "Thiếu giấy tờ / a document is missing",
                                                       "status": 422})
        self.summary["rejected_local_ref"] = item.local_ref

    def _enter(self, clock: PinClock) -> None:
        self.screenshot("maint-home")
        for _ in range(5):
            self.click(self.window.corner)
        self.wait_until(lambda: self.overlay(maintenance.PinDialog) is not None, "the PIN pad")
        pad = self.overlay(maintenance.PinDialog)
        self.settle(50)
        self.screenshot("maint-pin")
        for attempt in range(1, 4):
            check = self.enter_pin(pad, WRONG_PIN)
            if check in (None, "accepted") or check.failures != attempt:
                raise WalkthroughError(f"wrong PIN #{attempt} was not refused: {check!r}")
        if not pad.is_locked() or pad.keys["1"].isEnabled():
            raise WalkthroughError("three wrong PINs did not lock the pad")
        self.summary["lockout_s"] = round(pad.last_check.locked_for_s)
        self.settle(300)
        self.screenshot("maint-pin-locked")
        clock.skipped += pad.last_check.locked_for_s + 1  # the lockout passes without a sleep
        self.wait_until(lambda: pad.keys["1"].isEnabled(), "the lockout to end", 5)
        check = self.enter_pin(pad, PIN)
        if check != "accepted":
            raise WalkthroughError(f"the right PIN was refused: {check!r}")
        self.wait_until(lambda: self.overlay(maintenance.MaintenancePanel) is not None, "the maintenance panel")
        self.settle(100)
        self.screenshot("maint-menu")

    def _diagnostics(self) -> None:
        self.click("maint-diagnostics")
        page = self.panel().page("diagnostics")
        self.wait_until(lambda: page.parts and page.preview._image is not None, "the checks and the camera", 30)
        sim = self.window.services.sim_camera
        if sim is None:
            raise WalkthroughError("the walkthrough needs the simulated camera")
        from kiosk.core.samples import sample_payload

        sim.present_card(sample_payload(0))
        self.wait_until(lambda: page.preview.decoded_text, "the card to be decoded", 20)
        self.wait_until(lambda: getattr(page, "capture_fps", 0) > 0, "the frame rate", 5)
        self.settle(1100)  # a full second of frames counted after the camera's start-up
        self.summary["diagnostics"] = {k: {"ok": p.ok, "state": p.state} for k, p in page.parts.items()}
        self.summary["decoded_shown"] = page.preview.decoded_text
        self.summary["capture_fps"] = round(page.capture_fps, 1)
        self.screenshot("maint-diagnostics")
        sim.remove_card()
        self.click("maint-back")

    def _test_print(self) -> None:
        self.click("maint-print")
        page = self.panel().page("print")
        self.click("maint-print-go")
        self.wait_until(lambda: page.state in ("printed", "failed"), "the test print", 30)
        self.wait_until(lambda: page._printer is not None, "the printer state", 10)
        self.settle(100)
        self.summary["test_print"] = page.state
        self.screenshot("maint-test-print")
        self.click("maint-back")

    def _outbox(self) -> None:
        from kiosk.app.maintenance import outbox_rows

        self.click("maint-outbox")
        page = self.panel().page("outbox")
        ref = self.summary["rejected_local_ref"]
        self.wait_until(lambda: page.loaded and any(r["local_ref"] == ref for r in page.rows), "the outbox list")
        shown = "\n".join(page.list.item(i).text() for i in range(page.list.count()))
        if "******" not in shown:
            raise WalkthroughError("the outbox does not show the masked ID number")
        self.click("maint-outbox-export")
        self.wait_until(lambda: getattr(page, "exported_path", None) is not None, "the export")
        self.summary["export"] = str(page.exported_path)
        self.settle(50)
        self.screenshot("maint-outbox")
        first = page.list.item(0)
        QTest.mouseClick(page.list.viewport(), Qt.MouseButton.LeftButton,
                         pos=page.list.visualItemRect(first).center())
        self.wait_until(first.isSelected, "the dossier to be chosen", 5)
        self.click("maint-outbox-retry")
        self.wait_until(lambda: page.loaded and page._message is not None, "the retry", 15)

        def delivered() -> bool:
            rows, _status = outbox_rows(self.data_dir)
            return all(r["local_ref"] != ref for r in rows)

        self.wait_until(delivered, "the retried dossier to be delivered", 30)
        self.click("maint-outbox-refresh")
        self.wait_until(lambda: page.loaded and not page.rows, "the empty outbox")
        self.summary["retried_delivered"] = True
        self.settle(50)
        self.screenshot("maint-outbox-retried")
        self.click("maint-back")

    def _config(self) -> None:
        from kiosk.core.config import load_config

        self.click("maint-config")
        page = self.panel().page("config")
        self.wait_until(lambda: page.values, "the configuration")
        self.type_config("maint-config-kiosk.idle_timeout_s", "5")
        before = page.values
        self.click("maint-config-save")
        self.wait_until(lambda: not page.busy and page.refusal is not None, "the refusal")
        self.settle(50)
        self.screenshot("maint-config-refused")
        self.summary["config_refused"] = {"key": page.refusal.key, "reason": page.refusal.reason}
        self.type_config("maint-config-kiosk.idle_timeout_s", "120")
        self.click("maint-config-save")
        self.wait_until(lambda: not page.busy and page.saved is not None, "the configuration to be saved")
        saved = load_config(self.data_dir).get("kiosk.idle_timeout_s")
        if saved != 120 or before["kiosk"]["idle_timeout_s"] == 120:
            raise WalkthroughError(f"the configuration file says idle_timeout_s = {saved}")
        self.summary["config_saved"] = {"kiosk.idle_timeout_s": saved}
        self.settle(50)
        self.screenshot("maint-config-saved")
        self.click("maint-back")

    def _logs(self) -> None:
        self.click("maint-logs")
        page = self.panel().page("logs")
        self.wait_until(lambda: page.loaded, "the logs")
        self.summary["log_lines"] = page.count
        self.settle(50)
        self.screenshot("maint-logs")
        self.click("maint-back")

    def _exit(self) -> None:
        self.click("maint-language")
        self.settle(50)
        self.screenshot("maint-menu-english")
        self.click("maint-language")
        self.click("maint-restart")
        self.screenshot("maint-restart")
        self.click("maint-restart-cancel")
        self.click("maint-exit")
        self.settle(50)
        self.screenshot("maint-exit")
        self.click("maint-exit-confirm")
        self.wait_until(lambda: self.quit_status is not None, "the kiosk to exit")
        if self.overlay(maintenance.MaintenancePanel) is not None:
            raise WalkthroughError("the panel is still open after exit")


__all__ = ["MaintenanceWalkthrough"]
