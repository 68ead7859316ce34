"""The backend contract (docs/backend-api.yaml) as validators, shared by the simulator and the tests."""

from __future__ import annotations

import re
import sys
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from kiosk.core.paths import PACKAGE_ROOT

# A frozen (PyInstaller) build carries docs/backend-api.yaml next to the executable (kiosk.spec).
CONTRACT_PATH = Path(getattr(sys, "_MEIPASS", PACKAGE_ROOT)) / "docs" / "backend-api.yaml"
_BASE_URI = "urn:ward-kiosk:backend-api"

_RFC3339 = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$", re.ASCII
)

_format_checker = FormatChecker()


@_format_checker.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    # jsonschema needs an extra package for RFC 3339; a regex plus the stdlib parser is enough here.
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    text = value[:17] + "59" + value[19:] if value[17:19] == "60" else value  # leap second
    datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))
    return True


@cache
def load_contract(path: Path | None = None) -> dict[str, Any]:
    """The parsed OpenAPI document."""
    with open(path or CONTRACT_PATH, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def validator(schema_name: str) -> Draft202012Validator:
    """A validator for ``components/schemas/<schema_name>`` with its references resolved."""
    doc = load_contract()
    if schema_name not in doc["components"]["schemas"]:
        raise KeyError(schema_name)
    registry = Registry().with_resource(_BASE_URI, Resource.from_contents(doc, default_specification=DRAFT202012))
    return Draft202012Validator(
        {"$ref": f"{_BASE_URI}#/components/schemas/{schema_name}"},
        registry=registry,
        format_checker=_format_checker,
    )


def schema_errors(schema_name: str, instance: Any) -> list[dict[str, str]]:
    """Violations as ``{pointer, reason}``; the reason names the rule, never echoes the value
    (bodies carry ID numbers)."""
    out = []
    for err in sorted(validator(schema_name).iter_errors(instance), key=lambda e: list(e.absolute_path))[:20]:
        pointer = "/" + "/".join(str(p) for p in err.absolute_path)
        rule = err.validator
        expected = err.validator_value
        if rule in ("required", "additionalProperties", "enum", "const", "type", "format", "pattern",
                    "minLength", "maxLength", "minimum", "maximum", "maxItems", "maxProperties"):
            reason = f"{rule}: {expected}" if rule != "additionalProperties" else "unexpected property"
        else:
            reason = str(rule)
        if rule == "required":
            reason = "required: " + ", ".join(
                k for k in expected if isinstance(err.instance, dict) and k not in err.instance
            )
        out.append({"pointer": pointer, "reason": reason})
    return out
