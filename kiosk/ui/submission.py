"""Submitting a dossier without ever freezing the screen.

Order matters (DESIGN.md section 8): the dossier is committed to the outbox (fsync'd) first; the
sender is woken and given a few seconds to bring back the official dossier code; then the receipt
prints — with the official code, or with the provisional reference and "will be synchronised"
wording. A kill at any point leaves either nothing printed or a receipt whose dossier the outbox
holds and will deliver exactly once (idempotency key).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from kiosk.app.documents import received_electronically
from kiosk.core import forms
from kiosk.core.dossier import Applicant, Consent, Dossier
from kiosk.core.identity import mask_id
from kiosk.core.session import State
from kiosk.ui.screens.consent import CONSENT_TEXT_VERSION

if TYPE_CHECKING:
    from kiosk.ui.context import ScreenContext
    from kiosk.ui.screens.submitting import SubmittingScreen

log = logging.getLogger(__name__)


class ApplicantIncomplete(ValueError):
    """A typed applicant lacks what the backend requires: the kiosk refuses rather than invent it."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(f"applicant fields missing: {', '.join(missing)}")
        self.missing = missing
        self.message = {"vi": "Hồ sơ còn thiếu ngày sinh hoặc giới tính của bạn. Vui lòng quay lại và nhập đủ.",
                        "en": "Your date of birth or sex is missing from the dossier. Please go back and fill it in."}


def applicant_from_form(proc: forms.Procedure, values: dict[str, str], identity: Any) -> Applicant:
    """The applicant, from the card when it was read, otherwise exactly as typed in the fields the card
    would fill; nothing is guessed (the backend takes a dossier's birth date and sex as facts)."""
    phone = next((values[f.key] for f in proc.fields if f.type == "phone" and values.get(f.key)), None)
    if identity is not None:
        return Applicant.from_identity(identity, phone=phone)
    by_attr = {f.autofill: values.get(f.key, "") for f in proc.fields if f.autofill}
    dob = forms.parse_date(by_attr.get("date_of_birth", ""))
    sex = by_attr.get("sex", "")
    missing = [name for name, ok in (("date_of_birth", dob is not None), ("sex", sex in ("male", "female")))
               if not ok]
    if missing or dob is None:
        raise ApplicantIncomplete(missing)
    return Applicant(id_number=by_attr.get("id_number", ""), full_name=by_attr.get("full_name", ""),
                     date_of_birth=dob.isoformat(), sex=sex, address=by_attr.get("address", ""), phone=phone)


