"""Managed online endpoints whose deployments really serve, and batch endpoints whose jobs really run.

ARM routes (mfe.json 2023-04-01-preview/2022-02-01-preview `OnlineEndpoints_*`, `OnlineDeployments_*`,
`BatchEndpoints_*`, `BatchDeployments_*`; recordings online_services/test_online_endpoint*.json,
batch_services/*): PUTs of endpoints and deployments are long-running operations answered 201/200 with
`Azure-AsyncOperation: .../locations/<region>/mfeOperationsStatus/<id>` and `Retry-After: 1`; the status
document says InProgress at least once before Succeeded/Failed; DELETE answers 202 the same way.
The service fills what azure-ai-ml needs: `scoringUri`, `properties.properties` on endpoints,
`scaleSettings`, `sku.capacity`, `endpointComputeType` on deployments, `defaults` on batch endpoints.

A deployment's operation downloads its model version and code snapshot from Azurite and starts the real
Azure ML inference server on loopback; `https://<endpoint>.<region>.inference.ml.azure.com/score` (through
the proxy) checks the endpoint key (`Authorization: Bearer <key>`, from POST listKeys) or an Entra token
for `https://ml.azure.com` (aad_token endpoints), and routes by `azureml-model-deployment` or traffic.
A deployment with an enabled `dataCollector` collection gets the platform's collector sidecar
(data_collector.py), which stores what its scoring script logs in the workspace's blob store.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import threading
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from . import data_collector
from .arm import arm_error, not_found
from .http import Request, Response

OPERATION_API = "2023-04-01-preview"
PROXY_VARIABLES = {
    "https_proxy",
    "http_proxy",
    "no_proxy",
    "requests_ca_bundle",
    "ssl_cert_file",
    "curl_ca_bundle",
}


def service_environment() -> dict[str, str]:
    """What runs on Azure's side (scoring containers, batch jobs): no client proxy settings inherited."""
    return {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARIABLES}


