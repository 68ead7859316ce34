"""The identifier patterns the kiosk checks before anything is sent are the backend contract's own."""

from __future__ import annotations

import re

import pytest
import yaml

from kiosk.core import patterns
from kiosk.core.paths import PACKAGE_ROOT


def contract_schemas() -> dict:
    with open(PACKAGE_ROOT / "docs" / "backend-api.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)["components"]["schemas"]


@pytest.mark.parametrize(("schema", "pattern"), sorted(patterns.CONTRACT_SCHEMAS.items()))
def test_each_pattern_is_the_contracts(schema: str, pattern: str) -> None:
    assert contract_schemas()[schema]["pattern"] == f"^{pattern}$"


def test_the_unit_code_is_what_starts_a_dossier_code() -> None:
    assert re.fullmatch(patterns.UNIT_CODE, "00073")
    assert not re.fullmatch(patterns.UNIT_CODE, "CUANAM")
    assert re.fullmatch(patterns.DOSSIER_CODE, "00073-261124-0001")
