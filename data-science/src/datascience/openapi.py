"""The scoring API described from the dataset contract: what `/swagger.json` of a deployment serves.

Azure ML's inference server builds `/swagger.json` (Swagger 2.0; `?version=3` OpenAPI 3.0) from the
`inference-schema` decorators of `run()`, or reads the files `swagger.json` and `swagger3.json` from the app
root when they are there. The scoring script's `run()` takes the raw HTTP request (`@rawhttp`, which the
server does not allow together with those decorators), so `score.init()` writes the two files from the
model's contract (`documents`) before the server builds its specification, into the server's own templates:
health check, `/score` and `/swagger.json` paths, security and placeholders as the server fills them.

`ServiceInput` is the request: `data`, one object per row with the contract's input columns (types, ranges,
categories, nulls; the id and target columns allowed and ignored), or `input_data` (`columns` + `data`);
`ServiceOutput` the predictions (with per-class probabilities for classification); `ErrorResponse` the
4xx body every refusal carries. The example is the model's smoke request (test rows that fit the contract).
Pure functions, no I/O but `write_documents`.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from datascience.contract import Column, Contract

FILES = {"2": "swagger.json", "3": "swagger3.json"}  # the server's file names per specification version


def column_schema(column: Column, *, version: str) -> dict[str, Any]:
    """The JSON schema of one column's value in a request (Swagger 2 or OpenAPI 3)."""
    schema: dict[str, Any]
    if column.type in ("float", "int"):
        schema = {"type": "number" if column.type == "float" else "integer"}
        as_number = int if column.type == "int" else float
        if column.min is not None:
            schema["minimum"] = as_number(column.min)
        if column.max is not None:
            schema["maximum"] = as_number(column.max)
    elif column.type == "bool":
        schema = {"type": "boolean"}
    elif column.type == "datetime":
        schema = {"type": "string", "format": "date-time"}
        bounds = [f"from {column.min}" if column.min else "", f"to {column.max}" if column.max else ""]
        range_text = " ".join(b for b in bounds if b)
        schema["description"] = "ISO 8601 with a time of day" + (f", {range_text}" if range_text else "")
    elif column.type == "category":
        schema = {"type": "string", "enum": list(column.categories or ())}
    else:
        schema = {"type": "string"}
    if column.description:
        text = schema.get("description")
        schema["description"] = f"{column.description} ({text})" if text else column.description
    if column.nullable:
        schema["x-nullable" if version == "2" else "nullable"] = True
    return schema


def row_schema(contract: Contract, *, version: str) -> dict[str, Any]:
    inputs = contract.input_columns
    ignored = [c for c in contract.columns if c not in inputs]
    properties = {c.name: column_schema(c, version=version) for c in inputs}
    for column in ignored:  # may be sent (a row of the training data), never read
        properties[column.name] = {"description": f"{column.role} column: accepted and ignored"}
    return {
        "type": "object",
        "required": [c.name for c in inputs],
        "properties": properties,
        "additionalProperties": False,
    }


def input_schema(contract: Contract, *, version: str, max_rows: int, example: Any = None) -> dict[str, Any]:
    names = [c.name for c in contract.columns]
    schema: dict[str, Any] = {
        "type": "object",
        "description": (
            f'Rows to score for {contract.name}: exactly one of "data" (one object per row) or '
            f'"input_data" (column names and rows of values); at most {max_rows} rows.'
        ),
        "properties": {
            "data": {
                "type": "array",
                "minItems": 1,
                "maxItems": max_rows,
                "items": row_schema(contract, version=version),
            },
            "input_data": {
                "type": "object",
                "required": ["columns", "data"],
                "properties": {
                    "columns": {"type": "array", "items": {"type": "string", "enum": names}},
                    "data": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": max_rows,
                        "items": {"type": "array", "description": "values in the order of columns"},
                    },
                    "index": {"type": "array", "description": "accepted and ignored"},
                },
                "additionalProperties": False,
            },
        },
        "additionalProperties": False,
    }
    if example is not None:
        schema["example"] = example
    return schema


