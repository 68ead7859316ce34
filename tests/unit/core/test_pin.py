"""The maintenance PIN resists guessing: hashed only, a lockout that grows and survives a restart."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.core.pin import PinError, PinStore, lock_seconds
from tests.helpers.clock import FakeClock


def test_pin_is_nowhere_in_clear(tmp_path: Path) -> None:
    store = PinStore(tmp_path)
    store.set_pin("482915")
    store.verify("000000")
    store.verify("482915")
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"482915" not in path.read_bytes(), path
    assert "$argon2id$" in (tmp_path / "maintenance" / "pin.json").read_text()


def test_right_pin_opens_wrong_pin_does_not(tmp_path: Path) -> None:
    store = PinStore(tmp_path)
    store.set_pin("482915")
    assert not store.verify("482916").ok
    assert store.verify("482915").ok


@pytest.mark.parametrize(("pin", "code"), [("12345", "too_short"), ("12345a", "not_digits"), ("", "too_short")])
def test_weak_pin_is_refused(tmp_path: Path, pin: str, code: str) -> None:
    with pytest.raises(PinError) as info:
        PinStore(tmp_path).set_pin(pin)
    assert info.value.code == code and info.value.message["vi"]


def test_lockout_grows_and_survives_a_restart(tmp_path: Path) -> None:
    clock = FakeClock(1_800_000_000.0)
    store = PinStore(tmp_path, clock=clock)
    store.set_pin("482915")
    results = [store.verify("111111") for _ in range(3)]
    assert [r.code for r in results] == ["wrong", "wrong", "locked"]
    first_lock = results[-1].locked_for_s
    assert first_lock > 0

    restarted = PinStore(tmp_path, clock=clock)  # a new process reads the same state
    blocked = restarted.verify("482915")  # even the right PIN waits out the lock
    assert blocked.code == "locked" and not blocked.ok
    assert "giây" in blocked.message["vi"]

    clock.now += first_lock + 1
    again = restarted.verify("222222")
    assert again.code == "locked" and again.locked_for_s > first_lock  # it grew

    clock.now += again.locked_for_s + 1
    assert restarted.verify("482915").ok
    assert restarted.verify("333333").code == "wrong"  # success reset the count


def test_lock_is_capped() -> None:
    assert lock_seconds(2) == 0 and lock_seconds(3) < lock_seconds(4) < lock_seconds(5)
    assert lock_seconds(100) == 3600


def test_every_attempt_is_audited(tmp_path: Path) -> None:
    store = PinStore(tmp_path)
    store.set_pin("482915")
    store.verify("000000")
    store.verify("482915")
    events = [json.loads(line) for line in store.audit_path.read_text().splitlines()]
    assert [(e["event"], e.get("result")) for e in events] == [
        ("pin_set", None), ("pin_attempt", "wrong"), ("pin_attempt", "ok")]


def test_set_pin_cli_reads_stdin_twice(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "kiosk.cli", "set-pin", "--data-dir", str(tmp_path)]
    bad = subprocess.run(run, input="482915\n482910\n", capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "không khớp" in bad.stderr
    ok = subprocess.run(run, input="482915\n482915\n", capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert PinStore(tmp_path).verify("482915").ok
