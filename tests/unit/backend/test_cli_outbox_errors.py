"""``kiosk outbox``, ``kiosk doctor`` and ``kiosk config --check`` on a damaged, full, read-only or lost data
folder and a wrong link: one bilingual line naming the file and what to do, exit 2, the data kept; never a
traceback. And no clear text on the wire: http:// only to this machine, unless loudly allowed."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.backend import TOKEN

from kiosk.backend.outbox import DB_NAME, Outbox
from kiosk.cli import main
from kiosk.core.dossier import sample_dossier

COMMANDS = ("status", "list", "flush")


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _outbox_command(capsys, command: str, data: Path, *extra: str) -> tuple[int, str, str]:
    flush = ("--backend", "http://127.0.0.1:9", "--token", TOKEN, "--timeout", "1") if command == "flush" else ()
    return _run(capsys, "outbox", command, "--data-dir", str(data), *flush, *extra)


def _files(data: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()}


def _one_bilingual_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and " / " in lines[0]
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_garbage_outbox_file_is_named_and_kept(tmp_path, capsys, command):
    data = tmp_path / "data"
    data.mkdir()
    (data / DB_NAME).write_bytes(b"\x00garbage, not a database\x00" * 300)
    before = _files(data)
    code, _, err = _outbox_command(capsys, command, data)
    line = _one_bilingual_line(err)
    assert code == 2
    assert str(data / DB_NAME) in line and "bị hỏng" in line and "is damaged" in line and "do not delete" in line
    assert _files(data) == before


@pytest.mark.parametrize("command", ("status", "list"))
def test_a_truncated_outbox_file_is_named_and_kept(tmp_path, capsys, command):
    data = tmp_path / "data"
    with Outbox.in_data_dir(data) as outbox:
        for i in range(60):
            outbox.add(sample_dossier(i))
    whole = (data / DB_NAME).read_bytes()
    (data / DB_NAME).write_bytes(whole[: len(whole) // 2])  # a copy cut short
    before = _files(data)
    code, _, err = _outbox_command(capsys, command, data)
    line = _one_bilingual_line(err)
    assert code == 2 and str(data / DB_NAME) in line and "damaged" in line
    assert _files(data) == before


def test_a_missing_or_wrong_key_is_named_on_one_line(tmp_path, capsys):
    data = tmp_path / "data"
    with Outbox.in_data_dir(data) as outbox:
        outbox.add(sample_dossier(0))
    key = (data / "outbox.key").read_bytes()
    (data / "outbox.key").unlink()
    code, _, err = _outbox_command(capsys, "status", data)
    line = _one_bilingual_line(err)
    assert code == 2 and str(data / "outbox.key") in line and "Restore the key file" in line
    (data / "outbox.key").write_bytes(key[:-5] + b"AAAA=\n")
    code, _, err = _outbox_command(capsys, "list", data)
    line = _one_bilingual_line(err)
    assert code == 2 and str(data / "outbox.key") in line and "not its key" in line


def _mount(*argv: str) -> None:
    done = subprocess.run(["mount", *argv], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here (needs root): {done.stderr.decode(errors='replace').strip()}")


@pytest.fixture
def full_disk(tmp_path) -> Iterator[Path]:
    """A data folder on a tiny tmpfs holding an outbox, then filled to the last byte."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    _mount("-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount_point))
    try:
        data = mount_point / "data"
        with Outbox.in_data_dir(data) as outbox:
            outbox.add(sample_dossier(0))
        with pytest.raises(OSError), open(mount_point / "filler", "wb") as filler:
            while True:
                filler.write(b"\0" * 4096)
                filler.flush()
        yield data
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_full_disk_says_so(full_disk, capsys, command):
    before = _files(full_disk)
    code, _, err = _outbox_command(capsys, command, full_disk)
    line = _one_bilingual_line(err)
    assert code == 2 and str(full_disk / DB_NAME) in line
    assert "đã đầy" in line and "is full" in line and "free some space" in line
    after = _files(full_disk)  # SQLite may leave an empty -wal/-shm beside them: the data is what counts
    assert {name: after[name] for name in before} == before


