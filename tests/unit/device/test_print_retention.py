"""Printed receipts and tickets hold personal data: kept for a reprint window after printing, then deleted."""

from __future__ import annotations

import os
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from device import printer as device_printer
from device.printer import PrintJobResult, PrintWorker
from device.sim.faults import FaultInjector
from device.sim.printer import SimPrinter
from kiosk.core.documents import TicketDoc, render_ticket
from tests.helpers.clock import FakeClock


class Answer:
    """One answer from the worker thread."""

    def __init__(self) -> None:
        self.value = None
        self._done = threading.Event()

    def __call__(self, value) -> None:
        self.value = value
        self._done.set()

    def get(self):
        assert self._done.wait(30), "the print worker did not answer"
        return self.value


def _ticket(folder: Path, number: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    doc = TicketDoc(ward_name="Phường Cửa Nam", service_area={"vi": "Hộ tịch", "en": "Civil status"},
                    number=number, issued_at=datetime(2026, 11, 24, 9, 5), kiosk_id="KIOSK-01")
    return render_ticket(doc, folder / f"ticket-{number}.pdf").path


def _sweep(worker: PrintWorker) -> list[Path]:
    answer = Answer()
    worker.request_sweep(answer)
    return answer.get()


@pytest.fixture
def folders(tmp_path) -> tuple[Path, Path]:
    return tmp_path / "prints", tmp_path / "demo-printer-spool"


def test_a_printed_ticket_and_the_printers_copy_stay_for_the_reprint_window_then_are_deleted(folders):
    prints, spool = folders
    clock = FakeClock(1000.0)
    worker = PrintWorker(SimPrinter(spool, faults=FaultInjector()),
                         retention=device_printer.Retention(600, [prints, spool], clock=clock))
    ticket = _ticket(prints, "A012")
    done = Answer()
    worker.submit(ticket, None, done)
    printed = done.get()
    assert isinstance(printed, PrintJobResult) and printed.spooled is not None

    clock.now += 599  # still inside the window: it can be printed again
    assert _sweep(worker) == []
    assert ticket.is_file() and printed.spooled.is_file()

    clock.now += 2
    assert sorted(_sweep(worker)) == sorted([ticket, printed.spooled])
    assert list(prints.iterdir()) == [] and list(spool.iterdir()) == []
    assert worker.stop()


def test_a_failed_print_is_not_kept_forever_either(folders):
    prints, spool = folders
    clock = FakeClock(1000.0)
    faults = FaultInjector()
    faults.set("printer", "offline", True)
    worker = PrintWorker(SimPrinter(spool, faults=faults),
                         retention=device_printer.Retention(600, [prints, spool], clock=clock))
    receipt = _ticket(prints, "R001")
    done = Answer()
    worker.submit(receipt, None, done)
    assert done.get().code == "offline"
    clock.now += 601
    assert _sweep(worker) == [receipt] and not receipt.exists()
    assert worker.stop()


def test_what_an_earlier_run_left_is_deleted_at_start_up_and_a_fresh_document_stays(folders):
    prints, spool = folders
    left = [_ticket(prints, "A001"), _ticket(spool, "0007-receipt-L-1"), _ticket(prints, "unfinished-B002")]
    an_hour_ago = time.time() - 3600
    for path in left:
        os.utime(path, (an_hour_ago, an_hour_ago))
    worker = PrintWorker(SimPrinter(spool, faults=FaultInjector()),
                         retention=device_printer.Retention(600, [prints, spool]))
    waiting = _ticket(prints, "A002")  # rendered by this run, not yet handed to the printer
    _sweep(worker)  # queued behind the start-up clean-up
    assert [p for p in left if p.exists()] == []
    assert waiting.is_file()
    assert worker.stop()


def test_the_kiosk_wires_the_configured_window_and_names_the_demo_spool(tmp_path):
    from kiosk.app.services import KioskSettings, Services

    services = Services(KioskSettings(simulate=True, printer={"keep_for_reprint_s": 0}), tmp_path,
                        catalogue=[])
    worker = services.start_printer()
    try:
        assert services.printer.spool_dir == tmp_path / "demo-printer-spool"
        ticket = _ticket(services.prints_dir, "A100")
        done = Answer()
        worker.submit(ticket, None, done)
        done.get()
        # a window of 0 s: gone as soon as the printer has it
        assert list(services.prints_dir.glob("*.pdf")) == []
        assert list(services.printer.spool_dir.glob("*.pdf")) == []
    finally:
        services.close()


def test_a_document_printed_from_outside_the_kiosks_folders_is_left_alone(folders, tmp_path):
    prints, spool = folders
    clock = FakeClock(1000.0)
    worker = PrintWorker(SimPrinter(spool, faults=FaultInjector()),
                         retention=device_printer.Retention(0, [prints, spool], clock=clock))
    elsewhere = _ticket(tmp_path / "technicians-files", "X001")
    done = Answer()
    worker.submit(elsewhere, None, done)
    done.get()
    assert elsewhere.is_file() and list(spool.glob("*.pdf")) == []
    assert worker.stop()
