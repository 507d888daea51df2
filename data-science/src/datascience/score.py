"""Azure ML online scoring script: `init()` loads the bundle, `run(request)` scores a JSON request.

The bundle (model.onnx + contract.yml) is read from `$AZUREML_MODEL_DIR` or the one folder below it
(Azure ML mounts a registered model folder one level down). Accepted request bodies:

    {"data": [{"<column>": <value>, ...}, ...]}                  (one object per row)
    {"input_data": {"columns": ["<column>", ...], "data": [[<value>, ...], ...]}}

with the contract's feature and timestamp columns (date-times as ISO 8601 strings with a time of day).

`run` is decorated with `@rawhttp`: the server hands it the HTTP request itself, so the script decides
before reading the body: only POST (405 otherwise), only `application/json` in UTF-8 (415), at most
`MAX_BODY_BYTES` (413, from Content-Length before anything is read, or while reading a chunked body), read
within the request timeout (`SCORING_TIMEOUT_MS`, the deployment's `request_timeout_ms`; 408). The body is
parsed strictly (`strict_json`: duplicate keys, nesting depth, numbers no model input can hold), its shape
checked (exactly one of `data` / `input_data`, unique string column names, at most `MAX_ROWS` rows), then
every record against the contract (required fields, types, nulls, ranges, categories; the id and target
columns may be present and are ignored). Every refusal is a 4xx with
`{"error": ..., "field": ..., "row": ..., "problems": [...]}`; a good request gets `{"predictions": [...]}`,
plus `"probabilities"` (one {class: p} per row) for classification. Called with a string, bytes or an
already-parsed object (tests, other callers), `run` skips the HTTP checks and validates the same way.

When the deployment's `data_collector` enables `model_inputs` / `model_outputs`, every scored request's
records (as sent) and predictions are logged with Azure ML's collector client (azureml-ai-monitoring), the
data the monitor's drift check reads; refused requests are not logged (the model never saw them). A thread of
the worker logs them in batches (every `COLLECT_EVERY_S` or `COLLECT_ROWS` rows), off the request path.

`init()` also writes the API's description from the contract (`datascience.openapi`) into the app root,
where the server finds it for `/swagger.json`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

# The inference server imports this file by path; make the `datascience` package next to it importable.
_CODE_ROOT = str(Path(__file__).resolve().parents[1])
if _CODE_ROOT not in sys.path:
    sys.path.insert(0, _CODE_ROOT)

from datascience import strict_json  # noqa: E402
from datascience.bundle import SMOKE_REQUEST_FILE, OnnxModel  # noqa: E402
from datascience.contract import Contract  # noqa: E402
from datascience.features import record_problems  # noqa: E402

try:  # the server aliases this module; outside it the decorator is the same function
    from azureml.contrib.services.aml_request import rawhttp
except ImportError:
    try:
        from azureml_inference_server_http.api.aml_request import rawhttp
    except ImportError:  # no inference server installed (e.g. importing the script for its functions)

        def rawhttp(func: Any) -> Any:
            return func


MAX_ROWS = 10_000
MAX_PROBLEMS = 20
# 10,000 rows of a dozen columns are about 2.5 MB of JSON; 4 MiB leaves room and refuses floods unread.
MAX_BODY_BYTES = int(os.environ.get("SCORING_MAX_BODY_BYTES", str(4 * 1024 * 1024)))
DEFAULT_TIMEOUT_MS = 5_000
JSON_TYPES = ("application/json",)
_CHUNK = 64 * 1024
logger = logging.getLogger(__name__)
_model: OnnxModel | None = None
# The data collector's custom-logging collections this script writes (`data_collector` of the deployment).
COLLECTIONS = ("model_inputs", "model_outputs")


class RequestError(ValueError):
    """A refused request: the HTTP status (4xx), a message, and the field/row it concerns when known."""

    def __init__(
        self,
        message: str,
        field: str | None = None,
        row: int | None = None,
        problems: list | None = None,
        *,
        status: int = 400,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.field, self.row, self.problems = field, row, problems or []
        self.status, self.headers = status, headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": str(self), "field": self.field, "row": self.row, "problems": self.problems}


def parse_request(raw_data: Any) -> list[dict[str, Any]]:
    """The request's records, or RequestError naming what is malformed."""
    if isinstance(raw_data, bytes | bytearray):
        try:
            raw_data = bytes(raw_data).decode("utf-8")
        except UnicodeDecodeError as error:
            raise RequestError(f"the body is not UTF-8: {error.reason} at byte {error.start}") from None
    if isinstance(raw_data, str):
        try:
            raw_data = strict_json.loads(raw_data)
        except strict_json.BodyError as error:
            raise RequestError(str(error), field=error.field) from None
    if not isinstance(raw_data, dict):
        raise RequestError('the body must be a JSON object with "data" or "input_data"')
    shapes = [key for key in ("data", "input_data") if key in raw_data]
    unknown = sorted(str(key) for key in raw_data if key not in ("data", "input_data"))
    if not shapes:
        got = f" (it has {', '.join(map(repr, unknown))})" if unknown else ""
        raise RequestError(f'the body must have a "data" or an "input_data" key{got}', field="data")
    if unknown:
        raise RequestError(
            f'unknown top-level key(s) {", ".join(map(repr, unknown))}; expected "data" or "input_data"',
            field=unknown[0],
        )
    if len(shapes) > 1:
        raise RequestError('the body has both "data" and "input_data"; send exactly one', field="input_data")
    if shapes == ["data"]:
        records = raw_data["data"]
        if not isinstance(records, list):
            raise RequestError('"data" must be a list of objects (one per row)', field="data")
        _check_row_count(len(records), "data")
        for index, record in enumerate(records):
            if not isinstance(record, dict):
                raise RequestError(
                    f'"data" must be a list of objects (one per row); row {index} is {_kind(record)}',
                    field="data",
                    row=index,
                )
    else:
        records = _split_records(raw_data["input_data"])
    return records


