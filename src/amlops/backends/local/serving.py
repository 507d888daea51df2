"""How a local online deployment is served, read from its Azure ML deployment spec (pure functions).

| spec | local server |
|---|---|
| `instance_count` | gunicorn worker processes (default: one per CPU of this machine) |
| `request_settings.max_concurrent_requests_per_instance` | threads per worker (default `DEFAULT_THREADS`) |
| `request_settings.request_timeout_ms` | the scoring script's request timeout (`SCORING_TIMEOUT_MS`, 408) |
|  | and every connection's socket read/write timeout (default 5000 ms, Azure's) |

Requests beyond workers x threads queue in the server (Azure answers 429 instead).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from amlops.errors import ConfigError

DEFAULT_THREADS = 4
DEFAULT_REQUEST_TIMEOUT_MS = 5_000
MAX_REQUEST_TIMEOUT_MS = 180_000  # Azure ML's upper bound
WORKER_CLASS = "amlops.backends.local.serving_worker.ReadTimeoutThreadWorker"


@dataclass(frozen=True)
class ServerSettings:
    workers: int = 1
    threads: int = DEFAULT_THREADS
    request_timeout_ms: int = DEFAULT_REQUEST_TIMEOUT_MS

    def environ(self) -> dict[str, str]:
        """Environment variables that make the inference server serve with these settings."""
        return {
            "WORKER_COUNT": str(self.workers),
            "SCORING_TIMEOUT_MS": str(self.request_timeout_ms),
            "AMLOPS_READ_TIMEOUT_S": f"{self.request_timeout_ms / 1000:g}",
            # No control socket: gunicorn's default path is one per user, shared by every server.
            "GUNICORN_CMD_ARGS": (
                f"--worker-class {WORKER_CLASS} --threads {self.threads} --no-control-socket"
            ),
        }

    def as_dict(self) -> dict[str, int]:
        return {
            "workers": self.workers,
            "threads": self.threads,
            "request_timeout_ms": self.request_timeout_ms,
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
    )
