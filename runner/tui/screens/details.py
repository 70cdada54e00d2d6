"""One job: every field, and a live tail of its stdout or stderr."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Log, Static

from runner.client import ClientError
from runner.tui.hosting import Requester
from runner.tui.logtail import LogTail
from runner.tui.messages import JobLoaded, LogRead, RequestFailed
from runner.tui.pacing import OneAtATime
from runner.tui.verbs import verb_bindings
from runner.tui.widgets.job_fields import fields
from runner.tui.widgets.key_footer import KeyFooter

POLL = 0.5
"""Seconds between looks at the job and its log."""

LOG_LINES = 5000
"""Lines the log view keeps; older ones scroll away."""


def _size(count: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024  # type: ignore[assignment]
    return f"{count} B"


class JobScreen(Screen[None]):
    """Follows one job until the user goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("t", "toggle_stream", "stdout/stderr"),
        *verb_bindings(),
    ]

    def __init__(
        self,
        client: Requester,
        job_id: int,
        clock: Callable[[], datetime],
        cpu_use: Callable[[], tuple[int, int]],
    ) -> None:
        super().__init__()
        self.client = client
        self.job_id = job_id
        self.clock = clock
        self.cpu_use = cpu_use
        self.job: dict[str, Any] | None = None
        self.stream = "stdout"
        self.tail: LogTail | None = None
        self.generation = 0
        self.skipped = 0
        self.pacer = OneAtATime(
            lambda: self._poll(self.generation, self.stream, self.tail)
        )
        self._drawn_cpus: tuple[int, int] | None = None
        self._title = Text("")

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="fields-box"):
            yield Static(Text(f"Job {self.job_id}: loading…"), id="fields")
        yield Static(Text(""), id="log-title")
        yield Log(max_lines=LOG_LINES, id="log")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.pacer.ask()
        self.set_interval(POLL, self.pacer.ask)

    @work(thread=True, group="job")
    def _poll(self, generation: int, stream: str, tail: LogTail | None) -> None:
        try:
            job = self.client.request("show", ids=[self.job_id])["jobs"][0]
        except (ClientError, OSError) as error:
            self.post_message(RequestFailed("job", str(error)))
            return
        tail = tail or LogTail(job[f"{stream}_path"])
        self.post_message(JobLoaded(job))
        self.post_message(LogRead(generation, tail.read(), tail))

    def on_job_loaded(self, message: JobLoaded) -> None:
        cpus = self.cpu_use()
        # Redraw only what can have changed: a new layout of the fields is dear.
        running = message.job["state"] == "RUNNING"
        if message.job == self.job and cpus == self._drawn_cpus and not running:
            return
        self.job, self._drawn_cpus = message.job, cpus
        self.refresh_bindings()  # which verbs apply may have changed
        shown = fields(message.job, self.clock(), *cpus)
        self.query_one("#fields", Static).update(shown)

    def on_log_read(self, message: LogRead) -> None:
        self.pacer.done()
        if message.generation != self.generation:
            return
        self.tail = message.tail
        log = self.query_one(Log)
        chunk = message.chunk
        if chunk.reset:
            log.clear()
        if chunk.skipped:
            self.skipped += chunk.skipped
        if chunk.text:
            log.write(chunk.text)
        self._show_title()

    def on_request_failed(self, message: RequestFailed) -> None:
        self.pacer.done()
        self.notify(Text(message.error), title="Job", severity="error")

    def _show_title(self) -> None:
        other = "stderr" if self.stream == "stdout" else "stdout"
        path = self.tail.path if self.tail else ""
        if not path and self.job is not None:
            path = self.job[f"{self.stream}_path"]
        title = Text.assemble((self.stream, "bold"), " ", path)
        if self.skipped:
            title.append(f"  (first {_size(self.skipped)} not shown)", style="dim")
        title.append(f"  t: {other}", style="dim")
        if title != self._title:
            self._title = title
            self.query_one("#log-title", Static).update(title)

    def action_toggle_stream(self) -> None:
        self.stream = "stderr" if self.stream == "stdout" else "stdout"
        self.tail, self.skipped = None, 0
        self.generation += 1
        self.query_one(Log).clear()
        self._show_title()
        self.pacer.ask()
