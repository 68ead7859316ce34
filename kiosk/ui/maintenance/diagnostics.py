"""Diagnostics: the live camera with what it decodes and its frame rate, and every other part's health.

The camera picture comes from the window's own camera bridge (the one the citizens' screens use), so
what the technician sees is what a citizen's card meets. Printer, backend, outbox and disk are checked
by ``kiosk.app.diagnostics.running_parts`` on the panel's worker thread.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout

from kiosk.ui.maintenance.common import MaintPage
from kiosk.ui.screens.identify import PreviewLabel
from kiosk.ui.widgets import button, finger_scrolled, label, panel

PARTS = [("camera", {"vi": "Camera", "en": "Camera"}), ("printer", {"vi": "Máy in", "en": "Printer"}),
         ("backend", {"vi": "Máy chủ tỉnh", "en": "Backend"}), ("outbox", {"vi": "Hồ sơ chờ gửi", "en": "Outbox"}),
         ("sender", {"vi": "Luồng gửi", "en": "Sender"}), ("disk", {"vi": "Ổ đĩa", "en": "Disk"}),
         ("speech", {"vi": "Giọng đọc", "en": "Speech"})]
DECODE_SHOWN_S = 4.0


def describe_decoded(text: str) -> str:
    """What a decoded QR is, without showing personal data: an ID card shows only its masked number."""
    from kiosk.core.identity import IdentityError, is_card_qr, mask_id, parse_id_qr
    from kiosk.core.logs import mask_personal

    if is_card_qr(text):
        try:
            return f"CCCD {mask_id(parse_id_qr(text).id_number)}"
        except IdentityError:
            return "CCCD ?"
    shown = mask_personal(text)
    return shown if len(shown) <= 48 else shown[:45] + "…"


class DecodePreview(PreviewLabel):
    """The camera picture, the frame rate in a corner and, after a decode, a green frame with what was read."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("maint-camera-preview")
        self.fps_text = ""
        self.decoded_text = ""
        self.decoded_at = 0.0

    def paintEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().paintEvent(event)
        painter = QPainter(self)
        font = QFont(self.font())
        font.setPixelSize(30)
        font.setBold(True)
        painter.setFont(font)
        if self.fps_text:
            box = QRectF(12, 12, 420, 48)
            painter.fillRect(box, QColor(0, 0, 0, 200))
            painter.setPen(QColor("#ffffff"))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.fps_text)
        if self.decoded_text and time.monotonic() - self.decoded_at < DECODE_SHOWN_S:
            side = min(self.width(), self.height()) * 0.62
            guide = QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)
            painter.setPen(QPen(QColor("#00e060"), 10))
            painter.drawRoundedRect(guide, 16, 16)
            box = QRectF(0, self.height() - 64, self.width(), 64)
            painter.fillRect(box, QColor(0, 90, 30, 230))
            painter.setPen(QColor("#ffffff"))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, f"QR: {self.decoded_text}")
        painter.end()


