"""Commands reach the job byte for byte, and are shown so they can be pasted."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.display import shell_join, strip_controls
from tests.safety_home import Home

HOSTILE = [
    b"\xff\xfe",
    b"tab\there",
    b"a\nb",
    b"$(touch /tmp/x)",
    b"*",
    b'it\'s "quoted"',
    b"\\back\\slash",
    "emoji \U0001f600 and \u00e9".encode(),
    b"\x1b[31mred",
    b"",
    b"-n",
]


@pytest.fixture(scope="module")
def home() -> Iterator[Home]:
    runner_home = Home()
    yield runner_home
    runner_home.close()


def test_every_argument_reaches_the_job_byte_for_byte(home: Home) -> None:
    job_id = home.add("--", "printf", "%s\\000", *HOSTILE, umask=0o022)

    job = home.wait(job_id)

    assert job["state"] == "COMPLETED"
    assert Path(job["stdout_path"]).read_bytes() == b"".join(
        arg + b"\0" for arg in HOSTILE
    )


def test_the_issue_command_logs_exactly_its_bytes_and_creates_no_file(
    home: Home, tmp_path: Path
) -> None:
    marker = tmp_path / "x"
    args = [b"\xff\xfe", b"tab\there", b"a\nb", f"$(touch {marker})".encode(), b"*"]

    job = home.wait(home.add("--", "printf", "%s\\n", *args))

    log = Path(job["stdout_path"]).read_bytes()
    assert log == b"".join(arg + b"\n" for arg in args)
    assert not marker.exists()


def test_a_shell_string_that_is_not_utf8_runs_as_given(home: Home) -> None:
    job = home.wait(home.add(b"printf '%s' \xe9t\xe9"))

    assert Path(job["stdout_path"]).read_bytes() == b"\xe9t\xe9"


def test_show_prints_a_command_line_that_a_shell_turns_back_into_the_argv(
    home: Home,
) -> None:
    job_id = home.add("--", "printf", "%s\\000", *HOSTILE)
    shown = home.ok("show", str(job_id))
    line = next(
        text for text in shown.splitlines() if text.strip().startswith("command:")
    )
    command = line.split("command: ", 1)[1]

    words = subprocess.run(
        ["bash", "-c", f'for a in {command}; do printf "%s\\0" "$a"; done'],
        capture_output=True,
        check=True,
    ).stdout

    expected = [b"printf", b"%s\\000", *HOSTILE]
    assert words.split(b"\0")[:-1] == expected


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["true"], "true"),
        (["echo", "a b"], "echo 'a b'"),
        (["printf", "%s\n"], "printf $'%s\\n'"),
        (["x", "it's"], "x 'it'\"'\"'s'"),
        (["x", "\udcff"], "x $'\\xff'"),
        (["x", "\x1b[2J"], "x $'\\x1b[2J'"),
        (["x", ""], "x ''"),
        (["x", "\u00e9\U0001f600"], "x '\u00e9\U0001f600'"),
    ],
)
def test_shell_join_quotes_each_argument_so_bash_gives_it_back(
    argv: list[str], line: str
) -> None:
    assert shell_join(argv) == line
    echoed = subprocess.run(
        ["bash", "-c", f'for a in {line}; do printf "%s\\0" "$a"; done'],
        capture_output=True,
        check=True,
    ).stdout
    assert echoed.split(b"\0")[:-1] == [os.fsencode(arg) for arg in argv]


def test_status_keeps_one_line_per_job_whatever_its_name_and_command(
    home: Home,
) -> None:
    home.add("-J", "two\nlines", "--", "printf", "a\nb\r\x1b[2J")
    home.add("printf 'x\\n'\necho second line")

    table = home.ok("status")

    assert len(table.splitlines()) == 1 + len(home.jobs())
    assert strip_controls(table) == table
