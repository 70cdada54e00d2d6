"""What the app's workers report back to the event loop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from runner.tui.hosting import HostInfo
from runner.tui.logtail import Chunk, LogTail
from runner.tui.view import View
from runner.tui.widgets.job_rows import Rows

Job = dict[str, Any]
"""A job as the host's API shows it (see runner.api.job_view)."""


@dataclass
class Connected(Message):
    """The app reached a host: its own embedded one, or another process's."""

    info: HostInfo


@dataclass
class QueueLoaded(Message):
    """One page of the queue, for the view it was asked for."""

    view: View
    answer: dict[str, Any]
    rows: Rows
    """The table's rows for the answer's jobs, made in the worker."""
    seconds: float
    """How long the request took, for the status line and the benchmark."""


@dataclass
class JobsEnded(Message):
    """Jobs that newly FAILED or hit their TIMEOUT, most recent first."""

    jobs: list[Job]
    more: int
    """How many more ended badly than are listed."""


@dataclass
class VerbDone(Message):
    """A verb (cancel, ...) was carried out; jobs as they are now."""

    title: str
    jobs: list[Job]


@dataclass
class RequestFailed(Message):
    """A request to the host failed; the app shows the error."""

    what: str
    error: str


@dataclass
class JobLoaded(Message):
    """The job a details screen shows, as it is now."""

    job: Job


@dataclass
class LogRead(Message):
    """New text from the log a details screen follows."""

    generation: int
    """Which opening of a log this came from; a toggle starts a new one."""
    chunk: Chunk
    tail: LogTail
    """The reader, kept by the screen for the next look."""


@dataclass
class Submitted(Message):
    """The submit form's job was queued."""

    job_id: int


@dataclass
class FormRejected(Message):
    """The submit form's values were refused: a message per field."""

    errors: dict[str, str]


@dataclass
class HostSeen(Message):
    """The host that answers now; another than before if the old one stopped."""

    pid: int
    cpus: int
