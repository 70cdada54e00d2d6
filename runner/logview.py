"""`runner log`: a job's output, safe for a terminal, optionally followed.

The log holds exactly the bytes the job wrote. Sent to a pipe or a file they
pass through untouched; on a terminal they are decoded as UTF-8 with
replacement characters and stripped of control sequences, so no job output
can move the cursor, clear the screen, retitle the window or reset the
terminal.
"""

from __future__ import annotations

import codecs
import os
import sys
from typing import BinaryIO

from runner.client import Client, ClientError
from runner.display import ControlStripper

CHUNK = 1 << 16
FOLLOW_POLL = 0.25
"""Seconds between looks at a growing log while its job runs."""


class _Terminal:
    """Output for a terminal: decoded with replacements, controls removed."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.stripper = ControlStripper()

    def write(self, chunk: bytes) -> None:
        text = self.stripper.feed(self.decoder.decode(chunk))
        self.out.write(text.encode("utf-8"))

    def close(self) -> None:
        tail = self.stripper.feed(self.decoder.decode(b"", final=True))
        self.out.write((tail + self.stripper.flush()).encode("utf-8"))
        self.out.flush()


class _Raw:
    """Output for a pipe or file: the bytes as they are."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    def write(self, chunk: bytes) -> None:
        self.out.write(chunk)

    def close(self) -> None:
        self.out.flush()


def print_log(client: Client, job_id: int, path: str, follow: bool) -> int:
    """Copy the log to stdout; on a terminal, control sequences are removed."""
    out = sys.stdout.buffer
    sink = _Terminal(out) if sys.stdout.isatty() else _Raw(out)
    source: BinaryIO | None = None
    try:
        while True:
            if source is None and os.path.exists(path):
                source = _open(path)
            if source is not None:
                _copy(source, sink, out)
            if not follow or _ended(client, job_id):
                if source is not None:
                    _copy(source, sink, out)
                return 0
    finally:
        sink.close()
        if source is not None:
            source.close()


def _open(path: str) -> BinaryIO:
    try:
        return open(path, "rb")
    except OSError as error:
        raise ClientError(f"cannot read log {path}: {error.strerror}") from None


def _copy(source: BinaryIO, sink: _Terminal | _Raw, out: BinaryIO) -> None:
    while chunk := source.read(CHUNK):
        sink.write(chunk)
    out.flush()


def _ended(client: Client, job_id: int) -> bool:
    answer = client.request("wait", ids=[job_id], seconds=FOLLOW_POLL)
    return bool(answer["done"])
