"""The endpoint lock (across processes, re-entrant within one) and server log rotation."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from amlops.backends.local._files import shift
from amlops.backends.local._locks import locked
from amlops.errors import FailedError

HOLD = """
import sys, time
from pathlib import Path
from amlops.backends.local._locks import locked
with locked(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold(path: Path, seconds: float) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_second_process_waits_for_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "ep.lock"
    holder = hold(path, 1.5)
    started = time.monotonic()
    with locked(path):
        waited = time.monotonic() - started
    holder.wait(timeout=10)
    assert waited >= 1.0


def test_a_lock_held_too_long_is_one_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "ep.lock"
    holder = hold(path, 5)
    try:
        with pytest.raises(FailedError) as caught, locked(path, timeout=0.3, what="endpoint ep"):
            pass
        assert (
            str(caught.value)
            == f"endpoint ep is busy: another amlops command has held {path} for more than 0s"
        )
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_is_reentrant_in_one_thread(tmp_path: Path) -> None:
    path = tmp_path / "ep.lock"
    with locked(path), locked(path, timeout=0.1):
        pass
    with locked(path, timeout=0.1):  # released after the outer block
        pass


def test_shifting_keeps_the_newest_files(tmp_path: Path) -> None:
    log = tmp_path / "blue.log"
    for generation in range(5):
        log.write_text(f"generation {generation}\n")
        shift(log, keep=3)
    assert not log.exists()
    assert [(tmp_path / f"blue.log.{i}").read_text().split()[1] for i in (1, 2, 3)] == ["4", "3", "2"]
    assert not (tmp_path / "blue.log.4").exists()
    shift(log, keep=3)  # nothing to move: the rotated files stay
    assert (tmp_path / "blue.log.1").read_text() == "generation 4\n"
