"""A real local inference server (the launcher local online deployments use) over a tiny scoring script
that can be told to sleep and answers with its worker's pid."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from amlops import processes
from amlops.backends.local.endpoints import http_get, launch_inference_server
from amlops.backends.local.serving import ServerSettings

SCORE_PY = """\
import json
import os
import time


def init():
    pass


def run(raw_data):
    request = json.loads(raw_data)
    time.sleep(float(request.get("sleep", 0)))
    return {"pid": os.getpid(), "echo": request.get("echo")}
"""


@dataclass
class Server:
    process: Any
    port: int
    log: Path

    def post(self, body: Mapping[str, Any], *, timeout: float = 30) -> tuple[int, dict, float]:
        """(status, JSON answer, seconds taken) of one POST /score."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/score",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        return status, json.loads(text), time.monotonic() - started

    def live(self) -> bool:
        return http_get(f"http://127.0.0.1:{self.port}/", timeout=10) == 200


@pytest.fixture
def tiny_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    started: list[Any] = []

    def start(*, settings: ServerSettings, environ: Mapping[str, str] | None = None) -> Server:
        code, model = tmp_path / "code", tmp_path / "model"
        code.mkdir(exist_ok=True)
        model.mkdir(exist_ok=True)
        (code / "score.py").write_text(SCORE_PY)
        log = tmp_path / "logs" / "server.log"
        process, port = launch_inference_server(
            code,
            code / "score.py",
            model,
            log,
            label="tiny",
            environ={**os.environ, **(environ or {})},
            settings=settings,
        )
        started.append(process)
        return Server(process, port, log)

    yield start
    for process in started:
        processes.stop(process.pid, reap=process.poll)
