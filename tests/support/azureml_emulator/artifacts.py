"""The artifact service of `<region>.api.azureml.ms` (`/artifact/v2.0/...`): files listed with a run.

Shapes from azure-rest-api-specs, machinelearningservices data-plane `artifact.json` (2019-08-01):
`Artifacts_Register` (POST .../artifacts/register, body and answer an `Artifact`: origin, container, path,
dataPath {dataStoreName, relativePath}; the answer adds artifactId `{origin}/{container}/{path}`, etag and
createdTime) and `Artifacts_ListInContainer` (GET .../artifacts/{origin}/{container}, a
`PaginatedArtifactList`). No recording of this traffic exists; like the service, registering checks that
the container is a known run's (`dcid.<run id>`), that the datastore exists in the workspace and that the
blob is there, and answers a `UserError` otherwise.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from .http import Request, Response
from .store import now

ROUTE = re.compile(
    r"^/artifact/v2\.0/subscriptions/[^/]+/resourceGroups/[^/]+/providers/"
    r"Microsoft\.MachineLearningServices/workspaces/(?P<workspace>[^/]+)/artifacts"
    r"(?:/(?P<register>register)|/(?P<origin>[^/]+)/(?P<container>[^/]+))$",
    re.IGNORECASE,
)


def _error(message: str, status: int = 400, code: str = "UserError") -> Response:
    return Response.json({"error": {"code": code, "message": message}}, status)


class Artifacts:
    def __init__(self, emulator: Any, runs: dict[str, dict[str, Any]]) -> None:
        self.emulator = emulator
        self.runs = runs
        self.registered: dict[tuple[str, str, str], dict[str, Any]] = {}  # (workspace, origin, container)

    def handles(self, path: str) -> bool:
        return path.startswith("/artifact/v2.0/")

    def __call__(self, request: Request) -> Response:
        match = ROUTE.match(request.path)
        if match is None:
            return _error(f"no artifact route {request.path}", 404, "NotEmulated")
        workspace = match["workspace"]
        if workspace not in self.emulator.workspaces:
            return _error(f"workspace {workspace} not found", 404)
        if match["register"] and request.method == "POST":
            return self.register(workspace, request.json() or {})
        if not match["register"] and request.method == "GET":
            key = (workspace, match["origin"], match["container"])
            return Response.json({"value": list(self.registered.get(key, {}).values()), "nextLink": None})
        return _error(f"{request.method} is not allowed here", 405)

    def register(self, workspace: str, body: dict[str, Any]) -> Response:
        missing = [key for key in ("origin", "container", "path") if not body.get(key)]
        if missing:
            return _error(f"the artifact needs {', '.join(missing)}")
        origin, container, path = str(body["origin"]), str(body["container"]), str(body["path"])
        if origin == "ExperimentRun":
            run_id = container.removeprefix("dcid.")
            if not container.startswith("dcid.") or run_id not in self.runs:
                return _error(f"container {container} is not the data container of a run here", 404)
        data_path = body.get("dataPath") or {}
        store_name, relative = data_path.get("dataStoreName"), data_path.get("relativePath")
        if not store_name or not relative:
            return _error("dataPath needs dataStoreName and relativePath")
        store = self.emulator.store.get(self.emulator.path("datastores", store_name, workspace=workspace))
        if store is None:
            return _error(f"datastore {store_name} not found in workspace {workspace}", 404)
        blob = self.emulator.container(store["properties"]["containerName"]).get_blob_client(relative)
        if not blob.exists():
            return _error(f"no blob {relative} in datastore {store_name}", 404)
        artifact = {
            "artifactId": f"{origin}/{container}/{path}",
            "origin": origin,
            "container": container,
            "path": path,
            "etag": f'"{uuid.uuid4()}"',
            "createdTime": now(),
            "dataPath": {"dataStoreName": store_name, "relativePath": relative},
        }
        self.registered.setdefault((workspace, origin, container), {})[path] = artifact
        return Response.json(artifact)
