"""A dossier (hồ sơ) as the kiosk submits it to the provincial backend.

The kiosk builds a :class:`Dossier` when the citizen confirms a form; the outbox commits it
(with its idempotency key and provisional ``local_ref``) before any receipt prints, and the
sender posts :meth:`Dossier.to_payload` to ``POST /api/v1/dossiers`` (docs/backend-api.yaml).

Qt-free. ``repr()`` never shows the ID number or other personal data in full, so a stray
log line cannot leak them.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from kiosk.core import clock, patterns
from kiosk.core.identity import mask_id

# Local references look nothing like official dossier codes ("00073-261124-0001"), so
# neither staff nor citizens can confuse a provisional receipt with a registered dossier.
LOCAL_REF_RE = re.compile(rf"^L-(?P<kiosk>{patterns.KIOSK_ID})-(?P<day>[0-9]{{6}})-(?P<seq>[0-9]{{4,}})$")
DOSSIER_CODE_RE = re.compile(rf"^(?P<unit>{patterns.UNIT_CODE})-(?P<day>[0-9]{{6}})-(?P<seq>[0-9]{{4,}})$")


def now_iso() -> str:
    """The current time in the kiosk's zone, ISO 8601 with seconds and offset."""
    return clock.now().replace(microsecond=0).isoformat()


def new_local_ref(kiosk_id: str, when: datetime | date, seq: int) -> str:
    """The kiosk's provisional reference: ``new_local_ref("KIOSK-01", 2026-11-24, 1)`` ->
    ``"L-KIOSK-01-261124-0001"``."""
    if seq < 1:
        raise ValueError("seq starts at 1")
    return f"L-{kiosk_id}-{when:%y%m%d}-{seq:04d}"


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Applicant:
    """The person the dossier is about, as read from the ID card or typed."""

    id_number: str
    full_name: str
    date_of_birth: str  # ISO YYYY-MM-DD
    sex: str  # "male" | "female"
    address: str
    phone: str | None = None

    @classmethod
    def from_identity(cls, identity: Any, phone: str | None = None) -> Applicant:
        """From a :class:`kiosk.core.identity.Identity` (or anything with the same attributes)."""
        dob = identity.date_of_birth
        return cls(
            id_number=identity.id_number,
            full_name=identity.full_name,
            date_of_birth=dob.isoformat() if isinstance(dob, date) else str(dob),
            sex=identity.sex,
            address=identity.address,
            phone=phone or None,
        )

    def to_payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id_number": self.id_number,
            "full_name": self.full_name,
            "date_of_birth": self.date_of_birth,
            "sex": self.sex,
            "address": self.address,
        }
        phone = _clean_phone(self.phone)
        if phone:
            data["phone"] = phone
        return data

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Applicant:
        return cls(
            id_number=data["id_number"],
            full_name=data["full_name"],
            date_of_birth=data["date_of_birth"],
            sex=data["sex"],
            address=data["address"],
            phone=data.get("phone") or None,
        )

    def __repr__(self) -> str:  # never let a stray repr() put personal data in a log
        return f"Applicant(id_number={mask_id(self.id_number)!r}, ...)"


@dataclass(frozen=True)
class Consent:
    given: bool
    at: str  # ISO date-time the citizen agreed
    text_version: str

    def to_payload(self) -> dict[str, Any]:
        return {"given": self.given, "at": self.at, "text_version": self.text_version}


