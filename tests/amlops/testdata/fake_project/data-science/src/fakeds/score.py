"""Azure ML scoring contract: predictions = x * scale; malformed requests get a 400 naming the field."""

import json
import os
from pathlib import Path

from azureml_inference_server_http.api.aml_response import AMLResponse

SCALE = None


def init():
    global SCALE
    root = Path(os.environ["AZUREML_MODEL_DIR"])
    model = next(root.rglob("model.onnx"))
    SCALE = json.loads(model.read_text())["scale"]


def run(raw_data):
    try:
        rows = json.loads(raw_data)["data"]
    except (ValueError, KeyError, TypeError):
        return AMLResponse({"error": "request must be a JSON object with a 'data' list", "field": "data"}, 400, json_str=True)
    out = []
    for i, row in enumerate(rows):
        x = row.get("x") if isinstance(row, dict) else None
        if isinstance(x, bool) or not isinstance(x, int | float):
            return AMLResponse({"error": f"row {i}: x must be a number", "field": "x"}, 400, json_str=True)
        out.append(x * SCALE)
    return {"predictions": out}
