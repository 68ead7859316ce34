"""The technician's use cases, Qt-free: the outbox list, its export for support, requeueing rejected dossiers,
acknowledging a lost outbox, and editing the configuration file. The maintenance pages (kiosk.ui.maintenance)
call these on the panel's worker thread and only show the results."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.backend.outbox import lost_message
from kiosk.core import clock

if TYPE_CHECKING:
    from kiosk.app.services import Services

__all__ = ["SHOWN_STATES", "acknowledge_loss", "config_file", "export_outbox", "lost_message", "outbox_rows",
           "requeue", "save_changes"]

#: the outbox states the maintenance list shows (acknowledged dossiers are purged, DESIGN.md section 10)
SHOWN_STATES = ("pending", "sent", "rejected")


def outbox_rows(data_dir: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The undelivered and rejected dossiers (masked, oldest first) and the counts (worker threads only)."""
    from kiosk.backend.outbox import Outbox
    from kiosk.core.logs import mask_personal

    with Outbox.in_data_dir(data_dir) as outbox:
        items, status = outbox.items(SHOWN_STATES), outbox.status()
    rows = []
    for item in items:
        row = item.to_json()
        if row.get("problem"):
            # a backend's problem text may quote what it refused: mask it like a log line
            row["problem"] = json.loads(mask_personal(json.dumps(row["problem"], ensure_ascii=False)))
        if row.get("last_error"):
            row["last_error"] = mask_personal(row["last_error"])
        rows.append(row)
    return rows, status


def export_outbox(data_dir: Path, now: datetime | None = None) -> Path:
    """Write the outbox list for support as ``<data dir>/support/outbox-<time>.json`` (masked IDs only)."""
    rows, status = outbox_rows(data_dir)
    now = now or clock.now()
    folder = data_dir / "support"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"outbox-{now:%Y%m%d-%H%M%S}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"exported_at": now.isoformat(timespec="seconds"), "status": status,
                               "dossiers": rows}, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)
    return path


def acknowledge_loss(data_dir: Path) -> dict[str, Any] | None:
    """The technician has seen the loss: the outbox accepts dossiers again (worker threads only)."""
    from kiosk.backend.outbox import Outbox

    with Outbox.in_data_dir(data_dir) as outbox:
        return outbox.acknowledge_loss()


def requeue(data_dir: Path, local_refs: list[str]) -> int:
    """Send rejected dossiers again; returns how many were requeued (worker threads only)."""
    from kiosk.backend.outbox import Outbox

    done = 0
    with Outbox.in_data_dir(data_dir) as outbox:
        for ref in local_refs:
            item = outbox.get(ref)
            if item is not None and item.state == "rejected":
                outbox.requeue(ref)
                done += 1
    return done


def config_file(services: Services) -> Path:
    """The configuration file the maintenance page edits: the one the kiosk was started with, if any."""
    from kiosk.core.config import config_path

    explicit = services.settings.config_file  # the file the kiosk was started with, if any
    return Path(explicit) if explicit else config_path(services.data_dir)


def save_changes(path: Path, changes: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Apply ``{"section.key": value}`` to the file; ConfigError (key, reason) leaves it untouched.

    Returns what changed, ``{key: (old, new)}``."""
    from kiosk.core.config import load_file_values, save_config

    values = load_file_values(path)
    before = {k: values[k.split(".")[0]][k.split(".")[1]] for k in changes}
    for dotted, value in changes.items():
        section, key = dotted.split(".", 1)
        values[section][key] = value
    checked = save_config(values, path)
    return {k: (before[k], checked.get(k)) for k in changes if before[k] != checked.get(k)}
