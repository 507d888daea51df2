"""`request_timeout_ms` bounds a `run()` that outlives it under threaded workers: 408 at the timeout, others
served meanwhile, the worker replaced when overdue calls pile up (the middleware alone, then real servers)."""

from __future__ import annotations

import re
import threading
import time

import pytest

from amlops.backends.local.serving import ServerSettings
from amlops.backends.local.serving_worker import Deadline

TIMEOUT_MESSAGE = (
    "the scoring script did not answer within the request timeout (1000 ms, "
    "request_settings.request_timeout_ms)"
)


def test_the_middleware_answers_408_at_the_timeout_and_drops_the_late_answer() -> None:
    release = threading.Event()
    warnings: list[str] = []

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/slow":
            release.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"done"]

    deadline = Deadline(app, timeout_s=0.2, threads=1, warn=warnings.append)
    answers: list[tuple] = []

    def start_response(status, headers, exc_info=None):
        answers.append((status, dict(headers)))

    started = time.monotonic()
    body = deadline({"PATH_INFO": "/slow"}, start_response)
    assert 0.2 <= time.monotonic() - started < 1.0
    assert answers[-1][0] == "408 Request Timeout"
    assert b"did not answer within the request timeout (200 ms" in b"".join(body)
    assert len(deadline.overdue()) == 1

    assert b"".join(deadline({"PATH_INFO": "/fast"}, start_response)) == b"done"  # a spare thread serves it
    assert answers[-1] == ("200 OK", {"Content-Type": "text/plain"})

    release.set()
    wait_until = time.monotonic() + 5
    while deadline.overdue() and time.monotonic() < wait_until:
        time.sleep(0.01)
    assert deadline.overdue() == []
    assert warnings[0] == "no answer within the request timeout (200 ms): 408"
    assert warnings[1].startswith("a scoring call answered 408 finished after ")


SETTINGS = ServerSettings(workers=1, threads=2, request_timeout_ms=1000)


@pytest.mark.slow
def test_a_run_that_outlives_the_timeout_is_answered_408_while_others_are_served(tiny_server) -> None:
    server = tiny_server(settings=SETTINGS)
    pid = server.post({})[1]["pid"]
    slow: list[tuple] = []
    caller = threading.Thread(target=lambda: slow.append(server.post({"sleep": 4})))
    caller.start()
    time.sleep(0.2)
    fast = [server.post({"echo": index}) for index in range(10)]  # while the slow one runs
    caller.join(timeout=30)

    status, answer, elapsed = slow[0]
    assert status == 408
    assert answer == {"error": TIMEOUT_MESSAGE, "field": None, "row": None, "problems": []}
    assert 0.9 <= elapsed < 3.0, elapsed  # about the timeout, not the 4 s the script takes
    assert [(s, a["echo"]) for s, a, _ in fast] == [(200, index) for index in range(10)]
    assert max(seconds for _, _, seconds in fast) < 0.5
    give_up = time.monotonic() + 15  # the abandoned call ends; its answer is dropped and the worker stays
    while "finished after" not in server.log.read_text(errors="replace") and time.monotonic() < give_up:
        time.sleep(0.2)
    assert server.live()
    status, answer, _ = server.post({"echo": "after"})
    assert (status, answer) == (200, {"pid": pid, "echo": "after"})
    log = server.log.read_text(errors="replace")
    assert "no answer within the request timeout (1000 ms): 408" in log
    assert re.search(r"a scoring call answered 408 finished after [4-9]\.\d s; its answer was dropped", log)
    assert '"POST /score HTTP/1.1" 408' in log  # the access log has it too
    assert "is replaced" not in log


@pytest.mark.slow
def test_a_worker_whose_overdue_calls_fill_its_threads_is_replaced(tiny_server) -> None:
    server = tiny_server(settings=SETTINGS)
    pid = server.post({})[1]["pid"]
    slow: list[tuple] = []
    callers = [threading.Thread(target=lambda: slow.append(server.post({"sleep": 600}))) for _ in range(2)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(timeout=30)
    assert [(status, elapsed < 3.0) for status, _, elapsed in slow] == [(408, True), (408, True)]

    # Served throughout: by the old worker until it notices (within a second), then by its replacement.
    answers = []
    give_up = time.monotonic() + 20
    while time.monotonic() < give_up and (not answers or answers[-1][1]["pid"] == pid):
        answers.append(server.post({"echo": len(answers)}))
    assert [(s, a["echo"]) for s, a, _ in answers] == [(200, index) for index in range(len(answers))]
    assert answers[-1][1]["pid"] != pid
    assert server.live()
    assert server.process.poll() is None  # the same server: gunicorn replaced its worker
    log = server.log.read_text(errors="replace")
    assert f"worker {pid} is replaced: 2 scoring calls are still running after their request timed out" in log
