"""A citizen's rating of the service, as the backend's feedback contract wants it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: the rating screen's three choices -> the score in the backend contract's feedback
RATINGS = {"very_satisfied": 5, "satisfied": 4, "unsatisfied": 1}


def feedback_body(feedback: Mapping[str, Any], kiosk_id: str) -> dict[str, Any]:
    """The request body for ``feedback`` (the rating screen's rating, comment and dossier code)."""
    body: dict[str, Any] = {"kiosk_id": kiosk_id, "rating": RATINGS[feedback["rating"]]}
    if feedback.get("comment"):
        body["comment"] = feedback["comment"]
    code = feedback.get("dossier_code") or ""
    if code and not code.startswith("L-"):  # a local reference means nothing to the province
        body["dossier_code"] = code
    return body
