"""What can go wrong below the ui, under the names the screens use: a dossier code that cannot be one, and
why the outbox refused to keep a dossier. The ui imports these from here, never from ``kiosk.backend``
(import-linter, pyproject.toml), so the backend's modules can change without a screen noticing."""

from __future__ import annotations

from kiosk.backend.client import MalformedCode
from kiosk.backend.outbox import STORAGE_FAULTS, OutboxLost, storage_fault

__all__ = ["STORAGE_FAULTS", "MalformedCode", "OutboxLost", "storage_fault"]
