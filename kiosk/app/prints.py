"""Where tickets and receipts are rendered: one PDF each in the prints folder, never half-written."""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from kiosk.core import clock

if TYPE_CHECKING:  # reportlab loads with the warm-up, not with the home screen
    from kiosk.core.documents import RenderedDocument

Doc = TypeVar("Doc")


class PrintFiles:
    """Names for the print files: ``kind-REF-HHMMSS-NNN.pdf`` (kiosk.ui.printing reads REF back)."""

    def __init__(self, prints_dir: Path) -> None:
        self.prints_dir = prints_dir
        self._lock = threading.Lock()
        self._seq = 0

    def path(self, kind: str, name: str) -> Path:
        with self._lock:
            self._seq += 1
            seq = self._seq
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)
        return self.prints_dir / f"{kind}-{safe}-{clock.now():%H%M%S}-{seq:03d}.pdf"


def render_atomically(render: Callable[[Doc, Path], RenderedDocument], doc: Doc, path: Path) -> RenderedDocument:
    """Render under a temporary name, then rename: a crash never leaves a half-written PDF behind."""
    unfinished = path.with_name(f"unfinished-{path.name}")
    rendered = render(doc, unfinished)
    os.replace(unfinished, path)
    return dataclasses.replace(rendered, path=path)
