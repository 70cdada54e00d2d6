"""Why a pending job waits, in plain words, from the reason the host gives."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Job = dict[str, Any]

TURN = "waiting for its turn: jobs of higher priority or lower id go first"


def pending_reason(job: Job, used: int, total: int, when: Callable[[str], str]) -> str:
    """The host's reason for a pending job, phrased for a person.

    used and total are the CPUs as the queue last showed them; when turns an
    ISO time into the local wall clock.
    """
    reason = job.get("reason")
    if reason == "Held":
        return "held: it will not start until released (l)"
    if reason == "BeginTime" and job.get("begin_time"):
        return f"waiting to begin at {when(job['begin_time'])}"
    if reason == "Dependency":
        return f"waiting for its dependency {job.get('dependency') or ''}".rstrip()
    if reason == "JobArrayTaskLimit":
        return "waiting: its array already runs as many tasks as it may at once"
    if reason == "Resources":
        return _resources(job, used, total)
    if reason in ("Priority", None):
        return TURN
    return f"waiting: {reason}"


def _resources(job: Job, used: int, total: int) -> str:
    free = max(0, total - used)
    if job["cpus"] > free:
        return f"waiting for {job['cpus']} CPUs ({free} of {total} free)"
    return "waiting for the memory or GPUs it asks for to be free"
