"""The app, and `run`: the entry point that `runner` with no verb calls.

The app is thin: screens compose widgets and route keys; requests to the
host run in thread workers that post typed messages back (messages.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from runner.client import ClientError
from runner.config import Paths
from runner.display import one_line
from runner.tui.hosting import HostAccess, HostInfo, Hosting
from runner.tui.messages import Connected, HostSeen, RequestFailed, VerbDone
from runner.tui.screens.confirm import ConfirmScreen
from runner.tui.screens.details import JobScreen
from runner.tui.screens.queue import QueueScreen
from runner.tui.screens.submit import SubmitScreen
from runner.tui.verbs import BY_OP, VERBS, Target, Verb
from runner.tui.view import SORTS, STATE_FILTERS, View
from runner.tui.widgets.job_rows import HELD, row_state

REFRESH = 1.0
"""Seconds between looks at the queue."""

Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


class RunnerApp(App[None]):
    """The queue, live; every action a key, and a command in the palette."""

    CSS_PATH = "runner.tcss"
    TITLE = "runner"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "submit", "Submit"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        hosting: HostAccess,
        clock: Clock = _now,
        refresh_interval: float = REFRESH,
        handle_signals: bool = False,
    ) -> None:
        super().__init__()
        self.hosting = hosting
        self.client = hosting.client
        self.clock = clock
        self.refresh_interval = refresh_interval
        self.handle_signals = handle_signals
        self.info: HostInfo | None = None
        self.queue = QueueScreen(clock)

    def on_mount(self) -> None:
        self.sub_title = f"connecting · {self.hosting.home}"
        if self.handle_signals:
            loop = asyncio.get_running_loop()
            for number in (signal.SIGHUP, signal.SIGTERM):
                loop.add_signal_handler(number, self.exit)
        self.push_screen(self.queue)
        self._connect()
        _calm_collector()

    @work(thread=True, group="connect")
    def _connect(self) -> None:
        try:
            info = self.hosting.start()
        except Exception as error:
            self.post_message(RequestFailed("connect", str(error)))
            raise
        self.post_message(Connected(info))

    def on_connected(self, message: Connected) -> None:
        self._show_host(message.info)
        self.queue.start(self.client, self.refresh_interval)

    def on_host_seen(self, message: HostSeen) -> None:
        """The host that answered the last refresh: one may stop, and a
        client start another."""
        if self.info is None:
            return
        embedded = self.info.embedded and message.pid == self.info.pid
        info = HostInfo(embedded, message.pid, message.cpus)
        if info != self.info:
            self._show_host(info)

    def _show_host(self, info: HostInfo) -> None:
        self.info = info
        self.sub_title = f"{info.describe()} · {self.hosting.home}"

    def on_request_failed(self, message: RequestFailed) -> None:
        error = one_line(message.error)
        self.notify(error, title=message.what, severity="error", markup=False)

    # Acting on jobs

    def action_open(self) -> None:
        job_id = self.queue.table.cursor_job
        if job_id is None or self.info is None:
            return
        cpus = lambda: self.queue.cpus  # noqa: E731 - read when the screen draws
        self.push_screen(JobScreen(self.client, job_id, self.clock, cpus))

    def action_submit(self) -> None:
        if self.info is None:
            self.notify("Not connected to a host yet", severity="warning")
            return
        self.push_screen(SubmitScreen(self.client, self.info.cpus), self._submitted)

    def _submitted(self, job_id: int | None) -> None:
        if job_id is not None:
            self.notify(f"Submitted job {job_id}", markup=False)
            self.queue.reload(anchor=job_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys of verbs that do not apply to the job at hand are hidden and idle."""
        if action != "verb":
            return True
        target = self._target()
        return target is not None and BY_OP[str(parameters[0])].applies(target)

    def action_verb(self, op: str) -> None:
        verb, target = BY_OP[op], self._target()
        if target is None:
            return
        if not verb.applies(target):
            state = f"{target.state}{' (held)' if target.held else ''}"
            message = f"Job {target.id} is {state}: cannot {verb.title.lower()} it"
            self.notify(message, severity="warning", markup=False)
        elif verb.confirm:
            question = Text(f"{verb.title} job {target.id} ({one_line(target.name)})?")
            done = partial(self._confirmed, verb, target.id)
            self.push_screen(ConfirmScreen(question), done)
        else:
            self._do_verb(verb, target.id)

    def _target(self) -> Target | None:
        """The job a verb acts on: the open one, else the one under the cursor."""
        if isinstance(self.screen, JobScreen):
            job = self.screen.job
            if job is None:
                return None
            return Target(job["id"], job["name"], job["state"], bool(job.get("held")))
        if not self.queue.is_mounted:
            return None
        table = self.queue.table
        job_id = table.cursor_job
        if job_id is None:
            return None
        cells = table.cells(job_id)
        return Target(job_id, cells[1], row_state(cells), cells[2] == HELD)

    def _confirmed(self, verb: Verb, job_id: int, yes: bool | None) -> None:
        if yes:
            self._do_verb(verb, job_id)

    @work(thread=True, group="verbs")
    def _do_verb(self, verb: Verb, job_id: int) -> None:
        try:
            answer = self.client.request(verb.op, ids=[job_id])
        except (ClientError, OSError) as error:
            self.post_message(RequestFailed(verb.title, str(error)))
            return
        self.post_message(VerbDone(verb.title, answer["jobs"]))

    def on_verb_done(self, message: VerbDone) -> None:
        for job in message.jobs:
            said = f"Job {job['id']}: {job['state']}"
            self.notify(said, title=message.title, markup=False)
        self.queue.reload()

    # The command palette

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Submit a job", "open the submit form", self.action_submit)
        yield SystemCommand("Open job", "details and log", self.action_open)
        for verb in VERBS:
            act = partial(self.action_verb, verb.op)
            yield SystemCommand(f"{verb.title} job", verb.help, act)
        queue = self.queue
        yield SystemCommand("Filter by text", "name or command", queue.action_search)
        for states in STATE_FILTERS:
            label = View(states=states).describe().split(" · ")[0]
            act = partial(queue.action_state_filter, states)
            yield SystemCommand(f"Show {label}", "filter by state", act)
        for sort in SORTS:
            act = partial(queue.action_sort, sort)
            yield SystemCommand(f"Sort by {sort}", "again to reverse", act)
        yield SystemCommand("First job", "top of the queue", queue.action_first)
        yield SystemCommand("Last job", "bottom of the queue", queue.action_last)


def _calm_collector() -> None:
    """Keep the cycle collector from pausing the screen between keys.

    What is loaded by now (Textual, the app, their modules) lives as long as
    the app: frozen, full collections no longer walk it. Young collections
    run after 20,000 allocations instead of 700, so drawing a screenful does
    not set one off several times; memory is still reclaimed by reference
    counting as it goes.
    """
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def run(paths: Paths) -> int:
    """Open the app on this home; after it closes, hand unfinished work on."""
    hosting = Hosting(paths)
    app = RunnerApp(hosting, handle_signals=True)
    try:
        app.run()
    finally:
        message = hosting.close()
    if message:
        _say(message)
    return app.return_code or 0


def _say(line: str) -> None:
    """Print, unless the terminal is gone (the app may have closed on a hangup)."""
    with contextlib.suppress(OSError):
        print(line, file=sys.stderr)
