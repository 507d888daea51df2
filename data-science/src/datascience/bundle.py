"""The model bundle: `model.onnx` + `contract.yml` + `metrics.json` + `smoke-request.json` in one folder.

`smoke-request.json` is a scoring request of a few test rows (input columns only): the request
`amlops deploy-online` sends to a new deployment, and `amlops invoke` without --request, unless a file is
chosen (`smokeRequest` in pipelines/config/<env>.yml). It comes from the contract and the data the model
was trained on, so a new dataset needs no hand-written request.

ONNX inputs are `Contract.model_inputs`, one [rows, 1] tensor each (float32 numerics, string
categoricals). Regression output `variable` is [rows, 1]; classification outputs `label` and
`probabilities` (no ZipMap), with the class order stored in the model's metadata (`classes`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from datascience.contract import Contract, load_contract
from datascience.features import model_frame, onnx_feed, record_problems, records_feed, request_records

MODEL_FILE = "model.onnx"
CONTRACT_FILE = "contract.yml"
METRICS_FILE = "metrics.json"
SMOKE_REQUEST_FILE = "smoke-request.json"
EVALUATION_FILE = "evaluation.json"
SMOKE_ROWS = 5


def to_onnx(pipeline: Any, contract: Contract) -> Any:
    """Convert a fitted `train.build_pipeline` pipeline to an ONNX model."""
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    initial_types = [
        (m.name, FloatTensorType([None, 1]) if m.kind == "numeric" else StringTensorType([None, 1]))
        for m in contract.model_inputs
    ]
    options = None
    if contract.task == "classification":
        options = {id(pipeline.steps[-1][1]): {"zipmap": False}}
    model = convert_sklearn(pipeline, name=contract.name, initial_types=initial_types, options=options)
    metadata = {"contract": contract.name, "task": contract.task}
    if contract.task == "classification":
        metadata["classes"] = json.dumps([str(c) for c in pipeline.classes_])
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    return model


def smoke_request(
    frame: pd.DataFrame, contract: Contract, *, rows: int = SMOKE_ROWS
) -> dict[str, Any] | None:
    """`{"data": [...]}` with the first `rows` rows of `frame` that fit the contract (the scoring script's own
    record checks), input columns only; None when no row fits."""
    records = request_records(frame.head(max(rows * 10, 50)), contract)
    refused = {problem.row for problem in record_problems(records, contract)}
    fitting = [record for row, record in enumerate(records) if row not in refused][:rows]
    return {"data": fitting} if fitting else None


def find_bundle(root: str | Path) -> Path:
    """The folder holding model.onnx: `root` itself or exactly one folder one level down."""
    root = Path(root)
    if (root / MODEL_FILE).is_file():
        return root
    candidates = sorted(p.parent for p in root.glob(f"*/{MODEL_FILE}"))
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise FileNotFoundError(f"{root}: no {MODEL_FILE} here or one folder down")
    raise FileNotFoundError(f"{root}: several bundles one folder down: {', '.join(map(str, candidates))}")


@dataclass(frozen=True)
class Predictions:
    values: np.ndarray  # regression values or class labels
    probabilities: np.ndarray | None = None  # [rows, classes] for classification
    classes: tuple[str, ...] = ()


class OnnxModel:
    """An onnxruntime session over a bundle, fed from raw rows through the contract."""

    def __init__(self, model_path: Path, contract: Contract):
        import onnxruntime as ort

        ort.disable_telemetry_events()  # a scoring process sends nothing anywhere
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
        self.contract = contract
        self.folder = Path(model_path).parent  # the bundle: its smoke request, metrics, contract
        metadata = self.session.get_modelmeta().custom_metadata_map
        self.classes = tuple(json.loads(metadata.get("classes", "[]")))

    @classmethod
    def from_bundle(cls, root: str | Path) -> OnnxModel:
        folder = find_bundle(root)
        return cls(folder / MODEL_FILE, load_contract(folder / CONTRACT_FILE))

    def predict_model_frame(self, frame: pd.DataFrame) -> Predictions:
        return self._predictions(self.session.run(None, onnx_feed(frame, self.contract)))

    def predict_records(self, records: Sequence[Mapping[str, Any]]) -> Predictions:
        """Predictions for scoring records already checked against the contract (the online path)."""
        return self._predictions(self.session.run(None, records_feed(records, self.contract)))

    def _predictions(self, outputs: list[Any]) -> Predictions:
        if self.contract.task == "classification":
            return Predictions(np.asarray(outputs[0]).ravel(), np.asarray(outputs[1]), self.classes)
        return Predictions(np.asarray(outputs[0], dtype="float64").ravel())

    def predict(self, frame: pd.DataFrame) -> Predictions:
        """Predictions for raw rows (contract columns; date-time features are derived here)."""
        return self.predict_model_frame(model_frame(frame, self.contract))
