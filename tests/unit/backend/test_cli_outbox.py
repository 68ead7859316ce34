"""``kiosk outbox status|list|flush`` and what they show (ID numbers masked)."""

from __future__ import annotations

import json

from helpers.backend import TOKEN

from kiosk.backend.outbox import Outbox
from kiosk.cli import main
from kiosk.core.dossier import sample_dossier


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_status_list_and_flush(tmp_path, sim, capsys):
    data = tmp_path / "data"
    with Outbox.in_data_dir(data) as outbox:
        refs = [outbox.add(sample_dossier(i)).local_ref for i in range(3)]

    code, out, _ = _run(capsys, "outbox", "status", "--data-dir", str(data), "--json")
    status = json.loads(out)
    assert code == 0 and status["pending"] == 3 and status["oldest_pending_age_s"] is not None

    code, out, _ = _run(capsys, "outbox", "list", "--data-dir", str(data))
    assert code == 0 and all(ref in out for ref in refs)
    assert "0010******45" in out and "001099012345" not in out  # masked, never the full number

    code, out, _ = _run(capsys, "outbox", "flush", "--data-dir", str(data), "--backend", sim.url,
                        "--token", TOKEN, "--json")
    result = json.loads(out)
    assert code == 0 and result["drained"] and result["acknowledged"] == 3

    code, out, _ = _run(capsys, "outbox", "list", "--data-dir", str(data), "--json", "--state", "acknowledged")
    rows = json.loads(out)
    assert [r["local_ref"] for r in rows] == refs and all(r["dossier_code"] for r in rows)
    assert "001099012345" not in out


def test_flush_while_the_backend_is_down_says_so_and_keeps_everything(tmp_path, sim, capsys):
    data = tmp_path / "data"
    with Outbox.in_data_dir(data) as outbox:
        outbox.add(sample_dossier(0))
    sim.pause()
    code, out, err = _run(capsys, "outbox", "flush", "--data-dir", str(data), "--backend", sim.url,
                          "--token", TOKEN, "--timeout", "1")
    assert code == 1
    assert "Chưa gửi được 1 hồ sơ" in err and "1 dossiers not delivered" in err
    assert "undelivered: 1" in out


def test_an_empty_data_dir_and_a_missing_key(tmp_path, capsys):
    code, out, _ = _run(capsys, "outbox", "status", "--data-dir", str(tmp_path / "none"), "--json")
    assert code == 0 and json.loads(out)["undelivered"] == 0
    assert not (tmp_path / "none").exists()  # looking does not create anything
    data = tmp_path / "data"
    with Outbox.in_data_dir(data) as outbox:
        outbox.add(sample_dossier(0))
    (data / "outbox.key").unlink()
    code, _, err = _run(capsys, "outbox", "list", "--data-dir", str(data))
    assert code == 2 and "Không mở được" in err and "cannot be opened" in err
    assert "Traceback" not in err
    assert not (data / "outbox.key").exists()  # no new key minted over the evidence
