"""The submit form's values turned into a job, or into a message per field.

Standard library only, and it looks at the file system: call it from a worker.
"""

from __future__ import annotations

import os

from runner.spec import (
    JobSpec,
    SpecError,
    check,
    check_argv,
    parse_time_limit,
    shell_argv,
)

FIELDS = ("command", "cpus", "name", "directory", "time")

_FLAG_FIELDS = {
    "command": "command",
    "-c/--cpus": "cpus",
    "-J/--job-name": "name",
    "-D/--chdir": "directory",
    "-t/--time": "time",
}
"""The flag a SpecError names, and the form field that holds it."""


def field_errors(message: str) -> dict[str, str]:
    """A refusal from the checks or the host, placed under the field it names."""
    flag, _, rest = message.partition(": ")
    field = _FLAG_FIELDS.get(flag)
    return {field: rest} if field and rest else {"form": message}


def build_spec(
    values: dict[str, str], total_cpus: int, env: dict[str, str]
) -> tuple[JobSpec | None, dict[str, str]]:
    """The job the form describes, or None and what is wrong with each field."""
    errors: dict[str, str] = {}
    argv = shell_argv(values.get("command", "").strip())
    cpus = _cpus(values.get("cpus", ""), total_cpus, errors)
    cwd = os.path.expanduser(values.get("directory", "").strip() or os.getcwd())
    time_limit = _time_limit(values.get("time", ""), errors)
    name = values.get("name", "").strip() or None
    if not argv[2].strip():
        errors["command"] = "type the command to run"
    else:
        try:
            check_argv(argv)
        except SpecError as error:
            errors.update(field_errors(str(error)))
    if not os.path.isdir(cwd):
        errors["directory"] = f"{cwd!r} is not a directory"
    if errors:
        return None, errors

    spec = JobSpec(argv, os.path.abspath(cwd), env, name, cpus, time_limit)
    try:
        check(spec, total_cpus)
    except SpecError as error:
        return None, field_errors(str(error))
    return spec, {}


def _cpus(text: str, total: int, errors: dict[str, str]) -> int:
    try:
        cpus = int(text.strip() or "1")
    except ValueError:
        errors["cpus"] = f"{text.strip()!r} is not a whole number"
        return 1
    if cpus < 1:
        errors["cpus"] = "give at least 1"
    elif cpus > total:
        errors["cpus"] = f"{cpus} is more than the {total} CPUs runner hands out"
    return cpus


def _time_limit(text: str, errors: dict[str, str]) -> int | None:
    if not text.strip():
        return None
    try:
        return parse_time_limit(text)
    except SpecError as error:
        errors.update(field_errors(str(error)))
        return None
