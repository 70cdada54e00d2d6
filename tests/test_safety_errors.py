"""Config and database troubles, and a full disk: one clear line, nothing lost."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator

import pytest

from tests.safety_home import Home

KNOWN = (
    "cpus, grace, memory, gpus, pin_cpus, empty_cuda_visible_devices, hooks, log_limit"
)

CONFIG_CASES = [
    ("syntax", "cpus = 2\ngrace = \n", "line 2, key 'grace': Invalid value"),
    (
        "unclosed-table",
        "cpus = 2\n[hooks\n",
        "line 2: Expected ']' at the end of a table declaration",
    ),
    (
        "wrong-type",
        'cpus = 2\ngrace = "ten"\n',
        "line 2: key 'grace' must be a number of seconds, 0 or more, not 'ten'",
    ),
    (
        "too-small",
        "\n\ncpus = 0\n",
        "line 3: key 'cpus' must be a whole number of CPUs, at least 1, not 0",
    ),
    (
        "unknown-key",
        "cpu = 2\n",
        f"line 1: key 'cpu' is not a setting (known: {KNOWN})",
    ),
    (
        "hook",
        "[hooks]\ntimeout = -1\n",
        "line 2: key 'hooks.timeout' must be a positive number",
    ),
    (
        "log-limit",
        'log_limit = "10Q"\n',
        "line 1: key 'log_limit' must be a size such as \"10M\", a number of bytes, "
        "or \"none\", not '10Q'",
    ),
    ("not-utf8", "cpus = 2\n# \xff\n", "line 2: not valid UTF-8"),
]


@pytest.fixture
def home() -> Iterator[Home]:
    runner_home = Home(RUNNER_TOTAL_CPUS="")
    yield runner_home
    runner_home.close()


@pytest.mark.parametrize(
    ("text", "problem"),
    [case[1:] for case in CONFIG_CASES],
    ids=[case[0] for case in CONFIG_CASES],
)
def test_a_bad_config_names_the_file_line_and_key(
    home: Home, text: str, problem: str
) -> None:
    config = home.path / "config.toml"
    config.write_bytes(text.encode("latin-1"))

    done = home.run("add", "--", "true")

    assert done.returncode == 1
    assert done.stderr.decode() == f"runner: {config}, {problem}\n"


def test_a_database_from_a_newer_runner_is_refused_and_kept(home: Home) -> None:
    home.ok("status")
    home.ok("serve", "--stop")
    with sqlite3.connect(home.path / "runner.db") as connection:
        connection.execute("PRAGMA user_version = 99")

    done = home.run("add", "--", "true")

    assert done.returncode == 1
    assert done.stderr.decode() == (
        f"runner: {home.path}/runner.db was written by a newer runner (schema 99; "
        "this runner knows up to 1): upgrade runner\n"
    )
    with sqlite3.connect(home.path / "runner.db") as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (99,)


def test_a_corrupt_database_is_reported_in_one_line_and_never_recreated(
    home: Home,
) -> None:
    database = home.path / "runner.db"
    database.write_bytes(os.urandom(8192))
    digest = hashlib.sha256(database.read_bytes()).hexdigest()

    for args in (["add", "--", "true"], ["status"], ["serve"]):
        done = home.run(*args)

        assert done.returncode == 1
        assert done.stderr.decode() == (
            f"runner: {database} cannot be opened (file is not a database); runner "
            "leaves it as it is: move it aside to start with an empty queue\n"
        )
    assert hashlib.sha256(database.read_bytes()).hexdigest() == digest


def _mount_tmpfs(home: Home, size: str) -> bool:
    if os.getuid() != 0:
        return False
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=700", "tmpfs", home.path],
        capture_output=True,
    )
    return mounted.returncode == 0


@pytest.fixture
def small_disk() -> Iterator[Home]:
    """A home on its own 3 MiB tmpfs, unmounted after."""
    runner_home = Home()
    if not _mount_tmpfs(runner_home, "3m"):
        runner_home.close()
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield runner_home
    if (runner_home.path / "runner.sock").exists():
        runner_home.run("serve", "--stop")
    for _attempt in range(50):
        if subprocess.run(["umount", runner_home.path]).returncode == 0:
            break
        subprocess.run(["sleep", "0.1"])
    runner_home.close()


def test_a_job_that_fills_the_disk_fails_with_the_reason_and_the_host_survives(
    small_disk: Home,
) -> None:
    job = small_disk.wait(small_disk.add("--", "head", "-c", "10M", "/dev/zero"))

    assert (job["state"], job["exit_code"]) == ("FAILED", "1:0")
    assert job["error_msg"] == (
        "exited with code 1; no space left on the disk of its log "
        f"{small_disk.path}/logs/{job['id']}.out"
    )
    assert small_disk.ok("status").count("\n") == 2


def test_add_on_a_full_disk_is_one_line_and_the_host_goes_on(
    small_disk: Home,
) -> None:
    small_disk.wait(small_disk.add("--", "true"))
    (small_disk.path / "runner.db.reserve").unlink()
    filler = small_disk.path / "filler"
    with open(filler, "wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass

    done = small_disk.run("add", "--", "echo", "hi")

    assert done.returncode == 1
    assert done.stderr.decode() == (
        f"runner: add: database {small_disk.path}/runner.db: database or disk is full\n"
    )
    filler.unlink()
    assert small_disk.wait(small_disk.add("--", "echo", "hi"))["state"] == "COMPLETED"
