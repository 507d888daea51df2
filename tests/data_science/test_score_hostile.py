"""The scoring script under the real Azure ML inference server, fed the hostile corpus: every case gets the
4xx it must, a JSON error naming the field and the problem, and the server keeps answering after each."""

from __future__ import annotations

import contextlib
import http.client
import json
import shutil
import socket
import threading
from collections.abc import Iterator, Mapping

import pytest

from amlops import processes
from amlops.backends.local.endpoints import launch_inference_server
from amlops.backends.local.serving import ServerSettings

from .conftest import DATA_SCIENCE
from .hostile_corpus import ANY, Case, corpus, good_body, oversized_cases

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def port(taxi_trained, tmp_path_factory) -> Iterator[int]:
    folder = tmp_path_factory.mktemp("hostile")
    log = folder / "server.log"
    # The deployment's own copy of the code, as a deployment has (its init() writes swagger.json there).
    code = shutil.copytree(
        DATA_SCIENCE / "src", folder / "code", ignore=shutil.ignore_patterns("__pycache__")
    )
    process, port = launch_inference_server(
        code,
        code / "datascience" / "score.py",
        taxi_trained.bundle,
        log,
        label="hostile-corpus",
        settings=ServerSettings(workers=1, threads=4, request_timeout_ms=5_000),
    )
    try:
        yield port
    finally:
        processes.stop(process.pid, reap=process.poll)
        process.wait(timeout=30)
    assert "Encountered Exception" not in log.read_text(errors="replace")  # what a failing run() logs


def exchange(
    port: int, method: str, path: str, headers: Mapping[str, str], body: bytes, *, timeout: float = 30
) -> tuple[int, dict, Mapping[str, str]]:
    """One raw HTTP/1.1 request; the body is sent from a thread while the response is read, so an early
    answer (413 before the body is read) reaches the caller even when the server stops reading."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    payload = ("\r\n".join(lines) + "\r\n\r\n").encode() + body

    def send() -> None:
        with contextlib.suppress(OSError):  # the server answered and stopped reading
            sock.sendall(payload)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        response = http.client.HTTPResponse(sock, method=method)
        response.begin()
        raw = response.read()
        status, response_headers = response.status, dict(response.getheaders())
    finally:
        sock.close()
        sender.join(timeout=timeout)
    is_json = response_headers.get("Content-Type", "").startswith("application/json")
    return (
        status,
        (json.loads(raw) if raw and is_json else {"text": raw.decode(errors="replace")}),
        response_headers,
    )


def assert_healthy(port: int) -> None:
    status, _, _ = exchange(port, "GET", "/", {}, b"")
    assert status == 200
    status, body, _ = exchange(port, "POST", "/score", {"Content-Type": "application/json"}, good_body())
    assert status == 200, body
    assert len(body["predictions"]) == 1


def check(port: int, case: Case) -> None:
    status, body, _ = exchange(port, case.method, case.path, case.headers, case.body)
    assert status == case.status, body
    message = body.get("error") or body.get("message") or ""
    assert case.fragment in message, body
    if case.field is not ANY:
        assert body.get("field") == case.field, body
    assert_healthy(port)


def test_the_corpus_is_large_and_distinct() -> None:
    cases = corpus() + oversized_cases()
    assert len(cases) >= 100
    assert len({c.name for c in cases}) == len(cases)


@pytest.mark.parametrize("case", corpus(), ids=lambda c: c.name)
def test_hostile_request_gets_a_4xx_naming_the_problem(port: int, case: Case) -> None:
    check(port, case)


@pytest.mark.parametrize("case", oversized_cases(), ids=lambda c: c.name)
def test_oversized_body_gets_413(port: int, case: Case) -> None:
    check(port, case)


def test_chunked_body_over_the_limit_gets_413_while_it_is_read(port: int) -> None:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        b"POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    chunk = b" " * 65_536
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"

    def send() -> None:
        with contextlib.suppress(OSError):
            sock.sendall(head + framed * 100)  # 6.5 MB, no declared length

    threading.Thread(target=send, daemon=True).start()
    response = http.client.HTTPResponse(sock, method="POST")
    response.begin()
    body = json.loads(response.read())
    sock.close()
    assert response.status == 413
    assert "larger than" in body["error"]
    assert_healthy(port)


def test_wrong_method_names_the_allowed_one(port: int) -> None:
    status, body, headers = exchange(port, "GET", "/score?data=[1]", {}, b"")
    assert (status, headers.get("Allow")) == (405, "POST")
    assert body["error"] == "method GET is not allowed on /score; send the request with POST"


def test_a_good_request_in_both_shapes_still_scores(port: int) -> None:
    status, rows, _ = exchange(port, "POST", "/score", {"Content-Type": "application/json"}, good_body(3))
    assert status == 200
    assert len(rows["predictions"]) == 3
    from .hostile_corpus import COLUMNS, GOOD_ROW

    split = {"input_data": {"columns": COLUMNS, "data": [[GOOD_ROW[c] for c in COLUMNS]] * 3}}
    headers = {"Content-Type": "application/json; charset=utf-8"}
    status, body, _ = exchange(port, "POST", "/score", headers, json.dumps(split).encode())
    assert (status, body) == (200, rows)


@pytest.mark.parametrize(("query", "where"), [("", "definitions"), ("?version=3", "components")])
def test_swagger_describes_the_contract(port, contract, query, where) -> None:
    """/swagger.json (Swagger 2, or OpenAPI 3 with ?version=3) describes the request from the contract."""
    import jsonschema

    status, document, _ = exchange(port, "GET", f"/swagger.json{query}", {}, b"")
    assert status == 200
    schemas = document["definitions"] if where == "definitions" else document["components"]["schemas"]
    request = schemas["ServiceInput"]
    rows = request["properties"]["data"]["items"]
    assert rows["required"] == [c.name for c in contract.input_columns]
    assert rows["properties"]["pickup_zone"]["enum"] == list(contract.column("pickup_zone").categories)
    assert rows["properties"]["passenger_count"]["type"] == "integer"
    assert request["properties"]["data"]["maxItems"] == 10_000
    assert schemas["ServiceOutput"]["properties"]["predictions"]["items"] == {"type": "number"}
    assert set(schemas["ErrorResponse"]["properties"]) == {"error", "field", "row", "problems"}
    assert "/score" in document["paths"]
    # The example is the model's smoke request, and it fits the schema it illustrates.
    jsonschema.validate(request["example"], request)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"data": [{**request["example"]["data"][0], "pickup_zone": "Atlantis"}]}, request)
