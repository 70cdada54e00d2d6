"""Bad input at submission: one line naming the flag, exit status 2, no job."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from runner.client import Client, ClientError
from runner.config import Paths
from tests.safety_home import Home

TIME_FORMATS = "(use MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS)"
CPU_WORDS = "give a whole number of at least 1"
SIZE_WORDS = (
    "is not a size; give a positive number of bytes with an optional K, M, G or T "
    "suffix (e.g. 10M), or none"
)

CASES = [
    ("no-command", [], "runner: command: empty; give a command after the options"),
    ("empty-argv", ["--"], "runner: command: empty; give a command after the options"),
    ("empty-string", [""], "runner: command: empty; give a command after the options"),
    ("blank", ["  \t"], "runner: command: empty; give a command after the options"),
    (
        "blank-argv0",
        ["--", " ", "x"],
        "runner: command: empty; give a command after the options",
    ),
    (
        "cpus-zero",
        ["-c", "0", "--", "true"],
        f"runner add: argument -c/--cpus: 0 is too small; {CPU_WORDS}",
    ),
    (
        "cpus-negative",
        ["-c", "-1", "--", "true"],
        f"runner add: argument -c/--cpus: -1 is too small; {CPU_WORDS}",
    ),
    (
        "cpus-fraction",
        ["-c", "1.5", "--", "true"],
        "runner add: argument -c/--cpus: '1.5' is not a whole number; give one of "
        "at least 1",
    ),
    (
        "cpus-word",
        ["-c", "two", "--", "true"],
        "runner add: argument -c/--cpus: 'two' is not a whole number; give one of "
        "at least 1",
    ),
    (
        "cpus-above-total",
        ["-c", "3", "--", "true"],
        "runner: -c/--cpus: 3 is more than the 2 CPUs runner hands out",
    ),
    (
        "time-zero",
        ["-t", "0:00", "--", "true"],
        "runner: -t/--time: '0:00' is zero; give a positive time",
    ),
    (
        "time-negative",
        ["-t", "-5", "--", "true"],
        f"runner: -t/--time: '-5' is not a time {TIME_FORMATS}",
    ),
    (
        "time-word",
        ["-t", "soon", "--", "true"],
        f"runner: -t/--time: 'soon' is not a time {TIME_FORMATS}",
    ),
    (
        "time-fields",
        ["-t", "1:2:3:4", "--", "true"],
        f"runner: -t/--time: '1:2:3:4' is not a time {TIME_FORMATS}",
    ),
    (
        "priority-word",
        ["--priority", "high", "--", "true"],
        "runner add: argument --priority: 'high' is not a whole number; higher "
        "starts first",
    ),
    (
        "priority-huge",
        ["--priority", "99999999999", "--", "true"],
        "runner: --priority: 99999999999 is out of range; give a whole number from "
        "-2147483648 to 2147483647",
    ),
    (
        "name-empty",
        ["-J", "", "--", "true"],
        "runner: -J/--job-name: give a non-empty name without NUL bytes",
    ),
    (
        "name-not-utf8",
        [b"-J", b"\xff", b"--", b"true"],
        "runner: -J/--job-name: give a name that is valid UTF-8",
    ),
    (
        "chdir-missing",
        ["-D", "/no/such/dir", "--", "true"],
        "runner: -D/--chdir: '/no/such/dir' is not a directory",
    ),
    (
        "chdir-file",
        ["-D", "/etc/hostname", "--", "true"],
        "runner: -D/--chdir: '/etc/hostname' is not a directory",
    ),
    (
        "log-limit-zero",
        ["--log-limit", "0", "--", "true"],
        f"runner: --log-limit: '0' {SIZE_WORDS}",
    ),
    (
        "log-limit-unit",
        ["--log-limit", "10X", "--", "true"],
        f"runner: --log-limit: '10X' {SIZE_WORDS}",
    ),
]


@pytest.fixture(scope="module")
def home() -> Iterator[Home]:
    runner_home = Home()
    runner_home.ok("status")
    yield runner_home
    runner_home.close()


@pytest.mark.parametrize(
    ("args", "line"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_a_bad_add_prints_one_line_exits_2_and_queues_nothing(
    home: Home, args: list[str | bytes], line: str
) -> None:
    done = home.run("add", *args)

    assert (done.returncode, done.stdout) == (2, b"")
    assert done.stderr.decode() == line + "\n"
    assert home.jobs() == []


API_CASES = [
    ("nul", {"argv": ["echo", "a\0b"]}, "command: argument 1 holds a NUL byte"),
    (
        "nul-in-shell-string",
        {"argv": ["/bin/sh", "-c", "echo a\0b"]},
        "command: argument 2 holds a NUL byte",
    ),
    (
        "argument-over-128k",
        {"argv": ["echo", "a" * (128 * 1024)]},
        "command: argument 1 is 131072 bytes; the kernel takes at most 131071 bytes "
        "(128 KiB) in one argument",
    ),
    (
        "lone-surrogate",
        {"argv": ["echo", "\ud800"]},
        "command: argument 1 is not a valid string",
    ),
    ("argv-string", {"argv": "echo hi"}, "spec: field 'argv' must be list[str], "),
    ("cpus-text", {"cpus": "2"}, "spec: field 'cpus' must be int, not '2'"),
    ("cpus-fraction", {"cpus": 1.5}, "spec: field 'cpus' must be int, not 1.5"),
    ("cpus-bool", {"cpus": True}, "spec: field 'cpus' must be int, not True"),
    ("time-negative", {"time_limit": -5}, "-t/--time: the limit must be positive"),
    ("env-nul", {"env": {"A": "x\0y"}}, "environment: variable A holds a NUL byte"),
    ("env-name", {"env": {"A=B": "x"}}, "environment: 'A=B' is not a variable name"),
]


@pytest.mark.parametrize(
    ("change", "message"),
    [case[1:] for case in API_CASES],
    ids=[case[0] for case in API_CASES],
)
def test_the_host_refuses_a_bad_json_submission_as_a_usage_error(
    home: Home, change: dict[str, object], message: str | None
) -> None:
    spec = {"argv": ["true"], "cwd": "/tmp", "env": {}, **change}

    with pytest.raises(ClientError) as refused:
        Client(Paths(home.path), autostart=False).request("add", spec=spec)

    assert refused.value.kind == "usage"
    text = str(refused.value)
    assert "\n" not in text
    if message is not None:
        assert text.startswith(message)
    assert home.jobs() == []


def test_a_command_over_the_total_limit_is_refused_with_the_limit_named(
    home: Home,
) -> None:
    spec = {"argv": ["echo", *["a" * 100_000] * 25], "cwd": "/tmp", "env": {}}

    with pytest.raises(ClientError) as refused:
        Client(Paths(home.path), autostart=False).request("add", spec=spec)

    assert str(refused.value).startswith("command: 2500238 bytes, with 0 bytes")
    assert "(ARG_MAX)" in str(refused.value)
    assert home.jobs() == []


@pytest.mark.parametrize("verb", ["show", "cancel", "wait", "log"])
def test_an_unknown_job_id_is_one_line_and_exit_2(home: Home, verb: str) -> None:
    done = home.run(verb, "99")

    assert done.returncode == 2
    assert done.stderr == b"runner: unknown job id 99\n"


def test_a_directory_whose_name_is_not_utf8_is_refused_in_one_line(
    home: Home,
) -> None:
    folder = b"/tmp/rd\xff"
    os.makedirs(folder, exist_ok=True)
    try:
        done = home.run("add", "-D", folder, "--", "true")
    finally:
        os.rmdir(folder)

    assert done.returncode == 2
    assert done.stderr == (
        b"runner: -D/--chdir: '/tmp/rd\\xff' is not valid UTF-8; runner keeps "
        b"directories as text (run from, or give -D, a UTF-8 path)\n"
    )
    assert home.jobs() == []
