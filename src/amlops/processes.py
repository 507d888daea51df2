"""Child processes, started and stopped one way.

Every child starts in a session of its own, so it leads a process group that also holds what it starts:
stopping a child stops its whole group, SIGTERM first and SIGKILL for what is left after a grace period.

- `start` and `supervise`: a command this process waits for (a CI step, a pipeline component), its output
  delivered line by line, its group stopped when it runs past its timeout or the wait is interrupted.
- `start_detached`, `alive` and `stop`: a server that outlives this process (a local inference server),
  found and stopped later by its pid, which is also its process group id.

POSIX only (process groups and signals).
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

GRACE_S = 5.0
"""How long a stopped group has between SIGTERM and SIGKILL."""
_POLL_S = 0.05

Stream = Literal["stdout", "stderr"]


@dataclass(frozen=True)
class Line:
    """One line a child wrote, without its line ending; `stream` is `stdout` when stderr is merged."""

    stream: Stream
    text: str


@dataclass(frozen=True)
class Ended:
    """How a supervised child ended: `code` is its exit code, or -N when signal N ended it."""

    code: int
    timed_out: bool
    elapsed_s: float


def start(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], merge_stderr: bool = False
) -> subprocess.Popen[str]:
    """Start `argv` in a new session with exactly `env`, no stdin, and its output on pipes for `supervise`
    (stderr on its own pipe, or into stdout when `merge_stderr`). Raises OSError when it cannot start."""
    return subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
    )


def supervise(
    child: subprocess.Popen[str],
    *,
    on_line: Callable[[Line], None] | None = None,
    log: IO[str] | None = None,
    timeout_s: float | None = None,
    grace_s: float = GRACE_S,
) -> Ended:
    """Wait for a child from `start`, writing each line of its output to `log` and handing it to
    `on_line` (in this thread, in the order read). When the child's group is still running after
    `timeout_s`, or the wait is interrupted (KeyboardInterrupt, an error raised by `on_line`), the
    group is stopped (see `stop`); an interruption is raised again once the group is gone."""
    started = time.monotonic()
    deadline = None if timeout_s is None else started + timeout_s
    lines: queue.Queue[Line | Stream] = queue.Queue()
    open_streams: set[Stream] = set()
    for name, stream in (("stdout", child.stdout), ("stderr", child.stderr)):
        if stream is not None:
            open_streams.add(name)
            threading.Thread(target=_read, args=(stream, name, lines), daemon=True).start()

    def deliver(line: Line) -> None:
        if log is not None:
            log.write(line.text + "\n")
            log.flush()
        if on_line is not None:
            on_line(line)

    timed_out = False
    try:
        if not _drain(lines, open_streams, deadline, deliver):
            timed_out = True
            stop(child.pid, grace_s=grace_s, reap=child.poll)
            # what it wrote while stopping; a grandchild that left the group may hold the pipes open
            _drain(lines, open_streams, time.monotonic() + grace_s, deliver)
        code = _wait(child, deadline)
        if code is None:  # its output ended, the child did not
            timed_out = True
            stop(child.pid, grace_s=grace_s, reap=child.poll)
            code = child.wait()
    except BaseException:
        stop(child.pid, grace_s=grace_s, reap=child.poll)
        child.wait()
        _drain(lines, open_streams, time.monotonic() + grace_s, lambda _line: None)
        raise
    finally:
        if not open_streams:  # else a reader may still block on a pipe a runaway grandchild holds
            for stream in (child.stdout, child.stderr):
                if stream is not None:
                    stream.close()
    return Ended(code=code, timed_out=timed_out, elapsed_s=time.monotonic() - started)


def start_detached(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], log: Path
) -> subprocess.Popen[bytes]:
    """Start `argv` in a new session, so it outlives this process and leads its own group, with no
    stdin and its stdout and stderr appended to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def alive(pid: int | None) -> bool:
    """Whether process `pid` runs: an exited process not yet reaped (a zombie) does not."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    state = _proc_stat(pid)
    return state is None or state[0] != "Z"


def stop(pid: int | None, *, grace_s: float = GRACE_S, reap: Callable[[], object] | None = None) -> None:
    """Stop the process group led by `pid`: SIGTERM, up to `grace_s` for every member to exit, then
    SIGKILL for those left. `reap` collects the leader once it exits (default: `os.waitpid`, for a
    child of this process; pass `Popen.poll` for a child whose exit code is still wanted)."""
    if not pid or not _group_alive(pid):
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return
    collect = reap or (lambda: _reap(pid))
    deadline = time.monotonic() + grace_s
    while True:
        collect()
        if not _group_alive(pid) or time.monotonic() >= deadline:
            break
        time.sleep(_POLL_S)
    if _group_alive(pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
    collect()


def _read(stream: IO[str], name: Stream, lines: queue.Queue[Line | Stream]) -> None:
    try:
        for text in stream:
            lines.put(Line(name, text.rstrip("\n")))
    finally:
        lines.put(name)  # the stream ended


def _drain(
    lines: queue.Queue[Line | Stream],
    open_streams: set[Stream],
    until: float | None,
    deliver: Callable[[Line], None],
) -> bool:
    """Deliver lines until every stream ended (True) or `until` passed (False)."""
    while open_streams:
        wait = None if until is None else until - time.monotonic()
        if wait is not None and wait <= 0:
            return False
        try:
            item = lines.get(timeout=wait)
        except queue.Empty:
            return False
        if isinstance(item, Line):
            deliver(item)
        else:
            open_streams.discard(item)
    return True


def _wait(child: subprocess.Popen[str], deadline: float | None) -> int | None:
    try:
        return child.wait(timeout=None if deadline is None else max(deadline - time.monotonic(), 0))
    except subprocess.TimeoutExpired:
        return None


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):  # not a child of this process: its parent reaps it
        os.waitpid(pid, os.WNOHANG)


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, pgrp, ...); None without /proc."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _group_alive(pgid: int) -> bool:
    """Whether a member of process group `pgid` runs (zombies do not count, where /proc tells)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if not Path("/proc/self/stat").is_file():
        return True
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _proc_stat(int(entry.name))
            if fields is not None and len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
                return True
    return False
