"""Outbox: the dossiers not yet recorded by the province, retried on demand, exported for support.

Only what the outbox keeps in clear is shown: references, procedure, state, attempts and the masked ID
number (``0010******45``); the encrypted personal payload is never opened here.

A lost outbox (its database emptied, replaced or short of rows while its key remained) refuses dossiers
until the technician acknowledges it here, in two taps, audited; numbering then goes on above the last
reference ever issued.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem

from kiosk.app.maintenance import acknowledge_loss, export_outbox, lost_message, outbox_rows, requeue
from kiosk.core import clock
from kiosk.ui.maintenance.common import MaintPage
from kiosk.ui.maintenance.pin import audit
from kiosk.ui.widgets import button, enable_swipe, label

STATE_TEXT = {"pending": {"vi": "chờ gửi", "en": "pending"}, "sent": {"vi": "đang gửi", "en": "sending"},
              "rejected": {"vi": "BỊ TỪ CHỐI", "en": "REJECTED"}}



class OutboxPage(MaintPage):
    name = "outbox"
    title = {"vi": "Hồ sơ chờ gửi", "en": "Outbox"}

    def __init__(self, panel_: Any) -> None:
        super().__init__(panel_)
        self.summary = label(role="subtitle")
        self.summary.setObjectName("maint-outbox-summary")
        self.root.addWidget(self.summary)
        self.list = QListWidget()
        self.list.setObjectName("maint-outbox-list")
        self.list.setWordWrap(True)
        self.list.setSelectionMode(QListWidget.SelectionMode.MultiSelection)
        self.list.itemSelectionChanged.connect(self.retranslate_ui)
        enable_swipe(self.list)
        self.root.addWidget(self.list, 1)
        self.message = label()
        self.message.setObjectName("maint-outbox-message")
        self.root.addWidget(self.message)
        self.lost_notice = label()
        self.lost_notice.setObjectName("maint-outbox-lost")
        self.lost_notice.setVisible(False)
        self.root.addWidget(self.lost_notice)
        self.acknowledge_button = button("primary", self._on_acknowledge_clicked, name="maint-outbox-acknowledge")
        self.acknowledge_button.setVisible(False)
        self.root.addWidget(self.acknowledge_button)
        self._confirming = False
        row = QHBoxLayout()
        self.retry_button = button("primary", self._on_retry_clicked, name="maint-outbox-retry")
        self.export_button = button(None, self._on_export_clicked, name="maint-outbox-export")
        self.refresh_button = button(None, self.refresh, name="maint-outbox-refresh")
        for b in (self.retry_button, self.export_button, self.refresh_button):
            row.addWidget(b)
        self.root.addLayout(row)
        self.rows: list[dict[str, Any]] = []
        self.status: dict[str, Any] = {}
        self.loaded = False
        self._message: dict[str, str] | None = None

    def enter(self) -> None:
        self._message = None
        self._confirming = False
        self.refresh()

    def refresh(self) -> None:
        self.loaded = False
        data_dir = self.services.data_dir
        self.run(lambda: outbox_rows(data_dir), self._on_loaded)

    def _on_loaded(self, result: tuple[list[dict], dict]) -> None:
        self.rows, self.status = result
        self.list.clear()
        for row in self.rows:
            item = QListWidgetItem(self._row_text(row))
            item.setData(Qt.ItemDataRole.UserRole, row["local_ref"])
            self.list.addItem(item)
        self.loaded = True
        self.retranslate_ui()

    def _row_text(self, row: dict[str, Any]) -> str:
        created = row["created_at"] or ""
        try:
            created = clock.local(datetime.fromisoformat(created)).strftime("%d/%m/%Y %H:%M")
        except ValueError:
            pass
        state = self.bi(STATE_TEXT.get(row["state"], {"vi": row["state"], "en": row["state"]}))
        text = (f"{row['local_ref']}  ·  {state}  ·  {row['procedure_code']}  ·  "
                f"CCCD {row['id_masked'] or '—'}\n{created}  ·  "
                + self.bi({"vi": f"{row['attempts']} lần gửi", "en": f"{row['attempts']} attempts"}))
        problem = row.get("problem") or {}
        reason = problem.get("title") or problem.get("detail") or row.get("last_error")
        if reason:
            text += f"\n{str(reason)[:140]}"
        return text

    def selected_refs(self) -> list[str]:
        return [i.data(Qt.ItemDataRole.UserRole) for i in self.list.selectedItems()]

    def _on_retry_clicked(self) -> None:
        refs = self.selected_refs() or [r["local_ref"] for r in self.rows]
        data_dir = self.services.data_dir
        self.run(lambda: requeue(data_dir, refs), self._on_requeued)

    def _on_requeued(self, count: int) -> None:
        sender = self.services.sender
        if sender is not None:
            sender.wake()
        audit(self.ctx, "outbox_retry", requeued=count)
        self._message = {"vi": f"Đã đưa {count} hồ sơ vào hàng gửi lại.", "en": f"{count} dossiers queued again."}
        self.refresh()

    def _on_acknowledge_clicked(self) -> None:
        if not self._confirming:  # the first tap says what acknowledging means; the second does it
            self._confirming = True
            self.retranslate_ui()
            return
        self._confirming = False
        data_dir = self.services.data_dir
        self.run(lambda: acknowledge_loss(data_dir), self._on_loss_acknowledged)

    def _on_loss_acknowledged(self, record: dict[str, Any] | None) -> None:
        if record is not None:
            audit(self.ctx, "outbox_loss_acknowledged", reason=record["reason"], detected_at=record["detected_at"])
        self._message = {"vi": "Đã xác nhận mất dữ liệu: kiosk nhận hồ sơ trở lại, số tham chiếu tiếp tục sau số "
                               "cuối cùng đã cấp.",
                         "en": "Loss acknowledged: the kiosk accepts dossiers again, references continue after "
                               "the last one issued."}
        self.refresh()

    def _on_export_clicked(self) -> None:
        data_dir = self.services.data_dir
        self.run(lambda: export_outbox(data_dir), self._on_exported)

    def _on_exported(self, path: Path) -> None:
        self.exported_path = path
        audit(self.ctx, "outbox_export", path=str(path))
        self._message = {"vi": f"Đã xuất danh sách (số CCCD đã che): {path}",
                         "en": f"List exported (ID numbers masked): {path}"}
        self.retranslate_ui()

    def retranslate_ui(self) -> None:
        s = self.status
        if self.loaded:
            self.summary.setText(self.bi({
                "vi": f"Chờ gửi: {s.get('undelivered', 0)} · Bị từ chối: {s.get('rejected', 0)} · "
                      f"Đã gửi xong: {s.get('acknowledged', 0)}",
                "en": f"waiting {s.get('undelivered', 0)} · rejected {s.get('rejected', 0)} · "
                      f"delivered {s.get('acknowledged', 0)}"}))
        else:
            self.summary.setText("…")
        for i, row in enumerate(self.rows):
            if self.list.item(i) is not None:
                self.list.item(i).setText(self._row_text(row))
        lost = self.status.get("lost") if self.loaded else None
        self.lost_notice.setVisible(bool(lost))
        self.acknowledge_button.setVisible(bool(lost))
        if lost:
            text = lost_message(lost)
            notice = [text["vi"], text["en"]]
            if self._confirming:
                notice += ["Xác nhận nghĩa là: hồ sơ đã mất không thể khôi phục từ kiosk; báo bộ phận hỗ trợ để đối "
                           "chiếu với máy chủ tỉnh. Chạm lần nữa để xác nhận.",
                           "Acknowledging means: the lost dossiers cannot be recovered from the kiosk; tell support "
                           "so the backend's records can be checked. Tap again to confirm."]
            self.lost_notice.setText("\n".join(notice))
            self.acknowledge_button.setText(self.bi(
                {"vi": "Chạm lần nữa để xác nhận", "en": "Tap again to confirm"} if self._confirming else
                {"vi": "Xác nhận mất dữ liệu", "en": "Acknowledge the loss"}))
        lines = [self.bi(self._message)] if self._message else []
        if self.loaded and not self.rows:
            lines.append(self.bi({"vi": "Không có hồ sơ nào đang chờ.", "en": "Nothing is waiting."}))
        self.message.setText("\n".join(lines))
        chosen = len(self.selected_refs())
        self.retry_button.setEnabled(bool(self.rows))  # rejected ones are requeued, pending ones tried now
        self.retry_button.setText(self.bi({"vi": f"Gửi lại ngay ({chosen} đã chọn)", "en": f"Retry now ({chosen})"}
                                          if chosen else {"vi": "Gửi lại ngay tất cả",
                                                          "en": "Retry all now"}))
        self.export_button.setText(self.bi({"vi": "Xuất cho hỗ trợ", "en": "Export for support"}))
        self.refresh_button.setText(self.bi({"vi": "Làm mới", "en": "Refresh"}))
