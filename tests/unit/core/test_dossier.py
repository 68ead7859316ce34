"""The dossier model: payload shape (checked against the backend contract), local refs, masking."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from kiosk.backend.contract import schema_errors
from kiosk.core import forms
from kiosk.core.dossier import LOCAL_REF_RE, Applicant, Consent, Dossier, new_local_ref, sample_dossier
from kiosk.core.identity import parse_id_qr
from kiosk.core.samples import sample_payload


def test_local_refs_look_nothing_like_dossier_codes():
    ref = new_local_ref("KIOSK-01", date(2026, 11, 24), 1)
    assert ref == "L-KIOSK-01-261124-0001"
    assert LOCAL_REF_RE.match(ref)
    assert new_local_ref("KIOSK-01", date(2026, 11, 24), 12345).endswith("-12345")
    with pytest.raises(ValueError):
        new_local_ref("KIOSK-01", date(2026, 11, 24), 0)


def test_the_payload_matches_the_contract_and_round_trips():
    d = sample_dossier(0, local_ref="L-KIOSK-01-261124-0001")
    payload = d.to_payload()
    assert schema_errors("DossierSubmission", payload) == []
    assert Dossier.from_payload(payload, d.idempotency_key) == d


def test_an_applicant_from_the_id_card():
    applicant = Applicant.from_identity(parse_id_qr(sample_payload(1)), phone="0912 345 678")
    assert applicant.date_of_birth == "2001-11-02" and applicant.sex == "female"
    assert applicant.to_payload()["phone"] == "0912345678"
    assert "phone" not in dataclasses.replace(applicant, phone="call me").to_payload()


def test_repr_never_shows_personal_data():
    d = sample_dossier(0)
    text = repr(d) + repr(d.applicant)
    assert "0010******45" in text
    for secret in ("001099012345", d.applicant.full_name, "Hàng Bài", "0912345678"):
        assert secret not in text


def test_a_consent_without_its_time_takes_the_submission_time():
    d = dataclasses.replace(sample_dossier(0, local_ref="L-K-261124-0001"), consent=Consent(True, "", "2025-07"))
    assert d.to_payload()["consent"]["at"] == d.submitted_at


def test_every_procedure_in_the_catalogue_makes_a_valid_payload():
    for proc in forms.load_catalogue():
        d = dataclasses.replace(
            sample_dossier(0, local_ref="L-KIOSK-01-261124-0001"),
            procedure_code=proc.code, procedure_id=proc.id,
            form={f.key: "x" for f in proc.fields}, documents=[dict(doc) for doc in proc.documents])
        assert schema_errors("DossierSubmission", d.to_payload()) == [], proc.id
