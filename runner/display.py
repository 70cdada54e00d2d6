"""Jobs as text for a terminal: tables, commands, and output made harmless.

Standard library only: used by the CLI on its fast path.
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from datetime import UTC, datetime
from typing import Any

from runner.spec import format_duration

_STRING_STARTS = "\x1b[]PX^_]|[\x9d\x90\x98\x9e\x9f]"
_CONTROL = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI, 7- and 8-bit: colours, moves, clears
    rf"|(?:{_STRING_STARTS})[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"  # OSC, DCS...
    r"|\x1b[ -/]*[0-~]"  # other escapes (ESC c resets, ESC ( B), introducers alone
    r"|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\x1b]"  # every other C0 and C1 control
)
"""A terminal control sequence, or a control character, to remove.

A string sequence (OSC, DCS, SOS, PM, APC) with no terminator loses only its
introducer; its text is shown.
"""
_STARTS = "\x1b\x9b\x9d\x90\x98\x9e\x9f\r"
_INTRODUCERS = re.compile(f"[{_STARTS}][^{_STARTS}]*$")
"""The last place a sequence may start, and everything after it."""
_OPEN_STRING = re.compile(rf"(?:{_STRING_STARTS})[^\x07\x1b\x9c]*\x1b?$")
"""A string sequence (OSC, DCS...) still waiting for its terminator."""
_COMPLETE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    rf"|(?:{_STRING_STARTS})[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)"
    r"|\x1b[ -/]*[0-Z\\`-~]"
    r"|\r\n"
)
HOLD_MAX = 4096
"""Characters of an unfinished sequence a ControlStripper keeps for the next chunk."""
_SAFE_WORD = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")
COLUMNS = ("ID", "NAME", "STATE", "CPUS", "ELAPSED", "EXIT", "COMMAND")


def strip_controls(text: str) -> str:
    """Text with terminal control sequences removed; tabs and newlines stay.

    Carriage returns end lines, so no output can overwrite what came before
    it on the same line.
    """
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


class ControlStripper:
    """strip_controls for a stream: a sequence cut between chunks is kept whole."""

    def __init__(self) -> None:
        self._held = ""

    def feed(self, text: str) -> str:
        """The safe text of what arrived, less any unfinished sequence at its end."""
        text = self._held + text
        self._held = ""
        tail = _OPEN_STRING.search(text) or _INTRODUCERS.search(text)
        if tail and len(tail[0]) <= HOLD_MAX and _unfinished(tail[0]):
            self._held = tail[0]
            text = text[: tail.start()]
        return strip_controls(text)

    def flush(self) -> str:
        """Whatever was held back, made safe: the stream has ended."""
        held, self._held = self._held, ""
        return strip_controls(held)


def _unfinished(tail: str) -> bool:
    """True if more text may complete the sequence tail starts with."""
    if tail.startswith("\r"):
        return tail == "\r"
    return _OPEN_STRING.match(tail) is not None or _COMPLETE.match(tail) is None


def shell_quote(arg: str) -> str:
    """One argument as a shell word that gives back exactly its bytes.

    Plain words stay bare; printable text is single-quoted; anything with a
    control character or bytes that are not UTF-8 uses $'...' with escapes.
    """
    if _SAFE_WORD.fullmatch(arg):
        return arg
    if arg.isprintable() and not _has_raw_bytes(arg):
        return shlex.quote(arg)
    return "$'" + "".join(_ansi_c(char) for char in arg) + "'"


def shell_join(argv: list[str]) -> str:
    """An argv as one line that, pasted into a shell, gives back the same argv."""
    return " ".join(shell_quote(arg) for arg in argv)


def _has_raw_bytes(text: str) -> bool:
    return any(0xDC80 <= ord(char) <= 0xDCFF for char in text)


def _ansi_c(char: str) -> str:
    code = ord(char)
    if char in "\\'":
        return "\\" + char
    if char == "\n":
        return "\\n"
    if char == "\t":
        return "\\t"
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if char.isprintable() or char == " ":
        return char
    return "".join(f"\\x{byte:02x}" for byte in char.encode("utf-8"))


def text_width(text: str) -> int:
    """Columns the text takes in a terminal: wide characters count two."""
    return sum(_char_width(char) for char in text)


def _char_width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) == "Cf":
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def fit(text: str, width: int) -> str:
    """The longest start of text that takes at most width columns."""
    used = 0
    for index, char in enumerate(text):
        used += _char_width(char)
        if used > width:
            return text[:index]
    return text


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
    return shell_join(argv)


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
    """A plain text table of jobs, a line each, the command cut to fit width."""
    now = datetime.now(UTC)
    rows = [COLUMNS, *(row(job, now) for job in jobs)]
    widths = [
        max(text_width(cells[i]) for cells in rows) for i in range(len(COLUMNS) - 1)
    ]
    lines = []
    for cells in rows:
        head = "  ".join(_pad(cell, w) for cell, w in zip(cells, widths, strict=False))
        line = f"{head}  {cells[-1]}"
        if width and text_width(line) > width:
            line = fit(line, max(width - 1, text_width(head) + 3)) + "…"
        lines.append(line.rstrip())
    return "\n".join(lines)


def _pad(cell: str, width: int) -> str:
    return cell + " " * (width - text_width(cell))


def details(job: dict[str, Any]) -> str:
    """Every field of one job, a line each; the command as a shell line."""
    lines = []
    for key, value in job.items():
        if key == "command":
            shown = shell_join(value)
        else:
            shown = "" if value is None else one_line(str(value))
        lines.append(f"{key:>12}: {shown}")
    return "\n".join(lines)
