"""Key presses sent to a running app, and how long each took to show.

Every key the app binds that reaches the queue table, a host request or
another screen is pressed here; a key is timed from its arrival until the
first screen update after its effect. Keys that ask the host for another
window of the queue are timed a second time, until that window is painted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from textual import events
from textual.command import CommandPalette
from textual.widgets import Input, Static

from runner.tui.app import RunnerApp
from runner.tui.screens.confirm import ConfirmScreen
from runner.tui.screens.details import JobScreen
from runner.tui.screens.submit import SubmitScreen
from runner.tui.states import ACTIVE

Samples = dict[str, list[float]]
"""Seconds per key, by the key's label."""

CHARS = {"slash": "/", "backspace": "\x08"}
"""The character of keys whose name is not their character."""


async def until(condition: Callable[[], object], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the app did not get there in {timeout} s")
        await asyncio.sleep(0.001)


class Paints:
    """Counts the app's screen updates and notices; notes the last update's time.

    Also notes when the first update after the queue last took new rows was
    written: the moment those rows could be seen.
    """

    def __init__(self, app: RunnerApp) -> None:
        self.count = 0
        self.at = 0.0
        self.notices = 0
        self.rows_due = False
        self.rows_at = 0.0
        self.views = 0
        display, notify, queue = app._display, app.notify, app.queue
        show, change = queue._show, queue._change_view

        def counted(screen: Any, renderable: Any) -> None:
            display(screen, renderable)
            self.count += 1
            self.at = time.perf_counter()
            if self.rows_due:
                self.rows_due, self.rows_at = False, self.at

        def noticed(*args: Any, **kwargs: Any) -> None:
            self.notices += 1
            notify(*args, **kwargs)

        def shown(*args: Any) -> None:
            show(*args)
            self.rows_due = True

        def changed(*args: Any) -> None:
            self.views += 1
            change(*args)

        app._display = counted  # type: ignore[method-assign]
        app.notify = noticed  # type: ignore[method-assign]
        queue._show = shown  # type: ignore[method-assign]
        queue._change_view = changed  # type: ignore[method-assign]


class Keys:
    """Presses keys on one app and keeps the timings."""

    def __init__(self, app: RunnerApp, rounds: int) -> None:
        self.app = app
        self.queue = app.queue
        self.rounds = rounds
        self.paints = Paints(app)
        self.answered: Samples = {}
        self.shown: Samples = {}

    async def press(
        self, key: str, effect: Callable[[], object], label: str = ""
    ) -> float:
        """Seconds from a key arriving until the screen shows its effect."""
        started = time.perf_counter()
        char = CHARS.get(key, key if len(key) == 1 else None)
        self.app._driver.send_message(events.Key(key, char))  # type: ignore[union-attr]
        await until(effect, timeout=10)
        painted = self.paints.count
        await until(lambda: self.paints.count > painted, timeout=10)
        self.answered.setdefault(label or key, []).append(self.paints.at - started)
        return started

    async def settled(self, label: str, started: float | None = None) -> None:
        """Wait for the queue's loads to end; with started, time the new rows."""
        queue, paints = self.queue, self.paints
        await until(lambda: queue.anchor is None and not queue.pacer.busy)
        await until(lambda: not paints.rows_due, timeout=10)
        if started is not None:
            self.shown.setdefault(label, []).append(paints.rows_at - started)

    async def cursor(self) -> None:
        """Cursor moves; those that slide the window also time the new rows."""
        table = self.queue.table
        moves = ["down"] * 40 + ["up"] * 20 + ["pagedown"] * 20 + ["pageup"] * 10
        moves += ["ctrl+end", "ctrl+home"] * self.rounds
        for key in moves:
            job, offset = table.cursor_job, self.queue.view.offset
            started = await self.press(key, lambda job=job: table.cursor_job != job)
            await self.settled("")
            if self.queue.view.offset != offset:
                self.shown.setdefault(key, []).append(self.paints.rows_at - started)

    async def views(self) -> None:
        """Jumps, filters and sorts: answered at once, the new rows shown later."""
        for _ in range(self.rounds):
            for key in ("end", "home", "f", "s", "r"):
                await self.change_view(key)

    async def change_view(self, key: str, label: str = "") -> None:
        asked = self.paints.views
        started = await self.press(key, lambda: self.paints.views > asked, label)
        await self.settled(label or key, started)

    async def text_filter(self) -> None:
        """Typing a filter a character at a time, then rubbing it out."""
        search = self.queue.query_one("#search", Input)
        table = self.queue.table
        for _ in range(self.rounds):
            await self.press("slash", lambda: search.has_focus)
            for char in "427":
                await self.change_view(char, "typed char")
            for _char in "427":
                await self.change_view("backspace")
            await self.press("enter", lambda: table.has_focus, "enter in filter")

    async def screens(self) -> None:
        """Screens pushed over the queue, and popped again."""
        app = self.app

        def back() -> bool:
            return app.screen is self.queue

        for _ in range(self.rounds):
            await self.press("enter", lambda: isinstance(app.screen, JobScreen))
            await self.toggle_stream()
            await self.press("escape", back, "escape details")
            await self.press("a", lambda: isinstance(app.screen, SubmitScreen))
            await self.press("escape", back, "escape form")
            await self.press("ctrl+p", lambda: isinstance(app.screen, CommandPalette))
            await self.press("escape", back, "escape palette")

    async def toggle_stream(self) -> None:
        title = self.app.screen.query_one("#log-title", Static)
        for stream in ("stderr", "stdout"):

            def shows(stream: str = stream) -> bool:
                return str(title.render()).startswith(stream)

            await self.press("t", shows)

    async def verbs(self) -> None:
        """Verbs on the job under the cursor: a pending one, held and released."""
        self.queue.action_state_filter(ACTIVE)
        await self.settled("")
        app, paints = self.app, self.paints
        for _ in range(self.rounds):
            await self.press("c", lambda: isinstance(app.screen, ConfirmScreen))
            await self.press("n", lambda: app.screen is self.queue, "n (no)")
            for key in ("h", "l"):
                notices = paints.notices
                started = await self.press(key, lambda n=notices: paints.notices > n)
                await self.settled(key, started)
