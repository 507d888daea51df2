"""Serving throughput: the local online endpoint against `mlflow models serve` of the same model, under wrk.

Reference: `mlflow models serve --env-manager local` of the fitted scikit-learn pipeline the ONNX bundle was
converted from (MLflow's own scoring server, the thing a user would otherwise run). Measured on the same
machine in the same run, after a warm-up, for every request size of `--rows` (default 1, 100 and 10,000
rows, valid rows of the sample data) at every concurrency of `--connections` (default 1 and 8):

- mlflow            POST /invocations {"dataframe_records": [model features]}   (reference, ratio 1.00)
- local, N workers  POST /score {"data": [raw rows]} to the local endpoint (the real Azure ML inference server
                    behind `amlops deploy-online`), the project's deployment spec with `instance_count: N`
                    and its endpoint spec beside it: key auth on (the primary key is sent) and the spec's
                    `data_collector` logging every scored request, as deployed
- local, N workers, no data collector   the same spec without `data_collector` (`--no-collector-workers`)
- bare onnxruntime  `InferenceSession.run` in this process on the same rows' ONNX inputs, built once
                    (`records_feed`), one intra-op thread as the bundle's `OnnxModel` sets: no HTTP, no JSON,
                    no checks; the "x bare" column is the endpoint's rows/s over this loop's

wrk drives each server with 2 threads (1 at concurrency 1) for `--seconds` seconds (timeout 30 s) and
reports requests per second, p50 and p99 latency and errors (non-2xx responses and socket errors); rows/s
is requests/s times rows per request. Halfway through each cell the connections each server process holds
are counted (psutil): gunicorn's threaded workers accept greedily, and a cell whose 8 connections all sit on
one of two workers measures half the server. Issue 14's goal: >= 20x mlflow at concurrency 8 (single-row), p99
<= 10 ms, 0 errors; the script says whether each server meets it.

Then the hostile mix (`--hostile-seconds`, default 60; 0 skips it) on the last worker count of `--workers`:
8 threads of a Python load generator (http.client) send valid single-row requests on keep-alive connections
and every tenth request one case of `tests/data_science/hostile_corpus.py` (its `corpus()` and
`oversized_cases()`, plus a missing and a bogus key), each on a fresh connection whose body is sent from a
helper thread while the answer is read (an oversize body is answered 413 before it is read; wrk could not
tell that answer from a reset connection). It reports errors on the valid requests, and 2xx / 4xx / 5xx /
no answer / not the expected status on the hostile ones, and the count of tracebacks in the server log.

Prints tables; asserts nothing. Needs wrk (`apt-get install wrk`; `make bench` installs it).

    uv run --frozen python bench/serving_bench.py [--seconds S] [--connections 1,8] [--rows 1,100,10000]
        [--workers 1,2] [--no-collector-workers 2] [--hostile-seconds 60]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import http.client
import importlib.util
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from scoring_bench import CONTRACT, DEPLOYMENT_SPEC, ROOT, SAMPLE, build_bundle  # noqa: E402 (a sibling script)

from amlops.backends.local.endpoints import free_port, http_get  # noqa: E402 (the endpoints' own probes)

WRK_THREADS = 2
WRK_TIMEOUT = "30s"
HOSTILE_CONNECTIONS = 8
HOSTILE_EVERY = 10  # one request in ten is hostile
HOSTILE_CORPUS = ROOT / "tests" / "data_science" / "hostile_corpus.py"
ENDPOINT_SPEC = DEPLOYMENT_SPEC.parent / "online-endpoint.yml"
GOAL_RATIO, GOAL_P99_MS = 20.0, 10.0
MLFLOW = "mlflow models serve"


@dataclass(frozen=True)
class Figure:
    requests_per_s: float  # requests answered 2xx per second
    p99_ms: float
    errors: int  # non-2xx answers and socket errors
    p50_ms: float = float("nan")
    rows: int = 1
    load: float = float("nan")  # 1-minute load average right after the measurement
    too_many: int = 0  # of the errors, answers 429 (waited longer than max_queue_wait_ms for a thread)
    spread: tuple[int, ...] = ()  # wrk's connections held by each server process, midway, most first

    @property
    def spread_text(self) -> str:
        return "+".join(map(str, self.spread)) or "-"

    @property
    def rows_per_s(self) -> float:
        return self.requests_per_s * self.rows


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def parse_wrk(output: str) -> Figure:
    """Requests/sec, the 50 % and 99 % latency lines of `--latency` and the non-2xx/socket error counts of
    wrk's report; with `STATUS_LUA`'s lines, requests/sec counts the 2xx answers only."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s*50%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if rate is None or p99 is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", output))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    statuses = {int(code): int(n) for code, n in re.findall(r"^STATUS (\d+) (\d+)$", output, re.MULTILINE)}
    duration = re.search(r"^DURATION_US (\d+)$", output, re.MULTILINE)
    per_s = float(rate.group(1))
    if duration and statuses:
        per_s = sum(n for code, n in statuses.items() if code // 100 == 2) / (int(duration.group(1)) / 1e6)
    return Figure(
        per_s,
        _ms(p99.group(1), p99.group(2)),
        errors,
        p50_ms=_ms(p50.group(1), p50.group(2)) if p50 else float("nan"),
        too_many=statuses.get(429, 0),
    )


# Counts the answers by status in every wrk thread and prints them (and the run's duration) at the end.
STATUS_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + n end
  end
  for status, n in pairs(total) do io.write(string.format("STATUS %d %d\\n", status, n)) end
  io.write(string.format("DURATION_US %d\\n", summary.duration))
end
"""


def connection_spread(port: int) -> tuple[int, ...]:
    """How many established connections to `port` each process holds (most first): gunicorn's threaded
    workers accept greedily, so a run's keep-alive connections may all sit on one worker."""
    import psutil

    holders: dict[int, int] = {}
    for connection in psutil.net_connections(kind="tcp"):
        local = connection.laddr
        if connection.status == psutil.CONN_ESTABLISHED and local and local.port == port and connection.pid:
            holders[connection.pid] = holders.get(connection.pid, 0) + 1
    return tuple(sorted(holders.values(), reverse=True))


def wrk(
    url: str,
    body: bytes,
    seconds: int,
    connections: int,
    work: Path,
    *,
    headers: Mapping[str, str] | None = None,
    rows: int = 1,
) -> Figure:
    """`seconds` of POSTs of `body` to `url` from `connections` connections, after a 2 s warm-up."""
    body_file = work / f"body-{len(body)}.json"
    body_file.write_bytes(body)
    script = work / "post.lua"
    lines = [
        'wrk.method = "POST"',
        f"local file = assert(io.open({json.dumps(str(body_file))}, 'rb'))",
        "wrk.body = file:read('*a')",
        "file:close()",
    ]
    for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
        lines.append(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}")
    script.write_text("\n".join(lines) + "\n" + STATUS_LUA, encoding="utf-8")
    threads = min(WRK_THREADS, connections)
    base = ["wrk", "-t", str(threads), "-c", str(connections), "-s", str(script), "--latency"]
    base += ["--timeout", WRK_TIMEOUT]
    subprocess.run([*base, "-d", "2s", url], capture_output=True, check=True)  # warm-up
    answers(url, body, headers)  # what the warm-up left in flight is done
    port = int(url.split("://", 1)[1].split("/", 1)[0].rpartition(":")[2])
    spread: list[tuple[int, ...]] = []
    sampler = threading.Timer(seconds / 2, lambda: spread.append(connection_spread(port)))
    sampler.start()
    done = subprocess.run([*base, "-d", f"{seconds}s", url], capture_output=True, text=True, check=True)
    sampler.join()
    figure = parse_wrk(done.stdout)
    return dataclasses.replace(figure, rows=rows, load=os.getloadavg()[0], spread=spread[0] if spread else ())


def answers(url: str, body: bytes, headers: Mapping[str, str] | None = None, wait_s: float = 60) -> None:
    """POST `body` until it is answered 200, waiting out 429s (a server still busy) for up to `wait_s`."""
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json", **(headers or {})}
    )
    deadline = time.monotonic() + wait_s
    while True:
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()
                return
        except urllib.error.HTTPError as error:
            if error.code != 429 or time.monotonic() > deadline:
                raise RuntimeError(f"{url} answered {error.code}: {error.read()[:500]!r}") from None
            time.sleep(0.5)


