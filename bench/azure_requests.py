"""Requests and time per verb on the emulated Azure ML service, against the same verb on the local backend.

Runs the lifecycle (register-data, validate-data, run-pipeline, gate, register-model, deploy-online, invoke,
deploy-batch, check-drift, status, delete-endpoint) once with `--backend azure` against the test emulator
(tests/support/azureml_emulator: real azure-ai-ml over HTTPS through the loopback proxy, Azurite) and once
with `--backend local`, in this process, and prints per verb: the HTTP requests the emulator saw, the wall
time on each backend and their ratio. Needs `make tools` (Azurite). About 5 minutes on 2 cores.

    uv run --frozen python bench/azure_requests.py
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))  # the emulator is a test fixture, not a product part

SAMPLE = ROOT / "data-science" / "data" / "sample.parquet"
SMOKE = ROOT / "data-science" / "examples" / "taxi-request.json"


def _model(name: str) -> list[str]:
    return ["--model-name", name, "--version", "1"]


def lifecycle(model: str, endpoint: str) -> list[tuple[str, list[str | Path]]]:
    return [
        ("register-data", ["register-data", "--name", "bench-data", "--path", str(SAMPLE)]),
        ("validate-data", ["validate-data", "--name", "bench-data"]),
        ("run-pipeline", ["run-pipeline", "--data", "bench-data:1"]),
        ("gate", ["gate", "--run-id", "{run_id}", "--model-name", model]),
        ("register-model", ["register-model", "--run-id", "{run_id}", "--model-name", model]),
        ("deploy-online", ["deploy-online", "--endpoint", endpoint, *_model(model)]),
        ("invoke", ["invoke", "--endpoint", endpoint, "--request", str(SMOKE)]),
        ("deploy-batch", ["deploy-batch", "--endpoint", f"{endpoint}-b", *_model(model), "--input", SAMPLE]),
        ("check-drift", ["check-drift", "--name", "bench-data", "--current", str(SAMPLE)]),
        ("status", ["status"]),
        ("delete-endpoint", ["delete-endpoint", "--endpoint", endpoint]),
    ]


def run_verbs(backend: str, count: Callable[[], int]) -> dict[str, tuple[float, int, int]]:
    """verb -> (seconds, exit code, requests) of the lifecycle on `backend` (`count()`: requests so far)."""
    from amlops.cli import main

    results: dict[str, tuple[float, int, int]] = {}
    run_id = ""
    for verb, argv in lifecycle("bench-model", "bench-ep"):
        args = [str(a).replace("{run_id}", run_id) for a in argv]
        before = count()
        out = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = main(["--backend", backend, *args])
        seconds = time.perf_counter() - started
        results[verb] = (seconds, code, count() - before)
        lines = [line for line in out.getvalue().splitlines() if line.strip()]
        if verb == "run-pipeline" and lines:
            run_id = json.loads(lines[-1]).get("run_id", "")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    from azureml_emulator import AzureMLEmulator

    os.environ["AMLOPS_PROJECT_DIR"] = str(ROOT)
    with tempfile.TemporaryDirectory(prefix="amlops-bench-") as scratch:
        folder = Path(scratch)
        os.environ["AMLOPS_STATE_DIR"] = str(folder / "local-state")
        local = run_verbs("local", lambda: 0)
        emulator = AzureMLEmulator(folder / "service").start()
        saved = dict(os.environ)
        try:
            os.environ.update(emulator.environment())
            os.environ["AMLOPS_AZURE_POLL_S"] = "1"
            os.environ["AMLOPS_STATE_DIR"] = str(folder / "azure-state")
            azure = run_verbs("azure", lambda: len(emulator.proxy.log))
        finally:
            os.environ.clear()
            os.environ.update(saved)
            emulator.stop()
    print(f"{'verb':<16} {'requests':>8} {'azure s':>8} {'local s':>8} {'ratio':>6}  exit (azure/local)")
    for verb, (seconds, code, requests) in azure.items():
        local_seconds, local_code, _ = local[verb]
        ratio = seconds / local_seconds if local_seconds else float("nan")
        print(
            f"{verb:<16} {requests:>8} {seconds:>8.2f} {local_seconds:>8.2f} {ratio:>6.2f}  "
            f"{code}/{local_code}"
        )
    failed = [v for v, (_, code, _) in azure.items() if code != 0]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
