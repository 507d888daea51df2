"""Scoring speed: the deployed ONNX path against the sklearn pipeline it was converted from.

Reference: the fitted scikit-learn pipeline's `predict` on one row (the model as trained). Measured on the
same machine in the same run, one row per call:

- sklearn     `pipeline.predict(model_frame)`             (reference, ratio 1.00)
- onnx        `OnnxModel.predict(raw rows)`                (feature derivation + onnxruntime)
- score.run   the scoring script's `run(json)`              (request parsing + contract checks + onnx)
- http        POST /score to the real Azure ML inference server on loopback (1 worker, keep-alive off),
              a bounded loop of requests from this process

Prints mean microseconds per call and the ratio to the reference; asserts nothing.

    uv run --frozen python bench/scoring_bench.py [--calls N] [--http-calls N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "data-science" / "src"
CONTRACT = ROOT / "data-science" / "contract.yml"
SAMPLE = ROOT / "data-science" / "data" / "sample.parquet"
DEPLOYMENT_SPEC = ROOT / "pipelines" / "azureml" / "online-deployment.yml"
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
sys.path.insert(0, str(SRC))


def per_call_us(function: Callable[[], object], calls: int) -> float:
    function()  # warm-up
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls * 1e6


def build_bundle(folder: Path) -> tuple[object, object, object]:
    import pandas as pd
    from datascience.bundle import CONTRACT_FILE, MODEL_FILE, OnnxModel, to_onnx
    from datascience.contract import load_contract
    from datascience.features import model_frame
    from datascience.train import HyperParameters, fit

    contract = load_contract(CONTRACT)
    frame = pd.read_parquet(SAMPLE).head(5000)
    pipeline = fit(contract, frame, HyperParameters(), seed=7)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MODEL_FILE).write_bytes(to_onnx(pipeline, contract).SerializeToString())
    shutil.copyfile(CONTRACT, folder / CONTRACT_FILE)
    row = frame.drop(columns=[contract.target]).head(1)
    return pipeline, OnnxModel(folder / MODEL_FILE, contract), (row, model_frame(row, contract))


def http_us(bundle: Path, body: bytes, calls: int) -> float:
    from amlops.backends.base import ModelVersion
    from amlops.backends.local.endpoints import OnlineEndpoints

    state = Path(tempfile.mkdtemp(prefix="bench-state-"))
    endpoints = OnlineEndpoints(state)
    try:
        deployment = endpoints.create_deployment(
            "bench",
            "blue",
            ModelVersion(name="bench", version="1"),
            model_dir=bundle,
            deployment_spec=DEPLOYMENT_SPEC,
        )
        url = deployment.scoring_uri

        def call() -> None:
            request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()

        return per_call_us(call, calls)
    finally:
        endpoints.delete("bench")
        shutil.rmtree(state, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="in-process calls per variant")
    parser.add_argument("--http-calls", type=int, default=300, help="HTTP requests (bounded loop)")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-scoring-"))
    try:
        pipeline, onnx_model, (row, row_model_frame) = build_bundle(work / "bundle")
        os.environ["AZUREML_MODEL_DIR"] = str(work / "bundle")
        from datascience import score

        score.init()
        records = json.loads(row.to_json(orient="records", date_format="iso"))
        body = json.dumps({"data": records}).encode()
        figures = {
            "sklearn": per_call_us(lambda: pipeline.predict(row_model_frame), args.calls),
            "onnx": per_call_us(lambda: onnx_model.predict(row), args.calls),
            "score.run": per_call_us(lambda: score.run(body.decode()), args.calls),
        }
        if args.http_calls > 0:
            figures["http"] = http_us(work / "bundle", body, args.http_calls)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    reference = figures["sklearn"]
    print(f"{'variant':<10} {'us/call':>10} {'ratio to sklearn':>17}")
    for name, value in figures.items():
        print(f"{name:<10} {value:>10.0f} {value / reference:>17.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
