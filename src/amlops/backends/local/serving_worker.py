"""The gunicorn worker class local online deployments run under (imported inside the server process).

gunicorn's threaded worker parks idle connections in its poller, but only after a thread has waited up to
5 s for their first byte, and once a thread has a connection it reads headers and body from a blocking
socket with no timeout: a client that sends half a request and stops holds that thread for good, and with
a few such clients (or a burst of idle ones) every other caller waits. Here a new connection gets
`FIRST_BYTE_WAIT_S` before it is parked, and every accepted socket is a `ReadTimeoutSocket`: wherever
gunicorn makes it blocking, it gets a timeout instead (`AMLOPS_READ_TIMEOUT_S`, the deployment's request
timeout), so a stalled read or write ends that connection and frees the thread. A body of declared length
(up to `SCORING_MAX_BODY_BYTES`) is read in full before the application sees it (`BufferedBody`), so a body
that stalls is answered 408 whatever the scoring script does with it. With `AMLOPS_ENDPOINT_KEYS_FILE` set
(an endpoint with `auth_mode: key`), every request but the liveness probe (`GET /`) needs
`Authorization: Bearer <key>` with one of the keys in that file, or gets 401 before its body is read
(`KeyAuth`). Azure ML's managed front end gives the same protection.

The inference server's own scoring timeout (`SCORING_TIMEOUT_MS`) is an alarm signal, which only the main
thread receives: under threads a `run()` was never bounded. `Deadline` calls the application in a thread of
a pool of its own and answers 408 when the request timeout passes, as Azure's front end does; the call goes
on (a thread cannot be stopped) and its answer is dropped. A call needs one of the worker's scoring slots
(`AMLOPS_SCORING_SLOTS`, the deployment's `max_concurrent_requests_per_instance`; gunicorn runs more threads
than that, see `serving`): a request that has not got one within `AMLOPS_MAX_QUEUE_WAIT_MS` after its body
arrived is answered 429 with `Retry-After: 1`, as a managed deployment at capacity answers; the liveness
probe (`GET /`) needs no slot. A slot is free again once its request is answered: an overdue call goes on
in a spare thread of the pool (as many as there are slots); when overdue calls fill them, or one runs
beyond the worker timeout (`WORKER_TIMEOUT`, the inference server's bound on a stuck
worker, 300 s), the worker stops taking connections, finishes those it has and exits, and gunicorn starts
a fresh one (`serving.recycle_reason`).

The inference server logs every request twice (its own line and gunicorn's access line), each written and
flushed to the log pipe under its handler's lock: at a few thousand requests a second the scoring threads
spent a tenth of their time in those writes or queued for the lock. A worker's handlers on stdout and
stderr write to `BatchedLines` instead, which keeps the lines in memory and writes them every
`LOG_FLUSH_EVERY_S` from a thread of its own, in writes of whole lines of at most `PIPE_BUF` bytes (atomic
on a pipe, so two workers' lines never mix), and at exit. Every line is kept, in order; a worker that is
killed loses at most its last `LOG_FLUSH_EVERY_S` of lines.

gunicorn's threaded workers all wait on the one listening socket and each accepts every connection it
can, so a client's keep-alive connections, opened at once, may all land on one worker while the others idle
(measured: 8+0 of wrk's 8 connections served 600 req/s, 5+3 2,196). `ConnectionBoard` is a table in memory
shared by the workers of one server (created when gunicorn's master imports this module, inherited by every
worker it forks): each worker posts its open connections and a heartbeat there, and a worker that holds
more connections than another live worker leaves a new connection to it, for at most `ACCEPT_DEFER_S`.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import hmac
import io
import json
import logging
import mmap
import os
import select
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent import futures
from pathlib import Path
from typing import Any

from gunicorn.workers import gthread
from gunicorn.workers.gthread import ThreadWorker

from amlops.backends.local.serving import (
    DEFAULT_MAX_QUEUE_WAIT_MS,
    DEFAULT_WORKER_TIMEOUT_S,
    recycle_reason,
)

DEFAULT_READ_TIMEOUT_S = 5.0
FIRST_BYTE_WAIT_S = 0.05
DEFAULT_BUFFERED_BYTES = 4 * 1024 * 1024
LOG_FLUSH_EVERY_S = 0.05
PIPE_BUF = select.PIPE_BUF  # a write to a pipe of at most this many bytes is never split nor interleaved


def read_timeout_s(environ: Any = os.environ) -> float:
    try:
        value = float(environ.get("AMLOPS_READ_TIMEOUT_S", DEFAULT_READ_TIMEOUT_S))
    except ValueError:
        return DEFAULT_READ_TIMEOUT_S
    return value if value > 0 else DEFAULT_READ_TIMEOUT_S


ACCEPT_DEFER_S = 0.02
BOARD_SLOTS = 64
HEARTBEAT_FRESH_S = 3.0  # a worker calls notify() at least once a second


class ConnectionBoard:
    """Per worker slot: (pid, heartbeat on the monotonic clock, open connections), in an anonymous shared
    mapping, so forked workers see each other's. A slot whose heartbeat is stale is a worker gone."""

    ENTRY = struct.Struct("<qdq")

    def __init__(self, slots: int = BOARD_SLOTS) -> None:
        self.slots = slots
        self.memory = mmap.mmap(-1, slots * self.ENTRY.size)

    def post(self, slot: int, pid: int, connections: int, now: float) -> None:
        self.ENTRY.pack_into(self.memory, (slot % self.slots) * self.ENTRY.size, pid, now, connections)

    def clear(self, slot: int) -> None:
        self.post(slot, 0, 0, 0.0)

    def fewest_elsewhere(self, slot: int, now: float) -> int | None:
        """The fewest connections a live worker other than `slot`'s holds (None: no other live worker)."""
        fewest: int | None = None
        for index in range(self.slots):
            if index == slot % self.slots:
                continue
            pid, beat, connections = self.ENTRY.unpack_from(self.memory, index * self.ENTRY.size)
            if pid and now - beat < HEARTBEAT_FRESH_S and (fewest is None or connections < fewest):
                fewest = connections
        return fewest


