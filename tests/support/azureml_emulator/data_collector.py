"""Azure ML's model data collector, as a managed online deployment's scoring container sees it.

A deployment whose `properties.dataCollector.collections.<name>.dataCollectionMode` is enabled gets what the
platform gives its container: a configuration file named by `AZUREML_MDC_CONFIG_PATH` (`{"collections":
{name: {"enabled", "sampleRatePercentage"}}}`, read by azureml-ai-monitoring's client) and a collector sidecar
at `AZUREML_MDC_HOST:AZUREML_MDC_PORT` that takes `POST /modeldata/log` (CloudEvents headers `ce-type:
azureml.inference.<collection>`, `ce-time`, `trace-id`; the body the frame's records). The sidecar stores each
payload as one JSON line in the workspace's blob container under
`modelDataCollector/<endpoint>/<deployment>/<collection>/YYYY/MM/DD/HH/<id>.jsonl`, the path of the data asset
azure-ai-ml registers for the collection (`azureml://datastores/workspaceblobstore/paths/modelDataCollector/
<endpoint>/<deployment>/<collection>`). Written here from the service's documented behaviour, not from amlops.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def enabled_collections(properties: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{collection: {"enabled": True, "sampleRatePercentage"}} of a deployment's enabled collections."""
    collector = properties.get("dataCollector") or {}
    collections = {}
    for name, settings in (collector.get("collections") or {}).items():
        if str((settings or {}).get("dataCollectionMode", "")).lower() == "enabled":
            rate = settings.get("samplingRate")
            percent = 100 if rate is None else round(float(rate) * 100)
            collections[str(name).lower()] = {"enabled": True, "sampleRatePercentage": percent}
    return collections


def normalized(properties: dict[str, Any]) -> dict[str, Any]:
    """The service answers `dataCollectionMode` as Enabled/Disabled whatever case the client sent."""
    collector = properties.get("dataCollector")
    if not isinstance(collector, dict):
        return properties
    collections = {}
    for name, settings in (collector.get("collections") or {}).items():
        mode = str((settings or {}).get("dataCollectionMode", "Disabled")).capitalize()
        collections[name] = {**(settings or {}), "dataCollectionMode": mode}
    return {**properties, "dataCollector": {**collector, "collections": collections}}


class Sidecar:
    """One deployment's collector: stores every payload as a blob in `container`; `payloads` and `rows`
    count them (and their records) per collection."""

    def __init__(self, container: Any, endpoint: str, deployment: str, source: str) -> None:
        self.container, self.endpoint, self.deployment, self.source = container, endpoint, deployment, source
        self.payloads: Counter[str] = Counter()
        self.rows: Counter[str] = Counter()  # records stored, per collection
        self.blobs: list[str] = []
        sidecar = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status = (
                    sidecar.store(dict(self.headers.items()), body) if self.path == "/modeldata/log" else 404
                )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # a free port of its own
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def store(self, headers: dict[str, str], body: bytes) -> int:
        lower = {k.lower(): v for k, v in headers.items()}
        kind = lower.get("ce-type", "")
        if not kind.startswith("azureml.inference.") or lower.get("content-type") != "application/json":
            return 400
        try:
            data = json.loads(body)
        except ValueError:
            return 400
        collection = kind.removeprefix("azureml.inference.")
        stamp = lower.get("ce-time")
        when = datetime.fromtimestamp(int(stamp), UTC) if stamp and stamp.isdigit() else datetime.now(UTC)
        event_id = lower.get("trace-id") or str(uuid.uuid4())
        line = {
            "specversion": "1.0",
            "id": event_id,
            "source": self.source,
            "type": kind,
            "datacontenttype": "application/json",
            "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data": data,
            "correlationid": lower.get("ce-x-request-id", ""),
            "modelversion": lower.get("ce-model-version", "default"),
            "collectdatatype": lower.get("ce-collect-data-type", ""),
            "agent": lower.get("ce-agent", ""),
        }
        name = (
            f"modelDataCollector/{self.endpoint}/{self.deployment}/{collection}/"
            f"{when.strftime('%Y/%m/%d/%H')}/{event_id}.jsonl"
        )
        self.container.upload_blob(name, (json.dumps(line) + "\n").encode(), overwrite=True)
        self.payloads[collection] += 1
        self.rows[collection] += len(data) if isinstance(data, list) else 0
        self.blobs.append(name)
        return 200

    def environment(self, collections: dict[str, dict[str, Any]], folder: Path) -> dict[str, str]:
        config = folder / "mdc-config.json"
        config.write_text(json.dumps({"collections": collections, "runMode": "cloud"}), encoding="utf-8")
        return {
            "AZUREML_MDC_CONFIG_PATH": str(config),
            "AZUREML_MDC_HOST": "127.0.0.1",
            "AZUREML_MDC_PORT": str(self.port),
        }

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.server.shutdown()
            self.server.server_close()
