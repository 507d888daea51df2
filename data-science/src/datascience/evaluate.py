"""Evaluate the trained model and write the model bundle: `python -m datascience.evaluate`.

The MLflow sklearn model from train is converted to ONNX (skl2onnx, one input per contract model input)
and both are run on the test split. The metrics in `metrics.json` are those of the ONNX model, the
artifact that is deployed; `onnx_max_abs_diff` is the largest absolute difference between sklearn and
onnxruntime outputs (predictions for regression, class probabilities for classification). The bundle
folder holds `model.onnx`, a copy of the contract, `metrics.json`, `evaluation.json` (predicted against actual
on the test split for regression, the confusion matrix for classification: what the run report draws) and
`smoke-request.json` (the first test rows that fit the contract, the request deploy-online sends by default);
metrics go to MLflow as `test_*`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from datascience.bundle import (
    CONTRACT_FILE,
    EVALUATION_FILE,
    METRICS_FILE,
    MODEL_FILE,
    SMOKE_REQUEST_FILE,
    OnnxModel,
    smoke_request,
    to_onnx,
)
from datascience.contract import Contract, ContractError, load_contract
from datascience.features import model_frame, target_values
from datascience.metrics import classification_metrics, regression_metrics


def parity(contract: Contract, pipeline: Any, onnx_model: OnnxModel, frame: pd.DataFrame) -> float:
    """Max |sklearn - onnxruntime| over the rows of a model frame (probabilities for classification)."""
    result = onnx_model.predict_model_frame(frame)
    if contract.task == "classification":
        reference = pipeline.predict_proba(frame)
        return float(np.max(np.abs(reference - result.probabilities))) if len(frame) else 0.0
    return float(np.max(np.abs(pipeline.predict(frame) - result.values))) if len(frame) else 0.0


def test_metrics(contract: Contract, onnx_model: OnnxModel, test: pd.DataFrame) -> dict[str, float]:
    result = onnx_model.predict(test)
    y = target_values(test, contract)
    if contract.task == "classification":
        return classification_metrics(y, result.values.astype(object), result.probabilities, result.classes)
    return regression_metrics(y, result.values)


# At most this many (actual, predicted) pairs go into evaluation.json: enough for a scatter plot.
MAX_POINTS = 500


def evaluation(contract: Contract, onnx_model: OnnxModel, test: pd.DataFrame) -> dict[str, Any]:
    """What the run report draws: regression `actual`/`predicted` (the first MAX_POINTS test rows) or the
    classification `confusion` matrix (rows actual, columns predicted, both in `classes` order)."""
    result = onnx_model.predict(test)
    y = target_values(test, contract)
    if contract.task == "classification":
        classes = [str(c) for c in result.classes] or sorted({str(v) for v in y})
        index = {c: i for i, c in enumerate(classes)}
        matrix = [[0] * len(classes) for _ in classes]
        for actual, predicted in zip(y, result.values, strict=True):
            a, p = index.get(str(actual)), index.get(str(predicted))
            if a is not None and p is not None:
                matrix[a][p] += 1
        return {"task": contract.task, "classes": classes, "confusion": matrix}
    actual = np.asarray(y, dtype=float)[:MAX_POINTS]
    predicted = np.asarray(result.values, dtype=float)[:MAX_POINTS]
    return {
        "task": contract.task,
        "actual": [round(float(v), 6) for v in actual],
        "predicted": [round(float(v), 6) for v in predicted],
        "n_rows": len(test),
    }


def label_spread(contract: Contract, test: pd.DataFrame) -> float | None:
    """Standard deviation of a regression label on the test split (the gate's scale check), else None."""
    if contract.task != "regression" or len(test) < 2:
        return None
    spread = float(np.std(np.asarray(target_values(test, contract), dtype=float), ddof=1))
    return spread if np.isfinite(spread) else None


def run(
    contract_path: Path, prepared: Path, model_dir: Path, output: Path, *, seed: int | None
) -> dict[str, Any]:
    import mlflow
    import mlflow.sklearn

    contract = load_contract(contract_path)
    pipeline = mlflow.sklearn.load_model(str(model_dir))
    test = pd.read_parquet(prepared / "test.parquet")
    output.mkdir(parents=True, exist_ok=True)
    (output / MODEL_FILE).write_bytes(to_onnx(pipeline, contract).SerializeToString())
    shutil.copyfile(contract_path, output / CONTRACT_FILE)
    onnx_model = OnnxModel(output / MODEL_FILE, contract)
    document = {
        "task": contract.task,
        "metrics": test_metrics(contract, onnx_model, test),
        "onnx_max_abs_diff": parity(contract, pipeline, onnx_model, model_frame(test, contract)),
        "n_test_rows": len(test),
        "label_std": label_spread(contract, test),
        "seed": seed,
    }
    (output / METRICS_FILE).write_text(json.dumps(document, indent=2), encoding="utf-8")
    (output / EVALUATION_FILE).write_text(
        json.dumps(evaluation(contract, onnx_model, test)) + "\n", encoding="utf-8"
    )
    request = smoke_request(test, contract)
    if request is None:
        print(
            f"evaluate: no test row fits the contract; the bundle has no {SMOKE_REQUEST_FILE}",
            file=sys.stderr,
        )
    else:
        (output / SMOKE_REQUEST_FILE).write_text(json.dumps(request, indent=2) + "\n", encoding="utf-8")
    active = mlflow.active_run()
    with mlflow.start_run() if active is None else _Active():
        mlflow.log_metrics({f"test_{k}": v for k, v in document["metrics"].items()})
        mlflow.log_metric("onnx_max_abs_diff", document["onnx_max_abs_diff"])
        mlflow.log_artifacts(str(output), artifact_path="bundle")
    return document


class _Active:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m datascience.evaluate", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--contract", type=Path, required=True, help="Dataset contract (contract.yml).")
    parser.add_argument("--prepared", type=Path, required=True, help="Folder with test.parquet.")
    parser.add_argument("--model", type=Path, required=True, help="MLflow sklearn model folder from train.")
    parser.add_argument("--output", type=Path, required=True, help="Folder for the bundle.")
    parser.add_argument(
        "--seed", type=int, default=None, help="Seed used upstream, recorded in metrics.json."
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    try:
        document = run(args.contract, args.prepared, args.model, args.output, seed=args.seed)
    except ContractError as error:
        print(f"evaluate: {error}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError, KeyError) as error:
        print(f"evaluate: {error}", file=sys.stderr)
        return 1
    metrics = ", ".join(f"{k}={v:.4g}" for k, v in document["metrics"].items())
    print(f"evaluate: {metrics}, onnx_max_abs_diff={document['onnx_max_abs_diff']:.3g}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
