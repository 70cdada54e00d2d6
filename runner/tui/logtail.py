"""Following a job's log file from its tail, as text safe for a terminal.

Standard library only, and blocking: the app calls it from a thread worker.
"""

from __future__ import annotations

import codecs
import os
from dataclasses import dataclass
from typing import BinaryIO

from runner.display import strip_controls

TAIL_BYTES = 256 * 1024
"""The most of a log read at once: a huge log is shown from its last part."""


@dataclass(frozen=True)
class Chunk:
    """What one look at the file found."""

    text: str
    """New text, decoded with replacement and stripped of control sequences."""
    skipped: int
    """Bytes passed over to reach the tail (0 when everything was read)."""
    reset: bool
    """The file shrank or was replaced: the view must start afresh."""


class LogTail:
    """Reads what was appended to one file since the last look."""

    def __init__(self, path: str, tail_bytes: int = TAIL_BYTES) -> None:
        self.path = path
        self.tail_bytes = tail_bytes
        self.position = 0
        self._identity: tuple[int, int] | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def read(self) -> Chunk:
        """The text appended since the last call; empty if the file is missing."""
        try:
            with open(self.path, "rb") as source:
                info = os.fstat(source.fileno())
                reset = self._note_identity((info.st_dev, info.st_ino), info.st_size)
                skipped = self._seek_tail(source, info.st_size)
                data = source.read(min(info.st_size - self.position, self.tail_bytes))
        except FileNotFoundError:
            return Chunk("", 0, False)
        self.position += len(data)
        if skipped:
            data = _after_first_newline(data)
        text = strip_controls(self._decoder.decode(data))
        return Chunk(text, skipped, reset)

    def _note_identity(self, identity: tuple[int, int], size: int) -> bool:
        """Start over when the file is another one, or shorter than before."""
        if self._identity == identity and size >= self.position:
            return False
        started = self._identity is not None
        self._identity = identity
        self.position = 0
        self._decoder.reset()
        return started

    def _seek_tail(self, source: BinaryIO, size: int) -> int:
        skipped = max(0, size - self.position - self.tail_bytes)
        self.position += skipped
        if skipped:
            self._decoder.reset()
        source.seek(self.position)
        return skipped


def _after_first_newline(data: bytes) -> bytes:
    """Drop the partial line a jump into the middle of the file lands in."""
    cut = data.find(b"\n")
    return data[cut + 1 :] if cut >= 0 else data
