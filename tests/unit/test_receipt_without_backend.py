"""A kiosk with no backend never promises a synchronisation: its receipt and its look-up say what is true."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kiosk.app.services import KioskSettings, Services


def _receipt_text(services: Services) -> str:
    proc = services.procedure("dang-ky-khai-sinh")
    rendered = services.render_receipt(proc, "Nguyễn Văn Thử", "", "", "00073", "L-KIOSK-01-261124-0001",
                                       dossier_code=None, appointment_date=None)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(rendered.path), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode("utf-8").split())


@pytest.fixture
def services(tmp_path: Path):
    made: list[Services] = []

    def make(backend_url: str) -> Services:
        made.append(Services(KioskSettings(simulate=True, backend_url=backend_url), tmp_path / "data",
                             prints_dir=tmp_path / f"prints-{len(made)}"))
        return made[-1]

    yield make
    for s in made:
        s.close()


def test_with_no_backend_the_receipt_says_bring_it_to_the_counter_not_it_will_sync(services) -> None:
    text = _receipt_text(services(""))
    assert "đồng bộ" not in text and "synchronis" not in text
    assert "Mã hồ sơ tạm: L-KIOSK-01-261124-0001" in text
    assert "ghi nhận tại kiosk này" in text and "mang giấy tiếp nhận này đến quầy" in text
    assert "bring this receipt to the counter" in text


def test_with_a_backend_offline_the_receipt_still_says_it_will_sync(services) -> None:
    text = _receipt_text(services("http://127.0.0.1:9"))
    assert "sẽ được đồng bộ" in text and "will be synchronised" in text


def test_with_no_backend_a_looked_up_provisional_reference_is_not_waiting_to_sync(services) -> None:
    from kiosk.core.dossier import sample_dossier

    kiosk = services("")
    item = kiosk.outbox().add(sample_dossier(1, kiosk_id="KIOSK-01"))
    found = kiosk.lookup(item.local_ref)
    assert found is not None and found["code"] == item.local_ref
    assert "đồng bộ" not in found["status_text"]["vi"] and "synchronised" not in found["status_text"]["en"]
    assert "quầy" in found["status_text"]["vi"]
