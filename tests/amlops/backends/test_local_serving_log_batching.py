"""The serving worker's batched log output: every line kept, whole and in order, off the request path."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from amlops.backends.local.serving_worker import PIPE_BUF, BatchedLines, line_pieces


def test_pieces_are_whole_lines_within_the_atomic_pipe_write() -> None:
    lines = [f"line {n} " + "x" * (n % 97) + "\n" for n in range(2_000)]
    data = "".join(lines).encode()
    pieces = line_pieces(data, 512)
    assert b"".join(pieces) == data
    assert all(len(piece) <= 512 and piece.endswith(b"\n") for piece in pieces)
    assert len(pieces) < len(lines) / 5  # lines are gathered, not written one by one
    assert all(len(piece) <= PIPE_BUF for piece in line_pieces(data))  # the default: one atomic write


def test_a_line_longer_than_the_limit_is_cut_alone_and_nothing_is_lost() -> None:
    data = b"short\n" + b"y" * 1_300 + b"\nafter\n"
    pieces = line_pieces(data, 512)
    assert b"".join(pieces) == data
    assert pieces[0] == b"short\n"
    assert all(len(piece) <= 512 for piece in pieces)
    assert line_pieces(b"", 512) == []
    assert line_pieces(b"no newline at the end", 512) == [b"no newline at the end"]


def test_lines_of_many_threads_reach_the_pipe_whole_and_in_each_threads_order() -> None:
    read, write = os.pipe()
    received = bytearray()

    def reader() -> None:
        while chunk := os.read(read, 65_536):
            received.extend(chunk)

    consumer = threading.Thread(target=reader)
    consumer.start()
    stream = BatchedLines(write, every_s=0.01)
    assert stream.fileno() == write
    assert stream.writable()

    def writer(thread: int) -> None:
        for n in range(3_000):
            stream.write(f"thread {thread} line {n} {'z' * (n % 50)}\n")
            stream.flush()  # what a logging handler calls after every record: no write of its own

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stream.drain()
    os.close(write)
    consumer.join(timeout=10)
    os.close(read)
    lines = received.decode().splitlines()
    assert len(lines) == 4 * 3_000
    for t in range(4):
        mine = [line for line in lines if line.startswith(f"thread {t} ")]
        assert [int(line.split()[3]) for line in mine] == list(range(3_000))
        assert all(line == f"thread {t} line {n} {'z' * (n % 50)}" for n, line in enumerate(mine))


def test_the_inference_servers_handlers_are_batched_and_flushed_at_exit(tmp_path: Path) -> None:
    # the inference server's logging.json: StreamHandlers on sys.stdout and sys.stderr
    script = textwrap.dedent(
        """
        import logging, logging.config, sys
        logging.config.dictConfig({
            "version": 1,
            "handlers": {
                "out": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"},
                "err": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
                "file": {"class": "logging.FileHandler", "filename": sys.argv[1]},
            },
            "loggers": {
                "azmlinfsrv": {"level": "INFO", "handlers": ["out", "file"], "propagate": False},
                "gunicorn.access": {"level": "INFO", "handlers": ["out"], "propagate": False},
                "gunicorn.error": {"level": "INFO", "handlers": ["err"], "propagate": False},
            },
        })
        from amlops.backends.local.serving_worker import BatchedLines, batch_log_output
        streams = batch_log_output()
        assert sorted(s.fileno() for s in streams) == [1, 2], streams
        batched = [h for h in logging.getLogger("azmlinfsrv").handlers if isinstance(h.stream, BatchedLines)]
        assert len(batched) == 1  # the file handler keeps its own file
        for n in range(5_000):
            logging.getLogger("azmlinfsrv").info("POST /score 200 %d", n)
            logging.getLogger("gunicorn.access").info("access %d", n)
        logging.getLogger("gunicorn.error").warning("the last line")
        """
    )
    log_file = tmp_path / "file-handler.log"
    done = subprocess.run(
        [sys.executable, "-c", script, str(log_file)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    expected = [x for n in range(5_000) for x in (f"POST /score 200 {n}", f"access {n}")]
    assert done.stdout.splitlines() == expected  # every line, in the order logged, at exit at the latest
    assert done.stderr.splitlines() == ["the last line"]
    assert len(log_file.read_text(encoding="utf-8").splitlines()) == 5_000


def test_a_closed_descriptor_drops_the_lines_without_an_error() -> None:
    read, write = os.pipe()
    os.close(read)
    stream = BatchedLines(write, every_s=60)
    stream.write("lost\n")
    stream.drain()  # EPIPE: dropped, the server goes on
    os.close(write)
