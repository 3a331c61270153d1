"""The daily digest job of ``cna worker``: every few minutes it checks whether the day's
digest of new proposals is due (``CNA_PROPOSALS_DIGEST_HOUR``) and queues it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from app.core.loops import repeat_until_stopped
from app.core.settings import Settings, get_settings
from app.proposals.notices import DigestRun, send_digest

log = logging.getLogger(__name__)

CHECK_SECONDS = 300.0


def run_once(engine: Engine, settings: Settings | None = None,
             clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> DigestRun | None:
    """Queue the digest if it is due; None when it is not."""
    settings = settings or get_settings()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        return send_digest(session, clock(), settings)


def run_forever(engine: Engine, settings: Settings | None = None,
                interval: float = CHECK_SECONDS, stop: threading.Event | None = None) -> None:
    def digest() -> None:
        run = run_once(engine, settings)
        if run is not None:
            log.info("queued the proposals digest for %d recipient(s)", run.recipients)

    repeat_until_stopped(digest, name="proposals digest", interval=interval,
                         stop=stop or threading.Event())
