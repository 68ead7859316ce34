"""Maintenance mode through its widgets: the PIN lockout (also after a restart), no PIN in clear, the
configuration refused then saved, the outbox with masked ID numbers and "retry now", the diagnostics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from device.sim.faults import FAULTS
from kiosk.core.identity import mask_id
from kiosk.core.pin import PinStore
from kiosk.core.samples import TEST_CITIZENS, sample_payload
from kiosk.ui.maintenance import panel as maintenance
from kiosk.ui.maintenance import pin
from tests.helpers.clock import FakeClock

PIN = "97531864"
WRONG = "12121212"


@pytest.fixture
def pin_clock(monkeypatch) -> FakeClock:
    clock = FakeClock(2_000_000_000.0)
    monkeypatch.setattr(pin, "PIN_CLOCK", clock)
    return clock


@pytest.fixture
def panel(kiosk, qtbot):
    kiosk.activateWindow()  # another test's window may have taken the activation (and with it the focus)
    qtbot.waitUntil(kiosk.isActiveWindow)
    opened = maintenance.MaintenancePanel.ask(kiosk.ctx, lambda action: None)
    yield opened
    if opened.isVisible():
        opened.finish("close")


def _press(qtbot, pad, pin: str) -> None:
    before = pad.last_check
    for digit in pin:
        qtbot.mouseClick(pad.keys[digit], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(pad.keys["ok"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not pad.busy and pad.last_check is not before, timeout=15000)


def _tap(qtbot, panel_, name: str) -> None:
    widget = panel_.findChild(QPushButton, name)
    assert widget is not None and widget.isVisible(), name
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def _type_config(qtbot, page, key: str, text: str) -> None:
    field = page.fields[key]
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(field.hasFocus)
    kb = page.keyboard
    for _ in range(len(field.text())):
        qtbot.mouseClick(kb.key_button("backspace"), Qt.MouseButton.LeftButton)
    for ch in text:
        if ch.isdigit() and kb.mode != "numeric":
            qtbot.mouseClick(kb.key_button("numeric"), Qt.MouseButton.LeftButton)
        qtbot.mouseClick(kb.key_button(ch), Qt.MouseButton.LeftButton)


def test_three_wrong_pins_lock_the_pad_and_the_lockout_survives_a_restart(kiosk, qtbot, pin_clock):
    PinStore(kiosk.services.data_dir).set_pin(PIN)
    pad = maintenance.PinDialog.ask(kiosk.ctx, lambda ok: None)
    qtbot.waitUntil(lambda: not pad.busy)
    for attempt in (1, 2):
        _press(qtbot, pad, WRONG)
        assert pad.last_check.failures == attempt and not pad.is_locked()
    _press(qtbot, pad, WRONG)
    assert pad.is_locked() and not pad.keys["5"].isEnabled() and not pad.keys["ok"].isEnabled()
    qtbot.waitUntil(lambda: "Thử lại sau 30 giây" in pad.message.text())
    assert "Try again in 30 s" in pad.message.text()
    # typing while locked does nothing (the keys are dead), even the right PIN
    qtbot.mouseClick(pad.keys["1"], Qt.MouseButton.LeftButton)
    assert pad.pin == ""
    pad._finish(False)

    # a restart: a new window over the same data directory shows the lockout at once
    from kiosk.app.services import Services
    from kiosk.ui.shell.window import KioskWindow

    services = Services(kiosk.services.settings, kiosk.services.data_dir, catalogue=kiosk.services.catalogue)
    restarted = KioskWindow(services)
    try:
        restarted.resize(1920, 1080)
        restarted.show()
        pad2 = maintenance.PinDialog.ask(restarted.ctx, lambda ok: None)
        qtbot.waitUntil(lambda: pad2.is_locked(), timeout=10000)
        assert not pad2.keys["ok"].isEnabled()
        assert "Đã khóa" in pad2.message.text() and "Locked" in pad2.message.text()
        # the lockout runs out on the PIN clock, then a fourth wrong PIN locks for longer (60 s)
        pin_clock.now += 31
        qtbot.waitUntil(lambda: pad2.keys["ok"].isEnabled(), timeout=5000)
        _press(qtbot, pad2, WRONG)
        assert pad2.last_check.locked_for_s == 60
        pin_clock.now += 61
        qtbot.waitUntil(lambda: pad2.keys["ok"].isEnabled(), timeout=5000)
        accepted: list[bool] = []
        pad2.sig_finished.connect(accepted.append)
        for digit in PIN:
            qtbot.mouseClick(pad2.keys[digit], Qt.MouseButton.LeftButton)
        qtbot.mouseClick(pad2.keys["ok"], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: accepted == [True], timeout=15000)
    finally:
        restarted.shutdown()
        services.close()
        restarted.deleteLater()
    results = [json.loads(line).get("result") for line in
               PinStore(kiosk.services.data_dir).audit_path.read_text(encoding="utf-8").splitlines()]
    assert results[-6:] == [None, "wrong", "wrong", "wrong", "wrong", "ok"]  # None: the pin_set entry


def test_the_pin_is_nowhere_in_clear_under_the_data_dir(kiosk, qtbot, pin_clock):
    data_dir: Path = kiosk.services.data_dir
    PinStore(data_dir).set_pin(PIN)
    pad = maintenance.PinDialog.ask(kiosk.ctx, lambda ok: None)
    qtbot.waitUntil(lambda: not pad.busy)
    _press(qtbot, pad, WRONG)
    accepted: list[bool] = []
    pad.sig_finished.connect(accepted.append)
    for digit in PIN:
        qtbot.mouseClick(pad.keys[digit], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(pad.keys["ok"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: accepted == [True], timeout=15000)
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert any(p.name == "pin.json" for p in files) and any(p.name == "audit.jsonl" for p in files)
    for path in files:
        content = path.read_bytes()
        assert PIN.encode() not in content, path
        assert WRONG.encode() not in content, path
    assert json.loads((data_dir / "maintenance" / "pin.json").read_text())["hash"].startswith("$argon2id$")


def test_a_bad_configuration_is_refused_with_key_and_reason_and_a_good_one_saved(kiosk, qtbot, panel, monkeypatch):
    from kiosk.core.config import load_config

    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    path = kiosk.services.data_dir / "kiosk.toml"
    path.unlink(missing_ok=True)
    _tap(qtbot, panel, "maint-config")
    page = panel.page("config")
    qtbot.waitUntil(lambda: bool(page.values))
    assert page.fields["kiosk.idle_timeout_s"].text() == "90"

    _type_config(qtbot, page, "kiosk.idle_timeout_s", "5")
    _tap(qtbot, panel, "maint-config-save")
    qtbot.waitUntil(lambda: page.refusal is not None, timeout=10000)
    text = page.message.text()
    assert "kiosk.idle_timeout_s" in text and "must be between 15 and 3600" in text
    assert text.startswith("Chưa lưu") and "Not saved" in text  # Vietnamese first, then English
    assert page.fields["kiosk.idle_timeout_s"].property("invalid") is True
    assert not path.exists()  # nothing written

    _type_config(qtbot, page, "kiosk.idle_timeout_s", "120")
    _tap(qtbot, panel, "maint-config-save")
    qtbot.waitUntil(lambda: page.saved is not None, timeout=10000)
    assert "Đã lưu" in page.message.text() and "Saved" in page.message.text()
    assert load_config(kiosk.services.data_dir).get("kiosk.idle_timeout_s") == 120
    before = path.read_bytes()

    # a bad value once a file exists leaves it byte for byte as it was
    _type_config(qtbot, page, "kiosk.ward_code", "99999")
    _tap(qtbot, panel, "maint-config-save")
    qtbot.waitUntil(lambda: page.refusal is not None, timeout=10000)
    assert "kiosk.ward_code" in page.message.text()
    assert path.read_bytes() == before
    audit = PinStore(kiosk.services.data_dir).audit_path.read_text(encoding="utf-8")
    assert '"config_changed"' in audit


def _seed_rejected(data_dir: Path) -> str:
    from kiosk.backend.outbox import Outbox
    from kiosk.core.dossier import sample_dossier

    with Outbox.in_data_dir(data_dir) as outbox, outbox.batch():
        item = outbox.add(sample_dossier(2))
        outbox.mark_rejected(item.local_ref, 422, {"title": f"bad id {TEST_CITIZENS[2]['id_number']}"})
    return item.local_ref


def test_the_outbox_shows_masked_ids_only_and_retry_now_requeues(kiosk, qtbot, panel):
    from kiosk.backend.outbox import Outbox

    data_dir = kiosk.services.data_dir
    ref = _seed_rejected(data_dir)
    id_number = TEST_CITIZENS[2]["id_number"]
    _tap(qtbot, panel, "maint-outbox")
    page = panel.page("outbox")
    qtbot.waitUntil(lambda: page.loaded and any(r["local_ref"] == ref for r in page.rows), timeout=10000)
    shown = "\n".join(page.list.item(i).text() for i in range(page.list.count()))
    assert mask_id(id_number) in shown and id_number not in shown
    assert "BỊ TỪ CHỐI" in shown

    _tap(qtbot, panel, "maint-outbox-export")
    qtbot.waitUntil(lambda: getattr(page, "exported_path", None) is not None, timeout=10000)
    exported = page.exported_path.read_text(encoding="utf-8")
    assert page.exported_path.parent == data_dir / "support"
    assert mask_id(id_number) in exported and id_number not in exported
    assert str(page.exported_path) in page.message.text()

    row = next(i for i in range(page.list.count()) if page.list.item(i).data(Qt.ItemDataRole.UserRole) == ref)
    page.list.item(row).setSelected(True)
    _tap(qtbot, panel, "maint-outbox-retry")
    with Outbox.in_data_dir(data_dir) as outbox:
        qtbot.waitUntil(lambda: outbox.get(ref).state != "rejected", timeout=10000)
        # woken, the sender delivers it to the (simulated) province
        qtbot.waitUntil(lambda: outbox.get(ref).state == "acknowledged", timeout=20000)


def test_diagnostics_name_the_printer_out_of_paper_and_show_the_camera(kiosk, qtbot, panel):
    FAULTS.set("printer", "paper_out", True)
    _tap(qtbot, panel, "maint-diagnostics")
    page = panel.page("diagnostics")
    qtbot.waitUntil(lambda: bool(page.parts) and page.preview._image is not None, timeout=20000)
    assert not page.parts["printer"].ok and page.parts["printer"].state == "paper_out"
    printer_text = page.part_lines["printer"].text()
    assert "Lắp cuộn giấy" in printer_text and "paper roll" in printer_text
    assert page.parts["backend"].ok and "ms" in page.part_lines["backend"].text()
    kiosk.services.sim_camera.present_card(sample_payload(0))
    qtbot.waitUntil(lambda: page.preview.decoded_text != "", timeout=15000)
    assert page.preview.decoded_text == f"CCCD {mask_id(TEST_CITIZENS[0]['id_number'])}"
    kiosk.services.sim_camera.remove_card()
    _tap(qtbot, panel, "maint-back")
    assert panel.current == "menu" and not kiosk.devices.camera.running


def test_back_from_the_menu_returns_to_the_kiosk_and_is_audited(kiosk, qtbot, monkeypatch):
    monkeypatch.setattr(maintenance.PinDialog, "ask", classmethod(lambda cls, w, done: done(True)))
    maintenance.open_maintenance(kiosk.ctx)
    panel_ = next(w for w in kiosk.findChildren(maintenance.MaintenancePanel) if w.isVisible())
    _tap(qtbot, panel_, "maint-logs")
    qtbot.waitUntil(lambda: panel_.page("logs").loaded, timeout=10000)
    _tap(qtbot, panel_, "maint-back")
    _tap(qtbot, panel_, "maint-back")
    qtbot.waitUntil(lambda: not maintenance.is_open(kiosk.ctx))
    events = [json.loads(line) for line in
              PinStore(kiosk.services.data_dir).audit_path.read_text(encoding="utf-8").splitlines()]
    assert [e["event"] for e in events[-2:]] == ["maintenance_enter", "maintenance_exit"]
    assert events[-1]["action"] == "close"


@pytest.mark.parametrize(("tile", "status"), [("restart", None), ("exit", maintenance.EXIT_TO_OS_STATUS)])
def test_restart_and_exit_ask_once_more_then_leave_the_kiosk_audited(kiosk, qtbot, monkeypatch, tile, status):
    left: list[object] = []
    monkeypatch.setattr(maintenance.PinDialog, "ask", classmethod(lambda cls, w, done: done(True)))
    monkeypatch.setattr(maintenance, "quit_app", lambda window, code: left.append(code))
    monkeypatch.setattr(maintenance, "restart_app", lambda window: left.append("restart"))
    maintenance.open_maintenance(kiosk.ctx)
    panel_ = next(w for w in kiosk.findChildren(maintenance.MaintenancePanel) if w.isVisible())
    _tap(qtbot, panel_, f"maint-{tile}")
    _tap(qtbot, panel_, f"maint-{tile}-cancel")  # a mistaken tap changes nothing
    assert panel_.current == "menu" and not left
    _tap(qtbot, panel_, f"maint-{tile}")
    _tap(qtbot, panel_, f"maint-{tile}-confirm")
    qtbot.waitUntil(lambda: bool(left))
    assert left == ([status] if status is not None else ["restart"])
    last = json.loads(PinStore(kiosk.services.data_dir).audit_path.read_text(encoding="utf-8").splitlines()[-1])
    assert last["event"] == "maintenance_exit" and last["action"] == tile


def test_maintenance_left_untouched_closes_itself(kiosk, qtbot, monkeypatch):
    monkeypatch.setattr(maintenance.PinDialog, "ask", classmethod(lambda cls, w, done: done(True)))
    maintenance.open_maintenance(kiosk.ctx)
    panel_ = next(w for w in kiosk.findChildren(maintenance.MaintenancePanel) if w.isVisible())
    panel_.last_touch -= maintenance.IDLE_CLOSE_S + 1  # the technician walked away
    panel_._idle_timer.timeout.emit()
    qtbot.waitUntil(lambda: not maintenance.is_open(kiosk.ctx))
    last = json.loads(PinStore(kiosk.services.data_dir).audit_path.read_text(encoding="utf-8").splitlines()[-1])
    assert last == {**last, "event": "maintenance_exit", "action": "idle"}


def test_every_maintenance_button_is_a_15_mm_touch_target(kiosk, qtbot, panel):
    touch = kiosk.theme.touch_px
    checked = 0
    for name in ("menu", "diagnostics", "print", "outbox", "config", "logs", "restart", "exit"):
        panel.open_page(name)
        page = panel.page(name)
        qtbot.waitUntil(page.isVisible)
        buttons = [b for b in panel.findChildren(QPushButton) if b.isVisible()]
        assert buttons, name
        for b in buttons:
            assert b.height() >= touch and b.width() >= touch, (name, b.objectName(), b.size())
            # nothing cut off: the text fits the button
            assert b.fontMetrics().horizontalAdvance(b.text().split("\n")[0]) <= b.width(), (name, b.text())
        checked += len(buttons)
    panel.open_page("menu")
    assert checked > 60


def test_a_pin_pad_left_open_closes_itself(kiosk, qtbot):
    results: list[bool] = []
    pad = maintenance.PinDialog.ask(kiosk.ctx, results.append)
    assert pad._idle_timer.isActive() and pad._idle_timer.interval() == maintenance.PIN_IDLE_CLOSE_S * 1000
    pad._idle_timer.timeout.emit()  # what the single-shot timer does after a minute without a touch
    qtbot.waitUntil(lambda: results == [False])
    assert not maintenance.is_open(kiosk.ctx)
