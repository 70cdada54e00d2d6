"""`runner log`: a job's output, safe for a terminal, optionally followed."""

from __future__ import annotations

import codecs
import os
import sys
from typing import BinaryIO

from runner.client import Client
from runner.display import strip_controls

CHUNK = 1 << 16
FOLLOW_POLL = 0.25
"""Seconds between looks at a growing log while its job runs."""


def print_log(client: Client, job_id: int, path: str, follow: bool) -> int:
    """Copy the log to stdout; on a terminal, control sequences are removed."""
    out = sys.stdout.buffer
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    clean = decoder if sys.stdout.isatty() else None
    try:
        source = open(path, "rb")  # noqa: SIM115 - held open while following
    except FileNotFoundError:
        if not follow:
            return 0
        source = None
    try:
        while True:
            if source is None and os.path.exists(path):
                source = open(path, "rb")  # noqa: SIM115
            if source is not None:
                _copy(source, out, clean)
            if not follow or _ended(client, job_id):
                if source is not None:
                    _copy(source, out, clean)
                return 0
    finally:
        if source is not None:
            source.close()


def _copy(
    source: BinaryIO, out: BinaryIO, clean: codecs.IncrementalDecoder | None
) -> None:
    while chunk := source.read(CHUNK):
        if clean is not None:
            out.write(strip_controls(clean.decode(chunk)).encode("utf-8"))
        else:
            out.write(chunk)
    out.flush()


def _ended(client: Client, job_id: int) -> bool:
    answer = client.request("wait", ids=[job_id], seconds=FOLLOW_POLL)
    return bool(answer["done"])
