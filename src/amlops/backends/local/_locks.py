"""An exclusive, re-entrant lock file per state record (POSIX `flock`; the local backend is POSIX-only).

`locked(path)` blocks until no other process holds `path` (FailedError after `timeout` seconds, naming the
file); a thread that already holds it enters again at once, so a verb can hold an endpoint's lock across its
steps while each step takes it too. The lock goes with the process: a killed command leaves none behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from amlops.errors import FailedError

DEFAULT_TIMEOUT_S = 300.0
_held = threading.local()


@contextlib.contextmanager
def locked(path: Path, *, timeout: float = DEFAULT_TIMEOUT_S, what: str = "") -> Iterator[None]:
    counts: dict[str, int] = _held.__dict__.setdefault("counts", {})
    key = str(path.resolve())
    if counts.get(key):
        counts[key] += 1
        try:
            yield
        finally:
            counts[key] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise FailedError(
                        f"{what or path.name} is busy: another amlops command has held {path} for more than "
                        f"{timeout:.0f}s"
                    ) from None
                time.sleep(0.05)
        counts[key] = 1
        try:
            yield
        finally:
            counts.pop(key, None)
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)
