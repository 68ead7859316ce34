"""Identify: the citizen places the ID card under the camera (live preview, guide frame) or types."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout

from kiosk.core.identity import IdentityError, parse_id_qr
from kiosk.core.session import State
from kiosk.ui.health import camera_gone
from kiosk.ui.i18n import both
from kiosk.ui.screens.base import Screen
from kiosk.ui.widgets import AdaptiveRow, button, label, panel

if TYPE_CHECKING:
    from kiosk.ui.context import ScreenContext


class PreviewLabel(QLabel):
    """The camera picture with a guide frame where the card's QR should be."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("camera-preview")
        self.setMinimumSize(480, 360)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._image: QImage | None = None
        self.unavailable = ""  # said instead of a picture while the camera is gone

    def show_image(self, image: QImage | None) -> None:
        self._image = image
        self.update()

    def show_unavailable(self, text: str) -> None:
        """No camera: drop the last frame (a frozen card would still say "place your card") and say so."""
        self._image = None
        self.unavailable = text
        self.update()

    def paint_camera(self, painter: QPainter) -> QRect | None:
        """The dark background and the camera's picture, fitted and centred; returns where the picture went
        (an empty rectangle before the first frame), or None when the camera is gone and that was said instead."""
        painter.fillRect(self.rect(), QColor("#202020"))
        if self.unavailable:
            painter.setPen(QColor("#ffffff"))
            margin = self.width() // 10
            painter.drawText(self.rect().adjusted(margin, margin, -margin, -margin),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.unavailable)
            return None
        if self._image is None or self._image.isNull():
            return QRect()
        fitted = self._image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect((self.width() - fitted.width()) // 2, (self.height() - fitted.height()) // 2,
                       fitted.width(), fitted.height())
        painter.drawImage(target, self._image)  # RGB32 from the camera thread: no conversion here
        return target

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        if self.paint_camera(painter) is None:
            painter.end()
            return
        side = min(self.width(), self.height()) * 0.62
        guide = QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)
        painter.setPen(QPen(QColor("#ffd500"), 8, Qt.PenStyle.DashLine))
        painter.drawRoundedRect(guide, 16, 16)
        painter.end()


#: Said wherever the camera would be used while it is unplugged or will not start.
CAMERA_UNAVAILABLE = {"vi": "Không dùng được máy ảnh. Vui lòng nhập thông tin bằng bàn phím.",
                      "en": "The camera is not available. Please type your details."}


def set_role(widget, role: str | None) -> None:
    """Change a widget's style role now (Qt applies a property change to the style only when re-polished)."""
    if widget.property("role") != role:
        widget.setProperty("role", role)
        widget.style().unpolish(widget)
        widget.style().polish(widget)


class IdentifyScreen(Screen):
    state = State.IDENTIFY
    title = {"vi": "Đọc thẻ căn cước", "en": "Read your ID card"}
    spoken = ("instructions", "refusal")

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        # portrait: the camera preview above the instructions
        self.row = row = AdaptiveRow(24)
        self.preview = PreviewLabel()
        row.addWidget(self.preview, 3)
        side = QVBoxLayout()
        frame, inner = panel()
        self.instructions = label(role="subtitle")
        self.status = label()
        self.status.setObjectName("identify-status")
        self.refusal = label(role="error")
        self.refusal.setObjectName("identify-refusal")
        inner.addWidget(self.instructions)
        inner.addWidget(self.status)
        inner.addWidget(self.refusal)
        inner.addStretch(1)
        side.addWidget(frame, 1)
        self.type_button = button(None, self._on_type_clicked, name="identify-type")
        side.addWidget(self.type_button)
        row.addLayout(side, 2)
        self.root.addLayout(row, 1)
        self.camera_status: tuple[str, dict] = ("starting", {})
        self.refusal_message: dict | None = None

    def enter(self) -> None:
        self.refusal_message = None
        # a camera already known to be gone is said at once, not after the worker has tried again
        last = self.devices.camera.status
        self.camera_status = (last, {}) if camera_gone(last) else ("starting", {})
        self._unwatch_camera = self.devices.watch_camera(self._on_camera_decoded, self.preview.show_image,
                                                         self._on_camera_status)
        self.retranslate_ui()

    def leave(self) -> None:
        self._unwatch_camera()
        self.preview.show_image(None)

    def _on_camera_status(self, code: str, message: dict) -> None:
        self.camera_status = (code, message)
        self.retranslate_ui()

    def _on_camera_decoded(self, text: str) -> None:
        if self.session.state != State.IDENTIFY:
            return
        try:
            identity = parse_id_qr(text)
        except IdentityError as err:
            self.refusal_message = err.message
            self.ctx.log.info("card refused: %s", err.code)
            self.retranslate_ui()
            return
        self.session.data.identity = identity
        self.session.data.card_read = True
        self.ctx.log.info("card read")
        self.navigator.go(State.FORM)

    def _on_type_clicked(self) -> None:
        self.session.data.identity = None
        self.session.data.card_read = False
        self.navigator.go(State.FORM)

    def reset(self) -> None:
        self.refusal_message = None
        self.preview.show_image(None)

    def retranslate_ui(self) -> None:
        code, _message = self.camera_status
        if camera_gone(code):
            # no card can be read: say so plainly and make typing the way on, not a small alternative
            self.preview.show_unavailable(self.t(CAMERA_UNAVAILABLE))
            self.instructions.setText(self.t(CAMERA_UNAVAILABLE))
            self.status.setText("")
            # primary and twice as tall, not a tile: a tile's font would clip the words in a portrait column
            set_role(self.type_button, "primary")
            self.type_button.set_floor_height(2 * self.ctx.theme.touch_px)
            self.type_button.setText(self.t({"vi": "Nhập bằng bàn phím", "en": "Type instead"}))
        else:
            self.preview.unavailable = ""
            self.instructions.setText(self.t({
                "vi": "Đặt mặt sau của thẻ căn cước (mặt có mã QR) vào khay, dưới camera, sao cho mã QR nằm "
                      "trong khung vàng.",
                "en": "Place your ID card, back side up (the side with the QR code), in the tray under the "
                      "camera so the QR code sits inside the yellow frame."}))
            self.status.setText(self.t({"vi": "Đang chờ thẻ…", "en": "Waiting for the card…"}))
            set_role(self.type_button, None)
            self.type_button.set_floor_height(0)
            self.type_button.setText(self.t({"vi": "Không có thẻ? Nhập thông tin bằng bàn phím",
                                             "en": "No card? Type your details instead"}))
        # Refusals are shown in both languages: the citizen may not be reading the chosen one.
        self.refusal.setText(both(self.refusal_message) if self.refusal_message else "")