#: What the kiosk photographs supporting documents as (the contract's AttachmentManifest.content_type).
ATTACHMENT_CONTENT_TYPES = ("image/jpeg", "image/png", "application/pdf")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_FLAG_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass(frozen=True)
class Attachment:
    """One photographed page of a supporting document, sent after the dossier (docs/backend-api.yaml,
    ``PUT /api/v1/dossiers/{dossier_code}/attachments/{sha256}``).

    ``data`` is the page's bytes and ``sha256`` their hex digest (checked here: a ValueError otherwise).
    An attachment restored from a payload (:meth:`Dossier.from_payload`) carries its manifest only: ``data``
    is empty and ``size`` comes from the manifest."""

    document: int  # index into the procedure's ``documents`` list (forms JSON)
    page: int  # 1-based page of that document
    content_type: str  # "image/jpeg"
    data: bytes = field(repr=False)
    sha256: str  # hex of data
    flags: tuple[str, ...] = ()  # quality problems the citizen chose to send anyway, e.g. ("blur",)
    document_name: dict[str, str] = field(default_factory=dict)  # {vi, en}
    declared_size: int | None = field(default=None, repr=False)  # a manifest's size, when there is no data

    def __post_init__(self) -> None:
        if not isinstance(self.document, int) or self.document < 0:
            raise ValueError("attachment document must be an index >= 0")
        if not isinstance(self.page, int) or self.page < 1:
            raise ValueError("attachment page starts at 1")
        if self.content_type not in ATTACHMENT_CONTENT_TYPES:
            raise ValueError(f"attachment content type must be one of {ATTACHMENT_CONTENT_TYPES}")
        if not isinstance(self.sha256, str) or not _SHA256_RE.match(self.sha256):
            raise ValueError("attachment sha256 must be 64 lower-case hex digits")
        if not all(isinstance(f, str) and _FLAG_RE.match(f) for f in self.flags):
            raise ValueError("attachment flags are short lower-case words, e.g. 'blur'")
        object.__setattr__(self, "flags", tuple(self.flags))
        if self.data:
            if hashlib.sha256(self.data).hexdigest() != self.sha256:
                raise ValueError("attachment sha256 does not match its data")
            if self.declared_size is not None and self.declared_size != len(self.data):
                raise ValueError("attachment size does not match its data")
        elif not self.declared_size or self.declared_size < 1:
            raise ValueError("an attachment without data needs its manifest's size")

    @classmethod
    def of(cls, document: int, page: int, data: bytes, *, content_type: str = "image/jpeg",
           flags: tuple[str, ...] = (), document_name: dict[str, str] | None = None) -> Attachment:
        """An attachment of these bytes, its SHA-256 computed."""
        return cls(document=document, page=page, content_type=content_type, data=bytes(data),
                   sha256=hashlib.sha256(data).hexdigest(), flags=tuple(flags),
                   document_name=dict(document_name or {}))

    @property
    def size(self) -> int:
        return len(self.data) if self.data else int(self.declared_size or 0)

    def manifest(self) -> dict[str, Any]:
        """What goes in the dossier's payload (schema ``AttachmentManifest``): everything but the bytes."""
        out: dict[str, Any] = {"document": self.document, "page": self.page, "content_type": self.content_type,
                               "size": self.size, "sha256": self.sha256, "flags": list(self.flags)}
        name = self.document_name
        if name and (name.get("vi") or name.get("en")):
            out["document_name"] = {"vi": str(name.get("vi") or name.get("en")),
                                    "en": str(name.get("en") or name.get("vi"))}
        return out

    @classmethod
    def from_manifest(cls, data: dict[str, Any]) -> Attachment:
        """The inverse of :meth:`manifest`, without the bytes."""
        return cls(document=int(data["document"]), page=int(data["page"]), content_type=data["content_type"],
                   data=b"", sha256=data["sha256"], flags=tuple(data.get("flags", ())),
                   document_name=dict(data.get("document_name") or {}), declared_size=int(data["size"]))


