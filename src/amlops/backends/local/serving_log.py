"""A local inference server's log (its access log included), rotated by size while the server runs.

gunicorn's master and workers all write to the file descriptors they inherit, so no one of them can rotate
the file they share. The server's launcher (`redirect_output`, run first in the server process) points its
stdout and stderr, and so every worker's, at a pipe read by one small process of the same group
(`python -m amlops.backends.local.serving_log`), the only writer of the log: it moves the log to `<log>.1`
(`.1` to `.2`, ..., `keep` rotated files) once it holds `max_bytes`, between two lines. It ignores SIGTERM
and SIGINT and ends when the last writer has closed the pipe, so the server's last lines are kept when the
group is stopped. `plan` decides where a chunk is cut (pure); `RotatingLog` and `pump` do the I/O.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

from amlops.backends.local._files import shift
from amlops.backends.local.serving import LogRotation, log_rotation
from amlops.errors import ConfigError

CHUNK_BYTES = 64 * 1024


def plan(
    size: int, at_line_start: bool, chunk: bytes, max_bytes: int
) -> tuple[list[tuple[bool, bytes]], int, bool]:
    """How to append `chunk` to a log that holds `size` bytes (its last byte ends a line if `at_line_start`):
    pieces `(rotate_first, data)` in order, then the log's size and line state after them. A full log is
    rotated before a line that would take it beyond `max_bytes`, never inside a line, unless one line alone
    has grown to twice `max_bytes`."""
    pieces: list[tuple[bool, bytes]] = []
    pending = bytearray()
    rotate_first = False
    start = 0
    while start < len(chunk):
        end = chunk.find(b"\n", start)
        end = len(chunk) if end < 0 else end + 1
        line = chunk[start:end]
        start = end
        full = size > 0 and size + len(line) > max_bytes
        if (full and at_line_start) or (not at_line_start and size >= 2 * max_bytes):
            if pending or rotate_first:
                pieces.append((rotate_first, bytes(pending)))
            pending, rotate_first, size = bytearray(), True, 0
        pending += line
        size += len(line)
        at_line_start = line.endswith(b"\n")
    if pending or rotate_first:
        pieces.append((rotate_first, bytes(pending)))
    return pieces, size, at_line_start


class RotatingLog:
    """The log file, appended to and rotated by `plan`. A failed write (a full disk) drops that data and
    the file is reopened at the next one: the server must never block or fail on its log."""

    def __init__(self, path: Path, rotation: LogRotation) -> None:
        self.path, self.rotation = path, rotation
        self._handle: BinaryIO | None = None
        self.size, self.at_line_start = 0, True

    def _open(self) -> BinaryIO:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self._handle = self.path.open("ab", buffering=0)
        self.size, self.at_line_start = handle.tell(), True
        return handle

    def _rotate(self) -> BinaryIO:
        self.close()
        shift(self.path, keep=self.rotation.keep)
        return self._open()

    def write(self, chunk: bytes) -> None:
        try:
            handle = self._handle or self._open()
            pieces, size, at_line_start = plan(self.size, self.at_line_start, chunk, self.rotation.max_bytes)
            for rotate_first, data in pieces:
                if rotate_first:
                    handle = self._rotate()
                if data:
                    handle.write(data)
            self.size, self.at_line_start = size, at_line_start
        except OSError:
            self.close()

    def close(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(OSError):
                handle.close()


def pump(descriptor: int, log: RotatingLog) -> None:
    """Copy what arrives on `descriptor` to `log` until every writer has closed it."""
    try:
        while chunk := os.read(descriptor, CHUNK_BYTES):
            log.write(chunk)
    finally:
        log.close()


def redirect_output(environ: Mapping[str, str] = os.environ) -> subprocess.Popen[bytes] | None:
    """In the server's launcher, before the server starts: send this process's stdout and stderr (and so
    every worker's) through a pipe to the log writer for `AMLOPS_SERVER_LOG` (None when it is unset)."""
    log = environ.get("AMLOPS_SERVER_LOG")
    if not log:
        return None
    writer = subprocess.Popen(
        [sys.executable, "-m", "amlops.backends.local.serving_log", log],
        stdin=subprocess.PIPE,
        env=dict(environ),
    )
    assert writer.stdin is not None
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(writer.stdin.fileno(), 1)
    os.dup2(writer.stdin.fileno(), 2)
    writer.stdin.close()
    return writer


def main(argv: list[str]) -> int:
    """`python -m amlops.backends.local.serving_log LOG`: the log writer (rotation from the environment)."""
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, signal.SIG_IGN)  # the end of the pipe ends it, after the server's last line
    try:
        rotation = log_rotation(os.environ)
    except ConfigError:
        rotation = LogRotation()
    pump(sys.stdin.fileno(), RotatingLog(Path(argv[0]), rotation))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