BOARD = ConnectionBoard()  # created in gunicorn's master, which imports the worker class before forking


def line_pieces(data: bytes, limit: int = PIPE_BUF) -> list[bytes]:
    """`data` cut into pieces of whole lines of at most `limit` bytes each (a longer line is a piece alone,
    cut at `limit`): the writes that keep each line in one atomic pipe write."""
    pieces: list[bytes] = []
    start = 0
    while start < len(data):
        end = start + limit
        if end >= len(data):
            pieces.append(data[start:])
            break
        cut = data.rfind(b"\n", start, end)
        end = cut + 1 if cut >= start else end
        pieces.append(data[start:end])
        start = end
    return pieces


class BatchedLines(io.TextIOBase):
    """A text stream for log handlers: `write` keeps the text in memory, `flush` does nothing (a handler
    calls it after every record), and a daemon thread writes what has come to `descriptor` every `every_s`
    (`drain`, also run at exit), in `line_pieces`. A failed write drops its lines: the server never blocks
    or fails on its log."""

    def __init__(self, descriptor: int, *, every_s: float = LOG_FLUSH_EVERY_S) -> None:
        super().__init__()
        self.descriptor, self.every_s = descriptor, every_s
        self._pending: list[str] = []
        self._lock = threading.Lock()  # held for an append or a swap: microseconds
        self._writing = threading.Lock()  # one drain at a time, so pieces stay in order
        threading.Thread(target=self._run, name=f"log-fd{descriptor}", daemon=True).start()
        atexit.register(self.drain)

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.descriptor

    def write(self, text: str) -> int:
        with self._lock:
            self._pending.append(text)
        return len(text)

    def flush(self) -> None:
        return  # the thread writes; a handler's flush after each record must not

    def drain(self) -> None:
        with self._writing:
            with self._lock:
                pending, self._pending = self._pending, []
            if not pending:
                return
            data = "".join(pending).encode("utf-8", "backslashreplace")
            with contextlib.suppress(OSError):
                for piece in line_pieces(data):
                    view = memoryview(piece)
                    while view:
                        view = view[os.write(self.descriptor, view) :]

    def _run(self) -> None:
        while True:
            time.sleep(self.every_s)
            self.drain()