@dataclass(frozen=True)
class Dossier:
    """One application for one procedure, ready to be queued and sent."""

    procedure_code: str  # national code, e.g. "1.001193"
    procedure_id: str  # form file stem, e.g. "dang-ky-khai-sinh"
    kiosk_id: str
    ward_code: str  # the competent ward, which may differ from the kiosk's
    applicant: Applicant
    form: dict[str, str] = field(default_factory=dict)
    documents: list[dict[str, Any]] = field(default_factory=list)
    consent: Consent = field(default_factory=lambda: Consent(True, now_iso(), "1"))
    submitted_at: str = field(default_factory=now_iso)
    local_ref: str = ""  # assigned by the outbox when empty
    idempotency_key: str = field(default_factory=new_idempotency_key)
    #: photographed pages, sent after the dossier; the payload carries their manifest only
    attachments: list[Attachment] = field(default_factory=list)

    def to_payload(self) -> dict[str, Any]:
        """The JSON body of ``POST /api/v1/dossiers`` (schema ``DossierSubmission``)."""
        payload: dict[str, Any] = {
            "procedure_code": self.procedure_code,
            "procedure_id": self.procedure_id,
            "kiosk_id": self.kiosk_id,
            "ward_code": self.ward_code,
            "local_ref": self.local_ref,
            "applicant": self.applicant.to_payload(),
            "form": {str(k): str(v) for k, v in self.form.items()},
            "documents": [_document_payload(d) for d in self.documents],
            # A consent without its time would be refused by the backend; the submission time is
            # when the citizen confirmed at the latest.
            "consent": {**self.consent.to_payload(), "at": self.consent.at or self.submitted_at},
            "submitted_at": self.submitted_at,
        }
        if self.attachments:  # only when there are any: older payloads (and their digests) stay as they were
            payload["attachments"] = [a.manifest() for a in self.attachments]
        return payload

    @classmethod
    def from_payload(cls, data: dict[str, Any], idempotency_key: str) -> Dossier:
        """The inverse of :meth:`to_payload` (the outbox stores payloads, not objects)."""
        consent = data["consent"]
        return cls(
            procedure_code=data["procedure_code"],
            procedure_id=data.get("procedure_id", ""),
            kiosk_id=data["kiosk_id"],
            ward_code=data["ward_code"],
            applicant=Applicant.from_payload(data["applicant"]),
            form=dict(data.get("form", {})),
            documents=list(data.get("documents", [])),
            consent=Consent(consent["given"], consent["at"], consent["text_version"]),
            submitted_at=data["submitted_at"],
            local_ref=data.get("local_ref", ""),
            idempotency_key=idempotency_key,
            attachments=[Attachment.from_manifest(a) for a in data.get("attachments", [])],
        )

    def __repr__(self) -> str:
        return (f"Dossier(procedure_code={self.procedure_code!r}, local_ref={self.local_ref!r}, "
                f"ward_code={self.ward_code!r}, applicant={self.applicant!r})")


_PHONE_RE = re.compile(r"^\+?[0-9]{9,15}$")


def _clean_phone(phone: str | None) -> str | None:
    """"0912 345 678" -> "0912345678"; None when it still is not a phone number (the form keeps it)."""
    if not phone:
        return None
    cleaned = re.sub(r"[\s.()-]", "", phone)
    return cleaned if _PHONE_RE.match(cleaned) else None


def _document_payload(doc: dict[str, Any]) -> dict[str, Any]:
    """Normalise a required-document entry from a form definition to the contract's shape."""
    name = doc.get("name", "")
    if isinstance(name, str):
        name = {"vi": name, "en": name}
    out: dict[str, Any] = {"name": {"vi": str(name.get("vi", "")), "en": str(name.get("en", ""))}}
    if doc.get("kind") in ("original", "copy"):
        out["kind"] = doc["kind"]
    if "count" in doc:
        out["count"] = int(doc["count"])
    if "provided" in doc:
        out["provided"] = bool(doc["provided"])
    return out


def sample_dossier(index: int = 0, *, kiosk_id: str = "KIOSK-01", ward_code: str = "00073",
                   local_ref: str = "") -> Dossier:
    """A complete dossier for test citizen ``index`` (kiosk.core.samples), for the demo, tests and
    benchmarks. Every call has a fresh idempotency key."""
    from kiosk.core.samples import TEST_CITIZENS

    citizen = TEST_CITIZENS[index % len(TEST_CITIZENS)]
    applicant = Applicant(
        id_number=citizen["id_number"],
        full_name=citizen["full_name"],
        date_of_birth=citizen["date_of_birth"].isoformat(),
        sex=citizen["sex"],
        address=citizen["address"],
        phone="0912345678",
    )
    return Dossier(
        procedure_code="1.001193",
        procedure_id="dang-ky-khai-sinh",
        kiosk_id=kiosk_id,
        ward_code=ward_code,
        applicant=applicant,
        form={"child_name": "Nguyễn Văn Mẫu", "child_dob": "01/11/2026", "relationship": "father"},
        documents=[{"name": {"vi": "Giấy chứng sinh", "en": "Birth certificate"}, "kind": "original", "count": 1}],
        local_ref=local_ref,
    )
