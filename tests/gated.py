"""Jobs that note their launch, then wait at a gate the test opens."""

from __future__ import annotations

from pathlib import Path

ENDINGS = [
    ("exit 0", "0:0"),
    ("exit 1", "1:0"),
    ("exit 2", "2:0"),
    ("exit 7", "7:0"),
    ("exit 42", "42:0"),
    ("exit 255", "255:0"),
    ("kill -TERM $$", "0:15"),
    ("kill -KILL $$", "0:9"),
    ("kill -USR1 $$", "0:10"),
    ("kill -HUP $$", "0:1"),
]
"""Ten ways for a job to end, with the exit_code each must be recorded as."""


def gated_job(home: Path, ending: str, pause: float = 0.3) -> list[str]:
    """An argv that appends its id to home/launches, waits for home/gate, ends.

    The job waits at the gate, then pauses a little, then ends as told.
    """
    script = (
        f'echo "$RUNNER_JOB_ID" >> {home}/launches; '
        f"while [ ! -e {home}/gate ]; do sleep 0.05; done; "
        f"sleep {pause}; {ending}"
    )
    return ["sh", "-c", script]


def open_gate(home: Path) -> None:
    (home / "gate").touch()