class Operations:
    """Long-running operations: id -> {"status", "error"}; each reports InProgress to its first poll."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.items: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.polls = 0
        self.hold = False  # when set, every operation reports InProgress (an operation that hangs)

    def start(self, work: Any) -> str:
        op = str(uuid.uuid4())
        record: dict[str, Any] = {"status": "InProgress", "polled": 0, "error": None}
        with self.lock:
            self.items[op] = record

        def run() -> None:
            try:
                work()
                record["status"] = "Succeeded"
            except Exception as exc:
                record["error"] = f"{type(exc).__name__}: {exc}"
                record["status"] = "Failed"

        threading.Thread(target=run, daemon=True).start()
        return op

    def url(self, op: str) -> str:
        return (
            f"https://management.azure.com/subscriptions/{self.emulator.subscription}/providers/"
            f"Microsoft.MachineLearningServices/locations/{self.emulator.location}/mfeOperationsStatus/{op}"
            f"?api-version={OPERATION_API}"
        )

    def headers(self, op: str) -> dict[str, str]:
        return {
            "Azure-AsyncOperation": self.url(op),
            "Retry-After": "1",
            "x-ms-async-operation-timeout": "PT30M",
        }

    def poll(self, request: Request) -> Response | None:
        match = re.search(
            r"/locations/[^/]+/mfeoperationsstatus/(?P<op>[^/?]+)$", request.path, re.IGNORECASE
        )
        if not match:
            return None
        record = self.items.get(match["op"])
        if record is None:
            return arm_error(404, "NotFound", "operation not found")
        with self.lock:
            self.polls += 1
            record["polled"] += 1
            status = "InProgress" if record["polled"] == 1 or self.hold else record["status"]
        body: dict[str, Any] = {"id": request.path, "name": match["op"], "status": status}
        if status == "Failed":
            body["error"] = {"code": "DeploymentFailed", "message": record["error"]}
        return Response.json(body, headers={"Retry-After": "1"})


class Online:
    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.operations = Operations(emulator)
        self.servers: dict[
            str, dict[str, Any]
        ] = {}  # "<endpoint>/<deployment>" -> {"process", "port", "log"}
        self.keys: dict[str, tuple[str, str]] = {}
        self.collectors: dict[str, data_collector.Sidecar] = {}  # "<endpoint>/<deployment>" -> its collector
        arm = emulator.arm
        arm.operations = self.operations
        ep = r"/(?P<kind>onlineendpoints|batchendpoints)/(?P<endpoint>[^/]+)"
        arm.route("PUT", ep, self.put_endpoint)
        arm.route("DELETE", ep, self.delete_endpoint)
        arm.route("POST", ep + r"/listkeys", self.list_keys)
        arm.route("PUT", ep + r"/deployments/(?P<deployment>[^/]+)", self.put_deployment)
        arm.route("DELETE", ep + r"/deployments/(?P<deployment>[^/]+)", self.delete_deployment)
        arm.route("POST", ep + r"/deployments/(?P<deployment>[^/]+)/getlogs", self.get_logs)
        emulator.proxy.route(f".{emulator.location}.inference.ml.azure.com", self.score)

    # --- endpoints ----------------------------------------------------------------------------------
    def put_endpoint(self, request: Request, match: re.Match[str]) -> Response:
        store = self.emulator.store
        existing = store.get(request.path)
        body = request.json() or {}
        properties = dict(body.get("properties") or {})
        name = match["endpoint"]
        kind = match["kind"].lower()
        if kind == "onlineendpoints":
            traffic = {k: int(v) for k, v in (properties.get("traffic") or {}).items()}
            problem = self._check_traffic(request.path, traffic)
            if problem:
                return arm_error(400, "BadArgument", problem)
            properties["traffic"] = traffic
            properties.setdefault("mirrorTraffic", {})
            properties["scoringUri"] = f"https://{name}.{self.emulator.location}.inference.ml.azure.com/score"
            properties["swaggerUri"] = properties["scoringUri"].replace("/score", "/swagger.json")
            properties.setdefault("authMode", "Key")
            self.keys.setdefault(name, (secrets.token_urlsafe(24), secrets.token_urlsafe(24)))
        else:
            properties["scoringUri"] = f"https://{name}.{self.emulator.location}.inference.ml.azure.com/jobs"
            defaults = properties.get("defaults") or (existing or {}).get("properties", {}).get("defaults")
            properties["defaults"] = defaults or {"deploymentName": None}
            properties["authMode"] = "AADToken"  # the SDK sends "aadToken"; the service answers "AADToken"
        properties["properties"] = {
            k: v
            for k, v in (properties.get("properties") or {}).items()
            if not k.startswith(("createdBy", "createdAt", "lastModified"))
        }
        properties.setdefault("publicNetworkAccess", "Enabled")
        properties["provisioningState"] = "Succeeded"
        document = {
            "location": self.emulator.location,
            "kind": "Managed",
            "tags": body.get("tags") or {},
            "identity": {
                "type": "SystemAssigned",
                "principalId": str(uuid.uuid4()),
                "tenantId": self.emulator.identity.tenant_id,
            },
            "properties": {**properties, "provisioningState": "Updating" if existing else "Creating"},
        }
        stored = store.put(request.path, document)
        op = self.operations.start(lambda: store.update(request.path, provisioningState="Succeeded"))
        return Response.json(stored, 200 if existing else 201, self.operations.headers(op))

    def _check_traffic(self, path: str, traffic: dict[str, int]) -> str | None:
        if not traffic:
            return None
        if any(v < 0 for v in traffic.values()) or sum(traffic.values()) not in (0, 100):
            return f"Traffic values must be non-negative and sum to 100, got {traffic}"
        for deployment, weight in traffic.items():
            item = self.emulator.store.get(f"{path}/deployments/{deployment}")
            if item is None:
                return f"Deployment {deployment} does not exist on this endpoint"
            if weight > 0 and item["properties"].get("provisioningState") != "Succeeded":
                return f"Deployment {deployment} is not in a Succeeded state"
        return None

    def delete_endpoint(self, request: Request, match: re.Match[str]) -> Response:
        store = self.emulator.store
        if store.get(request.path) is None:
            return Response(204)
        name = match["endpoint"]

        def work() -> None:
            for key in [k for k in self.servers if k.startswith(name + "/")]:
                self._stop(key)
            store.delete(request.path)

        op = self.operations.start(work)
        return Response(202, b"", {**self.operations.headers(op), "Location": self.operations.url(op)})

    def list_keys(self, request: Request, match: re.Match[str]) -> Response:
        path = request.path.rsplit("/", 1)[0]
        if self.emulator.store.get(path) is None:
            return not_found(request)
        primary, secondary = self.keys[match["endpoint"]]
        return Response.json({"primaryKey": primary, "secondaryKey": secondary})

    # --- deployments --------------------------------------------------------------------------------
    def put_deployment(self, request: Request, match: re.Match[str]) -> Response:
        store = self.emulator.store
        endpoint_path = request.path.split("/deployments/")[0]
        if store.get(endpoint_path) is None:
            return not_found(request)
        existing = store.get(request.path)
        body = request.json() or {}
        properties = dict(body.get("properties") or {})
        online = match["kind"].lower() == "onlineendpoints"
        if online:
            properties.setdefault("endpointComputeType", "Managed")
            properties.setdefault("scaleSettings", {"scaleType": "Default"})
            properties.setdefault(
                "requestSettings", {"requestTimeout": "PT5S", "maxConcurrentRequestsPerInstance": 1}
            )
        properties = data_collector.normalized(properties)
        properties["provisioningState"] = "Updating" if existing else "Creating"
        document = {
            "location": self.emulator.location,
            "kind": "Managed" if online else None,
            "tags": body.get("tags") or {},
            "sku": body.get("sku") or {"name": "Default", "capacity": 1},
            "properties": properties,
        }
        stored = store.put(request.path, document)
        key = f"{match['endpoint']}/{match['deployment']}"

        def work() -> None:
            try:
                if online:
                    self._serve(key, properties, workspace=self._workspace_of(request.path))
                else:
                    self.emulator.batch.check_deployment(properties)
                store.update(request.path, provisioningState="Succeeded")
            except Exception:
                store.update(request.path, provisioningState="Failed")
                raise

        op = self.operations.start(work)
        return Response.json(stored, 200 if existing else 201, self.operations.headers(op))

    def _model_dir(self, model_id: str, folder: Path) -> Path:
        model_id = model_id.removeprefix("azureml:")
        model = self.emulator.store.get(model_id)
        if model is None:
            raise RuntimeError(f"model {model_id} not found")
        return self.emulator.jobs._download_uri(model["properties"]["modelUri"], folder, folder=True)

    def _code_dir(self, code_id: str, folder: Path) -> Path:
        code = self.emulator.store.get(code_id.removeprefix("azureml:"))
        if code is None:
            raise RuntimeError(f"code {code_id} not found")
        return self.emulator.jobs._download_uri(code["properties"]["codeUri"], folder, folder=True)

    def _workspace_of(self, path: str) -> str:
        match = re.search(r"/workspaces/(?P<workspace>[^/]+)/", path, re.IGNORECASE)
        return match["workspace"] if match else self.emulator.workspace

    def _serve(self, key: str, properties: dict[str, Any], *, workspace: str) -> None:
        from amlops.backends.local.endpoints import launch_inference_server

        folder = self.emulator.folder / "deployments" / key.replace("/", "__") / uuid.uuid4().hex[:8]
        model_dir = self._model_dir(str(properties["model"]), folder / "model")
        config = properties.get("codeConfiguration") or {}
        code = self._code_dir(str(config["codeId"]), folder / "code")
        script = code / str(config["scoringScript"])
        if not script.is_file():
            raise RuntimeError(f"scoring script {config['scoringScript']} is not in the code snapshot")
        self._stop(key)
        environ = service_environment()
        collections = data_collector.enabled_collections(properties)
        sidecar = None
        if collections:  # the platform's collector sidecar, writing to the workspace's blob store
            endpoint, deployment = key.split("/", 1)
            container = self.emulator.container(self.emulator.workspaces[workspace])
            sidecar = data_collector.Sidecar(
                container,
                endpoint,
                deployment,
                source=self.emulator.path(
                    "onlineEndpoints", endpoint, "deployments", deployment, workspace=workspace
                ),
            )
            environ.update(sidecar.environment(collections, folder))
            self.collectors[key] = sidecar
        process, port = launch_inference_server(
            code, script, model_dir, folder / "server.log", label=key, environ=environ
        )
        self.servers[key] = {"process": process, "port": port, "log": folder / "server.log"}

    def _stop(self, key: str) -> None:
        from amlops import processes

        server = self.servers.pop(key, None)
        if server:
            processes.stop(server["process"].pid, reap=server["process"].poll)
        sidecar = self.collectors.pop(key, None)
        if sidecar:
            sidecar.stop()

    def delete_deployment(self, request: Request, match: re.Match[str]) -> Response:
        store = self.emulator.store
        endpoint = store.get(request.path.split("/deployments/")[0])
        if store.get(request.path) is None:
            return Response(204)
        if endpoint and int((endpoint["properties"].get("traffic") or {}).get(match["deployment"], 0)) > 0:
            return arm_error(
                409, "Conflict", f"Deployment {match['deployment']} takes traffic; shift it away first"
            )
        key = f"{match['endpoint']}/{match['deployment']}"

        def work() -> None:
            self._stop(key)
            store.delete(request.path)

        op = self.operations.start(work)
        return Response(202, b"", {**self.operations.headers(op), "Location": self.operations.url(op)})

    def get_logs(self, request: Request, match: re.Match[str]) -> Response:
        server = self.servers.get(f"{match['endpoint']}/{match['deployment']}")
        tail = int((request.json() or {}).get("tail") or 50)
        text = ""
        if server and Path(server["log"]).is_file():
            text = "\n".join(Path(server["log"]).read_text(errors="replace").splitlines()[-tail:])
        return Response.json({"content": text})

    # --- scoring ------------------------------------------------------------------------------------
    def score(self, request: Request) -> Response:
        name = request.host.split(".")[0]
        if request.path == "/jobs":
            return self.emulator.batch.invoke(request, name)
        # endpoint names are unique per region, so the host names one endpoint of whichever workspace
        paths = [self.emulator.path("onlineEndpoints", name, workspace=w) for w in self.emulator.workspaces]
        path = next((p for p in paths if self.emulator.store.get(p) is not None), paths[0])
        endpoint = self.emulator.store.get(path)
        if endpoint is None:
            return Response.json({"message": f"endpoint {name} not found"}, 404)
        auth = request.header("authorization")
        mode = endpoint["properties"].get("authMode", "Key")
        if mode == "Key":
            if auth.split(" ", 1)[-1] not in self.keys.get(name, ()):
                return Response(
                    401,
                    b"Invalid authentication: the key is not valid for this endpoint",
                    {"Content-Type": "text/plain"},
                )
        elif self.emulator.identity.verify(auth, "https://ml.azure.com") is not None:
            return Response(401, b"Invalid authentication token", {"Content-Type": "text/plain"})
        if request.path != "/score":
            return Response.json({"message": "not found"}, 404)
        traffic = {k: int(v) for k, v in (endpoint["properties"].get("traffic") or {}).items() if int(v) > 0}
        deployment = request.header("azureml-model-deployment")
        if deployment:
            if self.emulator.store.get(f"{path}/deployments/{deployment}") is None:
                return Response.json({"message": f"deployment {deployment} not found"}, 404)
        elif traffic:
            deployment = random.choices(list(traffic), weights=list(traffic.values()))[0]
        else:
            return Response.json({"message": "no deployment takes traffic (set the endpoint's traffic)"}, 424)
        server = self.servers.get(f"{name}/{deployment}")
        if server is None:
            return Response.json({"message": f"deployment {deployment} is not serving"}, 502)
        forward = urllib.request.Request(
            f"http://127.0.0.1:{server['port']}/score",
            data=request.body,
            method="POST",
            headers={"Content-Type": request.header("content-type", "application/json")},
        )
        try:
            with urllib.request.urlopen(forward, timeout=60) as answer:
                status, body = answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        return Response(
            status, body, {"Content-Type": "application/json", "azureml-model-deployment": deployment}
        )

    def stop(self) -> None:
        for key in list(self.servers):
            self._stop(key)


def install(emulator: Any) -> Online:
    return Online(emulator)
