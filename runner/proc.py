"""Processes as the kernel sees them: identity by id and start time, and trees.

Standard library only, so the launcher and its keepers stay small.
"""

from __future__ import annotations

import contextlib
import os


def start_ticks(pid: int, zombie: bool = False) -> int | None:
    """The process's start time in clock ticks after boot, or None if it is gone.

    A zombie counts as gone unless asked for: it runs nothing and only waits
    to be reaped.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat_file:
            data = stat_file.read()
    except OSError:
        return None
    fields = data[data.rindex(b")") + 2 :].split()
    if fields[0] == b"Z" and not zombie:
        return None
    return int(fields[19])


def is_alive(pid: int | None, ticks: int | None) -> bool:
    """True only if this pid still names the very process that started then."""
    if not pid or ticks is None:
        return False
    return start_ticks(pid) == ticks


def send(pid: int | None, ticks: int | None, sig: int) -> bool:
    """Signal a process only if it is still the one recorded; True if sent."""
    if not is_alive(pid, ticks):
        return False
    assert pid is not None
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    return True


def parents() -> dict[int, int]:
    """Each live process's parent id."""
    result: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat_file:
                data = stat_file.read()
        except OSError:
            continue
        fields = data[data.rindex(b")") + 2 :].split()
        result[int(entry)] = int(fields[1])
    return result


def descendants(root: int) -> list[int]:
    """Every process below root, nearest first."""
    children: dict[int, list[int]] = {}
    for pid, parent in parents().items():
        children.setdefault(parent, []).append(pid)
    found: list[int] = []
    frontier = [root]
    while frontier:
        pid = frontier.pop(0)
        for child in children.get(pid, ()):
            found.append(child)
            frontier.append(child)
    return found


def signal_tree(root: int, group: int | None, sig: int) -> int:
    """Send sig to a process group and to every descendant of root.

    Returns how many processes it reached.
    """
    reached = 0
    if group:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, sig)
            reached += 1
    for pid in descendants(root):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
            reached += 1
    return reached
