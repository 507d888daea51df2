"""Azure ML online scoring script: `init()` loads the bundle, `run(raw_data)` scores a JSON request.

The bundle (model.onnx + contract.yml) is read from `$AZUREML_MODEL_DIR` or the one folder below it
(Azure ML mounts a registered model folder one level down). Accepted request bodies:

    {"data": [{"<column>": <value>, ...}, ...]}                  (one object per row)
    {"input_data": {"columns": ["<column>", ...], "data": [[<value>, ...], ...]}}

with the contract's feature and timestamp columns (date-times as ISO 8601 strings).

Every record is checked against the contract (required fields, types, nulls, ranges, categories; the id
and target columns may be present and are ignored). A bad request gets HTTP 400 with
`{"error": ..., "field": ..., "row": ..., "problems": [...]}`; a good one gets
`{"predictions": [...]}`, plus `"probabilities"` (one {class: p} per row) for classification.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

# The inference server imports this file by path; make the `datascience` package next to it importable.
_CODE_ROOT = str(Path(__file__).resolve().parents[1])
if _CODE_ROOT not in sys.path:
    sys.path.insert(0, _CODE_ROOT)

from datascience.bundle import OnnxModel  # noqa: E402
from datascience.features import record_problems  # noqa: E402

MAX_ROWS = 10_000
MAX_PROBLEMS = 20
logger = logging.getLogger(__name__)
_model: OnnxModel | None = None


class RequestError(ValueError):
    def __init__(
        self, message: str, field: str | None = None, row: int | None = None, problems: list | None = None
    ):
        super().__init__(message)
        self.field, self.row, self.problems = field, row, problems or []

    def body(self) -> dict[str, Any]:
        return {"error": str(self), "field": self.field, "row": self.row, "problems": self.problems}


def parse_request(raw_data: Any) -> list[dict[str, Any]]:
    """The request's records, or RequestError naming what is malformed."""
    if isinstance(raw_data, bytes | bytearray):
        raw_data = raw_data.decode("utf-8", errors="replace")
    if isinstance(raw_data, str):
        try:
            raw_data = json.loads(raw_data)
        except json.JSONDecodeError as error:
            raise RequestError(f"the body is not valid JSON: {error.msg} at position {error.pos}") from error
    if not isinstance(raw_data, dict):
        raise RequestError('the body must be a JSON object with "data" or "input_data"')
    if "data" in raw_data:
        records = raw_data["data"]
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise RequestError('"data" must be a list of objects (one per row)', field="data")
    elif "input_data" in raw_data:
        records = _split_records(raw_data["input_data"])
    else:
        raise RequestError('the body must have a "data" or an "input_data" key', field="data")
    if not records:
        raise RequestError("the request holds no rows", field="data")
    if len(records) > MAX_ROWS:
        raise RequestError(f"at most {MAX_ROWS} rows per request, got {len(records)}", field="data")
    return records


def _split_records(block: Any) -> list[dict[str, Any]]:
    if not isinstance(block, dict) or not isinstance(block.get("columns"), list):
        raise RequestError(
            '"input_data" must be {"columns": [...], "data": [[...], ...]}', field="input_data.columns"
        )
    columns, rows = block["columns"], block.get("data")
    if not isinstance(rows, list):
        raise RequestError('"input_data.data" must be a list of rows', field="input_data.data")
    records = []
    for index, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(columns):
            raise RequestError(
                f"row {index} must be a list of {len(columns)} values", field="input_data.data", row=index
            )
        records.append(dict(zip(columns, row, strict=True)))
    return records


def predict(model: OnnxModel, raw_data: Any) -> dict[str, Any]:
    """Validate and score one request; raises RequestError on malformed input."""
    records = parse_request(raw_data)
    problems = record_problems(records, model.contract)
    if problems:
        first = problems[0]
        listed = [{"row": p.row, "field": p.field, "message": p.message} for p in problems[:MAX_PROBLEMS]]
        raise RequestError(str(first), field=first.field, row=first.row, problems=listed)
    result = model.predict_records(records)
    if model.contract.task == "classification":
        probabilities = [
            {str(c): float(p) for c, p in zip(result.classes, row, strict=True)}
            for row in result.probabilities
        ]
        return {"predictions": [str(v) for v in result.values], "probabilities": probabilities}
    return {"predictions": [float(v) for v in result.values]}


def _response(body: dict[str, Any], status: int) -> Any:
    try:
        from azureml.contrib.services.aml_response import AMLResponse
    except ImportError:  # outside the server the alias is not registered; it is the same class
        from azureml_inference_server_http.api.aml_response import AMLResponse
    return AMLResponse(body, status, json_str=True)


def init() -> None:
    global _model  # noqa: PLW0603 - Azure ML's init()/run() contract keeps the model in module state
    _model = OnnxModel.from_bundle(os.environ.get("AZUREML_MODEL_DIR", "."))
    logger.info("loaded model for contract %s", _model.contract.name)


def run(raw_data: Any) -> Any:
    if _model is None:
        return _response({"error": "the model is not loaded (init() did not run)", "field": None}, 503)
    try:
        return predict(_model, raw_data)
    except RequestError as error:
        logger.info("rejected request: %s", error)
        return _response(error.body(), 400)
