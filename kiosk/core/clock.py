"""The kiosk's own clock: every wall-clock time it shows, prints, stores or sends.

A kiosk stands in one ward, so its tickets, receipts, dossier codes, consent records and logs use
that ward's calendar (``kiosk.timezone``, Asia/Ho_Chi_Minh by default), never the host's zone: a
host left in UTC would otherwise print yesterday's date on a receipt whose code says today.
Nothing else in the kiosk reads the wall clock (tests/unit/core/test_clock.py greps for it).

Entry points call :func:`configure` with the configured zone before anything tells the time.

For tests and demos the instant can be pinned: ``KIOSK_FAKE_NOW`` (ISO 8601 with an offset, e.g.
``2026-12-01T23:30:00+00:00``) freezes every "now" of the process at that instant, and
:func:`pin` does the same inside one process. A frozen clock, not one that runs on, so that a test
at 23:59:59 cannot drift past midnight.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"
FAKE_NOW_ENV = "KIOSK_FAKE_NOW"

_zone: ZoneInfo = ZoneInfo(DEFAULT_ZONE)
_pinned: datetime | None = None


def configure(zone_name: str) -> None:
    """Use ``zone_name`` (an IANA name, already validated by the config) for every time from now on."""
    global _zone
    _zone = ZoneInfo(zone_name)


def zone() -> tzinfo:
    """The kiosk's time zone."""
    return _zone


def _fake_now() -> datetime | None:
    text = os.environ.get(FAKE_NOW_ENV, "").strip()
    if not text:
        return None
    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:  # an instant without an offset would silently take the host's zone
        raise ValueError(f"{FAKE_NOW_ENV} must carry an offset, e.g. 2026-12-01T23:30:00+00:00")
    return instant


def now() -> datetime:
    """The current instant, aware, in the kiosk's zone."""
    instant = _pinned or _fake_now()
    if instant is None:
        instant = datetime.now(UTC)
    return instant.astimezone(_zone)


def today() -> date:
    """Today's date in the kiosk's zone (not the host's)."""
    return now().date()


def local(instant: datetime) -> datetime:
    """``instant`` in the kiosk's zone, e.g. a time the backend sent in UTC. A naive time is taken as
    the kiosk's wall clock already, never as the host's zone (which may be anything)."""
    if instant.tzinfo is None:
        return instant.replace(tzinfo=_zone)
    return instant.astimezone(_zone)


def from_timestamp(seconds: float) -> datetime:
    """A POSIX timestamp (``time.time()``, a log record's ``created``) in the kiosk's zone."""
    return datetime.fromtimestamp(seconds, _zone)


@contextmanager
def pin(instant: datetime) -> Iterator[datetime]:
    """Freeze "now" at ``instant`` (aware) inside the block -- for tests."""
    global _pinned
    if instant.tzinfo is None:
        raise ValueError("pin() needs an aware instant")
    previous, _pinned = _pinned, instant
    try:
        yield instant.astimezone(_zone)
    finally:
        _pinned = previous
