"""How many printable directories a server process lays out at once.

Laying out a large directory takes minutes and gigabytes, and anyone may ask for the
public view: past ``CNA_PUBLICATION_RENDERS`` renders in flight, a request is refused with
a 503 at once rather than queued behind them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from app.core.problems import Problem

RETRY_AFTER_SECONDS = 60


class RenderSlots:
    def __init__(self, size: int) -> None:
        self._free = threading.BoundedSemaphore(size)

    @contextmanager
    def claim(self) -> Iterator[None]:
        if not self._free.acquire(blocking=False):
            raise Problem(status=503, title="Publishing busy",
                          detail="the printable directory is being laid out for other "
                                 "readers; try again shortly",
                          headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        try:
            yield
        finally:
            self._free.release()
