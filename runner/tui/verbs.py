"""The things one can do to a job, each a host request on its ids.

A new verb of the host (hold, release, retry, ...) is one more entry here:
its key binding, its command in the palette and its confirmation follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from textual.binding import Binding


class Target(NamedTuple):
    """The job a verb would act on, as the screen last showed it."""

    id: int
    name: str
    state: str
    held: bool


@dataclass(frozen=True)
class Verb:
    """A request the host answers with {"jobs": [...]} for the ids given."""

    op: str
    key: str
    title: str
    help: str
    applies_to: tuple[str, ...]
    """States of the jobs it makes sense for."""
    confirm: bool = False
    """Ask before doing it: it cannot be undone."""
    held: bool | None = None
    """Only for jobs that are held (True) or not held (False); None: either."""

    def applies(self, target: Target) -> bool:
        """Whether it makes sense for this job: only then is it in the footer."""
        if self.held is not None and target.held != self.held:
            return False
        return target.state in self.applies_to


VERBS = (
    Verb(
        "cancel",
        "c",
        "Cancel",
        "stop the job (SIGTERM, a grace period, SIGKILL) or drop it from the queue",
        ("PENDING", "RUNNING", "SUSPENDED"),
        confirm=True,
    ),
    Verb(
        "hold",
        "h",
        "Hold",
        "keep a pending job from starting",
        ("PENDING",),
        held=False,
    ),
    Verb("release", "l", "Release", "let a held job start", ("PENDING",), held=True),
    Verb("top", "T", "Top", "move a pending job to the front", ("PENDING",)),
    Verb(
        "retry",
        "R",
        "Retry",
        "run an ended job again under the same id",
        ("FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY"),
    ),
    Verb("pause", "p", "Pause", "stop a running job's processes", ("RUNNING",)),
    Verb("resume", "u", "Resume", "continue a paused job", ("SUSPENDED",)),
)

BY_OP = {verb.op: verb for verb in VERBS}


def verb_bindings() -> list[Binding]:
    """A key per verb; the footer shows those the app finds apply to the job."""
    return [Binding(verb.key, f"app.verb('{verb.op}')", verb.title) for verb in VERBS]
