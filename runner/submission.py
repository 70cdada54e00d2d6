"""Turning a checked JobSpec into rows: one job, or every task of an array."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from runner import arrays
from runner import dependency as deps
from runner.models import JobState
from runner.repositories import JobRepository
from runner.repositories.worker import utcnow
from runner.spec import JobSpec, SpecError, default_name


def submit(session: Session, spec: JobSpec, logs: Path) -> list[int]:
    """Queue the job, or each task of its array, as PENDING; the new ids."""
    dependency = _dependency(session, spec.dependency)
    tasks = arrays.parse(spec.array) if spec.array else None
    first = JobRepository.next_id(session)
    common = _common(session, spec, dependency)
    name = common["name"]
    if tasks is None:
        rows = [_row(first, common, spec, logs, None, None, name)]
    else:
        rows = [
            _row(first + i, common, spec, logs, first, task, name)
            for i, task in enumerate(tasks.tasks)
        ]
        JobRepository.insert_array(session, first, tasks.tasks, tasks.throttle)
    JobRepository.insert_jobs(session, rows)
    return [row["id"] for row in rows]


def _dependency(session: Session, text: str | None) -> str | None:
    if not text:
        return None
    parsed = deps.parse(text)
    missing = JobRepository.missing_ids(session, parsed.ids)
    if missing:
        raise SpecError(f"-d/--dependency: unknown job id {missing[0]}")
    return str(parsed.expand(lambda i: JobRepository.expand_ids(session, [i])))


def _common(session: Session, spec: JobSpec, dependency: str | None) -> dict[str, Any]:
    begin = None
    if spec.begin:
        begin = datetime.fromisoformat(spec.begin).astimezone(UTC).replace(tzinfo=None)
    return {
        "name": spec.name or default_name(spec.argv),
        "cwd": spec.cwd,
        "env_id": JobRepository.environment_id(session, spec.env),
        "cpus": spec.cpus,
        "time_limit": spec.time_limit,
        "priority": spec.priority,
        "state": JobState.PENDING,
        "submit_time": utcnow(),
        "mem": spec.mem,
        "gpus": spec.gpus,
        "held": spec.hold,
        "begin_time": begin,
        "dependency": dependency,
        "attempt": 1,
        "retries": spec.retries,
        "log_limit": spec.log_limit or None,
        "start_time": None,
        "end_time": None,
        "exit_code": None,
        "error_msg": None,
    }


def _row(
    job_id: int,
    common: dict[str, Any],
    spec: JobSpec,
    logs: Path,
    array_id: int | None,
    task: int | None,
    name: str,
) -> dict[str, Any]:
    argv = spec.argv if task is None else arrays.task_argv(spec.argv, task)
    return {
        **common,
        "id": job_id,
        "command": json.dumps(argv),
        "array_id": array_id,
        "array_task": task,
        "stdout_path": _log(
            spec.output, logs, f"{job_id}.out", spec, job_id, array_id, task, name
        ),
        "stderr_path": _log(
            spec.error, logs, f"{job_id}.err", spec, job_id, array_id, task, name
        ),
    }


def _log(
    template: str | None,
    logs: Path,
    default: str,
    spec: JobSpec,
    job_id: int,
    array_id: int | None,
    task: int | None,
    name: str,
) -> str:
    if not template:
        return str(logs / default)
    path = arrays.log_name(template, job_id, array_id, task, name)
    return os.path.join(spec.cwd, path)
