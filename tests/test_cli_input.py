"""Bad input is refused with one line and exit status 2, and queues nothing."""

from __future__ import annotations

import pytest

from tests.home import RunnerHome


@pytest.mark.parametrize(
    "args",
    [
        ["-c", "0", "--", "true"],
        ["-c", "-1", "--", "true"],
        ["-c", "3", "--", "true"],
        ["--"],
        [],
        [""],
        ["   "],
        ["-t", "xx", "--", "true"],
        ["-t", "0", "--", "true"],
        ["-t", "1:2:3:4", "--", "true"],
    ],
    ids=[
        "zero-cpus",
        "negative-cpus",
        "more-cpus-than-total",
        "empty-argv",
        "no-command",
        "empty-string",
        "blank-string",
        "bad-time",
        "zero-time",
        "too-many-fields",
    ],
)
def test_a_bad_submission_exits_2_with_one_line_and_queues_nothing(
    shared_home: RunnerHome, args: list[str]
) -> None:
    done = shared_home.run("add", *args)

    assert done.returncode == 2, done
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.strip(), done.stderr
    assert "Traceback" not in done.stderr
    assert shared_home.status() == []


def test_a_directory_that_does_not_exist_is_refused_before_queueing(
    shared_home: RunnerHome,
) -> None:
    done = shared_home.run("add", "-D", "/no/such/dir", "--", "true")

    assert done.returncode == 2
    assert "/no/such/dir" in done.stderr and done.stderr.count("\n") == 1
    assert shared_home.status() == []


@pytest.mark.parametrize("verb", ["show", "cancel", "wait", "log"])
def test_an_unknown_job_id_is_one_line_and_a_nonzero_status(
    shared_home: RunnerHome, verb: str
) -> None:
    done = shared_home.run(verb, "999")

    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and "999" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("text", ["abc", "0", "-3"])
def test_a_malformed_job_id_is_a_usage_error(
    shared_home: RunnerHome, text: str
) -> None:
    done = shared_home.run("show", text)

    assert done.returncode == 2
    assert done.stderr.count("\n") == 1


def test_an_unknown_verb_is_a_usage_error(shared_home: RunnerHome) -> None:
    done = shared_home.run("frobnicate")

    assert done.returncode == 2
    assert done.stderr.count("\n") == 1


def _newer_database(home: RunnerHome) -> None:
    from runner.db import SCHEMA_VERSION, Database

    Database(home.path / "runner.db").close()
    with home.database() as db:
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")


def test_serve_refuses_a_newer_database_with_one_line(home: RunnerHome) -> None:
    _newer_database(home)

    done = home.run("serve", timeout=30)

    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "newer" in done.stderr


def test_add_against_a_newer_database_says_why_it_cannot_run(
    home: RunnerHome,
) -> None:
    _newer_database(home)

    done = home.run("add", "--", "true", timeout=60)

    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    reason = done.stderr + (home.path / "host.log").read_text()
    assert "newer" in reason
