"""Server logs rotated by size while the server runs: where a chunk is cut (pure), the writer, a server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from amlops import processes
from amlops.backends.local.serving import LogRotation, ServerSettings
from amlops.backends.local.serving_log import RotatingLog, plan
from amlops.errors import ConfigError


@pytest.mark.parametrize(
    ("size", "at_line_start", "chunk", "expected"),
    [
        (0, True, b"a\nb\n", ([(False, b"a\nb\n")], 4, True)),
        (5, True, b"", ([], 5, True)),
        (8, True, b"abc\nd\n", ([(True, b"abc\nd\n")], 6, True)),  # full: rotated before the next line
        (2, True, b"ab\ncdefgh\n", ([(False, b"ab\n"), (True, b"cdefgh\n")], 7, True)),
        (9, False, b"xx\nyy\n", ([(False, b"xx\n"), (True, b"yy\n")], 3, True)),  # a line is never cut ...
        (0, True, b"x" * 25 + b"\n", ([(False, b"x" * 25 + b"\n")], 26, True)),  # ... even a long one
        (20, False, b"zzz", ([(True, b"zzz")], 3, False)),  # unless it reaches twice the limit
        (10, True, b"q", ([(True, b"q")], 1, False)),
    ],
)
def test_where_a_chunk_is_cut(size, at_line_start, chunk, expected):
    assert plan(size, at_line_start, chunk, 10) == expected


def test_the_writer_keeps_a_bounded_number_of_files(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "server.log"
    path.parent.mkdir()
    path.write_bytes(b"old line from before\n")  # beyond the limit already: rotated at the first line
    log = RotatingLog(path, LogRotation(max_bytes=10, keep=2))
    for index in range(6):
        log.write(f"line {index}\n".encode())
    log.close()
    assert sorted(p.name for p in path.parent.iterdir()) == ["server.log", "server.log.1", "server.log.2"]
    assert path.read_bytes() == b"line 5\n"
    assert (tmp_path / "logs" / "server.log.1").read_bytes() == b"line 4\n"
    assert (tmp_path / "logs" / "server.log.2").read_bytes() == b"line 3\n"


@pytest.mark.slow
def test_a_running_server_rotates_its_access_log_and_keeps_answering(tiny_server) -> None:
    limit, keep = 4096, 3
    server = tiny_server(
        settings=ServerSettings(workers=1, threads=2, request_timeout_ms=5000),
        environ={"AMLOPS_SERVER_LOG_MAX_BYTES": str(limit), "AMLOPS_SERVER_LOG_KEEP": str(keep)},
    )
    folder = server.log.parent
    for index in range(300):  # two log lines of ~130 bytes each: about 20 rotations
        status, answer, _ = server.post({"echo": index})
        assert (status, answer["echo"]) == (200, index)
    assert server.live()
    status, answer, _ = server.post({"echo": "after"})
    assert (status, answer["echo"]) == (200, "after")
    give_up = time.monotonic() + 10
    while not (folder / f"server.log.{keep}").exists() and time.monotonic() < give_up:
        time.sleep(0.1)  # the writer lags the requests a little on a loaded machine
    assert (folder / f"server.log.{keep}").exists()
    assert server.process.poll() is None  # the same server: rotated while it ran

    processes.stop(server.process.pid, reap=server.process.poll)  # the writer drains the pipe and ends
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["server.log", "server.log.1", "server.log.2", "server.log.3"]  # `keep` files, no more
    for path in folder.iterdir():
        text = path.read_bytes()
        assert len(text) <= limit, path
        assert text.endswith(b"\n"), path  # rotated between two lines
    for index in range(1, keep + 1):
        assert b'"POST /score HTTP/1.1" 200' in (folder / f"server.log.{index}").read_bytes()  # access log
    assert b"Shutting down: Master" in server.log.read_bytes()  # the server's last line is kept


def test_a_bad_rotation_setting_is_refused_before_a_server_starts(tiny_server) -> None:
    with pytest.raises(ConfigError) as caught:
        tiny_server(settings=ServerSettings(), environ={"AMLOPS_SERVER_LOG_KEEP": "all"})
    assert str(caught.value) == "AMLOPS_SERVER_LOG_KEEP: must be a positive integer, got 'all'"
