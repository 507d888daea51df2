"""The gunicorn worker class local online deployments run under (imported inside the server process).

gunicorn's threaded worker already keeps idle connections off its threads (they wait in its poller), but
once a thread has a connection it reads headers and body from a blocking socket with no timeout: a client
that sends half a request and stops holds that thread for good, and with a few such clients every other
caller waits. Here every accepted socket is a `ReadTimeoutSocket`: wherever gunicorn makes it blocking, it
gets a timeout instead (`AMLOPS_READ_TIMEOUT_S`, the deployment's request timeout), so a stalled read or
write ends that connection and frees the thread. Azure ML's managed front end gives the same protection.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

DEFAULT_READ_TIMEOUT_S = 5.0


def read_timeout_s(environ: Any = os.environ) -> float:
    try:
        value = float(environ.get("AMLOPS_READ_TIMEOUT_S", DEFAULT_READ_TIMEOUT_S))
    except ValueError:
        return DEFAULT_READ_TIMEOUT_S
    return value if value > 0 else DEFAULT_READ_TIMEOUT_S


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


class ReadTimeoutThreadWorker(ThreadWorker):
    """gunicorn's gthread worker over `ReadTimeoutSocket`s."""

    def enqueue_req(self, conn: Any) -> None:
        if not isinstance(conn.sock, ReadTimeoutSocket):
            conn.sock = ReadTimeoutSocket.adopt(conn.sock, read_timeout_s())
        super().enqueue_req(conn)
