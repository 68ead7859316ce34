"""The kiosk's own clock: tickets, receipts and card checks use the ward's calendar, whatever the host's zone.

The ticket, receipt and card tests run in a fresh process with the host's ``TZ`` set to UTC or
Los Angeles and the instant pinned (``KIOSK_FAKE_NOW``) a minute either side of midnight in Vietnam.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from kiosk.core import clock
from kiosk.core.dossier import sample_dossier
from kiosk.core.identity import build_id_qr
from kiosk.core.logs import JsonFormatter
from kiosk.core.samples import TEST_CITIZENS

ROOT = Path(__file__).resolve().parents[3]
PROBE = ROOT / "tests" / "helpers" / "clock_probe.py"
HOST_ZONES = ["UTC", "America/Los_Angeles"]
# (UTC instant, what the kiosk in Hà Nội must print: time, date, YYMMDD of its codes)
BEFORE_MIDNIGHT = ("2026-12-01T16:59:00+00:00", "23:59", "01/12/2026", "261201")
AFTER_MIDNIGHT = ("2026-12-01T17:01:00+00:00", "00:01", "02/12/2026", "261202")
INSTANTS = pytest.mark.parametrize("instant", [BEFORE_MIDNIGHT, AFTER_MIDNIGHT], ids=["before", "after"])


def host_env(tmp_path: Path, host_zone: str, instant: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update(TZ=host_zone, KIOSK_FAKE_NOW=instant, KIOSK_DATA_DIR=str(tmp_path / "data"))
    return env


def probe(tmp_path: Path, what: str, host_zone: str, instant: str) -> tuple[dict, str]:
    out = subprocess.run([sys.executable, str(PROBE), what, str(tmp_path)], capture_output=True, text=True,
                         env=host_env(tmp_path, host_zone, instant), timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.splitlines()[-1])
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", result["path"], "-"], capture_output=True,
                          check=True).stdout.decode("utf-8")
    return result, " ".join(unicodedata.normalize("NFC", text).split())


@pytest.mark.parametrize("host_zone", HOST_ZONES)
@INSTANTS
def test_a_ticket_shows_the_time_and_date_in_vietnam_whatever_the_hosts_zone(tmp_path, host_zone, instant):
    _utc, hhmm, day, _yymmdd = instant
    _ticket, text = probe(tmp_path, "ticket", host_zone, instant[0])
    assert f"Giờ lấy số: {hhmm} – ngày {day}" in text
    assert f"Issued at {hhmm} on {day}" in text


@pytest.mark.parametrize("host_zone", HOST_ZONES)
@INSTANTS
def test_a_receipts_printed_date_its_dossier_code_and_its_local_ref_agree(tmp_path, host_zone, instant):
    _utc, hhmm, day, yymmdd = instant
    receipt, text = probe(tmp_path, "receipt", host_zone, instant[0])
    assert receipt["dossier_code"].split("-")[1] == yymmdd
    assert receipt["local_ref"].split("-")[-2] == yymmdd
    assert f"Mã hồ sơ: {receipt['dossier_code']}" in text
    dd, mm, yyyy = day.split("/")
    assert f"ngày {dd} tháng {mm} năm {yyyy}" in text
    assert f"Received at: {hhmm}, {day}" in text


def test_on_a_utc_host_at_2330_the_receipt_says_0630_the_next_day_like_its_codes(tmp_path):
    receipt, text = probe(tmp_path, "receipt", "UTC", "2026-12-01T23:30:00+00:00")
    assert receipt["dossier_code"] == "00073-261202-0001"
    assert receipt["local_ref"] == "L-KIOSK-01-261202-0001"
    assert "06 giờ 30 phút, ngày 02" in text and "Received at: 06:30, 02/12/2026" in text
    assert "01/12/2026" not in text and "ngày 01 tháng 12" not in text


@pytest.mark.parametrize("host_zone", HOST_ZONES)
@pytest.mark.parametrize(("instant", "accepted"), [(BEFORE_MIDNIGHT[0], False), (AFTER_MIDNIGHT[0], True)],
                         ids=["before", "after"])
def test_a_card_issued_today_in_vietnam_is_accepted_and_tomorrow_refused(tmp_path, host_zone, instant, accepted):
    card = build_id_qr(**{**TEST_CITIZENS[0], "issue_date": date(2026, 12, 2)})
    out = subprocess.run([sys.executable, "-m", "kiosk", "parse-id", "--json", card], capture_output=True,
                         text=True, env=host_env(tmp_path, host_zone, instant), timeout=60)
    if accepted:
        assert out.returncode == 0, out.stdout + out.stderr
        assert json.loads(out.stdout)["issue_date"] == "2026-12-02"
    else:
        assert out.returncode == 2
        assert "future" in json.loads(out.stdout)["detail"]


def test_an_invalid_configured_zone_stops_a_command_with_a_plain_message(tmp_path):
    env = host_env(tmp_path, "UTC", AFTER_MIDNIGHT[0])
    env["KIOSK_KIOSK_TIMEZONE"] = "Asia/Hanoi_Typo"
    out = subprocess.run([sys.executable, "-m", "kiosk", "parse-id", "--json", "x"], capture_output=True,
                         text=True, env=env, timeout=60)
    assert out.returncode == 2
    assert "Cấu hình không hợp lệ / invalid configuration" in out.stderr and "kiosk.timezone" in out.stderr
    assert "Traceback" not in out.stderr


def test_log_records_carry_the_kiosks_time_with_its_offset():
    record = logging.LogRecord("kiosk.test", logging.INFO, __file__, 1, "hello", (), None)
    record.created = datetime(2026, 12, 1, 23, 30, tzinfo=UTC).timestamp()
    entry = json.loads(JsonFormatter().format(record))
    assert entry["ts"].startswith("2026-12-02T06:30:00") and entry["ts"].endswith("+07:00")


def test_now_is_in_the_configured_zone_and_pinnable():
    try:
        clock.configure("America/Los_Angeles")
        with clock.pin(datetime(2026, 12, 1, 23, 30, tzinfo=UTC)):
            assert clock.now().isoformat() == "2026-12-01T15:30:00-08:00"
            assert clock.today() == date(2026, 12, 1)
        clock.configure("Asia/Ho_Chi_Minh")
        with clock.pin(datetime(2026, 12, 1, 23, 30, tzinfo=UTC)):
            assert clock.now().isoformat() == "2026-12-02T06:30:00+07:00"
            assert clock.today() == date(2026, 12, 2)
    finally:
        clock.configure(clock.DEFAULT_ZONE)


# the host's zone sneaks in through each of these: the wall clock, or a conversion to the host's zone
WALL_CLOCK_CALL = re.compile(r"\b(datetime\.now|datetime\.today|date\.today|time\.localtime|time\.strftime|time\.ctime"
                             r"|QDate\.currentDate|QDateTime\.currentDateTime)\(|\.astimezone\(\)")


def test_only_the_clock_helper_reads_the_wall_clock():
    offenders = []
    for folder in ("kiosk", "device"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path == ROOT / "kiosk" / "core" / "clock.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if WALL_CLOCK_CALL.search(line) or "VN_TZ" in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "use kiosk.core.clock instead:\n" + "\n".join(offenders)


def test_the_kiosk_takes_its_zone_from_the_configuration(tmp_path):
    from kiosk.app.services import KioskSettings, Services
    from kiosk.core.config import load_config

    config = load_config(tmp_path, environ={"KIOSK_KIOSK_TIMEZONE": "America/Los_Angeles"})
    services = Services(KioskSettings.from_config(config), tmp_path / "data")
    try:
        with clock.pin(datetime(2026, 12, 1, 23, 30, tzinfo=UTC)):
            assert clock.now().isoformat() == "2026-12-01T15:30:00-08:00"
    finally:
        services.close()
        clock.configure(clock.DEFAULT_ZONE)


def test_the_heartbeat_and_the_outbox_export_carry_the_kiosks_time(tmp_path):
    import sqlite3

    from kiosk.app.maintenance import export_outbox
    from kiosk.app.services import KioskSettings, Services
    from kiosk.backend.sim import start_simulator_thread

    with start_simulator_thread(tmp_path / "backend.sqlite3", "t0ken", seed=1) as sim:
        services = Services(KioskSettings(backend_url=sim.url, backend_token="t0ken"), tmp_path / "data")
        try:
            with clock.pin(datetime(2026, 12, 1, 23, 30, tzinfo=UTC)):
                services.commit(sample_dossier(0))
                services.heartbeat()
                exported = json.loads(export_outbox(tmp_path / "data").read_text(encoding="utf-8"))
        finally:
            services.close()
        with sqlite3.connect(tmp_path / "backend.sqlite3") as db:
            (body,) = db.execute("SELECT body FROM heartbeats").fetchone()
    assert json.loads(body)["sent_at"] == "2026-12-02T06:30:00+07:00"
    assert exported["exported_at"] == "2026-12-02T06:30:00+07:00"
    assert exported["dossiers"][0]["local_ref"].split("-")[-2] == "261202"
