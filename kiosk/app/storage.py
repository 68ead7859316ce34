"""Whether the data folder can keep dossiers: the cheap look the kiosk takes at start-up."""

from __future__ import annotations

from pathlib import Path

SQLITE_HEADER = b"SQLite format 3\x00"
OUTBOX_DB_NAME = "outbox.sqlite3"  # kiosk.backend.outbox.DB_NAME, without importing it (and Fernet) at start


def storage_problem(data_dir: Path, prints_dir: Path) -> dict[str, str] | None:
    """Whether the kiosk can keep dossiers in ``data_dir``: a cheap look at start-up (the outbox itself opens
    on a worker thread), so a read-only or damaged folder is shown to the technician instead of failing a
    citizen's dossier. Nothing is created but the prints folder, nothing damaged is touched."""
    import os
    import tempfile

    def problem(path: Path, err: BaseException) -> dict[str, str]:
        from kiosk.backend.outbox import storage_error  # cryptography loads only when something is wrong

        return storage_error(path, err).message

    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        prints_dir.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=data_dir)  # EROFS even for root
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        return problem(Path(err.filename) if err.filename else data_dir, err)
    db = data_dir / OUTBOX_DB_NAME
    try:
        with open(db, "rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return None
    except OSError as err:
        return problem(db, err)
    if header and header != SQLITE_HEADER:
        import sqlite3

        return problem(db, sqlite3.DatabaseError("file is not a database"))
    return None