def _check_row_count(count: int, field: str) -> None:
    if not count:
        raise RequestError("the request holds no rows", field=field)
    if count > MAX_ROWS:
        raise RequestError(f"at most {MAX_ROWS} rows per request, got {count}", field=field)


def _kind(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return kinds.get(type(value), "a number" if isinstance(value, int | float) else "an invalid value")


def _split_records(block: Any) -> list[dict[str, Any]]:
    if not isinstance(block, dict) or not isinstance(block.get("columns"), list):
        raise RequestError(
            '"input_data" must be {"columns": [...], "data": [[...], ...]}', field="input_data.columns"
        )
    unknown = sorted(str(key) for key in block if key not in ("columns", "data", "index"))
    if unknown:
        raise RequestError(
            f'unknown key(s) {", ".join(map(repr, unknown))} in "input_data"; expected "columns" and "data"',
            field=f"input_data.{unknown[0]}",
        )
    columns, rows = block["columns"], block.get("data")
    for index, name in enumerate(columns):
        if not isinstance(name, str):
            raise RequestError(
                f"input_data.columns[{index}] must be a column name (a string), not {_kind(name)}",
                field="input_data.columns",
            )
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            raise RequestError(f"column {name!r} is listed twice in input_data.columns", field=name)
        seen.add(name)
    if not isinstance(rows, list):
        raise RequestError('"input_data.data" must be a list of rows', field="input_data.data")
    _check_row_count(len(rows), "input_data.data")
    records = []
    for index, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(columns):
            raise RequestError(
                f"row {index} must be a list of {len(columns)} values", field="input_data.data", row=index
            )
        records.append(dict(zip(columns, row, strict=True)))
    return records


def request_problems(raw_data: Any, contract: Contract) -> list[str]:
    """Why a request (e.g. the committed smoke request) would be refused by this script, without a model:
    the same parsing and contract checks as `predict`; empty when it fits."""
    try:
        records = parse_request(raw_data)
    except RequestError as error:
        return [str(error)]
    return [str(problem) for problem in record_problems(records, contract)]


def predict(model: OnnxModel, raw_data: Any) -> dict[str, Any]:
    """Validate and score one request; raises RequestError on malformed input."""
    return score_records(model, parse_request(raw_data))


def score_records(model: OnnxModel, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Validate a request's records against the contract and score them; RequestError names a bad one."""
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


def _response(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Any:
    try:
        from azureml.contrib.services.aml_response import AMLResponse
    except ImportError:  # outside the server the alias is not registered; it is the same class
        from azureml_inference_server_http.api.aml_response import AMLResponse
    return AMLResponse(body, status, headers or {}, json_str=True)


def timeout_ms() -> int:
    """The deployment's request timeout (`request_settings.request_timeout_ms`, as Azure ML passes it)."""
    try:
        value = int(os.environ.get("SCORING_TIMEOUT_MS", DEFAULT_TIMEOUT_MS))
    except ValueError:
        return DEFAULT_TIMEOUT_MS
    return value if value > 0 else DEFAULT_TIMEOUT_MS


def read_body(request: Any, *, limit: int, deadline: float) -> bytes:
    """The body of an HTTP request, checked before (method, content type, declared length) and while it is
    read (size, time). RequestError carries the 4xx status."""
    if request.method != "POST":
        raise RequestError(
            f"method {request.method} is not allowed on /score; send the request with POST",
            status=405,
            headers={"Allow": "POST"},
        )
    mimetype = (request.mimetype or "").lower()
    if mimetype not in JSON_TYPES:
        got = f"Content-Type {request.content_type!r}" if request.content_type else "no Content-Type"
        raise RequestError(f"expected Content-Type application/json, got {got}", status=415)
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise RequestError(f"expected a UTF-8 body, got charset {charset!r}", status=415)
    declared = request.content_length
    if declared is not None and declared > limit:
        _stop_reading(request)
        raise RequestError(f"the body is {declared} bytes; at most {limit} allowed", status=413)
    sock = request.environ.get("gunicorn.socket")
    previous = sock.gettimeout() if isinstance(sock, socket.socket) else None
    chunks, size = [], 0
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if isinstance(sock, socket.socket):
                sock.settimeout(remaining)  # a client that stops sending cannot hold this thread
            chunk = request.stream.read(min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                _stop_reading(request)
                raise RequestError(f"the body is larger than {limit} bytes", status=413)
    except TimeoutError:
        _stop_reading(request)
        raise RequestError(
            f"the body did not arrive within the request timeout ({timeout_ms()} ms)", status=408
        ) from None
    finally:
        if isinstance(sock, socket.socket):
            sock.settimeout(previous)
    if not size:
        raise RequestError('the body is empty; expected a JSON object with "data" or "input_data"')
    return b"".join(chunks)


def _stop_reading(request: Any) -> None:
    """Refuse the rest of a body that will not be read: the connection ends after the response instead of
    the server draining (and waiting for) what the client still sends."""
    sock = request.environ.get("gunicorn.socket")
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RD)


def _is_http_request(raw_data: Any) -> bool:
    return hasattr(raw_data, "environ") and hasattr(raw_data, "method")


def enabled_collections(environ: Any = None) -> list[str]:
    """The data collector's collections this deployment logs (of `COLLECTIONS`), from the configuration file
    Azure ML (or the local backend) names in `AZUREML_MDC_CONFIG_PATH`; none without one."""
    env = os.environ if environ is None else environ
    path = env.get("AZUREML_MDC_CONFIG_PATH")
    if not path:
        return []
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        collections = {str(k).lower(): v for k, v in (document.get("collections") or {}).items()}
    except (OSError, ValueError, AttributeError) as error:
        logger.warning("data collection is off: cannot read %s (%s)", path, error)
        return []
    return [name for name in COLLECTIONS if (collections.get(name) or {}).get("enabled") is True]


# Scored requests are logged in batches, off the request path: one DataFrame per collection every
# COLLECT_EVERY_S or COLLECT_ROWS rows (a DataFrame and a post per request cost ~4 ms, 15 times the scoring).
COLLECT_EVERY_S = 0.5
COLLECT_ROWS = 5_000
MAX_PENDING_ROWS = 200_000  # beyond this (the collector cannot keep up) new requests are not logged


class _Batches:
    """Scored requests waiting to be logged: `add` appends (microseconds, under a lock); a daemon thread of
    this worker logs them with the collectors in batches."""

    def __init__(self, collectors: dict[str, Any]) -> None:
        self.collectors = collectors
        self.pending: list[tuple[list[dict[str, Any]], list[Any]]] = []
        self.rows = 0
        self.dropped = 0
        self.ready = threading.Condition()
        threading.Thread(target=self._run, name="data-collection", daemon=True).start()

    def add(self, records: list[dict[str, Any]], predictions: list[Any]) -> None:
        with self.ready:
            if self.rows + len(records) > MAX_PENDING_ROWS:
                self.dropped += len(records)
                return
            self.pending.append((records, predictions))
            self.rows += len(records)
            if self.rows >= COLLECT_ROWS:
                self.ready.notify()

    def _run(self) -> None:
        while True:
            with self.ready:
                self.ready.wait_for(lambda: self.rows >= COLLECT_ROWS, timeout=COLLECT_EVERY_S)
                batch, self.pending, self.rows = self.pending, [], 0
                dropped, self.dropped = self.dropped, 0
            if dropped:
                logger.warning("data collection fell behind: %d scored rows were not logged", dropped)
            if batch:
                self._log(batch)

    def _log(self, batch: list[tuple[list[dict[str, Any]], list[Any]]]) -> None:
        try:
            import pandas as pd

            context = None
            if "model_inputs" in self.collectors:
                rows = [row for records, _ in batch for row in records]
                context = self.collectors["model_inputs"].collect(pd.DataFrame.from_records(rows))
            if "model_outputs" in self.collectors:
                predictions = [value for _, values in batch for value in values]
                self.collectors["model_outputs"].collect(pd.DataFrame({"prediction": predictions}), context)
        except Exception as error:  # the predictions were answered; collection is best effort, as on Azure
            logger.warning("data collection failed: %s", error)


_batches: _Batches | None = None


def _start_collectors() -> None:
    global _batches  # noqa: PLW0603 - one logging thread per worker process, started by init()
    _batches = None
    names = enabled_collections()
    if not names:
        return
    try:
        from azureml.ai.monitoring import Collector
    except ImportError:
        logger.warning("the deployment collects %s, but azureml-ai-monitoring is not installed", names)
        return
    collectors = {
        name: Collector(name=name, on_error=lambda error: logger.warning("%s", error)) for name in names
    }
    _batches = _Batches(collectors)
    logger.info("collecting %s", ", ".join(names))


def _collect(records: list[dict[str, Any]], result: dict[str, Any]) -> None:
    """Queue a scored request's inputs (as sent) and predictions for Azure ML's data collector client."""
    if _batches is not None:
        _batches.add(records, result["predictions"])


def init() -> None:
    global _model  # noqa: PLW0603 - Azure ML's init()/run() contract keeps the model in module state
    _model = OnnxModel.from_bundle(os.environ.get("AZUREML_MODEL_DIR", "."))
    logger.info("loaded model for contract %s", _model.contract.name)
    _publish_openapi(_model)
    _start_collectors()


def _publish_openapi(model: OnnxModel) -> None:
    """`swagger.json` / `swagger3.json` from the contract in the app root, where the inference server reads
    them after init() (see `datascience.openapi`); without them it serves an empty ServiceInput."""
    root = os.environ.get("AML_APP_ROOT")
    if not root:
        return
    try:
        from datascience import openapi

        smoke = model.folder / SMOKE_REQUEST_FILE
        example = json.loads(smoke.read_text(encoding="utf-8")) if smoke.is_file() else None
        service = {
            "name": os.environ.get("SERVICE_NAME", "ML service"),
            "version": os.environ.get("SERVICE_VERSION", "1.0"),
            "path_prefix": os.environ.get("SERVICE_PATH_PREFIX", ""),
        }
        specifications = openapi.documents(
            model.contract,
            openapi.server_templates(),
            max_rows=MAX_ROWS,
            example=example,
            classes=model.classes,
            service=service,
        )
        openapi.write_documents(Path(root), specifications)
    except (
        OSError,
        ValueError,
        ImportError,
    ) as error:  # the API still serves; only its description is generic
        logger.warning("the API specification from the contract was not written to %s: %s", root, error)


@rawhttp
def run(raw_data: Any) -> Any:
    if _model is None:
        return _response({"error": "the model is not loaded (init() did not run)", "field": None}, 503)
    started = time.monotonic()
    deadline = started + timeout_ms() / 1000
    try:
        if _is_http_request(raw_data):
            raw_data = read_body(raw_data, limit=MAX_BODY_BYTES, deadline=deadline)
        records = parse_request(raw_data)
        result = score_records(_model, records)
        if time.monotonic() > deadline:
            message = f"scoring took longer than the request timeout ({timeout_ms()} ms)"
            raise RequestError(message, status=408)
        _collect(records, result)
        return result
    except RequestError as error:
        logger.info("rejected request (%d): %s", error.status, error)
        return _response(error.body(), error.status, error.headers)
