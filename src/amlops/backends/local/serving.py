"""How a local online deployment is served, read from its Azure ML deployment spec (pure functions).

| spec | local server |
|---|---|
| `instance_count` | gunicorn worker processes (default: one per CPU of this machine) |
| `request_settings.max_concurrent_requests_per_instance` | scoring slots per worker (`DEFAULT_THREADS`) |
| `request_settings.request_timeout_ms` | the scoring script's request timeout (`SCORING_TIMEOUT_MS`, 408) |
|  | and every connection's socket read/write timeout (default 5000 ms, Azure's) |
| `request_settings.max_queue_wait_ms` | how long a received request may wait for a scoring slot before |
|  | it is answered 429 (default 500 ms, Azure's) |
| `environment_variables` | set in the server's environment (`environment_variables`) |

Each worker runs twice as many threads as it has scoring slots: the extra threads read requests while the
slots are busy, so a request's wait for a slot starts once its body has arrived, as behind Azure's front
end, which buffers requests before the container sees them; slow clients hold a reading thread, never a
slot. A request still without a slot after `max_queue_wait_ms` gets 429 with `Retry-After`, as a managed
deployment at capacity answers, instead of an ever longer wait.

A `run()` that outlives the request timeout is answered 408 at the timeout while it goes on in a thread of
its own (Python cannot stop a thread); a worker whose overdue calls would starve the others is replaced
(`recycle_reason`). The server log (access log included) is rotated by size while the server runs
(`LogRotation`: `AMLOPS_SERVER_LOG_MAX_BYTES`, default 10 MiB, and `AMLOPS_SERVER_LOG_KEEP` rotated files,
default 5: at most 60 MiB per deployment).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from amlops.errors import ConfigError

DEFAULT_THREADS = 4
DEFAULT_REQUEST_TIMEOUT_MS = 5_000
DEFAULT_MAX_QUEUE_WAIT_MS = 500  # Azure ML's default for request_settings.max_queue_wait_ms
READERS_PER_SLOT = 2  # gunicorn threads per scoring slot
MAX_REQUEST_TIMEOUT_MS = 180_000  # Azure ML's upper bound
WORKER_CLASS = "amlops.backends.local.serving_worker.ReadTimeoutThreadWorker"
DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_LOG_KEEP = 5
DEFAULT_WORKER_TIMEOUT_S = 300.0  # the inference server's own bound on a stuck worker (`WORKER_TIMEOUT`)


@dataclass(frozen=True)
class ServerSettings:
    workers: int = 1
    threads: int = DEFAULT_THREADS
    request_timeout_ms: int = DEFAULT_REQUEST_TIMEOUT_MS
    max_queue_wait_ms: int = DEFAULT_MAX_QUEUE_WAIT_MS

    def environ(self) -> dict[str, str]:
        """Environment variables that make the inference server serve with these settings (`threads` is the
        number of scoring slots per worker; gunicorn gets `READERS_PER_SLOT` threads per slot)."""
        return {
            "WORKER_COUNT": str(self.workers),
            "SCORING_TIMEOUT_MS": str(self.request_timeout_ms),
            "AMLOPS_READ_TIMEOUT_S": f"{self.request_timeout_ms / 1000:g}",
            "AMLOPS_SCORING_SLOTS": str(self.threads),
            "AMLOPS_MAX_QUEUE_WAIT_MS": str(self.max_queue_wait_ms),
            # No control socket: gunicorn's default path is one per user, shared by every server.
            "GUNICORN_CMD_ARGS": (
                f"--worker-class {WORKER_CLASS} --threads {self.threads * READERS_PER_SLOT} "
                "--no-control-socket"
            ),
        }

    def as_dict(self) -> dict[str, int]:
        return {
            "workers": self.workers,
            "threads": self.threads,
            "request_timeout_ms": self.request_timeout_ms,
            "max_queue_wait_ms": self.max_queue_wait_ms,
        }


def _positive_int(value: Any, where: str, *, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: must be a positive integer, got {value!r}")
    if maximum is not None and value > maximum:
        raise ConfigError(f"{where}: at most {maximum}, got {value!r}")
    return value


def server_settings(
    spec: Mapping[str, Any], *, cpu_count: int | None = None, source: str = "spec"
) -> ServerSettings:
    """The serving settings an online deployment spec asks for; ConfigError names a bad key."""
    machine = cpu_count if cpu_count is not None else (os.cpu_count() or 1)
    request = spec.get("request_settings") or {}
    if not isinstance(request, Mapping):
        raise ConfigError(f"{source}: request_settings must be a mapping")
    workers = spec.get("instance_count")
    threads = request.get("max_concurrent_requests_per_instance")
    timeout = request.get("request_timeout_ms")
    queue_wait = request.get("max_queue_wait_ms")
    return ServerSettings(
        workers=machine if workers is None else _positive_int(workers, f"{source}: instance_count"),
        threads=DEFAULT_THREADS
        if threads is None
        else _positive_int(threads, f"{source}: request_settings.max_concurrent_requests_per_instance"),
        request_timeout_ms=DEFAULT_REQUEST_TIMEOUT_MS
        if timeout is None
        else _positive_int(
            timeout, f"{source}: request_settings.request_timeout_ms", maximum=MAX_REQUEST_TIMEOUT_MS
        ),
        max_queue_wait_ms=DEFAULT_MAX_QUEUE_WAIT_MS
        if queue_wait is None
        else _positive_int(
            queue_wait, f"{source}: request_settings.max_queue_wait_ms", maximum=MAX_REQUEST_TIMEOUT_MS
        ),
    )


def environment_variables(spec: Mapping[str, Any], *, source: str = "spec") -> dict[str, str]:
    """The deployment spec's `environment_variables` (names and scalar values; values as text, as Azure ML
    sets them in the scoring container); ConfigError names a bad entry. The server's own settings
    (`ServerSettings.environ`, the model and code locations) are set after them and win."""
    variables = spec.get("environment_variables") or {}
    if not isinstance(variables, Mapping):
        raise ConfigError(f"{source}: environment_variables must be a mapping of NAME: value")
    out = {}
    for name, value in variables.items():
        if not isinstance(name, str) or not name or "=" in name or "\0" in name:
            raise ConfigError(f"{source}: environment_variables: {name!r} is not a variable name")
        if isinstance(value, Mapping | list) or value is None:
            raise ConfigError(f"{source}: environment_variables.{name}: must be a string or a number")
        out[name] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


@dataclass(frozen=True)
class LogRotation:
    """A server log is moved to `<log>.1` (`.1` to `.2`, ...) once it holds `max_bytes`; `keep` rotated
    files are kept, so a deployment's log takes at most (keep + 1) x max_bytes, plus a line."""

    max_bytes: int = DEFAULT_LOG_MAX_BYTES
    keep: int = DEFAULT_LOG_KEEP

    def environ(self, log: str) -> dict[str, str]:
        """Environment variables that make the server's launcher write its output to `log`, rotated."""
        return {
            "AMLOPS_SERVER_LOG": log,
            "AMLOPS_SERVER_LOG_MAX_BYTES": str(self.max_bytes),
            "AMLOPS_SERVER_LOG_KEEP": str(self.keep),
        }


