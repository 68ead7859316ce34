"""A kiosk whose outbox database was emptied (its key kept) refuses new dossiers, says why in the
diagnostics and the heartbeat, and accepts dossiers again once the technician acknowledges the loss in
maintenance -- never handing out a provisional reference it issued before. And a kiosk on a read-only
data folder starts and shows the technician what is wrong, through the real widgets."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QPushButton, QWidget

from kiosk.backend.outbox import DB_NAME, Outbox
from kiosk.core.dossier import sample_dossier
from kiosk.core.pin import PinStore
from kiosk.core.samples import sample_payload
from kiosk.core.session import State
from kiosk.ui.maintenance import panel as maintenance

from .driver import Driver


@pytest.fixture(scope="module")
def lost_kiosk(qapp, tmp_path_factory):
    from kiosk.app.services import KioskSettings
    from kiosk.ui.app import build_window, close_window

    data = tmp_path_factory.mktemp("lost-outbox")
    with Outbox.in_data_dir(data) as outbox:
        issued = [outbox.add(sample_dossier(i)).local_ref for i in range(2)]
    for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm"):  # a bad restore: the key and the mark remain
        (data / name).unlink(missing_ok=True)
    settings = KioskSettings(simulate=True, screen_dpi=96.0, camera={"fps": 15})
    window = build_window(settings, data, prints_dir=data / "prints", autoplay_video=False,
                          start_simulator=True, thanks_ms=300, ack_wait_ms=4000)
    window.setFixedSize(1920, 1080)
    window.show()
    yield window, issued
    close_window(window)


def _heartbeat(window) -> dict | None:
    store = window.services.simulator.store
    with store._lock:
        row = store._conn.execute("SELECT body FROM heartbeats WHERE kiosk_id = ?",
                                  (window.services.settings.kiosk_id,)).fetchone()
    return json.loads(row[0]) if row else None


def _tap(qtbot, widget_parent, name: str) -> None:
    widget = widget_parent.findChild(QPushButton, name)
    assert widget is not None and widget.isVisible(), name
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def test_the_heartbeat_tells_the_province_the_outbox_was_lost(lost_kiosk, qtbot):
    window, _ = lost_kiosk
    qtbot.waitUntil(lambda: (_heartbeat(window) or {}).get("devices", {}).get("outbox") is not None, timeout=20000)
    assert _heartbeat(window)["devices"]["outbox"] == "lost:database_new"


def test_the_dossier_tile_closes_and_a_dossier_begun_before_is_refused_plainly(lost_kiosk, qtbot):
    window, _ = lost_kiosk
    driver = Driver(window, qtbot)
    home = window.screens[State.HOME]
    qtbot.waitUntil(lambda: not home.tiles[State.PROCEDURE].isEnabled(), timeout=20000)  # the health check saw it
    assert window.health.outbox == "lost:database_new"
    # a citizen who began before the check: the tile was open, the save still refuses plainly
    window.health._set(outbox="ok")
    spool = window.services.printer.spool_dir
    before = set(spool.glob("*receipt*.pdf"))
    driver.birth_dossier_to_review(sample_payload(0))
    driver.click("review-submit")
    error = window.screens[State.SUBMITTING].error
    qtbot.waitUntil(lambda: "tạm ngừng nhận hồ sơ" in error.text(), timeout=30000)
    assert "not accepting dossiers" in error.text() and "technician" in error.text()
    assert "Traceback" not in error.text() and "OutboxLost" not in error.text()
    assert set(spool.glob("*receipt*.pdf")) == before
    driver.click("header-home")
    driver.on(State.HOME)


def test_the_technician_sees_it_acknowledges_it_and_references_go_on_above_the_old_ones(lost_kiosk, qtbot):
    window, issued = lost_kiosk
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    panel = maintenance.MaintenancePanel.ask(window.ctx, lambda action: None)
    try:
        _tap(qtbot, panel, "maint-diagnostics")
        diagnostics = panel.page("diagnostics")
        qtbot.waitUntil(lambda: "outbox" in diagnostics.parts, timeout=30000)
        assert not diagnostics.parts["outbox"].ok and diagnostics.parts["outbox"].state == "lost"
        shown = diagnostics.part_lines["outbox"].text()
        assert "mất dữ liệu" in shown and "lost data" in shown
        _tap(qtbot, panel, "maint-back")

        _tap(qtbot, panel, "maint-outbox")
        page = panel.page("outbox")
        qtbot.waitUntil(lambda: page.loaded and page.lost_notice.isVisible(), timeout=10000)
        assert "bị xoá hoặc làm trống" in page.lost_notice.text()
        assert "deleted or emptied" in page.lost_notice.text()
        _tap(qtbot, panel, "maint-outbox-acknowledge")  # the first tap only explains
        assert "Tap again to confirm" in page.lost_notice.text()
        assert window.services.outbox().lost() is not None
        _tap(qtbot, panel, "maint-outbox-acknowledge")
        qtbot.waitUntil(lambda: page.loaded and not page.acknowledge_button.isVisible(), timeout=10000)
        assert "accepts dossiers again" in page.message.text()
    finally:
        panel.finish("close")
    events = [json.loads(line) for line in
              PinStore(window.services.data_dir).audit_path.read_text(encoding="utf-8").splitlines()]
    assert any(e["event"] == "outbox_loss_acknowledged" and e["reason"] == "database_new" for e in events)
    item = window.services.commit(sample_dossier(3))  # the kiosk accepts dossiers again
    assert item.local_ref not in issued and item.local_ref.endswith("-0003")


# --- a read-only data folder ----------------------------------------------------------------------

@pytest.fixture
def read_only_data(tmp_path):
    """A data folder mounted read-only (chmod does not stop root; a read-only bind mount does)."""
    source, data = tmp_path / "source", tmp_path / "data"
    source.mkdir()
    data.mkdir()
    with Outbox.in_data_dir(source) as outbox:
        outbox.add(sample_dossier(0))
    PinStore(source).set_pin("97531864")  # set at installation, before the folder turned read-only
    mounted = subprocess.run(["mount", "--bind", str(source), str(data)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        ro = subprocess.run(["mount", "-o", "remount,bind,ro", str(data)], capture_output=True)
        if ro.returncode != 0:
            pytest.skip("cannot remount read-only here")
        yield data
    finally:
        subprocess.run(["umount", str(data)], check=True)


def _texts(window) -> str:
    return "\n".join(w.text() for w in window.findChildren(QWidget)
                     if isinstance(w, (QLabel, QAbstractButton)) and w.isVisibleTo(window))


def test_a_kiosk_on_a_read_only_data_folder_starts_and_tells_the_technician(qapp, qtbot, read_only_data):
    from kiosk.app.services import KioskSettings, Services
    from kiosk.ui.app import close_window
    from kiosk.ui.shell.window import KioskWindow

    before = {p.name: p.read_bytes() for p in read_only_data.iterdir() if p.is_file()}
    services = Services(KioskSettings(simulate=True, screen_dpi=96.0), read_only_data)
    window = KioskWindow(services)
    window.resize(1920, 1080)
    window.show()
    try:
        assert window.session.state == State.HOME
        home = window.screens[State.HOME]
        assert not any(tile.isVisibleTo(window) for tile in home.tiles.values())  # nothing for a citizen
        shown = _texts(window)
        assert "Kiosk tạm ngừng phục vụ" in shown and "out of service" in shown
        assert str(read_only_data) in shown and "read-only" in shown and "chỉ đọc" in shown
        assert "Traceback" not in shown
        for _ in range(5):  # the way into maintenance still works
            qtbot.mouseClick(window.corner, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: maintenance.is_open(window.ctx))
    finally:
        close_window(window)
    assert {p.name: p.read_bytes() for p in read_only_data.iterdir() if p.is_file()} == before  # untouched


def test_services_on_a_read_only_data_folder_do_not_raise_into_the_kiosk(read_only_data):
    from kiosk.app.services import KioskSettings, Services

    services = Services(KioskSettings(simulate=True, backend_url="http://127.0.0.1:9", backend_token="t"),
                        read_only_data)
    try:
        assert services.storage_problem is not None
        assert services.start_sender(lambda *a: None, lambda *a: None, lambda *a: None) is None
        assert services.outbox_health() == "unusable"
    finally:
        services.close()


def test_a_data_folder_whose_outbox_is_not_a_database_is_shown_not_overwritten(qapp, tmp_path):
    from kiosk.app.services import KioskSettings, Services

    data = tmp_path / "data"
    data.mkdir()
    garbage = b"this is not sqlite, a failed restore" * 100
    (data / DB_NAME).write_bytes(garbage)
    services = Services(KioskSettings(simulate=True), data)
    try:
        assert str(Path(data / DB_NAME)) in services.storage_problem["en"]
        assert "damaged" in services.storage_problem["en"] and "hỏng" in services.storage_problem["vi"]
    finally:
        services.close()
    assert (data / DB_NAME).read_bytes() == garbage
