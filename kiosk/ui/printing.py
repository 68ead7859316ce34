"""What the screens say and keep when a ticket or a receipt does not print (issue 16, item 1).

The printer only knows that it failed (``device.printer.MESSAGES``); the kiosk knows which document it was,
so the words for the citizen are made here, per kind, and say only what is true: a failed ticket leaves a
valid number (there is no dossier), a failed receipt leaves a dossier saved in the outbox.

``FailedPrints`` is the short list the maintenance page shows, with what a reprint needs (the kept PDF and
its media). The PDF itself is deleted after ``printer.keep_for_reprint_s`` by the print worker's retention:
an entry whose file is gone can no longer be reprinted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from kiosk.core import clock

KINDS = ("ticket", "receipt")
KEEP_LAST = 10  # failed prints the maintenance page lists

KIND_NAMES = {"ticket": {"vi": "Vé số thứ tự", "en": "Queue ticket"},
              "receipt": {"vi": "Giấy tiếp nhận", "en": "Receipt"}}


def failure_text(kind: str, message: dict | None) -> dict[str, str]:
    """What the citizen reads when ``kind`` ("ticket" or "receipt") did not print; ``message`` is the
    printer's own {vi, en} (what happened to it)."""
    from kiosk.app.devices import printer_messages


    reason = message or {"vi": "Máy in gặp sự cố.", "en": "The printer has a problem."}
    # mid-sentence after the colon: "Chưa in được vé: máy in đã hết giấy."
    vi, en = (_lower_first(reason.get(k, "").rstrip(".")) for k in ("vi", "en"))
    when = ({"vi": "khi máy in có giấy trở lại", "en": "once the printer has paper again"}
            if reason == printer_messages()["paper_out"] else
            {"vi": "khi máy in hoạt động trở lại", "en": "once the printer works again"})
    if kind == "receipt":
        return {"vi": f"Chưa in được giấy tiếp nhận: {vi}. Hồ sơ của bạn đã được lưu; hãy chụp mã QR hoặc ghi "
                      f"lại mã hồ sơ ở trên. Giấy tiếp nhận có thể in tại quầy, hoặc in lại tại đây {when['vi']}.",
                "en": f"The receipt could not be printed: {en}. Your dossier is saved; photograph the QR or note "
                      f"the dossier code above. The receipt can be printed at the counter, or here again "
                      f"{when['en']}."}
    return {"vi": f"Chưa in được vé: {vi}. Số của bạn vẫn có hiệu lực và quầy sẽ gọi số này: hãy chụp mã QR "
                  f"hoặc ghi lại số trên màn hình. Có thể in lại vé tại đây {when['vi']}.",
            "en": f"The ticket could not be printed: {en}. Your number is still valid and the counter will "
                  f"call it: photograph the QR or note the number on screen. The ticket can be printed here "
                  f"again {when['en']}."}


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def not_ready_notice(status: Any) -> dict[str, str] | None:
    """Said before the last tap when the printer's last status says it cannot print; None when it can
    (or was never asked: the kiosk then tries, and says so if it fails)."""
    if status is None or status.ok:
        return None
    why = ({"vi": "Máy in đang hết giấy", "en": "The printer is out of paper"} if status.state == "paper_out"
           else {"vi": "Máy in đang không hoạt động", "en": "The printer is not working"})
    return {"vi": f"{why['vi']}: bạn vẫn được cấp số, hiện trên màn hình kèm mã QR để chụp lại (không in vé).",
            "en": f"{why['en']}: you still get a number, shown on screen with a QR code to photograph "
                  "(no printed ticket)."}


@dataclass
class FailedPrint:
    """One ticket or receipt that did not print: enough to list it and print it again."""

    kind: str  # "ticket" | "receipt"
    reference: str  # the queue number, or the dossier code / provisional reference (never a name)
    path: Path
    media: str | None
    failed_at: datetime
    code: str = ""  # the printer's error code

    @property
    def still_kept(self) -> bool:
        """The PDF is still there (its reprint window, printer.keep_for_reprint_s, is not over)."""
        return self.path.is_file()


def reference_from_path(kind: str, path: Path) -> str:
    """The number or code in a print file's name (``kiosk.app.prints.PrintFiles.path``: kind-REF-HHMMSS-NNN.pdf)."""
    stem = Path(path).stem.removeprefix(f"{kind}-")
    parts = stem.rsplit("-", 2)
    return parts[0] if len(parts) == 3 else stem


class FailedPrints:
    """The last tickets and receipts that failed to print, newest first (the GUI thread only)."""

    def __init__(self, keep: int = KEEP_LAST) -> None:
        self.keep = keep
        self._items: list[FailedPrint] = []

    def add(self, kind: str, path: Path, media: str | None, code: str = "") -> FailedPrint:
        path = Path(path)
        self.discard(path)
        item = FailedPrint(kind, reference_from_path(kind, path), path, media, clock.now(), code)
        self._items.insert(0, item)
        del self._items[self.keep:]
        return item

    def discard(self, path: Path | str) -> None:
        """It printed after all (a reprint): no longer listed."""
        self._items = [i for i in self._items if i.path != Path(path)]

    def find(self, path: Path | str) -> FailedPrint | None:
        return next((i for i in self._items if i.path == Path(path)), None)

    def __iter__(self) -> Any:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)


def qr_pixmap(text: str, side_px: int) -> Any:
    """A QR code of ``text`` as a QPixmap about ``side_px`` square, black on white with its quiet zone, for
    a phone to photograph off the screen."""
    import qrcode
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QImage, QPainter, QPixmap

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(text)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    n = len(matrix)
    module = max(1, side_px // n)  # whole pixels per module: a scaled QR blurs and scans worse
    image = QImage(n * module, n * module, QImage.Format.Format_RGB32)
    image.fill(QColor("#ffffff"))
    painter = QPainter(image)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#000000"))
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                painter.drawRect(x * module, y * module, module, module)
    painter.end()
    return QPixmap.fromImage(image)