def batch_log_output() -> list[BatchedLines]:
    """Point every logging handler that writes to this process's stdout or stderr at a `BatchedLines` of
    that descriptor (one per descriptor, shared by its handlers, so their lines keep their order)."""
    streams: dict[int, BatchedLines] = {}
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    for logger in loggers:
        for handler in getattr(logger, "handlers", ()):
            if type(handler) is not logging.StreamHandler:
                continue  # a file handler or a handler of the application's own kind keeps its stream
            try:
                descriptor = handler.stream.fileno()
            except (AttributeError, OSError, ValueError):
                continue
            if descriptor in (1, 2):
                if descriptor not in streams:
                    streams[descriptor] = BatchedLines(descriptor)
                handler.setStream(streams[descriptor])
    return list(streams.values())


class ReadTimeoutSocket(socket.socket):
    """A socket whose blocking mode always carries a timeout."""

    read_timeout: float = DEFAULT_READ_TIMEOUT_S

    @classmethod
    def adopt(cls, sock: socket.socket, timeout: float) -> ReadTimeoutSocket:
        blocking = sock.getblocking()
        adopted = cls(sock.family, sock.type, sock.proto, fileno=sock.detach())
        adopted.read_timeout = timeout
        adopted.setblocking(blocking)  # the descriptor's flags and Python's view of them agree again
        return adopted

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(self.read_timeout)
        else:
            super().setblocking(False)


class BufferedBody:
    """WSGI middleware: read a declared-length body before the application runs; 408 if it stalls."""

    def __init__(self, app: Callable[..., Iterable[bytes]], *, limit: int, timeout_s: float) -> None:
        self.app, self.limit, self.timeout_s = app, limit, timeout_s

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return self.app(environ, start_response)  # chunked or none: the application reads it
        if not 0 < length <= self.limit:
            return self.app(environ, start_response)  # oversize: the application refuses it unread
        try:
            body = environ["wsgi.input"].read(length)
        except TimeoutError:
            sock = environ.get("gunicorn.socket")
            if isinstance(sock, socket.socket):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RD)  # end the connection rather than drain the rest
            message = f"the body did not arrive within the request timeout ({self.timeout_s:g} s)"
            body = {"error": message, "field": None, "row": None, "problems": []}
            return _json_response(start_response, "408 Request Timeout", body)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)


def _json_response(
    start_response: Callable[..., Any], status: str, body: dict[str, Any], headers: tuple = ()
) -> list[bytes]:
    payload = json.dumps(body).encode()
    start_response(
        status,
        [("Content-Type", "application/json"), ("Content-Length", str(len(payload))), *headers],
    )
    return [payload]


