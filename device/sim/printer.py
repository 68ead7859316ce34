"""The simulated printer: PDFs are spooled into a folder, paper is counted, faults come from FAULTS.

It behaves like the CUPS printer as the UI sees it: the same typed :class:`PrinterError` codes, a
status with the paper level, and it refuses jobs while out of paper or offline
(``KIOSK_SIM_FAULTS=printer:paper_out`` / ``printer:offline``, or ``FAULTS.set`` at run time).
"""

from __future__ import annotations

import itertools
import shutil
import threading
from collections import deque
from pathlib import Path

from device.printer import DEFAULT_MEDIA, STATUS_MESSAGES, Printer, PrinterError, PrinterStatus, PrintJobResult
from device.sim.faults import FAULTS, FaultInjector

#: the simulated printer's folder under the data directory: a demo artefact, not a real printer's spool
DEMO_SPOOL = "demo-printer-spool"
LOW_PAPER = 5  # documents left when the status starts saying "low"


class SimPrinter(Printer):
    """Copies each printed PDF into ``spool_dir`` as ``NNNN-<name>.pdf``; one document uses one unit
    of paper."""

    def __init__(self, spool_dir: Path | str, paper: int = 200, *, faults: FaultInjector = FAULTS,
                 capacity: int | None = None) -> None:
        self.spool_dir = Path(spool_dir)
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        self.name = "sim-printer"
        self.capacity = capacity if capacity is not None else max(paper, 1)
        self._paper = paper
        self._faults = faults
        self._lock = threading.Lock()
        # Continue numbering after what an earlier run left in the spool folder.
        existing = [int(p.name[:4]) for p in self.spool_dir.glob("[0-9][0-9][0-9][0-9]-*.pdf")]
        self._seq = itertools.count(max(existing, default=0) + 1)
        #: the newest spooled documents (a demo runs all day: not every one it ever printed)
        self.printed: deque[Path] = deque(maxlen=64)

    @property
    def paper(self) -> int:
        with self._lock:
            return self._paper

    def refill(self, paper: int | None = None) -> None:
        """Put in a new roll (``capacity`` documents unless told otherwise)."""
        with self._lock:
            self._paper = self.capacity if paper is None else paper

    def status(self) -> PrinterStatus:
        with self._lock:
            paper = self._paper
        if self._faults.active("printer", "offline"):
            return PrinterStatus("offline", "unknown", STATUS_MESSAGES["offline"], ("offline-report",), paper)
        if paper <= 0 or self._faults.active("printer", "paper_out"):
            return PrinterStatus("paper_out", "out", STATUS_MESSAGES["paper_out"], ("media-empty-error",),
                                 max(paper, 0))
        level = "low" if paper <= LOW_PAPER else "ok"
        return PrinterStatus("ready", level, STATUS_MESSAGES["paper_low" if level == "low" else "ready"],
                             ("media-low-report",) if level == "low" else (), paper)

    def print_pdf(self, path: Path, media: str | None = None) -> PrintJobResult:
        path = Path(path)
        media = media or DEFAULT_MEDIA
        if self._faults.active("printer", "offline"):
            raise PrinterError("offline", detail="simulated fault printer:offline", path=path, media=media)
        try:
            with path.open("rb") as document:
                is_pdf = document.read(5) == b"%PDF-"
        except OSError as err:
            raise PrinterError("job_failed", detail=f"cannot read {path}: {err}", path=path,
                               media=media) from err
        if not is_pdf:
            raise PrinterError("job_failed", detail=f"{path.name} is not a PDF", path=path, media=media)
        with self._lock:
            if self._paper <= 0 or self._faults.active("printer", "paper_out"):
                raise PrinterError("paper_out", detail=f"simulated paper out ({self._paper} left)", path=path,
                                   media=media)
            seq = next(self._seq)
            target = self.spool_dir / f"{seq:04d}-{path.stem}.pdf"
            shutil.copyfile(path, target)
            self._paper -= 1
            self.printed.append(target)
        return PrintJobResult(path=path, media=media, job_id=f"sim-{seq}", printer=self.name, spooled=target)
