"""Output is kept as bytes, shown safely on a terminal, and kept under its cap."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.display import ControlStripper, strip_controls
from tests.safety_home import Home

HOSTILE_OUTPUT = b"before\n\x1b[2J\x1b[31m[bold]x[/]\n\x1b]0;title\x07\x1bc\x9b\xff\n"
MIB = 1 << 20


def marker(limit: str) -> bytes:
    return (
        f"[runner: log limit of {limit} reached; later output was discarded while "
        "the job went on]\n"
    ).encode()


@pytest.fixture(scope="module")
def home() -> Iterator[Home]:
    runner_home = Home()
    yield runner_home
    runner_home.close()


def _printf(data: bytes) -> list[bytes]:
    return [b"printf", b"%b", "".join(f"\\0{b:03o}" for b in data).encode()]


def test_the_log_holds_every_byte_the_job_wrote(home: Home) -> None:
    data = bytes(range(256)) + HOSTILE_OUTPUT

    job = home.wait(home.add("--", *_printf(data)))

    assert Path(job["stdout_path"]).read_bytes() == data
    assert home.run("log", str(job["id"])).stdout == data


def test_runner_log_on_a_terminal_shows_text_without_control_sequences(
    home: Home,
) -> None:
    job = home.wait(home.add("--", *_printf(HOSTILE_OUTPUT)))

    shown = _on_a_terminal(home, "log", str(job["id"]))

    expected = "before\n[bold]x[/]\n\ufffd\ufffd\n".replace("\n", "\r\n")
    assert shown == expected.encode()


def _on_a_terminal(home: Home, *args: str) -> bytes:
    """What the command writes to a pseudo-terminal, as the terminal gets it."""
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "runner", *args],
        env=home.env,
        stdout=follower,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    ) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=30)
    os.close(leader)
    return b"".join(chunks)


SEQUENCES = [
    ("csi-clear", "a\x1b[2Jb", "ab"),
    ("csi-colour", "a\x1b[1;31mb\x1b[0m", "ab"),
    ("csi-private", "a\x1b[?1049hb", "ab"),
    ("csi-8bit", "a\x9b2Jb", "ab"),
    ("osc-bel", "a\x1b]0;title\x07b", "ab"),
    ("osc-st", "a\x1b]2;title\x1b\\b", "ab"),
    ("osc-hyperlink", "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link"),
    ("osc-8bit", "a\x9d0;title\x9cb", "ab"),
    ("osc-clipboard", "a\x1b]52;c;cm0gLXJmIH4K\x07b", "ab"),
    ("dcs", "a\x1bP+q544e\x1b\\b", "ab"),
    ("dcs-8bit", "a\x90q#0\x9cb", "ab"),
    ("apc", "a\x1b_Gf=100;AAAA\x1b\\b", "ab"),
    ("pm-sos", "a\x1b^x\x1b\\\x1bXy\x1b\\b", "ab"),
    ("reset", "a\x1bcb", "ab"),
    ("charset", "a\x1b(0b", "ab"),
    ("alignment-test", "a\x1b#8b", "ab"),
    ("keypad", "a\x1b=b", "ab"),
    ("save-restore", "a\x1b7b\x1b8", "ab"),
    ("lone-esc-at-end", "ab\x1b", "ab"),
    ("unterminated-osc", "a\x1b]0;title\nmore", "a0;title\nmore"),
    ("carriage-return", "safe\rEVIL\n", "safe\nEVIL\n"),
    ("crlf", "a\r\nb", "a\nb"),
    ("backspace", "abc\x08\x08\x08xyz", "abcxyz"),
    ("bell-delete", "a\x07\x7fb", "ab"),
    ("c1-controls", "a\x84\x85\x8d\x8eb", "ab"),
    ("other-c0", "a\x00\x0b\x0c\x0e\x1fb", "ab"),
    ("markup", "[bold]x[/] [red]y", "[bold]x[/] [red]y"),
    ("text", "tab\tnew\nline \u00e9 \U0001f600", "tab\tnew\nline \u00e9 \U0001f600"),
]


@pytest.mark.parametrize(
    ("text", "shown"),
    [case[1:] for case in SEQUENCES],
    ids=[case[0] for case in SEQUENCES],
)
def test_strip_controls_removes_each_kind_of_terminal_sequence(
    text: str, shown: str
) -> None:
    assert strip_controls(text) == shown


@pytest.mark.parametrize(
    "text", [case[1] for case in SEQUENCES], ids=[case[0] for case in SEQUENCES]
)
def test_a_sequence_split_between_chunks_is_stripped_as_a_whole(text: str) -> None:
    for cut in range(len(text) + 1):
        stripper = ControlStripper()
        shown = stripper.feed(text[:cut]) + stripper.feed(text[cut:])
        shown += stripper.flush()
        assert not any(
            (ord(char) < 32 and char not in "\t\n") or 0x7F <= ord(char) < 0xA0
            for char in shown
        ), (cut, shown)
        assert shown == strip_controls(text), cut


def test_a_job_past_its_log_limit_goes_on_and_its_log_ends_with_one_marker(
    home: Home,
) -> None:
    script = "head -c 5000000 /dev/zero | tr '\\0' y; echo done >&2"

    job = home.wait(home.add("--log-limit", "1M", "--", "sh", "-c", script))

    log = Path(job["stdout_path"]).read_bytes()
    assert job["state"] == "COMPLETED"
    assert log == b"y" * MIB + b"\n" + marker("1 MiB")
    assert Path(job["stderr_path"]).read_bytes() == b"done\n"
    assert job["error_msg"] == f"{job['id']}.out cut at its 1 MiB limit"


def test_yes_with_a_log_limit_leaves_at_most_the_limit_and_the_marker(
    home: Home,
) -> None:
    job = home.wait(home.add("--log-limit", "1M", "-t", "0:01", "--", "yes"))

    log = Path(job["stdout_path"]).read_bytes()
    assert job["state"] == "TIMEOUT"
    assert log == b"y\n" * (MIB // 2) + marker("1 MiB")


def test_the_config_gives_the_default_log_limit_and_none_lifts_it() -> None:
    runner_home = Home()
    try:
        (runner_home.path / "config.toml").write_text('log_limit = "1K"\n')
        capped = runner_home.wait(runner_home.add("--", "seq", "1000"))
        free = runner_home.wait(
            runner_home.add("--log-limit", "none", "--", "seq", "1000")
        )

        numbers = b"".join(b"%d\n" % n for n in range(1, 1001))
        assert numbers[1023:1024] == b"\n"  # the cut falls at a line end
        assert Path(capped["stdout_path"]).read_bytes() == (
            numbers[:1024] + marker("1 KiB")
        )
        assert Path(free["stdout_path"]).read_bytes() == numbers
    finally:
        runner_home.close()
