"""Waiting for a condition with a deadline, never sleeping and hoping."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot

DEADLINE = 20.0


async def until(
    pilot: Pilot, condition: Callable[[], object], what: str, timeout: float = DEADLINE
) -> None:
    """Let the app run until condition holds; fail, saying what, at the deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


def wait_for(condition: Callable[[], object], what: str) -> None:
    """The same, for plain code outside the app."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
