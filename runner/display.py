"""Jobs as text for a terminal: tables, commands, and output made harmless.

Standard library only: used by the CLI on its fast path.
"""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime
from typing import Any

from runner.spec import format_duration

_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI sequences: colours, cursor moves, clears
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC sequences: titles, hyperlinks
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[@-Z\\-_]?"  # two-byte escapes, and a lone ESC
    r"|[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]"  # other C0 and C1 controls
)
COLUMNS = ("ID", "NAME", "STATE", "CPUS", "ELAPSED", "EXIT", "COMMAND")


def strip_controls(text: str) -> str:
    """Text with terminal control sequences removed; tabs and newlines stay."""
    return _CONTROL.sub("", text)


def one_line(text: str) -> str:
    """Text on one line: newlines, tabs and controls shown escaped."""
    out = []
    for char in text:
        if char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 32 or 0x7F <= ord(char) < 0xA0:
            out.append(f"\\x{ord(char):02x}")
        elif 0xDC80 <= ord(char) <= 0xDCFF:
            out.append(f"\\x{ord(char) - 0xDC00:02x}")
        else:
            out.append(char)
    return "".join(out)


def command_text(argv: list[str]) -> str:
    """The command as the user gave it: a shell string, or a quoted argv."""
    if len(argv) == 3 and argv[:2] == ["/bin/sh", "-c"]:
        return argv[2]
    return shlex.join(argv)


def elapsed(job: dict[str, Any], now: datetime | None = None) -> float | None:
    """Seconds the job has run, or ran; None if it never started."""
    start = _parse(job.get("start_time"))
    if start is None:
        return None
    end = _parse(job.get("end_time")) or now or datetime.now(UTC)
    return (end - start).total_seconds()


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def row(job: dict[str, Any], now: datetime | None = None) -> tuple[str, ...]:
    """One job's cells, in COLUMNS order, each on one line."""
    return (
        str(job["id"]),
        one_line(job["name"]),
        job["state"],
        str(job["cpus"]),
        format_duration(elapsed(job, now)),
        job["exit_code"] or "",
        one_line(command_text(job["command"])),
    )


def table(jobs: list[dict[str, Any]], width: int | None = None) -> str:
    """A plain text table of jobs, the command column cut to fit width."""
    now = datetime.now(UTC)
    rows = [COLUMNS, *(row(job, now) for job in jobs)]
    widths = [max(len(cells[i]) for cells in rows) for i in range(len(COLUMNS) - 1)]
    lines = []
    for cells in rows:
        head = "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=False))
        line = f"{head}  {cells[-1]}"
        if width and len(line) > width:
            line = line[: max(width - 1, len(head) + 3)] + "…"
        lines.append(line.rstrip())
    return "\n".join(lines)


def details(job: dict[str, Any]) -> str:
    """Every field of one job, a line each."""
    lines = []
    for key, value in job.items():
        if key == "command":
            value = command_text(value)
        shown = "" if value is None else one_line(str(value))
        lines.append(f"{key:>12}: {shown}")
    return "\n".join(lines)
