"""The queue screen: a window of the queue, live, filtered and sorted by the host."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from runner.client import ClientError
from runner.display import one_line
from runner.tui.hosting import Requester
from runner.tui.messages import HostSeen, JobsEnded, QueueLoaded, RequestFailed
from runner.tui.pacing import OneAtATime
from runner.tui.verbs import verb_bindings
from runner.tui.view import View, wants_slide
from runner.tui.widgets.job_rows import Rows, job_rows
from runner.tui.widgets.job_table import JobTable
from runner.tui.widgets.key_footer import KeyFooter
from runner.tui.widgets.summary import Summary

BAD_ENDINGS = ("FAILED", "TIMEOUT")
"""States that earn a toast when a job reaches them."""

TOASTS = 5
"""At most this many toasts for one refresh; the rest are counted."""


class QueueScreen(Screen[None]):
    """Shows one window of the queue and slides it as the cursor moves."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *verb_bindings(),
        Binding("slash", "search", "Filter"),
        Binding("f", "state_filter", "State"),
        Binding("s", "sort", "Sort", show=False),
        Binding("r", "reverse", "Reverse", show=False),
        Binding("escape", "leave_search", "Back to the table", show=False),
    ]

    def __init__(self, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.clock = clock
        self.client: Requester | None = None
        self.view = View()
        self.total = 0
        """Jobs that pass the filters."""
        self.all_jobs = 0
        """Jobs in the queue, filtered or not."""
        self.cpus = (0, 0)
        """CPUs in use, and in all, as the host last said."""
        self.counts: dict[str, int] | None = None
        self.anchor: int | str | None = None
        """Where the cursor goes after the next load: a job id, "first" or "last"."""
        self.refresh_seconds = 0.0
        """How long the last refresh took, request and table update together."""
        self.pacer = OneAtATime(lambda: self._fetch(self.view))
        self.text_before = ""
        """The filter's text when the filter box took focus; Esc goes back to it."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Summary(id="summary")
        yield JobTable(id="jobs")
        with Horizontal(id="bar"):
            yield Input(
                placeholder="/ filter by name or command", id="search", compact=True
            )
            yield Static(Text("connecting…"), id="where")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.table.focus()

    @property
    def table(self) -> JobTable:
        return self.query_one(JobTable)

    def start(self, client: Requester, interval: float) -> None:
        """Begin showing the queue of the host client reaches."""
        self.client = client
        self.pacer.ask()
        self.set_interval(interval, self.pacer.ask)

    def reload(self, anchor: int | str | None = None) -> None:
        """Ask for fresh rows now, the cursor going to anchor once they come."""
        self._change_view(self.view, anchor)

    # Loading

    @work(thread=True, group="fetch")
    def _fetch(self, view: View) -> None:
        assert self.client is not None
        started = time.perf_counter()
        try:
            answer = self.client.request("page", **view.request())
        except (ClientError, OSError) as error:
            self.post_message(RequestFailed("refresh", str(error)))
            return
        rows = job_rows(answer["jobs"], self.clock())
        seconds = time.perf_counter() - started
        self.post_message(QueueLoaded(view, answer, rows, seconds))

    def on_queue_loaded(self, message: QueueLoaded) -> None:
        started = time.perf_counter()
        if message.view == self.view:
            self._show(message.answer, message.rows)
        self.refresh_seconds = message.seconds + time.perf_counter() - started
        self.pacer.done()

    def _show(self, answer: dict[str, Any], rows: Rows) -> None:
        self.view = replace(self.view, offset=answer["offset"])
        self.total = answer["total"]
        self.all_jobs = sum(answer["counts"].values())
        self.cpus = (answer["cpus"]["used"], answer["cpus"]["total"])
        self.post_message(HostSeen(int(answer["pid"]), self.cpus[1]))
        table = self.table
        keep = self.anchor if isinstance(self.anchor, int) else table.cursor_job
        table.show(rows, keep)
        if self.anchor in ("first", "last"):
            table.go_to(0 if self.anchor == "first" else table.held - 1)
        self.anchor = None
        self.refresh_bindings()
        self.query_one(Summary).show(*self.cpus, answer["counts"])
        self._show_where()
        self._note_endings(answer["counts"])

    def _show_where(self, loading: bool = False) -> None:
        rows = self.table.held
        span = f"{self.view.offset + 1:,}-{self.view.offset + rows:,} of {self.total:,}"
        if not rows:
            span = f"none of {self.all_jobs:,} match" if self.all_jobs else "no jobs"
        where = Text(f"{'loading…' if loading else span} · {self.view.describe()}")
        self.query_one("#where", Static).update(where)

    def on_request_failed(self, message: RequestFailed) -> None:
        if message.what == "refresh":
            self.pacer.done()
        self.notify(
            one_line(message.error), title=message.what, severity="error", markup=False
        )

    # Toasts for jobs that end badly

    def _note_endings(self, counts: dict[str, int]) -> None:
        before, self.counts = self.counts, counts
        if before is None:
            return
        ended = sum(max(0, counts[s] - before.get(s, 0)) for s in BAD_ENDINGS)
        if ended:
            self._fetch_endings(ended)

    @work(thread=True, group="endings")
    def _fetch_endings(self, ended: int) -> None:
        assert self.client is not None
        try:
            answer = self.client.request(
                "page",
                states=list(BAD_ENDINGS),
                sort="end_time",
                descending=True,
                limit=min(ended, TOASTS),
            )
        except (ClientError, OSError) as error:
            self.post_message(RequestFailed("toasts", str(error)))
            return
        self.post_message(JobsEnded(answer["jobs"], ended - len(answer["jobs"])))

    def on_jobs_ended(self, message: JobsEnded) -> None:
        for job in message.jobs:
            how = "timed out" if job["state"] == "TIMEOUT" else "failed"
            detail = job["error_msg"] or f"exit {job['exit_code']}"
            self.notify(
                one_line(f"Job {job['id']} ({job['name']}) {how}: {detail}"),
                severity="error" if how == "failed" else "warning",
                timeout=8,
                markup=False,
            )
        if message.more:
            more = f"and {message.more} more ended badly"
            self.notify(more, severity="error", markup=False)

    # Moving through the queue

    def _change_view(self, view: View, anchor: int | str | None = None) -> None:
        self.view = view
        self.anchor = anchor
        self._show_where(loading=True)
        if self.client is not None:
            self.pacer.ask()

    @on(DataTable.RowHighlighted)
    def _verbs_for_the_row(self) -> None:
        self.refresh_bindings()  # the footer shows only the verbs that apply

    @on(DataTable.RowHighlighted)
    def _maybe_slide(self) -> None:
        # The cursor as it is now: rows removed by a load post stale events.
        row, rows = self.table.position, self.table.held
        if self.anchor is None and wants_slide(row, rows, self.view.offset, self.total):
            around = self.view.around(self.view.offset + row, self.total)
            self._change_view(around, self.table.cursor_job)

    @on(DataTable.RowSelected)
    def _open(self) -> None:
        self.app.action_open()  # type: ignore[attr-defined]

    @on(DataTable.HeaderSelected)
    def _sort_by_header(self, event: DataTable.HeaderSelected) -> None:
        self.action_sort(str(event.column_key.value))

    @on(Input.Changed, "#search")
    def _search(self, event: Input.Changed) -> None:
        text = event.value.strip()
        self._change_view(self.view.filtered(self.view.states, text), "first")

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        self.table.focus()

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        self.text_before = search.value
        search.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_search":
            return self.query_one("#search", Input).has_focus
        return True

    def action_leave_search(self) -> None:
        """Esc in the filter box: drop what was typed there, as Esc does in vim."""
        self.query_one("#search", Input).value = self.text_before
        self.table.focus()

    def action_state_filter(self, states: tuple[str, ...] | None = None) -> None:
        if states is None:
            view = self.view.next_state_filter()
        else:
            view = self.view.filtered(states, self.view.text)
        self._change_view(view, "first")

    def action_sort(self, sort: str | None = None) -> None:
        view = self.view.next_sort() if sort is None else self.view.sorted_by(sort)
        self._change_view(view, "first")

    def action_reverse(self) -> None:
        self._change_view(self.view.reversed(), "first")

    def action_first(self) -> None:
        self._change_view(replace(self.view, offset=0), "first")

    def action_last(self) -> None:
        offset = max(0, self.total - self.view.size)
        self._change_view(replace(self.view, offset=offset), "last")