class Submission(QObject):
    sig_finished = Signal(dict)
    """The dossier is committed and its receipt handled: {local_ref, dossier_code, receipt_path, printed}."""

    def __init__(self, ctx: ScreenContext, ack_wait_ms: int = 6000) -> None:
        super().__init__(ctx.host)
        self.ctx = ctx
        self.ack_wait_ms = ack_wait_ms
        self._ack_timer = QTimer(self)
        self._ack_timer.setSingleShot(True)
        self._ack_timer.timeout.connect(self._on_ack_timer_timeout)
        self.reset()

    def reset(self) -> None:
        self.dossier: Dossier | None = None
        self.local_ref: str | None = None
        self.receipt_path: str | None = None
        self.receipt_printed = False
        self.print_message: dict | None = None
        self.stage = "idle"
        self.payment_message: dict | None = None  # why the fee is to be paid at the counter, if it is
        self.commit_fault: str | None = None  # why the last commit failed (STORAGE_FAULTS), or None
        self._refusals: dict[str, dict] = {}
        self._ack_timer.stop()

    @property
    def screen(self) -> SubmittingScreen:
        return self.ctx.navigator.screen(State.SUBMITTING)  # type: ignore[return-value]

    def start(self) -> None:
        self.reset()
        data = self.ctx.session.data
        proc = self.ctx.app.procedure(data.procedure_id)
        try:
            applicant = applicant_from_form(proc, data.form, data.identity)
        except ApplicantIncomplete as err:
            log.error("dossier not built: %s", err)  # names the missing fields, never their values
            self.stage = "failed"
            self.screen.set_step("save", "failed")
            self.screen.show_error(err.message, retry=False)
            return
        settings = self.ctx.app.settings
        data.fee = proc.fee.quote(data.form)
        data.payment = data.paid_at = None
        self.dossier = Dossier(procedure_code=proc.code, procedure_id=proc.id, kiosk_id=settings.kiosk_id,
                               ward_code=data.ward_code or settings.ward_code, applicant=applicant,
                               form=dict(data.form), documents=[dict(d) for d in proc.documents],
                               consent=Consent(True, data.consent_at or "", CONSENT_TEXT_VERSION))
        self.stage = "committing"
        self.screen.set_step("save", "running")
        pages = {index: list(document) for index, document in data.pages.items()}
        self.ctx.runners.disk.run(lambda d=self.dossier: self._commit(d, proc, pages), self._on_committed,
                                  self._on_commit_failed)

    def _commit(self, dossier: Dossier, proc: Any, pages: dict[int, list[Any]]) -> Any:
        """On the disk worker: the photographed pages become the dossier's attachments (copied and checked
        there, not on the GUI thread), then the dossier and its attachments are committed together."""
        import dataclasses

        from kiosk.app.documents import attachments

        return self.ctx.app.commit(dataclasses.replace(dossier, attachments=attachments(proc, pages)))

    def _on_committed(self, item: Any) -> None:
        if self.stage != "committing":
            return
        self.local_ref = item.local_ref
        self.ctx.session.data.local_ref = item.local_ref
        log.info("dossier committed to the outbox: %s (applicant %s)", item.local_ref,
                 mask_id(self.dossier.applicant.id_number if self.dossier else ""))
        self.screen.set_step("save", "done")
        if self.ctx.app.sender is None:
            self.screen.set_step("send", "offline")
            self._print_receipt()
            return
        refusal = self._refusals.pop(item.local_ref, None)
        if refusal is not None:
            self._on_refused(refusal)
            return
        ack = self.ctx.devices.acks.get(item.local_ref)
        if ack is not None:
            self._on_acknowledged(item.local_ref, *ack)
            return
        self.stage = "waiting_ack"
        self.screen.set_step("send", "running")
        self._ack_timer.start(self.ack_wait_ms)

    def _on_commit_failed(self, error: BaseException) -> None:
        from kiosk.app.faults import STORAGE_FAULTS, OutboxLost, storage_fault

        cause = storage_fault(error)
        log.error("the outbox refused the dossier (%s): %r", cause, error)
        self.stage = "failed"
        self.commit_fault = cause
        self.ctx.health.note_outbox_failed(cause)
        self.screen.set_step("save", "failed")
        what = STORAGE_FAULTS[cause]
        if isinstance(error, OutboxLost):  # the outbox works but refuses dossiers until a technician says so
            self.ctx.health.note_outbox_failed("lost")
            self.screen.show_error(error.message, retry=True)
            return
        # Nothing was kept: the citizen may try again (a technician may have fixed it) or cancel, which wipes.
        self.screen.show_error({
            "vi": f"Chưa lưu được hồ sơ: {what['vi']}. Những gì bạn đã nhập vẫn còn. Bấm «Thử lại», hoặc «Huỷ» "
                  "để xoá thông tin và đến quầy tiếp nhận.",
            "en": f"The dossier could not be saved: {what['en']}. What you entered is still here. Press "
                  "“Try again”, or “Cancel” to clear it and go to the reception counter."}, retry=True)

    @property
    def in_flight(self) -> bool:
        """Whether a request is really under way (committing, waiting for the backend, printing): only then
        is the submitting screen spared the idle wipe."""
        return self.stage in ("committing", "waiting_ack", "paying", "printing")

    def on_acknowledged(self, local_ref: str, dossier_code: str, appointment: str) -> None:
        """From the sender (any time): the backend recorded a dossier."""
        if local_ref == self.local_ref and self.stage == "waiting_ack":
            self._on_acknowledged(local_ref, dossier_code, appointment)

    def on_rejected(self, local_ref: str, message: dict) -> None:
        """From the sender (any time): the backend refused a dossier for good."""
        if self.dossier is None or self.stage not in ("committing", "waiting_ack"):
            return  # an older dossier, or this one's receipt is already out: maintenance shows it
        if self.stage == "committing":
            self._refusals[local_ref] = message  # the refusal overtook the commit's callback
        elif local_ref == self.local_ref:
            self._on_refused(message)

    def _on_refused(self, message: dict) -> None:
        # A refused dossier is not filed: printing a receipt, even a provisional one, would say otherwise.
        self._ack_timer.stop()
        self.stage = "refused"
        log.warning("the backend refused dossier %s; no receipt printed", self.local_ref)
        self.screen.set_step("send", "failed")
        self.screen.show_error({
            "vi": f"Hồ sơ chưa được tiếp nhận. {message.get('vi', '')} Kiosk không in giấy tiếp nhận; vui lòng "
                  "bấm «Trang chủ» để làm lại, hoặc hỏi cán bộ tại quầy.",
            "en": f"The dossier was not accepted. {message.get('en', '')} No receipt was printed; press "
                  "“Home” to start again, or ask an officer at the counter."}, retry=False)

    def _on_acknowledged(self, local_ref: str, dossier_code: str, appointment: str) -> None:
        self._ack_timer.stop()
        data = self.ctx.session.data
        data.dossier_code = dossier_code
        if appointment:
            data.appointment_date = forms.display_iso_date(appointment)
        self.screen.set_step("send", "done")
        self._appointment_iso = appointment or None
        if data.fee is not None and data.fee.total_vnd > 0:
            self._ask_payment(dossier_code, data.fee.total_vnd)
        else:
            self._print_receipt()

    # --- the fee: paid at the kiosk by VietQR, or at the counter ------------------------------------
    def _ask_payment(self, dossier_code: str, amount_vnd: int) -> None:
        self.stage = "paying"
        self.screen.set_step("pay", "running")
        self.ctx.runners.backend.run(lambda: self.ctx.app.request_payment(dossier_code, amount_vnd),
                                     self._on_payment_order, self._on_payment_refused)

    def _on_payment_order(self, order: Any) -> None:
        if self.stage != "paying":
            return  # the session ended meanwhile
        self.ctx.session.data.payment = order
        log.info("payment %s asked for dossier %s", order.reference, order.dossier_code)
        if self.ctx.session.state == State.SUBMITTING:
            self.ctx.navigator.go(State.PAYMENT)

    def _on_payment_refused(self, error: BaseException) -> None:
        from kiosk.app.payment import TO_THE_COUNTER, PaymentRefused

        if self.stage != "paying":
            return
        if isinstance(error, PaymentRefused):
            message = error.message
        else:  # the link failed: the dossier is filed, the fee waits for the counter
            log.warning("no payment at the kiosk: %s", type(error).__name__)
            message = {"vi": "Chưa kết nối được để thanh toán tại kiosk. " + TO_THE_COUNTER["vi"],
                       "en": "The kiosk could not connect to take the payment. " + TO_THE_COUNTER["en"]}
        self.settle_payment(None, message)

    def settle_payment(self, paid_at: Any, message: dict | None = None) -> None:
        """The fee is paid (``paid_at``, from the backend) or left to the counter (None, with why):
        the receipt prints saying which."""
        if self.stage != "paying":
            return
        data = self.ctx.session.data
        data.paid_at = paid_at
        self.payment_message = None if paid_at else message
        self.screen.set_step("pay", "done" if paid_at else "counter")
        self._print_receipt()

    def _receipt_fee(self) -> Any:
        from kiosk.core.documents import ReceiptFee

        data = self.ctx.session.data
        if data.fee is None or not data.fee.total_vnd:
            return None
        paid = data.paid_at is not None and data.payment is not None
        return ReceiptFee(total_vnd=data.fee.total_vnd, lines=data.fee.as_dict()["lines"],
                          paid_at=data.paid_at if paid else None, reference=data.payment.reference if paid else "")

    def _on_ack_timer_timeout(self) -> None:
        if self.stage == "waiting_ack":
            self.screen.set_step("send", "offline")
            self._print_receipt()

    def _print_receipt(self) -> None:
        data = self.ctx.session.data
        if data.fee is not None and data.fee.total_vnd and self.stage != "paying" and data.paid_at is None:
            self.screen.set_step("pay", "counter")  # offline, or no backend: the fee waits for the counter
        self.stage = "printing"
        self.screen.set_step("print", "running")
        proc = self.ctx.app.procedure(data.procedure_id)
        dossier = self.dossier
        assert dossier is not None and self.local_ref is not None
        args = (proc, dossier.applicant.full_name, dossier.applicant.phone or "", dossier.applicant.address,
                dossier.ward_code, self.local_ref, data.dossier_code,
                getattr(self, "_appointment_iso", None) if data.dossier_code else None, self._receipt_fee(),
                received_electronically(data.pages))
        self.ctx.runners.disk.run(lambda: self.ctx.app.render_receipt(*args), self._on_receipt_rendered,
                                    self._on_print_failed)

    def _on_receipt_rendered(self, rendered: Any) -> None:
        self.receipt_path = str(rendered.path)
        self.ctx.devices.print_document("receipt", rendered.path, self._on_receipt_printed, rendered.media)

    def _on_receipt_printed(self, ok: bool, message: dict | None) -> None:
        self.receipt_printed = ok
        self.print_message = None if ok else (message or {"vi": "lỗi máy in", "en": "printer error"})
        self.screen.set_step("print", "done" if ok else "failed")
        data = self.ctx.session.data
        proc = self.ctx.app.procedure(data.procedure_id)
        if proc.originals_to_bring(set(received_electronically(data.pages))):
            area = next((a for a in self.ctx.app.service_areas()
                         if a["id"] == self.ctx.app.area_key(proc.area)), proc.area)
            self.ctx.runners.backend.run(lambda: self.ctx.app.issue_ticket(area, "none"),
                                           self._on_counter_ticket, lambda _e: self._finish())
        else:
            self._finish()

    def _on_counter_ticket(self, ticket: dict) -> None:
        self.ctx.session.data.ticket_number = ticket["number"]
        self.ctx.events.sig_ticket_issued.emit(ticket)
        self.ctx.devices.print_document("ticket", ticket["path"], lambda ok, msg: None, ticket.get("media"))
        self._finish()

    def _on_print_failed(self, error: BaseException) -> None:
        log.error("the receipt could not be rendered: %r", error)
        self._on_receipt_printed(False, {"vi": "không tạo được giấy tiếp nhận", "en": "receipt not rendered"})

    def retry(self) -> None:
        """"Try again": the save if that failed (nothing was kept), otherwise the receipt."""
        if self.local_ref:
            self._print_receipt()
        elif self.stage == "failed" and self.commit_fault is not None:
            self.start()

    def _finish(self) -> None:
        if self.stage == "done":
            return
        self.stage = "done"
        data = self.ctx.session.data
        result = {"local_ref": self.local_ref, "dossier_code": data.dossier_code, "receipt_path": self.receipt_path,
                  "printed": self.receipt_printed, "applicant_name": self.dossier.applicant.full_name
                  if self.dossier else ""}
        self.dossier = None  # the personal payload now lives only in the (encrypted) outbox
        self.sig_finished.emit(result)
        if self.ctx.session.state in (State.SUBMITTING, State.PAYMENT):
            self.ctx.navigator.go(State.DONE)
