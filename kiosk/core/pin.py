"""The maintenance PIN: a slow salted hash, a lockout that grows and survives restarts, an audit trail.

Only an argon2id hash is stored (argon2-cffi's RFC 9106 low-memory profile: 64 MiB, t=3, p=4,
above the OWASP minimum), so the PIN is nowhere in clear under the data directory. Checking a
PIN takes tens of milliseconds on purpose: the UI calls :meth:`PinStore.verify` off the GUI thread.
Every attempt, success or not, is appended to ``audit.jsonl`` (never the PIN itself).
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kiosk.core import clock

FREE_ATTEMPTS = 3  # wrong PINs allowed before the pad locks
FIRST_LOCK_S = 30.0  # then 30 s, doubling with each further failure ...
MAX_LOCK_S = 3600.0  # ... up to an hour

MESSAGES = {
    "too_short": {"vi": "Mã PIN phải có ít nhất 6 chữ số.", "en": "The PIN must have at least 6 digits."},
    "not_digits": {"vi": "Mã PIN chỉ gồm chữ số.", "en": "The PIN must be digits only."},
    "mismatch": {"vi": "Hai lần nhập mã PIN không khớp.", "en": "The two PINs do not match."},
    "wrong": {"vi": "Mã PIN không đúng.", "en": "Wrong PIN."},
    "locked": {"vi": "Đã khóa do nhập sai nhiều lần. Thử lại sau {seconds} giây.",
               "en": "Locked after too many wrong PINs. Try again in {seconds} s."},
    "no_pin": {"vi": "Chưa đặt mã PIN bảo trì. Dùng lệnh: kiosk set-pin",
               "en": "No maintenance PIN is set. Use: kiosk set-pin"},
}


class PinError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(MESSAGES[code]["en"])
        self.code = code
        self.message = MESSAGES[code]


@dataclass(frozen=True)
class PinCheck:
    ok: bool
    code: str  # "ok" | "wrong" | "locked" | "no_pin"
    locked_for_s: float  # seconds until the pad accepts another attempt (0 if open)
    failures: int

    @property
    def message(self) -> dict[str, str]:
        if self.ok:
            return {"vi": "Đúng mã PIN.", "en": "PIN accepted."}
        seconds = int(self.locked_for_s + 0.999)
        return {k: v.format(seconds=seconds) for k, v in MESSAGES[self.code].items()}


def lock_seconds(failures: int) -> float:
    """How long the pad stays locked after ``failures`` consecutive wrong PINs."""
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(MAX_LOCK_S, FIRST_LOCK_S * 2 ** (failures - FREE_ATTEMPTS))


def check_pin_format(pin: str) -> None:
    if not pin.isascii() or not pin.isdigit():
        raise PinError("not_digits" if pin else "too_short")
    if len(pin) < 6:
        raise PinError("too_short")


class PinStore:
    """PIN hash + lockout state in ``<data dir>/maintenance/``; the audit log beside it."""

    def __init__(self, data_dir: Path, clock=time.time) -> None:  # noqa: ANN001 - injectable for tests
        self.dir = data_dir / "maintenance"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._state_path = self.dir / "pin.json"
        self.audit_path = self.dir / "audit.jsonl"
        self._clock = clock
        self._lock = threading.Lock()
        self._hasher = PasswordHasher()

    # -- state on disk (atomic writes: a power cut keeps the old state or the new one) --
    def _read(self) -> dict:
        try:
            return json.loads(self._state_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def _write(self, state: dict) -> None:
        tmp = self._state_path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(state, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self._state_path)

    def audit(self, event: str, **details: object) -> None:
        entry = {"ts": clock.from_timestamp(self._clock()).isoformat(timespec="seconds"), "event": event,
                 **details}
        with open(self.audit_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    # -- public --
    def set_pin(self, pin: str) -> None:
        check_pin_format(pin)
        with self._lock:
            self._write({"hash": self._hasher.hash(pin), "failures": 0, "locked_until": 0.0})
            self.audit("pin_set")

    def status(self) -> PinCheck:
        """Whether the pad is open now, without an attempt."""
        state = self._read()
        if "hash" not in state:
            return PinCheck(False, "no_pin", 0.0, 0)
        wait = max(0.0, state.get("locked_until", 0.0) - self._clock())
        return PinCheck(False, "locked" if wait else "wrong", wait, state.get("failures", 0))

    def verify(self, pin: str) -> PinCheck:
        """Check one attempt (slow on purpose: call it off the GUI thread)."""
        with self._lock:
            state = self._read()
            now = self._clock()
            if "hash" not in state:
                self.audit("pin_attempt", result="no_pin")
                return PinCheck(False, "no_pin", 0.0, 0)
            wait = state.get("locked_until", 0.0) - now
            if wait > 0:
                self.audit("pin_attempt", result="locked", locked_for_s=round(wait, 1))
                return PinCheck(False, "locked", wait, state.get("failures", 0))
            try:
                self._hasher.verify(state["hash"], pin)
                ok = True
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                ok = False
            if ok:
                state.update(failures=0, locked_until=0.0)
                self._write(state)
                self.audit("pin_attempt", result="ok")
                return PinCheck(True, "ok", 0.0, 0)
            failures = state.get("failures", 0) + 1
            lock = lock_seconds(failures)
            state.update(failures=failures, locked_until=now + lock)
            self._write(state)
            self.audit("pin_attempt", result="wrong", failures=failures, locked_for_s=lock)
            return PinCheck(False, "locked" if lock else "wrong", lock, failures)
