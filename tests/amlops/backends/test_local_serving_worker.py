"""`request_timeout_ms` bounds a `run()` that outlives it under threaded workers: 408 at the timeout, others
served meanwhile, the worker replaced when overdue calls pile up (the middleware alone, then real servers)."""

from __future__ import annotations

import http.client
import json
import re
import threading
import time

import pytest

from amlops.backends.local.serving import ServerSettings
from amlops.backends.local.serving_worker import ConnectionBoard, Deadline

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

    deadline = Deadline(app, timeout_s=0.2, slots=2, warn=warnings.append)
    answers: list[tuple] = []

    def start_response(status, headers, exc_info=None):
        answers.append((status, dict(headers)))

    started = time.monotonic()
    body = deadline({"PATH_INFO": "/slow"}, start_response)
    assert 0.2 <= time.monotonic() - started < 1.0
    assert answers[-1][0] == "408 Request Timeout"
    assert b"did not answer within the request timeout (200 ms" in b"".join(body)
    assert len(deadline.overdue()) == 1

    assert b"".join(deadline({"PATH_INFO": "/fast"}, start_response)) == b"done"  # the other slot serves it
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


def test_a_request_without_a_scoring_slot_after_max_queue_wait_ms_is_answered_429() -> None:
    release = threading.Event()
    called: list[str] = []

    def app(environ, start_response):
        called.append(environ["PATH_INFO"])
        if environ["PATH_INFO"] == "/slow":
            release.wait(10)
        start_response("200 OK", [])
        return [b"ok"]

    deadline = Deadline(app, timeout_s=5, slots=1, max_wait_s=0.3)
    answers: list[tuple] = []

    def start_response(status, headers, exc_info=None):
        answers.append((status, dict(headers)))

    holder = threading.Thread(
        target=lambda: deadline({"REQUEST_METHOD": "POST", "PATH_INFO": "/slow"}, start_response)
    )
    holder.start()
    time.sleep(0.1)  # the slow call has the only slot
    started = time.monotonic()
    body = b"".join(deadline({"REQUEST_METHOD": "POST", "PATH_INFO": "/score"}, start_response))
    assert 0.3 <= time.monotonic() - started < 1.0
    assert answers[-1][0] == "429 Too Many Requests"
    assert answers[-1][1]["Retry-After"] == "1"
    assert (
        "no scoring slot of 1 came free within 300 ms (request_settings.max_queue_wait_ms)" in body.decode()
    )
    assert called == ["/slow"]  # the refused request never reached the scoring script
    liveness = deadline({"REQUEST_METHOD": "GET", "PATH_INFO": "/"}, start_response)
    assert b"".join(liveness) == b"ok"  # the liveness probe needs no slot
    release.set()
    holder.join(5)
    assert b"".join(deadline({"REQUEST_METHOD": "POST", "PATH_INFO": "/score"}, start_response)) == b"ok"
    assert called == ["/slow", "/", "/score"]


@pytest.mark.slow
def test_a_full_server_answers_429_and_slow_clients_take_no_slot(tiny_server) -> None:
    """One worker with one scoring slot: a stalled client (headers and half a body) holds a reading thread,
    not the slot, so a request sent after it is served; while a slow call holds the slot, a request that waits
    beyond max_queue_wait_ms is refused 429 (as Azure's front end answers a deployment at capacity)."""
    import socket

    settings = ServerSettings(workers=1, threads=1, request_timeout_ms=5000, max_queue_wait_ms=300)
    server = tiny_server(settings=settings)
    stalled = socket.create_connection(("127.0.0.1", server.port))
    stalled.sendall(
        b"POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    )
    time.sleep(0.2)
    status, answer, elapsed = server.post({"echo": "beside the stalled client"})
    assert (status, answer["echo"]) == (200, "beside the stalled client")
    assert elapsed < 0.3
    stalled.close()  # its reading thread is free again
    slow: list[tuple] = []
    holder = threading.Thread(target=lambda: slow.append(server.post({"sleep": 1.5, "echo": "slow"})))
    holder.start()
    time.sleep(0.3)  # the slow call has the slot
    status, answer, elapsed = server.post({"echo": "queued"})
    holder.join()
    assert slow[0][0] == 200
    assert status == 429, answer
    assert "at capacity" in answer["error"]
    assert 0.3 <= elapsed < 1.2
    assert server.post({"echo": "after"})[:2] == (200, {"pid": slow[0][1]["pid"], "echo": "after"})


def test_the_connection_board_sees_live_workers_other_than_the_asking_one() -> None:
    board = ConnectionBoard(slots=4)
    assert board.fewest_elsewhere(0, now=100.0) is None  # alone
    board.post(0, pid=11, connections=8, now=100.0)
    board.post(1, pid=12, connections=3, now=100.0)
    board.post(2, pid=13, connections=1, now=90.0)  # its heartbeat is stale: a worker gone
    assert board.fewest_elsewhere(0, now=100.5) == 3
    assert board.fewest_elsewhere(1, now=100.5) == 8
    board.post(6, pid=14, connections=0, now=100.4)  # slot 6 of 4 is slot 2: a replacement worker
    assert board.fewest_elsewhere(0, now=100.5) == 0
    board.clear(2)
    assert board.fewest_elsewhere(0, now=100.5) == 3


@pytest.mark.slow
def test_keep_alive_connections_opened_at_once_are_spread_over_the_workers(tiny_server) -> None:
    server = tiny_server(settings=ServerSettings(workers=2, threads=4, request_timeout_ms=5000))
    seen: set[int] = set()
    give_up = time.monotonic() + 60
    while len(seen) < 2 and time.monotonic() < give_up:  # both workers are up
        seen.add(server.post({})[1]["pid"])
        time.sleep(0.05)
    assert len(seen) == 2
    time.sleep(1.5)  # both have posted their connections (they do at least once a second)
    for _ in range(3):  # random accepts pass one round of 16 in two, all three in six
        connections = [http.client.HTTPConnection("127.0.0.1", server.port, timeout=30) for _ in range(16)]
        for connection in connections:
            connection.connect()  # all at once, as wrk and connection pools open them
        pids = []
        for index, connection in enumerate(connections):
            headers = {"Content-Type": "application/json"}
            connection.request("POST", "/score", json.dumps({"echo": index}), headers)
            pids.append(json.loads(connection.getresponse().read())["pid"])
        for connection in connections:
            connection.close()
        counts = sorted((pids.count(pid) for pid in seen), reverse=True)
        assert counts[0] - counts[1] <= 2, counts  # greedy accepts: 8+0 of wrk's 8 as often as not
        time.sleep(1.5)  # the closed connections are off the board
