"""The loop every job of ``cna worker`` runs in."""

from __future__ import annotations

import logging
import threading

import pytest

from app.core.loops import repeat_until_stopped


def test_a_failed_pass_is_logged_and_the_loop_goes_on_until_stopped(
        caplog: pytest.LogCaptureFixture) -> None:
    stop = threading.Event()
    passes: list[int] = []

    def job() -> None:
        passes.append(len(passes))
        if len(passes) == 2:
            raise RuntimeError("the database went away")
        if len(passes) == 4:
            stop.set()

    with caplog.at_level(logging.ERROR, logger="app.core.loops"):
        repeat_until_stopped(job, name="test job", interval=0, stop=stop)
    assert passes == [0, 1, 2, 3]
    assert [r.getMessage() for r in caplog.records] == ["test job pass failed"]


def test_a_loop_told_to_stop_runs_no_pass() -> None:
    stop = threading.Event()
    stop.set()
    ran: list[bool] = []
    repeat_until_stopped(lambda: ran.append(True), name="never", interval=0, stop=stop)
    assert ran == []