@pytest.fixture
def read_only(tmp_path) -> Iterator[Path]:
    """An outbox behind a read-only bind mount (chmod does not stop root)."""
    source, data = tmp_path / "source", tmp_path / "data"
    with Outbox.in_data_dir(source) as outbox:
        outbox.add(sample_dossier(0))
    data.mkdir()
    _mount("--bind", str(source), str(data))
    try:
        _mount("-o", "remount,bind,ro", str(data))
        yield data
    finally:
        subprocess.run(["umount", str(data)], check=True)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_read_only_data_folder_says_so(read_only, capsys, command):
    before = _files(read_only)
    code, _, err = _outbox_command(capsys, command, read_only)
    line = _one_bilingual_line(err)
    assert code == 2 and str(read_only) in line and "chỉ đọc" in line and "read-only" in line
    assert _files(read_only) == before


# --- a lost outbox ----------------------------------------------------------------------------------

@pytest.fixture
def lost(tmp_path) -> Path:
    data = tmp_path / "data"
    with Outbox.in_data_dir(data) as outbox:
        outbox.add(sample_dossier(0))
    for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm"):
        (data / name).unlink(missing_ok=True)
    return data


def test_outbox_status_says_the_outbox_was_lost(lost, capsys):
    code, out, err = _run(capsys, "outbox", "status", "--data-dir", str(lost), "--json")
    assert code == 0 and json.loads(out)["lost"] == "database_new"
    assert "tạm ngừng nhận hồ sơ" in err and "not accepting dossiers" in err and "deleted or emptied" in err
    code, out, _ = _run(capsys, "outbox", "status", "--data-dir", str(lost))
    assert "lost: database_new" in out


def test_doctor_fails_naming_the_lost_outbox(lost, capsys, monkeypatch):
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    code, out, _ = _run(capsys, "doctor", "--simulate", "--data-dir", str(lost), "--json")
    report = json.loads(out)
    assert code != 0 and not report["ok"]
    assert report["outbox"]["state"] == "lost" and "Acknowledge the loss" in report["outbox"]["action"]["en"]
    code, out, _ = _run(capsys, "doctor", "--simulate", "--data-dir", str(lost))
    assert "FAIL outbox" in out and "failing: outbox" in out


# --- the link: CA file and clear text -----------------------------------------------------------------

def _config(tmp_path: Path, backend: str) -> Path:
    data = tmp_path / "cfg"
    data.mkdir(exist_ok=True)
    (data / "kiosk.toml").write_text(f"[backend]\n{backend}\n", encoding="utf-8")
    return data


@pytest.fixture(autouse=True)
def _no_kiosk_environment(monkeypatch):
    import os

    for name in [n for n in os.environ if n.startswith("KIOSK_") and n != "KIOSK_FAKE_NOW"]:
        monkeypatch.delenv(name)


def test_config_check_names_a_missing_or_garbage_ca_file(tmp_path, capsys):
    missing = tmp_path / "nowhere" / "ca.pem"
    data = _config(tmp_path, f'url = "https://dvc.example.gov.vn"\nca_file = "{missing}"')
    code, _, err = _run(capsys, "config", "--check", "--data-dir", str(data))
    line = _one_bilingual_line(err)
    assert code == 2 and str(missing) in line and "does not exist" in line and "Không tìm thấy" in line

    garbage = tmp_path / "ca.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")
    data = _config(tmp_path, f'url = "https://dvc.example.gov.vn"\nca_file = "{garbage}"')
    code, _, err = _run(capsys, "config", "--check", "--data-dir", str(data))
    line = _one_bilingual_line(err)
    assert code == 2 and str(garbage) in line and "no valid PEM certificate" in line


def test_doctor_names_a_missing_ca_file_as_the_backend_s_problem(tmp_path, capsys):
    missing = tmp_path / "ca.pem"
    data = _config(tmp_path, f'url = "https://dvc.example.gov.vn"\ntoken = "t"\nca_file = "{missing}"')
    code, out, _ = _run(capsys, "doctor", "--simulate", "--data-dir", str(data), "--json")
    report = json.loads(out)
    assert code != 0 and report["backend"]["state"] == "ca_file"
    assert str(missing) in report["backend"]["message"]["en"]


def test_flush_with_a_missing_ca_file_says_so_instead_of_a_thread_traceback(tmp_path, capsys):
    data = tmp_path / "data"
    with Outbox.in_data_dir(data) as outbox:
        outbox.add(sample_dossier(0))
    missing = tmp_path / "ca.pem"
    code, _, err = _run(capsys, "outbox", "flush", "--data-dir", str(data), "--backend", "https://127.0.0.1:9",
                        "--token", TOKEN, "--ca-file", str(missing), "--timeout", "1")
    line = _one_bilingual_line(err)
    assert code == 2 and str(missing) in line