def _positive_float(environ: Any, name: str, default: float) -> float:
    try:
        value = float(environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


def is_liveness_probe(environ: dict[str, Any]) -> bool:
    """`GET /`: the platform's liveness probe, which needs neither a key nor a scoring slot."""
    return environ.get("REQUEST_METHOD") == "GET" and environ.get("PATH_INFO") in ("", "/")


def _call_app(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> tuple[str, list, list, Any]:
    """Run a WSGI application to the end of its body: (status, headers, body chunks, exc_info)."""
    answer: dict[str, Any] = {}
    chunks: list[bytes] = []

    def start_response(status: str, headers: list, exc_info: Any = None) -> Callable[[bytes], None]:
        answer.update(status=status, headers=headers, exc_info=exc_info)
        return chunks.append

    iterable = app(environ, start_response)
    try:
        chunks.extend(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    return answer["status"], answer["headers"], chunks, answer.get("exc_info")


class Deadline:
    """WSGI middleware: the application runs in a pool thread once one of `slots` scoring slots is free
    (429 if none frees within `max_wait_s`); 408 if it has not answered within `timeout_s`. `overdue()`
    gives the start times of calls still running after their 408."""

    def __init__(
        self,
        app: Callable[..., Iterable[bytes]],
        *,
        timeout_s: float,
        slots: int,
        max_wait_s: float = DEFAULT_MAX_QUEUE_WAIT_MS / 1000,
        warn: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.app, self.timeout_s, self.warn = app, timeout_s, warn
        self.slots, self.max_wait_s = slots, max_wait_s
        self._free = threading.BoundedSemaphore(slots)
        # A thread per slot, as many again for overdue calls and liveness probes.
        self.pool = futures.ThreadPoolExecutor(max_workers=2 * slots, thread_name_prefix="scoring")
        self._lock = threading.Lock()
        self._overdue: dict[futures.Future, float] = {}

    def _at_capacity(self, start_response: Callable[..., Any]) -> list[bytes]:
        milliseconds = round(self.max_wait_s * 1000)
        message = (
            f"the deployment is at capacity: no scoring slot of {self.slots} came free within {milliseconds} "
            "ms (request_settings.max_queue_wait_ms); retry, or raise instance_count or "
            "max_concurrent_requests_per_instance"
        )
        body = {"error": message, "field": None, "row": None, "problems": []}
        return _json_response(start_response, "429 Too Many Requests", body, (("Retry-After", "1"),))

    def overdue(self) -> list[float]:
        with self._lock:
            return list(self._overdue.values())

    def _finished_late(self, future: futures.Future, started: float) -> None:
        with self._lock:
            self._overdue.pop(future, None)
        self.warn(
            f"a scoring call answered 408 finished after {time.monotonic() - started:.1f} s; its answer "
            "was dropped"
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if is_liveness_probe(environ):
            return self._answer(environ, start_response)
        if not self._free.acquire(timeout=self.max_wait_s):
            return self._at_capacity(start_response)
        try:
            return self._answer(environ, start_response)
        finally:
            self._free.release()  # answered (an overdue call goes on in a spare thread of the pool)

    def _answer(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.monotonic()
        future = self.pool.submit(_call_app, self.app, environ)
        try:
            status, headers, chunks, exc_info = future.result(timeout=self.timeout_s)
        except futures.TimeoutError:
            with self._lock:
                self._overdue[future] = started
            future.add_done_callback(lambda done: self._finished_late(done, started))
            sock = environ.get("gunicorn.socket")
            if isinstance(sock, socket.socket):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RD)  # a 408 ends the connection (RFC 9110)
            milliseconds = round(self.timeout_s * 1000)
            self.warn(f"no answer within the request timeout ({milliseconds} ms): 408")
            message = (
                f"the scoring script did not answer within the request timeout ({milliseconds} ms, "
                "request_settings.request_timeout_ms)"
            )
            body = {"error": message, "field": None, "row": None, "problems": []}
            return _json_response(start_response, "408 Request Timeout", body)
        start_response(status, headers, exc_info)
        return chunks


KEY_REQUIRED = "this endpoint needs a key: send `Authorization: Bearer <key>` (amlops get-keys)"


class KeyAuth:
    """WSGI middleware: 401 unless `Authorization: Bearer <key>` carries a key from `keys_file` (re-read
    when it changes, so regenerated keys apply without a restart). `GET /` (liveness) stays open."""

    def __init__(self, app: Callable[..., Iterable[bytes]], keys_file: Path) -> None:
        self.app, self.keys_file = app, keys_file
        self._stamp: float | None = None
        self._keys: tuple[bytes, ...] = ()

    def keys(self) -> tuple[bytes, ...]:
        try:
            stamp = self.keys_file.stat().st_mtime
            if stamp != self._stamp:
                document = json.loads(self.keys_file.read_text(encoding="utf-8"))
                self._keys = tuple(
                    str(document[k]).encode() for k in ("primaryKey", "secondaryKey") if document.get(k)
                )
                self._stamp = stamp
        except (OSError, ValueError):
            self._keys, self._stamp = (), None  # no readable keys: nothing is accepted
        return self._keys

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if is_liveness_probe(environ):
            return self.app(environ, start_response)
        scheme, _, token = str(environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
        offered = token.strip().encode()
        if (
            scheme.lower() == "bearer"
            and offered
            and any(hmac.compare_digest(offered, k) for k in self.keys())
        ):
            return self.app(environ, start_response)
        body = {"error": KEY_REQUIRED, "field": "Authorization", "row": None, "problems": []}
        return _json_response(start_response, "401 Unauthorized", body, (("WWW-Authenticate", "Bearer"),))


class ReadTimeoutThreadWorker(ThreadWorker):
    """gunicorn's gthread worker over `ReadTimeoutSocket`s, parking silent connections at once, with each
    call of the application bounded by the request timeout (`Deadline`) and the worker replaced when its
    overdue calls pile up."""

    deadline: Deadline | None = None
    log_streams: tuple[BatchedLines, ...] = ()
    deferring_since: float | None = None

    def init_process(self) -> None:
        gthread.DEFAULT_WORKER_DATA_TIMEOUT = FIRST_BYTE_WAIT_S  # read at each call by ThreadWorker.handle
        super().init_process()

    def load_wsgi(self) -> None:
        super().load_wsgi()
        # What is loaded by now (imports, the app, the model) lives as long as the worker: freezing it keeps
        # it out of every later garbage collection, whose pauses otherwise show in the latency tail.
        gc.collect()
        gc.freeze()
        self.log_streams = tuple(batch_log_output())
        timeout_s = _positive_float(os.environ, "SCORING_TIMEOUT_MS", DEFAULT_READ_TIMEOUT_S * 1000) / 1000
        slots = int(_positive_float(os.environ, "AMLOPS_SCORING_SLOTS", self.cfg.threads))
        max_wait_s = _positive_float(os.environ, "AMLOPS_MAX_QUEUE_WAIT_MS", DEFAULT_MAX_QUEUE_WAIT_MS) / 1000
        self.deadline = Deadline(
            self.wsgi, timeout_s=timeout_s, slots=slots, max_wait_s=max_wait_s, warn=self.log.warning
        )
        limit = int(os.environ.get("SCORING_MAX_BODY_BYTES", DEFAULT_BUFFERED_BYTES))
        self.wsgi = BufferedBody(self.deadline, limit=limit, timeout_s=read_timeout_s())
        keys_file = os.environ.get("AMLOPS_ENDPOINT_KEYS_FILE")
        if keys_file:
            self.wsgi = KeyAuth(self.wsgi, Path(keys_file))  # outermost: refused before the body is read

    def post_connections(self) -> None:
        BOARD.post(self.age, os.getpid(), self.nr_conns, time.monotonic())

    def accept(self, listener: Any) -> None:
        now = time.monotonic()
        fewest = BOARD.fewest_elsewhere(self.age, now)
        if fewest is not None and fewest < self.nr_conns:
            if self.deferring_since is None or now - self.deferring_since > 2 * ACCEPT_DEFER_S:
                self.deferring_since = now  # a new connection (an earlier deferral ended elsewhere)
            if now - self.deferring_since < ACCEPT_DEFER_S:
                time.sleep(0.001)  # the less loaded worker, woken by the same socket, takes it meanwhile
                return
        self.deferring_since = None
        super().accept(listener)
        self.post_connections()

    def notify(self) -> None:
        super().notify()
        self.post_connections()
        if self.deadline is None or not self.alive:
            return
        reason = recycle_reason(
            self.deadline.overdue(),
            time.monotonic(),
            limit=self.deadline.slots,
            worker_timeout_s=_positive_float(os.environ, "WORKER_TIMEOUT", DEFAULT_WORKER_TIMEOUT_S),
        )
        if reason:
            self.log.error(f"worker {os.getpid()} is replaced: {reason}")
            self.alive = False  # the run loop stops accepting, finishes its connections and returns

    def run(self) -> None:
        super().run()
        BOARD.clear(self.age)
        if self.deadline is not None and self.deadline.overdue():
            # Overdue scoring calls cannot be stopped and the interpreter would wait for them at exit.
            for stream in self.log_streams:
                stream.drain()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)

    def enqueue_req(self, conn: Any) -> None:
        if not isinstance(conn.sock, ReadTimeoutSocket):
            conn.sock = ReadTimeoutSocket.adopt(conn.sock, read_timeout_s())
        super().enqueue_req(conn)
