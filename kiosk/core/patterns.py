"""The identifier patterns of the backend contract (docs/backend-api.yaml, ``components/schemas``), for
the parts of the kiosk that must agree with it without loading it: the configuration check, the look-up.

The contract is the authority; tests/unit/core/test_patterns.py fails when this copy and the YAML drift
apart. Each is the contract's regular expression without its anchors (use ``re.fullmatch``)."""

from __future__ import annotations

import re

#: ``KioskId``: what ``kiosk.id`` must be, or the backend refuses every request of this kiosk.
KIOSK_ID = r"[A-Za-z0-9_-]{1,32}"
#: ``WardCode``: a 2025 ward, five digits.
WARD_CODE = r"[0-9]{5}"
#: The receiving unit that starts a ``DossierCode``: the competent ward's code, which the backend puts there.
UNIT_CODE = r"[0-9]{5}"
#: ``DossierCode``: ``<unit>-YYMMDD-NNNN``.
DOSSIER_CODE = UNIT_CODE + r"-[0-9]{6}-[0-9]{4,6}"
#: ``LocalRef``: the kiosk's provisional reference, ``L-<kiosk id>-YYMMDD-NNNN``.
LOCAL_REF = r"L-[A-Za-z0-9_-]{1,32}-[0-9]{6}-[0-9]{4,6}"

_REFERENCES = tuple(re.compile(p, re.ASCII) for p in (DOSSIER_CODE, LOCAL_REF))


def is_dossier_reference(text: str) -> bool:
    """True for what a receipt's QR carries: an official ``DossierCode`` or, offline, a ``LocalRef``.

    Anything else (a citizen ID card's payload, a payment QR, a URL) is not a look-up key and must
    be neither shown, sent nor logged."""
    if not isinstance(text, str) or len(text) > 64:
        return False
    # fullmatch: a `$` would also let a trailing newline through
    return any(pattern.fullmatch(text) for pattern in _REFERENCES)


#: Schema name in the contract -> the pattern above.
CONTRACT_SCHEMAS = {"KioskId": KIOSK_ID, "WardCode": WARD_CODE, "DossierCode": DOSSIER_CODE,
                    "LocalRef": LOCAL_REF}