class DiagnosticsPage(MaintPage):
    name = "diagnostics"
    title = {"vi": "Chẩn đoán thiết bị", "en": "Diagnostics"}

    def __init__(self, panel_: Any) -> None:
        super().__init__(panel_)
        row = QHBoxLayout()
        row.setSpacing(24)
        self.preview = DecodePreview()
        row.addWidget(self.preview, 5)
        side = QVBoxLayout()
        frame, inner = panel()
        # first what the citizens get, and which part is why: the line a technician reads before any other
        self.service = label(role="fieldlabel")
        self.service.setObjectName("maint-service")
        self.root.addWidget(self.service)
        grid = QGridLayout()
        grid.setVerticalSpacing(8)
        self.part_names: dict[str, QLabel] = {}
        self.part_lines: dict[str, QLabel] = {}
        for i, (key, _text) in enumerate(PARTS):
            name = label(role="fieldlabel")
            line = label()
            line.setObjectName(f"maint-part-{key}")
            grid.addWidget(name, i, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(line, i, 1)
            self.part_names[key], self.part_lines[key] = name, line
        grid.setColumnStretch(1, 1)
        inner.addLayout(grid)
        inner.addStretch(1)
        # with every part failing, the messages and what to do are taller than a 1366x768 screen: they scroll
        scroll = finger_scrolled(frame)
        side.addWidget(scroll, 1)
        self.refresh_button = button(None, self.refresh, name="maint-diagnostics-refresh")
        side.addWidget(self.refresh_button)
        row.addLayout(side, 6)
        self.root.addLayout(row, 1)
        self.parts: dict[str, Any] = {}
        self.checking = False
        self.camera_status: tuple[str, dict] = ("starting", {})
        self._fps_timer = QTimer(self)
        self._fps_timer.setInterval(1000)
        self._fps_timer.timeout.connect(self._on_fps_timer_timeout)
        self._frames = (0, 0.0)
        self._preview_frames = 0

    # --- life cycle -------------------------------------------------------------------------------
    def enter(self) -> None:
        cam = self.ctx.devices.camera
        self.camera_status = ("starting", {})
        self._frames = (cam.frames_seen, time.monotonic())
        self._preview_frames = 0
        self._fps_timer.start()
        self._unwatch_camera = self.ctx.devices.watch_camera(self._on_camera_decoded, self._on_camera_frame,
                                                         self._on_camera_status)
        self.refresh()

    def leave(self) -> None:
        self._unwatch_camera()
        self._fps_timer.stop()
        self.preview.show_image(None)
        self.preview.decoded_text = ""

    # --- camera -----------------------------------------------------------------------------------
    def _on_camera_frame(self, image: QImage) -> None:
        self._preview_frames += 1
        self.preview.show_image(image)

    def _on_camera_decoded(self, text: str) -> None:
        self.preview.decoded_text = describe_decoded(text)
        self.preview.decoded_at = time.monotonic()
        self.preview.update()

    def _on_camera_status(self, code: str, message: dict) -> None:
        self.camera_status = (code, message)
        self.retranslate_ui()

    def _on_fps_timer_timeout(self) -> None:
        seen, since = self._frames
        now = time.monotonic()
        count = self.ctx.devices.camera.frames_seen
        fps = (count - seen) / max(now - since, 1e-3)
        self._frames = (count, now)
        self.preview.fps_text = f"{fps:.0f} khung/s · {fps:.0f} fps"
        self.capture_fps = fps
        self.preview.update()
        self._show_camera_line(fps)

    def _show_camera_line(self, fps: float | None = None) -> None:
        code, message = self.camera_status
        line = self.part_lines["camera"]
        if code in ("ok", "starting") and (fps is None or fps > 0 or code == "starting"):
            text = {"vi": "Đang chạy", "en": "Running"} if code == "ok" else {"vi": "Đang mở…", "en": "Opening…"}
            if fps:
                text = {"vi": f"{text['vi']}, {fps:.0f} khung hình/giây", "en": f"{text['en']}, {fps:.0f} fps"}
            line.setProperty("role", "ok" if code == "ok" else None)
            line.setText(self.bi(text))
        else:
            line.setProperty("role", "error")
            fix = {"vi": "Kiểm tra cáp USB của camera.", "en": "Check the camera's USB cable."}
            line.setText(self.bi(message or {"vi": "Camera không hoạt động.", "en": "The camera is not working."})
                         + "\n→ " + self.bi(fix))
        line.style().unpolish(line)
        line.style().polish(line)

    # --- other parts ------------------------------------------------------------------------------
    def refresh(self) -> None:
        if self.checking:
            return
        self.checking = True
        self.refresh_button.setEnabled(False)
        for key, line in self.part_lines.items():
            if key != "camera":
                line.setProperty("role", None)
                line.setText("…")
        services = self.services
        settings = services.settings
        backend = {"url": services.backend_url, "token": settings.backend_token, "ca_file": settings.ca_file,
                   "timeout_s": min(settings.backend_timeout_s, 5.0)}
        queue = str(settings.printer["queue"])

        def check() -> dict[str, Any]:
            from kiosk.app.diagnostics import running_parts

            return running_parts(services.printer, queue, backend, services.data_dir, settings.simulate,
                                 services.sender_health())

        self.run(check, self._on_checked, self._on_check_failed)

    def _on_check_failed(self, err: BaseException) -> None:
        self.checking = False
        self.refresh_button.setEnabled(True)
        self._on_task_failed(err)

    def _on_checked(self, parts: dict[str, Any]) -> None:
        from kiosk.app.diagnostics import speech_part

        self.checking = False
        self.refresh_button.setEnabled(True)
        voice = self.ctx.voice
        parts["speech"] = speech_part(voice.status if voice is not None else "no_voice: not started")
        self.parts = parts
        self.retranslate_ui()

    def service_summary(self) -> dict[str, str] | None:
        """Which citizen journeys the checked parts close, and the parts to blame (None before a check)."""
        from kiosk.core.availability import failed_parts, journey_availability
        from kiosk.ui.health import camera_gone
        from kiosk.ui.screens.home import TILES

        if not {"printer", "backend", "outbox"} <= set(self.parts):
            return None
        parts = {"printer_ok": self.parts["printer"].ok, "camera_ok": not camera_gone(self.camera_status[0]),
                 "backend_ok": self.parts["backend"].ok, "outbox_ok": self.parts["outbox"].ok,
                 "has_backend": self.services.has_backend}
        availability = journey_availability(**parts)
        names = dict(PARTS)
        blamed = [names[part] for part in failed_parts(**parts)]
        closed = [text for state, text in TILES if not availability.get(state.value, True)]
        if not closed:
            return {"vi": "Mọi dịch vụ cho công dân đang mở.", "en": "Every citizen journey is open."}
        because = {lang: ", ".join(b[lang].lower() for b in blamed) for lang in ("vi", "en")}
        if not blamed:  # only the journeys no backend could ever serve (rating) are closed
            because = {"vi": "chưa cấu hình máy chủ tỉnh", "en": "no provincial backend configured"}
        if len(closed) == len(availability):
            return {"vi": f"Kiosk tạm ngừng phục vụ công dân. Nguyên nhân: {because['vi']}.",
                    "en": f"The kiosk is out of service for citizens. Cause: {because['en']}."}
        shut = {lang: ", ".join(c[lang] for c in closed) for lang in ("vi", "en")}
        return {"vi": f"Đang tạm ngừng: {shut['vi']}. Nguyên nhân: {because['vi']}.",
                "en": f"Closed now: {shut['en']}. Cause: {because['en']}."}

    def retranslate_ui(self) -> None:
        summary = self.service_summary()
        self.service.setText(self.bi(summary) if summary else "…")
        for key, text in PARTS:
            self.part_names[key].setText(self.bi(text))
        self.refresh_button.setText(self.bi({"vi": "Kiểm tra lại", "en": "Check again"}))
        self._show_camera_line(getattr(self, "capture_fps", None))
        for key, part in self.parts.items():
            line = self.part_lines[key]
            text = self.bi(part.message)
            if key == "printer":
                text += "\n" + self.bi({"vi": f"Giấy: {_PAPER.get(part.data.get('paper'), {}).get('vi', '?')}",
                                        "en": f"Paper: {part.data.get('paper', '?')}"})
            if key == "outbox" and part.data.get("oldest_pending_age_s") is not None:
                minutes = part.data["oldest_pending_age_s"] / 60
                text += "\n" + self.bi({"vi": f"Hồ sơ cũ nhất chờ {minutes:.0f} phút",
                                        "en": f"oldest waiting {minutes:.0f} min"})
            if not part.ok and part.action:
                text += "\n→ " + self.bi(part.action)
            line.setProperty("role", "ok" if part.ok else "error")
            line.setText(text)
            line.style().unpolish(line)
            line.style().polish(line)


_PAPER = {"ok": {"vi": "còn"}, "low": {"vi": "sắp hết"}, "out": {"vi": "hết"}, "unknown": {"vi": "không rõ"}}
