"""Structured JSON logs under the data directory, rotated, with personal data masked.

One JSON object per line (``<data dir>/logs/kiosk.jsonl``) so that maintenance screens, support
and the end-to-end tests read the same records. Masking happens here, in the formatter, so whatever
a module logs, no line holds personal data (DESIGN.md section 10):

* ID numbers (12-digit citizen, 9-digit old) are masked, ``0010******45``; a whole card payload
  (``|``-separated) is replaced; phone numbers, e-mail addresses and dates are replaced.
* Names and addresses cannot be recognised in free text, so the free text that echoes them is not
  written: an exception, whether logged with its traceback or passed as an argument (``%r``), is
  written as its type and its typed fields (``code``, ``status``, ``errno``), never its message --
  parsers and validators put the value they refused in it.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import re
import traceback
from pathlib import Path

from kiosk.core import clock
from kiosk.core.identity import mask_id

_ID_RE = re.compile(r"(?<!\d)(\d{12}|\d{9})(?!\d)")
# A card QR read whole: number, old number, name, birth date, sex, address, issue date.
_CARD_PAYLOAD_RE = re.compile(r"[^|\s\"']*(?:\|[^|\"\n]*){4,}")
_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Vietnamese numbers: 0 or +84/84 then 9 digits (mobiles; landlines 10 after the 0), spaces or dots allowed.
_PHONE_RE = re.compile(r"(?<![\w+])(?:\+84|84|0)\d(?:[ .]?\d){8,9}(?!\d)")
# Birth dates look like any other date: every calendar date in free text goes (ISO, dd/mm/yyyy,
# dd-mm-yyyy, dd.mm.yyyy and the card's own ddmmyyyy). Times of day and dossier codes stay.
_DATE_RE = re.compile(
    r"(?<![\d-])(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{4}"
    r"|(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])(?:19|20)\d{2})(?![\d-])")
_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# A typed field of an exception that may be written: a short machine-readable token.
_SAFE_TOKEN_RE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def mask_personal(text: str) -> str:
    """Mask ID numbers and replace card payloads, e-mail addresses, phone numbers and dates in free text."""
    text = _CARD_PAYLOAD_RE.sub("[card payload]", text)
    text = _EMAIL_RE.sub("[e-mail]", text)
    text = _ID_RE.sub(lambda m: mask_id(m.group(1)), text)
    text = _DATE_RE.sub("[date]", text)
    return _PHONE_RE.sub("[phone]", text)


def describe_error(exc: BaseException) -> str:
    """An exception for a log line: its type and typed fields, never its message (which may echo a
    refused payload, a name or an address)."""
    fields = []
    for attr in ("code", "status", "errno"):
        value = getattr(exc, attr, None)
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int) or (isinstance(value, str) and _SAFE_TOKEN_RE.fullmatch(value)):
            fields.append(f"{attr}={value}")
    problem = getattr(exc, "problem", None)  # a backend's RFC 9457 answer: its machine-readable code
    if isinstance(problem, dict) and isinstance(problem.get("code"), str) and _SAFE_TOKEN_RE.fullmatch(problem["code"]):
        fields.append(f"problem={problem['code']}")
    name = f"{type(exc).__module__}.{type(exc).__qualname__}".removeprefix("builtins.")
    return f"{name}({', '.join(fields)})" if fields else name


def _safe_traceback(exc_info: tuple) -> str:
    """The frames of every exception in the chain, each ending in :func:`describe_error`."""
    exc = exc_info[1]
    chain: list[BaseException] = []
    while exc is not None and exc not in chain and len(chain) < 8:
        chain.append(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    parts = []
    for one in reversed(chain):
        frames = "".join(traceback.format_tb(one.__traceback__))
        parts.append(f"Traceback (most recent call last):\n{frames}{describe_error(one)}")
    return "\n\nDuring handling of the above exception:\n\n".join(parts)


class _Described(str):
    # `%r` of an exception argument gives its description as is, not quoted
    def __repr__(self) -> str:
        return str(self)


def _safe_arg(value: object) -> object:
    return _Described(describe_error(value)) if isinstance(value, BaseException) else value


def _message(record: logging.LogRecord) -> str:
    msg = describe_error(record.msg) if isinstance(record.msg, BaseException) else str(record.msg)
    args = record.args
    if not args:
        return msg
    if isinstance(args, dict):
        return msg % {k: _safe_arg(v) for k, v in args.items()}
    return msg % tuple(_safe_arg(a) for a in args)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        try:
            message = _message(record)
        except (TypeError, ValueError):  # a wrong format string must not lose the line
            message = str(record.msg)
        entry = {
            "ts": clock.from_timestamp(record.created).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_personal(message),
        }
        for key, value in vars(record).items():  # extra={...} fields
            if key not in _RESERVED and not key.startswith("_"):
                if isinstance(value, BaseException):
                    value = describe_error(value)
                entry[key] = (value if isinstance(value, (int, float, bool)) or value is None
                              else mask_personal(str(value)))
        if record.exc_info and record.exc_info[1] is not None:
            entry["exception"] = mask_personal(_safe_traceback(record.exc_info))
        if record.stack_info:
            entry["stack"] = mask_personal(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_path(data_dir: Path) -> Path:
    return data_dir / "logs" / "kiosk.jsonl"


def setup_logging(data_dir: Path, level: int = logging.INFO, max_bytes: int = 2_000_000,
                  backups: int = 5) -> Path:
    """Send the ``kiosk`` and ``device`` loggers to a rotating JSON-lines file; return its path."""
    path = log_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_kiosk_log", False)]:
        root.removeHandler(old)
        old.close()
    handler._kiosk_log = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return path


def recent_lines(data_dir: Path, limit: int = 200) -> list[dict]:
    """The last ``limit`` records, newest last (for the maintenance log screen)."""
    path = log_path(data_dir)
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[-limit:]
    out = []
    for line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            # masked again: a file written by an older version may still hold what is masked today
            out.append({k: mask_personal(v) if isinstance(v, str) and k != "ts" else v
                        for k, v in record.items()})
    return out