def output_schema(contract: Contract, *, classes: tuple[str, ...] = ()) -> dict[str, Any]:
    if contract.task == "classification":
        label: dict[str, Any] = {"type": "string"}
        if classes:
            label["enum"] = list(classes)
        return {
            "type": "object",
            "required": ["predictions", "probabilities"],
            "properties": {
                "predictions": {"type": "array", "items": label, "description": "one class per row"},
                "probabilities": {
                    "type": "array",
                    "description": "per row, the probability of each class",
                    "items": {"type": "object", "additionalProperties": {"type": "number"}},
                },
            },
        }
    return {
        "type": "object",
        "required": ["predictions"],
        "properties": {
            "predictions": {
                "type": "array",
                "items": {"type": "number"},
                "description": f"one predicted {contract.target} per row",
            }
        },
    }


def error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "Every refusal (4xx): what is wrong and where.",
        "properties": {
            "error": {"type": "string"},
            "field": {"type": "string", "description": "the field concerned, or null"},
            "row": {"type": "integer", "description": "the 0-based row concerned, or null"},
            "problems": {
                "type": "array",
                "description": "every problem of the rows (up to a limit)",
                "items": {
                    "type": "object",
                    "properties": {
                        "row": {"type": "integer"},
                        "field": {"type": "string"},
                        "message": {"type": "string"},
                    },
                },
            },
        },
    }


def fill_template(template: Mapping[str, Any], service: Mapping[str, str]) -> dict[str, Any]:
    """The server's template with its placeholders replaced as the server replaces them."""
    prefix = service.get("path_prefix", "").strip("/")
    text = (
        json.dumps(template)
        .replace("$SERVICE_NAME$", service.get("name", "ML service"))
        .replace("$SERVICE_VERSION$", service.get("version", "1.0"))
        .replace("$PATH_PREFIX$", f"/{prefix}" if prefix else "")
    )
    return json.loads(text)


def documents(
    contract: Contract,
    templates: Mapping[str, Mapping[str, Any]],
    *,
    max_rows: int,
    example: Any = None,
    classes: tuple[str, ...] = (),
    service: Mapping[str, str] | None = None,
) -> dict[str, dict[str, Any]]:
    """{file name: specification} for each version in `templates` ("2", "3": the server's templates)."""
    out = {}
    for version, template in templates.items():
        document = fill_template(copy.deepcopy(dict(template)), service or {})
        schemas = {
            "ServiceInput": input_schema(contract, version=version, max_rows=max_rows, example=example),
            "ServiceOutput": output_schema(contract, classes=classes),
            "ErrorResponse": error_schema(),
        }
        if version == "2":
            document.setdefault("definitions", {}).update(schemas)
        else:
            document.setdefault("components", {}).setdefault("schemas", {}).update(schemas)
        out[FILES[version]] = document
    return out


def server_templates() -> dict[str, dict[str, Any]]:
    """The inference server's own Swagger 2 and OpenAPI 3 templates (files of its package)."""
    import importlib.util

    spec = importlib.util.find_spec("azureml_inference_server_http.server")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("azureml-inference-server-http is not installed")
    folder = Path(next(iter(spec.submodule_search_locations)))
    return {
        version: json.loads((folder / f"swagger{version}_template.json").read_text(encoding="utf-8"))
        for version in FILES
    }


def write_documents(folder: Path, specifications: Mapping[str, Mapping[str, Any]]) -> list[Path]:
    """Write each file whole (several workers write the same files at start)."""
    written = []
    for name, document in specifications.items():
        target = folder / name
        partial = folder / f".{name}.{os.getpid()}.partial"
        partial.write_text(json.dumps(document, indent=1), encoding="utf-8")
        partial.replace(target)
        written.append(target)
    return written