def serve_mlflow(model_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    mlflow = Path(sys.executable).parent / "mlflow"
    argv = [str(mlflow), "models", "serve", "-m", str(model_dir), "--env-manager", "local", "-p", str(port)]
    env = {  # mlflow starts `uvicorn` by name: this environment's bin first
        **os.environ,
        "PATH": f"{mlflow.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow models serve exited with {process.returncode}:\n{log.read_text()}")
        if http_get(f"http://127.0.0.1:{port}/ping") == 200:
            return process, f"http://127.0.0.1:{port}/invocations"
        time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"mlflow models serve was not ready within 120 s:\n{log.read_text()}")


def local_spec(workers: int, work: Path, *, collector: bool = True) -> Path:
    """The project's deployment spec with `instance_count: workers` (without `data_collector` unless
    `collector`), beside a copy of the endpoint spec (key auth), pointing at the project's code."""
    spec = yaml.safe_load(DEPLOYMENT_SPEC.read_text(encoding="utf-8"))
    spec["instance_count"] = workers
    spec["code_configuration"]["code"] = str(DEPLOYMENT_SPEC.parent / spec["code_configuration"]["code"])
    spec["environment"]["conda_file"] = str(DEPLOYMENT_SPEC.parent / spec["environment"]["conda_file"])
    if not collector:
        spec.pop("data_collector", None)
    folder = work / f"spec-{workers}{'' if collector else '-nocollect'}"
    folder.mkdir(parents=True, exist_ok=True)
    if ENDPOINT_SPEC.is_file():
        shutil.copyfile(ENDPOINT_SPEC, folder / ENDPOINT_SPEC.name)
    path = folder / "deployment.yml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def valid_rows(count: int) -> tuple[Any, list[dict[str, Any]]]:
    """`count` rows of the sample data that the scoring script accepts (repeated if there are fewer): the
    raw frame (for the reference's model features) and the same rows as scoring records."""
    import pandas as pd
    from datascience.contract import load_contract
    from datascience.features import record_problems, request_records

    contract = load_contract(CONTRACT)
    frame = pd.read_parquet(SAMPLE).drop(columns=[contract.target])
    records = request_records(frame, contract)
    refused = {problem.row for problem in record_problems(records, contract)}
    keep = [i for i in range(len(records)) if i not in refused]
    keep = list(itertools.islice(itertools.cycle(keep), count))
    return frame.iloc[keep].reset_index(drop=True), [records[i] for i in keep]


