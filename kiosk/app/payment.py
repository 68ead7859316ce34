"""Paying a dossier's fee at the kiosk by VietQR (DESIGN.md sections 3 and 8).

The backend owns the bank account: once it has acknowledged a dossier, the kiosk asks it what to pay
(``POST /api/v1/dossiers/{code}/payment``, idempotent per dossier) and turns the answer into a VietQR
for the citizen's banking app. Everything the backend says is checked against the contract before
a citizen sees it: an answer off the contract, for another dossier or another amount than the review
showed, is refused and the citizen pays at the counter instead (the dossier itself is filed either way).
Blocking calls: worker threads only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.backend.client import BackendClient
from kiosk.backend.contract import schema_errors
from kiosk.core.fees import vnd_in_words
from kiosk.core.vietqr import vietqr_payload

log = logging.getLogger(__name__)

TO_THE_COUNTER = {"vi": "Vui lòng nộp lệ phí tại quầy khi được gọi số.",
                  "en": "Please pay the fee at the counter when your number is called."}


class PaymentRefused(Exception):
    """No payment at the kiosk for this dossier: ``message`` says why, in both languages."""

    def __init__(self, why: str, message: dict[str, str]) -> None:
        super().__init__(why)
        self.message = message


@dataclass(frozen=True)
class PaymentOrder:
    """What the citizen is asked to transfer, and the VietQR that carries it."""

    reference: str
    dossier_code: str
    amount_vnd: int
    bank_bin: str
    bank_name: str
    account_number: str
    account_name: str
    purpose: str
    expires_at: datetime
    qr_payload: str
    amount_words: dict[str, str]  # "Mười nghìn đồng" / "Ten thousand dong", made here, off the GUI thread


@dataclass(frozen=True)
class PaymentState:
    """The backend's word on a payment: pending, paid (with when) or expired."""

    reference: str
    status: str
    paid_at: datetime | None = None


def _refused(why: str) -> PaymentRefused:
    log.warning("payment at the kiosk refused: %s", why)  # names the rule broken, never personal data
    return PaymentRefused(why, {
        "vi": "Kiosk chưa nhận được thông tin thanh toán hợp lệ. " + TO_THE_COUNTER["vi"],
        "en": "The kiosk did not get valid payment details. " + TO_THE_COUNTER["en"]})


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))


def order_from_answer(answer: Any, dossier_code: str, amount_vnd: int) -> PaymentOrder:
    """A ``PaymentOrder`` answer checked against the contract and against what the citizen was shown."""
    errors = schema_errors("PaymentOrder", answer)
    if errors:
        raise _refused("the answer is off the contract: " + "; ".join(f"{e['pointer']} {e['reason']}"
                                                                      for e in errors[:3]))
    if answer["dossier_code"] != dossier_code:
        raise _refused("the answer is for another dossier")
    if answer["amount_vnd"] != amount_vnd:
        # The review screen showed the kiosk's amount: a different one would surprise the citizen at the
        # bank. The counter settles it.
        raise _refused(f"the backend asks {answer['amount_vnd']} dong where the form computes {amount_vnd}")
    if answer["status"] == "expired":
        raise _refused("the payment has already expired")
    payee = answer["beneficiary"]
    try:
        payload = vietqr_payload(payee["bank_bin"], payee["account_number"], answer["amount_vnd"],
                                 answer["purpose"])
    except ValueError as err:
        raise _refused(f"no VietQR can carry it: {err}") from err
    return PaymentOrder(reference=answer["reference"], dossier_code=dossier_code, amount_vnd=answer["amount_vnd"],
                        bank_bin=payee["bank_bin"], bank_name=payee["bank_name"],
                        account_number=payee["account_number"], account_name=payee["account_name"],
                        purpose=answer["purpose"], expires_at=_instant(answer["expires_at"]), qr_payload=payload,
                        amount_words={lang: vnd_in_words(answer["amount_vnd"], lang) for lang in ("vi", "en")})


def request_payment(client: BackendClient, dossier_code: str, kiosk_id: str, amount_vnd: int) -> PaymentOrder:
    """Ask the backend what to pay for an acknowledged dossier (BackendError when it cannot be reached)."""
    return order_from_answer(client.request_payment(dossier_code, kiosk_id, amount_vnd), dossier_code, amount_vnd)


def payment_state(client: BackendClient, reference: str) -> PaymentState:
    """Where the payment stands; an answer off the contract counts as still pending (the poll goes on)."""
    answer = client.payment_status(reference)
    if answer is None:
        raise _refused("the backend no longer knows the payment")
    if schema_errors("PaymentState", answer) or answer["reference"] != reference:
        log.warning("payment status answer off the contract: treated as pending")
        return PaymentState(reference, "pending")
    paid_at = _instant(answer["paid_at"]) if answer["status"] == "paid" and answer.get("paid_at") else None
    if answer["status"] == "paid" and paid_at is None:
        return PaymentState(reference, "pending")
    return PaymentState(reference, answer["status"], paid_at)