@pytest.mark.parametrize("url", ["http://dvc.example.gov.vn", "http://10.0.0.5:8080/api"])
def test_clear_text_is_refused_off_this_machine_not_to_it(tmp_path, capsys, url):
    data = _config(tmp_path, f'url = "{url}"\ntoken = "t"')
    code, _, err = _run(capsys, "config", "--check", "--data-dir", str(data))
    assert code == 2 and "backend.url" in err and "in clear" in err and "https://" in err
    code, out, _ = _run(capsys, "doctor", "--simulate", "--data-dir", str(data))
    assert code == 2 and "FAIL config" in out and "in clear" in out
    outbox_data = tmp_path / "outbox"
    with Outbox.in_data_dir(outbox_data) as outbox:
        outbox.add(sample_dossier(0))
    code, _, err = _run(capsys, "outbox", "flush", "--data-dir", str(outbox_data), "--backend", url,
                        "--token", TOKEN, "--timeout", "1")
    assert code == 2 and "in clear" in _one_bilingual_line(err)
    # while the simulator on this machine needs no permission
    for local in ("http://127.0.0.1:8765", "http://127.8.0.1", "http://[::1]:8765", "http://localhost:8765"):
        data = _config(tmp_path, f'url = "{local}"\ntoken = "t"')
        code, out, err = _run(capsys, "config", "--check", "--data-dir", str(data))
        assert code == 0 and out.startswith("ok:") and "WARNING" not in err, local


def test_allow_plain_http_is_reported_loudly(tmp_path, capsys):
    data = _config(tmp_path, 'url = "http://10.0.0.5:8080"\ntoken = "t"\nallow_plain_http = true')
    code, out, err = _run(capsys, "config", "--check", "--data-dir", str(data))
    assert code == 0 and out.startswith("ok:")
    assert "CẢNH BÁO" in err and "WARNING" in err and "in clear" in err and "http://10.0.0.5:8080" in err


def test_the_client_factory_refuses_a_clear_text_backend_too(tmp_path):
    from kiosk.app.services import KioskSettings, Services
    from kiosk.core.config import ConfigError

    services = Services(KioskSettings(backend_url="http://dvc.example.gov.vn", backend_token="t"), tmp_path)
    try:
        with pytest.raises(ConfigError, match="in clear"):
            services.make_client()
        services.settings.allow_plain_http = True
        services.make_client().close()
    finally:
        services.close()


def test_a_missing_ca_file_leaves_the_kiosk_working_offline_not_a_thread_traceback(tmp_path):
    from kiosk.app.services import KioskSettings, Services
    from kiosk.core.config import ConfigError

    missing = tmp_path / "ca.pem"
    services = Services(KioskSettings(backend_url="https://dvc.example.gov.vn", backend_token="t",
                                      ca_file=str(missing)), tmp_path / "data")
    try:
        with pytest.raises(ConfigError, match="does not exist"):
            services.make_client()
        assert services._client() is None  # the worker threads' callers fall back as if offline
        assert services.start_sender(lambda *a: None, lambda *a: None, lambda *a: None) is None  # no dying thread
        ticket = services._ticket_issuer().issue("ho-tich", False, client=services._client())
        assert ticket.offline and ticket.number  # a citizen still gets a queue number
    finally:
        services.close()


def _non_loopback_address() -> str:
    import socket

    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.254", 9))  # no packet is sent: only picks the outgoing interface
        address = probe.getsockname()[0]
    except OSError:
        address = ""
    finally:
        probe.close()
    if not address or address.startswith("127."):
        pytest.skip("no non-loopback address on this machine")
    return address


def test_doctor_warns_loudly_about_an_allowed_clear_text_backend(tmp_path, capsys):
    from kiosk.backend.sim import start_simulator_thread

    host = _non_loopback_address()
    handle = start_simulator_thread(tmp_path / "backend.sqlite3", TOKEN, host=host)
    try:
        assert not handle.url.startswith("http://127.")
        data = _config(tmp_path, f'url = "{handle.url}"\ntoken = "{TOKEN}"\nallow_plain_http = true')
        _, out, _ = _run(capsys, "doctor", "--simulate", "--data-dir", str(data), "--json")
        report = json.loads(out)
        assert report["backend"]["ok"] and report["backend"]["warning"] and report["backend"]["state"] == "plain_http"
        _, lines, _ = _run(capsys, "doctor", "--simulate", "--data-dir", str(data))
        assert "WARN backend" in lines and "CẢNH BÁO" in lines and "in clear" in lines
    finally:
        handle.stop()