def bare_onnx_rows_per_s(bundle: Path, records: Sequence[Mapping[str, Any]], seconds: float = 2.0) -> float:
    """Rows/s of `InferenceSession.run` over the ONNX inputs of `records`, built once (no HTTP, no JSON)."""
    from datascience.bundle import OnnxModel
    from datascience.features import records_feed

    model = OnnxModel.from_bundle(bundle)
    feed = records_feed(records, model.contract)
    model.session.run(None, feed)  # warm-up
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds or calls < 5:
        model.session.run(None, feed)
        calls += 1
    return calls * len(records) / elapsed


# --- the hostile mix --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    name: str
    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    status: int  # what it must get
    send_key: bool = True


def hostile_requests(valid_body: bytes, *, with_keys: bool) -> list[Hostile]:
    """The corpus of `tests/data_science/hostile_corpus.py` (loaded by path, it is no package), plus a missing
    and a bogus key when the endpoint asks for one."""
    spec = importlib.util.spec_from_file_location("hostile_corpus", HOSTILE_CORPUS)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {HOSTILE_CORPUS}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["hostile_corpus"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    cases = [
        Hostile(c.name, c.method, c.path, dict(c.headers), c.body, c.status)
        for c in [*module.corpus(), *module.oversized_cases()]
    ]
    if with_keys:
        json_type = {"Content-Type": "application/json"}
        cases.append(Hostile("no key", "POST", "/score", json_type, valid_body, 401, send_key=False))
        bogus = {**json_type, "Authorization": "Bearer not-the-key"}
        cases.append(Hostile("bogus key", "POST", "/score", bogus, valid_body, 401, send_key=False))
    return cases


def exchange(port: int, case: Hostile, auth: Mapping[str, str], timeout: float = 30) -> int:
    """One request on a fresh connection, the body sent from a thread while the answer is read; the status."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    headers = {**(auth if case.send_key else {}), **case.headers}
    lines = [
        f"{case.method} {case.path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Content-Length: {len(case.body)}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    payload = ("\r\n".join(lines) + "\r\n\r\n").encode() + case.body

    def send() -> None:
        with contextlib.suppress(OSError):  # the server answered and stopped reading
            sock.sendall(payload)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        response = http.client.HTTPResponse(sock, method=case.method)
        response.begin()
        response.read()
        return response.status
    finally:
        sock.close()
        sender.join(timeout=timeout)


@dataclass
class Mix:
    valid_sent: int = 0
    valid_ok: int = 0
    valid_errors: dict[str, int] = field(default_factory=dict)
    valid_latencies_ms: list[float] = field(default_factory=list)
    hostile_sent: int = 0
    hostile_status: dict[int, int] = field(default_factory=dict)
    hostile_no_answer: int = 0
    unexpected: dict[str, str] = field(default_factory=dict)  # case -> what it got instead
    seconds: float = 0.0
    tracebacks: int = 0
    traceback_sample: str = ""  # the first traceback of the server log, in short
    healthy_after: bool = False
    load: float = float("nan")

    def count(self, status_class: int) -> int:
        return sum(n for status, n in self.hostile_status.items() if status // 100 == status_class)


def hostile_mix(
    port: int, auth: Mapping[str, str], valid_body: bytes, cases: Sequence[Hostile], seconds: float
) -> Mix:
    mix, lock = Mix(), threading.Lock()
    next_case = itertools.count()
    deadline = time.monotonic() + seconds
    headers = {"Content-Type": "application/json", **auth}

    def worker(offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for n in itertools.count(offset):
            if time.monotonic() >= deadline:
                break
            if n % HOSTILE_EVERY == HOSTILE_EVERY - 1:
                case = cases[next(next_case) % len(cases)]
                try:
                    status: int | None = exchange(port, case, auth)
                except (OSError, http.client.HTTPException):
                    status = None
                with lock:
                    mix.hostile_sent += 1
                    if status is None:
                        mix.hostile_no_answer += 1
                    else:
                        mix.hostile_status[status] = mix.hostile_status.get(status, 0) + 1
                    if status != case.status:
                        mix.unexpected[case.name] = f"{status} (expected {case.status})"
                continue
            started = time.perf_counter()
            problem = None
            try:
                connection.request("POST", "/score", valid_body, headers)
                response = connection.getresponse()
                answer = response.read()
                if response.status != 200:
                    problem = f"HTTP {response.status}"
                elif len(json.loads(answer).get("predictions", ())) != 1:
                    problem = "no prediction"
            except (OSError, http.client.HTTPException, ValueError) as error:
                problem = type(error).__name__
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            elapsed_ms = (time.perf_counter() - started) * 1e3
            with lock:
                mix.valid_sent += 1
                if problem is None:
                    mix.valid_ok += 1
                    mix.valid_latencies_ms.append(elapsed_ms)
                else:
                    mix.valid_errors[problem] = mix.valid_errors.get(problem, 0) + 1
        connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(HOSTILE_CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    mix.seconds = time.monotonic() - started
    mix.load = os.getloadavg()[0]
    return mix


def tracebacks(folder: Path) -> tuple[int, str]:
    """How many tracebacks the server logs in `folder` hold (rotated ones included), and the last one in
    short: the line before it and its exception line."""
    marker = "Traceback (most recent call last)"
    count, sample = 0, ""
    for path in sorted(folder.glob("*.log*"), key=lambda p: p.stat().st_mtime):
        text = path.read_text(errors="replace")
        count += text.count(marker)
        if marker in text:
            head, tail = text[: text.rindex(marker)].splitlines(), text[text.rindex(marker) :].splitlines()
            last = next((line for line in tail[1:] if line and not line.startswith(" ")), "")
            sample = f"{head[-1] if head else ''} ... {last}".strip()
    return count, sample


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


# --- the run ----------------------------------------------------------------------------------------


def _ints(text: str) -> list[int]:
    return [int(n) for n in text.split(",") if n.strip()]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15, help="measured seconds per server and cell")
    parser.add_argument("--connections", default="1,8", help="concurrent connections (comma-separated)")
    parser.add_argument("--rows", default="1,100,10000", help="rows per request (comma-separated)")
    parser.add_argument("--workers", default="1,2", help="local endpoint worker counts")
    parser.add_argument(
        "--no-collector-workers",
        default="2",
        help="worker counts also measured without the spec's data_collector (empty: none)",
    )
    parser.add_argument(
        "--hostile-seconds", type=int, default=60, help="seconds of the hostile mix (0: skip it)"
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("serving_bench: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    connections, sizes, workers = _ints(args.connections), _ints(args.rows), _ints(args.workers)
    uncollected = _ints(args.no_collector_workers)

    import mlflow.sklearn
    from datascience.bundle import CONTRACT_FILE
    from datascience.contract import load_contract
    from datascience.features import model_frame

    from amlops.backends.base import ModelVersion
    from amlops.backends.local.endpoints import OnlineEndpoints

    work = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    endpoints = OnlineEndpoints(work / "state")
    figures: dict[tuple[str, int, int], Figure] = {}
    servers: list[str] = []
    bare: dict[int, float] = {}
    mix: Mix | None = None
    hostile_server = ""
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    try:
        pipeline, _, _ = build_bundle(work / "bundle")
        contract = load_contract(work / "bundle" / CONTRACT_FILE)
        frame, records = valid_rows(max(sizes))
        # the model as this machine wrote it: pickled, as MLflow did by default before skops
        mlflow.sklearn.save_model(pipeline, work / "mlflow-model", serialization_format="cloudpickle")
        reference_bodies = {
            n: json.dumps(
                {
                    "dataframe_records": json.loads(
                        model_frame(frame.head(n), contract).to_json(orient="records", date_format="iso")
                    )
                }
            ).encode()
            for n in sizes
        }
        local_bodies = {n: json.dumps({"data": records[:n]}).encode() for n in sizes}
        single_row = json.dumps({"data": records[:1]}).encode()
        for n in sizes:
            bare[n] = bare_onnx_rows_per_s(work / "bundle", records[:n])

        def measure(name: str, url: str, bodies: Mapping[int, bytes], headers: Mapping[str, str]) -> None:
            servers.append(name)
            for n in sizes:
                answers(url, bodies[n], headers)
                for c in connections:
                    figure = wrk(url, bodies[n], args.seconds, c, work, headers=headers, rows=n)
                    figures[(name, n, c)] = figure
                    print(
                        f"  {name}, {n} row(s), {c} connection(s): {figure.requests_per_s:.1f} req/s, "
                        f"p99 {figure.p99_ms:.1f} ms, {figure.errors} errors, load {figure.load:.2f}, "
                        f"connections per process {figure.spread_text}",
                        flush=True,
                    )

        process, url = serve_mlflow(work / "mlflow-model", work / "mlflow.log")
        try:
            measure(MLFLOW, url, reference_bodies, {})
        finally:
            os.killpg(process.pid, 15)
            process.wait(timeout=30)

        variants = [(n, True) for n in workers] + [(n, False) for n in uncollected]
        for index, (count, collector) in enumerate(variants):
            name = f"local, {count} worker(s)" + ("" if collector else ", no data collector")
            endpoint = f"bench-{index}"
            deployment = endpoints.create_deployment(
                endpoint,
                "blue",
                ModelVersion(name="bench", version="1"),
                model_dir=work / "bundle",
                deployment_spec=local_spec(count, work, collector=collector),
            )
            try:
                key = endpoints.keys(endpoint).get("primaryKey")
                auth = {"Authorization": f"Bearer {key}"} if key else {}
                measure(name, deployment.scoring_uri, local_bodies, auth)
                if args.hostile_seconds > 0 and collector and count == workers[-1]:
                    hostile_server = name
                    port = int(deployment.scoring_uri.split(":")[2].split("/")[0])
                    cases = hostile_requests(single_row, with_keys=bool(key))
                    print(f"  hostile mix on {name}: {len(cases)} cases", flush=True)
                    logs = endpoints.root / endpoint  # blue.log and its rotated files
                    before, _ = tracebacks(logs)
                    mix = hostile_mix(port, auth, single_row, cases, args.hostile_seconds)
                    mix.healthy_after = http_get(f"http://127.0.0.1:{port}/") == 200
                    after, mix.traceback_sample = tracebacks(logs)
                    mix.tracebacks = after - before
            finally:
                endpoints.delete(endpoint)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    report(
        figures=figures,
        servers=servers,
        bare=bare,
        sizes=sizes,
        connections=connections,
        seconds=args.seconds,
    )
    if mix is not None:
        report_mix(mix, hostile_server)
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


def _ratio(value: float, reference: float, digits: int = 2) -> str:
    return f"{value / reference:.{digits}f}" if reference > 0 else "-"


def report(
    *,
    figures: Mapping[tuple[str, int, int], Figure],
    servers: Sequence[str],
    bare: Mapping[int, float],
    sizes: Sequence[int],
    connections: Sequence[int],
    seconds: int,
) -> None:
    print(f"\n{seconds} s per cell after a 2 s warm-up; req/s, rows/s: 2xx answers; p50, p99: all answers")
    print("x mlflow: req/s over mlflow's (same rows and conc); x bare: rows/s over the bare loop's")
    print("conns: wrk's connections held by each server process halfway through the cell (8+0: one worker")
    print("took them all and the other idled)")
    for n in sizes:
        print(f"bare onnxruntime loop, {n} row(s) per run: {bare[n]:,.0f} rows/s")
    head = f"{'server':<40} {'rows':>6} {'conc':>4} {'req/s':>8} {'rows/s':>10} {'p50 ms':>8} {'p99 ms':>8}"
    print(f"{head} {'errors':>6} {'429':>5} {'x mlflow':>8} {'x bare':>7} {'load':>5} {'conns':>7}")
    for name in servers:
        for n in sizes:
            for c in connections:
                f = figures[(name, n, c)]
                ratio = _ratio(f.requests_per_s, figures[(MLFLOW, n, c)].requests_per_s)
                print(
                    f"{name:<40} {n:>6} {c:>4} {f.requests_per_s:>8.1f} {f.rows_per_s:>10,.0f} "
                    f"{f.p50_ms:>8.2f} {f.p99_ms:>8.2f} {f.errors:>6} {f.too_many:>5} {ratio:>8} "
                    f"{_ratio(f.rows_per_s, bare[n], 3):>7} {f.load:>5.2f} {f.spread_text:>7}"
                )
    if 1 not in sizes or 8 not in connections:
        return
    reference = figures[(MLFLOW, 1, 8)]
    for name in servers[1:]:
        f = figures[(name, 1, 8)]
        ratio = f.requests_per_s / reference.requests_per_s if reference.requests_per_s else float("inf")
        met = ratio >= GOAL_RATIO and f.p99_ms <= GOAL_P99_MS and f.errors == 0
        others = sum(figures[(name, n, c)].errors for n in sizes for c in connections) - f.errors
        print(
            f"goal (1 row, conc 8: >= {GOAL_RATIO:g}x mlflow, p99 <= {GOAL_P99_MS:g} ms, 0 errors), {name}: "
            f"{ratio:.1f}x, p99 {f.p99_ms:.1f} ms, {f.errors} errors: {'met' if met else 'NOT met'} "
            f"({others} errors in its other cells)"
        )


def report_mix(mix: Mix, server: str) -> None:
    print(
        f"\nhostile mix on {server}: {HOSTILE_CONNECTIONS} threads, {mix.seconds:.0f} s, load {mix.load:.2f}"
    )
    rate = (mix.valid_sent + mix.hostile_sent) / mix.seconds
    errors = sum(mix.valid_errors.values())
    print(
        f"valid:   {mix.valid_sent} sent ({rate:.0f} req/s in all), {mix.valid_ok} answered 200, "
        f"{errors} errors {dict(mix.valid_errors) or ''}, "
        f"p50 {percentile(mix.valid_latencies_ms, 0.5):.1f} ms, "
        f"p99 {percentile(mix.valid_latencies_ms, 0.99):.1f} ms"
    )
    print(
        f"hostile: {mix.hostile_sent} sent, {mix.count(4)} x 4xx, {mix.count(5)} x 5xx, "
        f"{mix.count(2)} x 2xx, "
        f"{mix.hostile_no_answer} without an answer; by status {dict(sorted(mix.hostile_status.items()))}"
    )
    for name, got in sorted(mix.unexpected.items()):
        print(f"  not the expected status: {name}: {got}")
    print(f"tracebacks in the server log during the mix: {mix.tracebacks}; healthy: {mix.healthy_after}")
    if mix.tracebacks:
        print(f"  the last: {mix.traceback_sample}")
    met = errors == 0 and mix.count(5) == 0
    print(f"goal (0 errors on the valid requests, 0 x 5xx): {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    raise SystemExit(main())
