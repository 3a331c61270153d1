"""The weekly reminder job of ``cna worker``: it looks every few minutes whether a run is
due (``CNA_REMINDER_DAYS`` since the last scheduled one) and then sends the digests."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from app.core.loops import repeat_until_stopped
from app.core.settings import Settings, get_settings
from app.reminders.service import ReminderRun, due, send_reminders

log = logging.getLogger(__name__)

CHECK_SECONDS = 300.0


def run_once(engine: Engine, settings: Settings | None = None,
             clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> ReminderRun | None:
    """Send the digests if the scheduled run is due; None when it is not."""
    settings = settings or get_settings()
    now = clock()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        if not due(session, settings, now):
            return None
        return send_reminders(session, settings, now=now, trigger="schedule")


def run_forever(engine: Engine, settings: Settings | None = None,
                interval: float = CHECK_SECONDS, stop: threading.Event | None = None) -> None:
    def remind() -> None:
        run = run_once(engine, settings)
        if run is not None and run.digests:
            log.info("queued %d reminder digest(s)", len(run.digests))

    repeat_until_stopped(remind, name="reminder", interval=interval,
                         stop=stop or threading.Event())
