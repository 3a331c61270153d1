"""The loops of ``cna worker``: a job run again and again until told to stop."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


def repeat_until_stopped(job: Callable[[], object], *, name: str, interval: float,
                         stop: threading.Event) -> None:
    """Run ``job`` every ``interval`` seconds until ``stop`` is set.  A pass that fails is
    logged and the next one runs as usual: one bad pass never ends the worker."""
    while not stop.is_set():
        try:
            job()
        except Exception:
            log.exception("%s pass failed", name)
        stop.wait(interval)
