"""The process supervisor, with real child processes (bash scripts)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from amlops import processes
from amlops.processes import Line

pytestmark = pytest.mark.timeout(60)


def bash(script: str, tmp_path: Path, *, merge_stderr: bool = False) -> subprocess.Popen[str]:
    return processes.start(
        ["bash", "--noprofile", "--norc", "-c", script],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"]},
        merge_stderr=merge_stderr,
    )


def wait_until_gone(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while processes.alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not processes.alive(pid)


def test_lines_reach_the_callback_in_order_with_their_stream(tmp_path: Path) -> None:
    lines: list[Line] = []
    child = bash("echo one; echo two; echo oops >&2; printf 'no newline'; exit 3", tmp_path)

    ended = processes.supervise(child, on_line=lines.append)

    assert ended.code == 3
    assert not ended.timed_out
    assert [line.text for line in lines if line.stream == "stdout"] == ["one", "two", "no newline"]
    assert [line.text for line in lines if line.stream == "stderr"] == ["oops"]


def test_merged_output_is_teed_to_the_log(tmp_path: Path) -> None:
    log = io.StringIO()
    seen: list[Line] = []
    child = bash("echo out; echo err >&2", tmp_path, merge_stderr=True)

    ended = processes.supervise(child, log=log, on_line=seen.append)

    assert ended.code == 0
    assert log.getvalue() == "out\nerr\n"
    assert {line.stream for line in seen} == {"stdout"}


def test_env_and_cwd_are_the_given_ones(tmp_path: Path) -> None:
    lines: list[Line] = []
    child = processes.start(
        ["bash", "-c", 'echo "$GREETING"; pwd; [ -z "$HOME" ] && echo no-home'],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "GREETING": "hello"},
    )

    processes.supervise(child, on_line=lines.append)

    assert [line.text for line in lines] == ["hello", str(tmp_path), "no-home"]


def test_a_timeout_stops_the_child_and_its_grandchild(tmp_path: Path) -> None:
    lines: list[Line] = []
    child = bash("sleep 300 & echo $!; echo started; wait", tmp_path)

    ended = processes.supervise(child, on_line=lines.append, timeout_s=0.5, grace_s=2)

    assert ended.timed_out
    assert ended.code == -signal.SIGTERM
    assert 0.5 <= ended.elapsed_s < 5
    grandchild = int(lines[0].text)
    assert wait_until_gone(grandchild), "the grandchild outlived the timeout"


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace(tmp_path: Path) -> None:
    lines: list[Line] = []
    child = bash("trap '' TERM; echo ready; sleep 300 & wait; echo survived", tmp_path)

    ended = processes.supervise(child, on_line=lines.append, timeout_s=0.5, grace_s=1)

    assert ended.timed_out
    assert ended.code == -signal.SIGKILL
    assert 1.5 <= ended.elapsed_s < 10
    assert [line.text for line in lines] == ["ready"]


def test_a_child_that_closes_its_output_but_keeps_running_times_out(tmp_path: Path) -> None:
    child = bash("echo bye; exec >&- 2>&-; sleep 300", tmp_path)

    ended = processes.supervise(child, timeout_s=0.5, grace_s=2)

    assert ended.timed_out
    assert not processes.alive(child.pid)


def test_an_error_in_the_callback_stops_the_group_and_is_raised(tmp_path: Path) -> None:
    grandchildren: list[int] = []

    def fail(line: Line) -> None:
        grandchildren.append(int(line.text))
        raise RuntimeError("stop reading")

    child = bash("sleep 300 & echo $!; wait", tmp_path)

    with pytest.raises(RuntimeError, match="stop reading"):
        processes.supervise(child, on_line=fail, grace_s=2)

    assert child.returncode == -signal.SIGTERM
    assert wait_until_gone(grandchildren[0])


def test_a_detached_server_runs_until_stopped_by_pid(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("earlier run\n")
    server = processes.start_detached(
        ["bash", "-c", "echo serving; echo problem >&2; sleep 300 & echo $!; wait"],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"]},
        log=log,
    )
    deadline = time.monotonic() + 10
    while len(log.read_text().splitlines()) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    earlier, *written, grandchild = log.read_text().splitlines()

    assert processes.alive(server.pid)
    assert earlier == "earlier run"
    assert written == ["serving", "problem"]
    assert os.getpgid(server.pid) == server.pid != os.getpgid(0)

    processes.stop(server.pid, grace_s=2)  # as a later command does: by pid, reaped with os.waitpid

    assert not processes.alive(server.pid)
    assert wait_until_gone(int(grandchild))
    server.poll()  # already reaped; the Popen object learns it is gone


def test_alive_and_stop_accept_a_missing_or_finished_process(tmp_path: Path) -> None:
    child = bash("exit 0", tmp_path)
    processes.supervise(child)

    assert not processes.alive(None)
    assert not processes.alive(child.pid)
    processes.stop(None)
    processes.stop(child.pid)
