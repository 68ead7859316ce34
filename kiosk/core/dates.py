"""Dates as a citizen types them (``DD/MM/YYYY``): shared by the form engine and the fee rules."""

from __future__ import annotations

import re
from datetime import date

DATE_RE = re.compile(r"^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})$")


def parse_date(text: str) -> date | None:
    """``DD/MM/YYYY`` (also with ``-`` or ``.``) -> a date, or None when it is not a real date."""
    m = DATE_RE.match(text.strip())
    if not m:
        return None
    try:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None
