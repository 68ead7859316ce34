"""The ID-card parser refuses exactly what the backend contract would refuse about the applicant."""

from __future__ import annotations

from kiosk.backend.contract import load_contract
from kiosk.core import identity


def test_the_parsers_limits_are_the_contracts() -> None:
    # core may not import kiosk.backend, so the parser keeps its own copy of the numbers: they must agree.
    applicant = load_contract()["components"]["schemas"]["Applicant"]["properties"]
    assert identity.MAX_FULL_NAME_CHARS == applicant["full_name"]["maxLength"]
    assert identity.MAX_ADDRESS_CHARS == applicant["address"]["maxLength"]