def log_rotation(environ: Mapping[str, str]) -> LogRotation:
    """The log rotation `AMLOPS_SERVER_LOG_MAX_BYTES` and `AMLOPS_SERVER_LOG_KEEP` ask for (defaults
    otherwise); ConfigError names a bad variable."""
    values = {}
    for field, name, default in (
        ("max_bytes", "AMLOPS_SERVER_LOG_MAX_BYTES", DEFAULT_LOG_MAX_BYTES),
        ("keep", "AMLOPS_SERVER_LOG_KEEP", DEFAULT_LOG_KEEP),
    ):
        text = environ.get(name, "").strip()
        try:
            values[field] = int(text) if text else default
        except ValueError:
            values[field] = None
        if values[field] is None or values[field] < 1:
            raise ConfigError(f"{name}: must be a positive integer, got {text!r}")
    return LogRotation(**values)


def recycle_reason(
    overdue_started: Sequence[float], now: float, *, limit: int, worker_timeout_s: float
) -> str | None:
    """Why a worker must be replaced, given the start times of the scoring calls still running after their
    request was answered 408 (None: it need not). As many such calls as the worker has threads would starve
    the requests it serves; one running longer than the worker timeout is taken to be stuck."""
    if not overdue_started:
        return None
    if len(overdue_started) >= limit:
        return f"{len(overdue_started)} scoring calls are still running after their request timed out"
    longest = now - min(overdue_started)
    if longest >= worker_timeout_s:
        return f"a scoring call has been running for {longest:.0f} s (worker timeout {worker_timeout_s:g} s)"
    return None
