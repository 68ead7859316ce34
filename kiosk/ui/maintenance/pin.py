"""The maintenance PIN store and audit trail, shared by the PIN pad, the panel and its pages."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.core.pin import PinStore
    from kiosk.ui.context import ScreenContext

#: The clock of the PIN lock-out and the audit trail (the walkthrough and tests set a fake one).
PIN_CLOCK: Callable[[], float] = time.time


def pin_store(ctx: ScreenContext) -> PinStore:
    from kiosk.core.pin import PinStore

    return PinStore(ctx.app.data_dir, clock=lambda: PIN_CLOCK())


def audit(ctx: ScreenContext, event: str, **details: Any) -> None:
    """Append to the maintenance audit trail (the same store and clock as the PIN pad's)."""
    pin_store(ctx).audit(event, **details)
