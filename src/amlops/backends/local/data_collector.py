"""The data collector of a local online deployment: what Azure ML's data collector does for a managed one.

An online deployment spec's `data_collector` (Azure ML's schema: `collections: {<name>: {enabled: 'True'}}`,
`sampling_rate` 0.0-1.0, `rolling_rate`) turns collection on. The scoring script logs with Azure ML's own
client, `azureml.ai.monitoring.Collector(name="model_inputs")`, which posts each logged frame to the
collector sidecar at `http://$AZUREML_MDC_HOST:$AZUREML_MDC_PORT/modeldata/log` when the file named by
`$AZUREML_MDC_CONFIG_PATH` enables the collection. On Azure the platform writes that file and runs the
sidecar; locally `collection_config` reads the spec, `server_environ` writes the file and sets the
variables, and the server's launcher starts `Sidecar` in the server process (`start_from_environ`), so it
lives and dies with the server.

The sidecar stores what Azure ML's stores, where it stores it: one JSON line per logged frame (`envelope`: the
CloudEvents fields Azure ML writes, `data` the frame's records) under
`<state>/modelDataCollector/<endpoint>/<deployment>/<collection>/YYYY/MM/DD/HH/` (`collected_folder`), the
layout of `azureml://datastores/workspaceblobstore/paths/modelDataCollector/...` with the hourly rolling rate.
The monitor's drift check reads those folders on both backends (`datascience.collected`).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from amlops.backends.base import COLLECTED_INPUTS
from amlops.errors import ConfigError

FOLDER = "modelDataCollector"
LOG_PATH = "/modeldata/log"
# The scoring script's collections; `request` / `response` are Azure ML's payload logging, not built here.
PAYLOAD_COLLECTIONS = ("request", "response")
INPUTS = COLLECTED_INPUTS  # the collection the drift check reads
MAX_PAYLOAD_BYTES = 16 * 1024 * 1024

ROOT_VARIABLE = "AMLOPS_MDC_ROOT"
SOURCE_VARIABLE = "AMLOPS_MDC_SOURCE"


def _enabled(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ConfigError(f"{where}: must be 'True' or 'False', got {value!r}")


def collection_config(spec: Mapping[str, Any], *, source: str = "spec") -> dict[str, Any] | None:
    """The sidecar configuration a deployment spec asks for (`{"collections": {name: {"enabled",
    "sampleRatePercentage"}}}`, the file Azure ML gives the scoring container), None when it collects nothing.
    ConfigError names a malformed key."""
    collector = spec.get("data_collector")
    if collector is None:
        return None
    where = f"{source}: data_collector"
    if not isinstance(collector, Mapping):
        raise ConfigError(f"{where} must be a mapping")
    collections = collector.get("collections")
    if not isinstance(collections, Mapping) or not collections:
        raise ConfigError(f"{where}.collections must map collection names to {{enabled: 'True'}}")
    rate = collector.get("sampling_rate", 1.0)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= float(rate) <= 1.0:
        raise ConfigError(f"{where}.sampling_rate must be a number from 0.0 to 1.0, got {rate!r}")
    config: dict[str, Any] = {}
    for name, settings in collections.items():
        if not isinstance(settings, Mapping) or "enabled" not in settings:
            raise ConfigError(f"{where}.collections.{name} must be a mapping with `enabled`")
        enabled = _enabled(settings["enabled"], f"{where}.collections.{name}.enabled")
        config[str(name).lower()] = {
            "enabled": enabled,
            "sampleRatePercentage": round(float(rate) * 100),
        }
    if not any(c["enabled"] for c in config.values()):
        return None
    return {"collections": config, "runMode": "cloud"}


def collected_folder(root: Path, endpoint: str, deployment: str | None = None, collection: str = "") -> Path:
    """`<root>/modelDataCollector/<endpoint>[/<deployment>[/<collection>]]`."""
    folder = root / FOLDER / endpoint
    if deployment:
        folder = folder / deployment
        if collection:
            folder = folder / collection
    return folder


def hour_folder(when: datetime) -> str:
    """The hourly rolling path below a collection: `YYYY/MM/DD/HH`."""
    return when.astimezone(UTC).strftime("%Y/%m/%d/%H")


def server_environ(
    config: Mapping[str, Any], *, folder: Path, root: Path, endpoint: str, deployment: str, port: int
) -> dict[str, str]:
    """What a local server needs to collect: the configuration file (written into the deployment's `folder`),
    where the collector client sends (`AZUREML_MDC_HOST`/`PORT`) and where the sidecar writes."""
    path = folder / "data-collector.json"
    path.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return {
        "AZUREML_MDC_CONFIG_PATH": str(path),
        "AZUREML_MDC_HOST": "127.0.0.1",
        "AZUREML_MDC_PORT": str(port),
        ROOT_VARIABLE: str(root),
        SOURCE_VARIABLE: f"{endpoint}/{deployment}",
    }


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def envelope(
    headers: Mapping[str, str], body: bytes, *, source: str, received: datetime
) -> tuple[str, dict[str, Any]]:
    """(collection, the JSON line Azure ML stores) for one payload the collector client posted; ValueError
    for a payload that is not one (no event type, not a JSON list of records)."""
    event_type = _header(headers, "ce-type") or ""
    prefix = "azureml.inference."
    if not event_type.startswith(prefix) or len(event_type) == len(prefix):
        raise ValueError(f"ce-type must be azureml.inference.<collection>, got {event_type!r}")
    collection = event_type[len(prefix) :].lower()
    if (_header(headers, "content-type") or "").split(";")[0].strip() != "application/json":
        raise ValueError("only JSON payloads (pandas frames as records) are stored")
    data = json.loads(body.decode("utf-8"))
    if not isinstance(data, list):
        raise ValueError("the payload must be a JSON list of records")
    stamp = _header(headers, "ce-time")
    try:
        when = datetime.fromtimestamp(int(float(stamp)), UTC) if stamp else received
    except (ValueError, OverflowError):
        when = received
    line = {
        "specversion": "1.0",
        "id": _header(headers, "trace-id") or str(uuid.uuid4()),
        "source": source,
        "type": event_type,
        "datacontenttype": "application/json",
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": data,
        "correlationid": _header(headers, "ce-x-request-id") or _header(headers, "trace-id") or "",
        "modelversion": _header(headers, "ce-model-version") or "default",
        "collectdatatype": _header(headers, "ce-collect-data-type") or "",
        "agent": _header(headers, "ce-agent") or "",
    }
    return collection, line


class Store:
    """Appends envelopes to `<collection folder>/YYYY/MM/DD/HH/<writer>.jsonl`, one writer per sidecar."""

    def __init__(self, root: Path, endpoint: str, deployment: str) -> None:
        self.root, self.endpoint, self.deployment = root, endpoint, deployment
        self.writer = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._lock = threading.Lock()

    def append(self, collection: str, line: Mapping[str, Any]) -> Path:
        when = datetime.strptime(str(line["time"]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        folder = collected_folder(self.root, self.endpoint, self.deployment, collection) / hour_folder(when)
        path = folder / f"{self.writer}.jsonl"
        text = json.dumps(line, separators=(",", ":"), default=str) + "\n"
        with self._lock:
            folder.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write(text)
        return path


def _handler(store: Store, source: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # http.server's name
            if self.path.split("?")[0] != LOG_PATH:
                self._answer(404, f"no such path {self.path}; the collector accepts POST {LOG_PATH}")
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length <= 0 or length > MAX_PAYLOAD_BYTES:
                self._answer(413 if length else 400, "the payload must have 1 to 16 MiB")
                return
            body = self.rfile.read(length)
            try:
                collection, line = envelope(
                    dict(self.headers.items()), body, source=source, received=datetime.now(UTC)
                )
            except (ValueError, UnicodeDecodeError) as error:
                self._answer(400, str(error))
                return
            store.append(collection, line)
            self._answer(200, "ok")

        def _answer(self, status: int, message: str) -> None:
            payload = message.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # the base class's signature
            return  # the server's own log has the scoring requests; one line per payload would double it

    return Handler


class Sidecar:
    """The collector endpoint on loopback, served by a daemon thread."""

    def __init__(self, store: Store, port: int, *, source: str) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(store, source))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="data-collector", daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> Sidecar:
        self.thread.start()
        return self

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.server.shutdown()
            self.server.server_close()


def start_from_environ(environ: Mapping[str, str] | None = None) -> Sidecar | None:
    """Start the sidecar a local server's environment asks for (`server_environ`); None when it collects
    nothing. Called by the server's launcher before the inference server starts its workers."""
    env = os.environ if environ is None else environ
    root, source, port = env.get(ROOT_VARIABLE), env.get(SOURCE_VARIABLE), env.get("AZUREML_MDC_PORT")
    if not (root and source and port):
        return None
    endpoint, _, deployment = source.partition("/")
    return Sidecar(Store(Path(root), endpoint, deployment), int(port), source=f"local:{source}").start()
