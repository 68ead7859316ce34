"""Task runners: a function off the GUI thread, its result back on it.

The workers are plain Python threads with callbacks (``device`` and ``kiosk.backend`` know nothing of
Qt). Emitting a Qt signal from their thread queues the call into the GUI thread, so slots run where
widgets may be touched and the GUI thread never waits on a camera, a network, a disk or a printer
(DESIGN.md section 5).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)


class TaskRunner(QObject):
    """One serial executor per shared resource (Anki's taskman); results come back as a signal."""

    sig_finished = Signal(int, object, object)
    """A task ended: (task id, result, exception or None), delivered in the GUI thread."""

    def __init__(self, name: str, workers: int = 1, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._workers = workers
        self._executor: ThreadPoolExecutor | None = None  # made on the first task, see _pool
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Callable[[Any], None] | None, Callable[[BaseException], None] | None]] = {}
        self._kept: set[int] = set()
        self.sig_finished.connect(self._on_pool_finished)

    @property
    def _pool(self) -> ThreadPoolExecutor:
        # Made on first use: the window creates its runners before the home screen is shown, and
        # importing concurrent.futures then would cost that first screen ~5 ms; the first task runs later.
        if self._executor is None:
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix=f"kiosk-{self._name}")
        return self._executor

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None, survive_wipe: bool = False) -> int:
        """Run ``fn`` on this runner's thread; ``survive_wipe``: the callbacks are the kiosk's own (the
        warm-up), not a citizen's, so a session wipe does not cancel them."""
        task_id = next(self._ids)
        self._callbacks[task_id] = (on_done, on_error)
        if survive_wipe:
            self._kept.add(task_id)

        def job() -> None:
            try:
                result = fn()
            except BaseException as err:  # handed to the GUI thread, never lost
                self.sig_finished.emit(task_id, None, err)
            else:
                self.sig_finished.emit(task_id, result, None)

        self._pool.submit(job)
        return task_id

    def call(self, fn: Callable[[], Any], timeout: float | None = None) -> Any:
        """Run ``fn`` on this runner's thread and wait for it (start-up only: it blocks the caller)."""
        return self._pool.submit(fn).result(timeout)

    def cancel_callbacks(self) -> None:
        """Forget pending callbacks (the session was wiped: results must not land on a new citizen)."""
        self._callbacks = {k: v for k, v in self._callbacks.items() if k in self._kept}

    def _on_pool_finished(self, task_id: int, result: Any, error: BaseException | None) -> None:
        on_done, on_error = self._callbacks.pop(task_id, (None, None))
        self._kept.discard(task_id)
        if error is not None:
            if on_error is not None:
                on_error(error)
            else:
                log.error("background task failed: %r", error)
        elif on_done is not None:
            on_done(result)

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
