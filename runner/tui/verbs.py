"""The things one can do to a job, each a host request on its ids.

A new verb of the host (hold, release, retry, ...) is one more entry here:
its key binding, its command in the palette and its confirmation follow.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


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
    shown: bool = True
    """Listed in the footer; every verb is in the command palette."""


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
        shown=False,
    ),
    Verb("release", "l", "Release", "let a held job start", ("PENDING",), shown=False),
    Verb(
        "top", "T", "Top", "move a pending job to the front", ("PENDING",), shown=False
    ),
    Verb(
        "retry",
        "R",
        "Retry",
        "run an ended job again under the same id",
        ("FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY"),
        shown=False,
    ),
    Verb(
        "pause",
        "p",
        "Pause",
        "stop a running job's processes",
        ("RUNNING",),
        shown=False,
    ),
    Verb("resume", "u", "Resume", "continue a paused job", ("SUSPENDED",), shown=False),
)

BY_OP = {verb.op: verb for verb in VERBS}


def verb_bindings() -> list[Binding]:
    """A key per verb, shown in the footer; the app carries them out."""
    return [
        Binding(verb.key, f"app.verb('{verb.op}')", verb.title, show=verb.shown)
        for verb in VERBS
    ]
