"""Serving throughput: the local online endpoint against `mlflow models serve` of the same model, under wrk.

Reference: `mlflow models serve --env-manager local` of the fitted scikit-learn pipeline the ONNX bundle was
converted from (MLflow's own scoring server, the thing a user would otherwise run). Measured on the same
machine in the same run, single-row requests, after a warm-up:

- mlflow            POST /invocations {"dataframe_records": [model features]}   (reference, ratio 1.00)
- local, N workers  POST /score {"data": [raw row]} to the local endpoint (the real Azure ML inference server
                    behind `amlops deploy-online`), `instance_count: N` in the deployment spec, the spec's
                    `max_concurrent_requests_per_instance` threads per worker

wrk drives each server with 2 threads and `--connections` connections for `--seconds` seconds and reports
requests per second and the 99th-percentile latency; the ratio is requests per second against the
reference's. Prints a table; asserts nothing. Needs wrk (`apt-get install wrk`; `make bench` installs it).

    uv run --frozen python bench/serving_bench.py [--seconds S] [--connections C] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from scoring_bench import DEPLOYMENT_SPEC, build_bundle  # noqa: E402 (a sibling script, not a package)

from amlops.backends.local.endpoints import free_port, http_get  # noqa: E402 (the endpoints' own probes)

WRK_THREADS = 2


@dataclass(frozen=True)
class Figure:
    requests_per_s: float
    p99_ms: float
    errors: int


def parse_wrk(output: str) -> Figure:
    """Requests/sec, the 99 % latency line of `--latency` and the non-2xx/socket error counts of wrk's
    report."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99 = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if rate is None or p99 is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[p99.group(2)]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", output))
    errors += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    return Figure(float(rate.group(1)), float(p99.group(1)) * scale, errors)


def wrk(url: str, body: bytes, seconds: int, connections: int, work: Path) -> Figure:
    script = work / "post.lua"
    script.write_text(
        f'wrk.method = "POST"\nwrk.body = {json.dumps(body.decode())}\n'
        'wrk.headers["Content-Type"] = "application/json"\n',
        encoding="utf-8",
    )
    base = ["wrk", "-t", str(WRK_THREADS), "-c", str(connections), "-s", str(script), "--latency"]
    subprocess.run([*base, "-d", "2s", url], capture_output=True, check=True)  # warm-up
    done = subprocess.run([*base, "-d", f"{seconds}s", url], capture_output=True, text=True, check=True)
    return parse_wrk(done.stdout)


def answers(url: str, body: bytes) -> None:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")


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


def local_spec(workers: int, work: Path) -> Path:
    """The project's deployment spec with `instance_count: workers`, beside a copy of what it points at."""
    spec = yaml.safe_load(DEPLOYMENT_SPEC.read_text(encoding="utf-8"))
    spec["instance_count"] = workers
    spec["code_configuration"]["code"] = str(DEPLOYMENT_SPEC.parent / spec["code_configuration"]["code"])
    spec["environment"]["conda_file"] = str(DEPLOYMENT_SPEC.parent / spec["environment"]["conda_file"])
    path = work / f"deployment-{workers}.yml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15, help="measured seconds per server")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--workers", default="1,2", help="local endpoint worker counts")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("serving_bench: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2

    import mlflow.sklearn

    from amlops.backends.base import ModelVersion
    from amlops.backends.local.endpoints import OnlineEndpoints

    work = Path(tempfile.mkdtemp(prefix="bench-serving-"))
    state = work / "state"
    endpoints = OnlineEndpoints(state)
    figures: dict[str, Figure] = {}
    try:
        pipeline, _, (row, row_model_frame) = build_bundle(work / "bundle")
        # the model as this machine wrote it: pickled, as MLflow did by default before skops
        mlflow.sklearn.save_model(pipeline, work / "mlflow-model", serialization_format="cloudpickle")
        reference_body = json.dumps(
            {"dataframe_records": json.loads(row_model_frame.to_json(orient="records", date_format="iso"))}
        ).encode()
        local_body = json.dumps(
            {"data": json.loads(row.to_json(orient="records", date_format="iso"))}
        ).encode()

        process, url = serve_mlflow(work / "mlflow-model", work / "mlflow.log")
        try:
            answers(url, reference_body)
            figures["mlflow models serve"] = wrk(url, reference_body, args.seconds, args.connections, work)
        finally:
            os.killpg(process.pid, 15)
            process.wait(timeout=30)

        for workers in (int(n) for n in args.workers.split(",")):
            name = f"bench-{workers}"
            deployment = endpoints.create_deployment(
                name,
                "blue",
                ModelVersion(name="bench", version="1"),
                model_dir=work / "bundle",
                deployment_spec=local_spec(workers, work),
            )
            try:
                answers(deployment.scoring_uri, local_body)
                figures[f"local, {workers} worker(s)"] = wrk(
                    deployment.scoring_uri, local_body, args.seconds, args.connections, work
                )
            finally:
                endpoints.delete(name)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    reference = figures["mlflow models serve"].requests_per_s
    print(f"{args.connections} connections, {args.seconds} s per server, single-row requests")
    print(f"{'server':<22} {'req/s':>9} {'p99 ms':>8} {'errors':>7} {'ratio':>7}")
    for name, figure in figures.items():
        print(
            f"{name:<22} {figure.requests_per_s:>9.0f} {figure.p99_ms:>8.2f} {figure.errors:>7} "
            f"{figure.requests_per_s / reference:>7.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
