"""The log of endings that waiting clients read instead of the database."""

from __future__ import annotations

import threading

from runner.endings import Endings


def test_wait_returns_the_jobs_announced_since_the_mark() -> None:
    endings = Endings()
    mark = endings.mark()
    endings.announce([1, 2])
    endings.announce([3])
    new_mark, ended = endings.wait(mark, timeout=0)
    assert ended == {1, 2, 3}
    assert endings.wait(new_mark, timeout=0) == (new_mark, set())


def test_wait_wakes_when_another_thread_announces() -> None:
    endings = Endings()
    mark = endings.mark()
    timer = threading.Timer(0.05, endings.announce, args=([7],))
    timer.start()
    _, ended = endings.wait(mark, timeout=30)
    timer.join()
    assert ended == {7}


def test_a_waiter_that_fell_behind_the_log_is_told_it_cannot_know() -> None:
    endings = Endings(keep=2)
    mark = endings.mark()
    for job_id in range(3):
        endings.announce([job_id])
    assert endings.wait(mark, timeout=0)[1] is None
