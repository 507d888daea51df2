"""The emulated Azure Resource Manager surface of one Azure ML workspace (management.azure.com).

Generic behaviour, as ARM: PUT stores the document (filling id, name, type, systemData), GET returns it or
404 `ResourceNotFound`, GET of a collection lists `{"value": [...]}`, DELETE removes it. Resource-specific
behaviour (listSecrets, startPendingUpload, listKeys, long-running operations, jobs that really run,
deployments that really serve) is registered per route by the service. Every request needs a bearer token
for `https://management.azure.com/` that the emulated Entra issued.

Response shapes follow the REST specification
(Azure/azure-rest-api-specs, specification/machinelearningservices/resource-manager/
Microsoft.MachineLearningServices/preview/2024-10-01-preview/mfe.json and workspaceRP.json) and
azure-ai-ml's recordings (Azure/azure-sdk-assets, tag python/ml/azure-ai-ml_7fcdaa1ffe,
python/sdk/ml/azure-ai-ml/tests/recordings/).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .http import Request, Response
from .store import Store

ARM_AUDIENCE = ["https://management.azure.com", "https://management.azure.com/"]
WORKSPACE = (
    r"/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)"
    r"/providers/microsoft\.machinelearningservices/workspaces/(?P<ws>[^/]+)"
)

Handler = Callable[[Request, "re.Match[str]"], Response]


def arm_error(status: int, code: str, message: str) -> Response:
    return Response.json({"error": {"code": code, "message": message}}, status)


def not_found(request: Request) -> Response:
    return arm_error(
        404,
        "ResourceNotFound" if "/versions/" not in request.path else "UserError",
        f"The resource '{request.path.split('?')[0]}' was not found.",
    )


@dataclass
class Fault:
    """Answer `times` matching requests with `status` (and optional headers/body) instead of serving them."""

    method: str
    pattern: str
    status: int
    times: int = 1
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    hits: int = 0

    def matches(self, request: Request) -> bool:
        return (
            self.times > 0
            and request.method == self.method
            and re.search(self.pattern, request.path, flags=re.IGNORECASE) is not None
        )


class Arm:
    def __init__(self, store: Store, verify_token: Callable[[str, Any], str | None]) -> None:
        self.store = store
        self.verify_token = verify_token
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.faults: list[Fault] = []
        # The api-versions azure-ai-ml (pinned in uv.lock) sends; anything else is refused and recorded,
        # so an SDK upgrade that moves an api-version fails the tests until the emulator learns it.
        self.known_api_versions: set[str] = set(KNOWN_API_VERSIONS)
        self.unknown_api_versions: list[str] = []
        self._lock = threading.Lock()

    def route(self, method: str, suffix: str, handler: Handler) -> None:
        """`suffix` is a regular expression after the workspace path (matched case-insensitively)."""
        self.routes.append((method, re.compile(WORKSPACE + suffix + "$", re.IGNORECASE), handler))

    def fault(self, method: str, pattern: str, status: int, **kwargs: Any) -> Fault:
        fault = Fault(method, pattern, status, **kwargs)
        with self._lock:
            self.faults.append(fault)
        return fault

    def __call__(self, request: Request) -> Response:
        reason = self.verify_token(request.header("authorization"), ARM_AUDIENCE)
        if reason is not None:
            return Response.json(
                {"error": {"code": "InvalidAuthenticationToken", "message": reason}},
                401,
                {"WWW-Authenticate": f'Bearer error="invalid_token", error_description="{reason}"'},
            )
        version = request.query.get("api-version", "")
        if self.known_api_versions and version not in self.known_api_versions:
            with self._lock:
                self.unknown_api_versions.append(f"{request.method} {request.path}?api-version={version}")
            return arm_error(
                400,
                "NoRegisteredProviderFound",
                f"No registered resource provider found for API version '{version}'.",
            )
        with self._lock:
            fault = next((f for f in self.faults if f.matches(request)), None)
            if fault is not None:
                fault.times -= 1
                fault.hits += 1
        if fault is not None:
            body = fault.body or {"error": {"code": f"Http{fault.status}", "message": "injected fault"}}
            return Response.json(body, fault.status, fault.headers)
        operations = getattr(self, "operations", None)
        if operations is not None and request.method == "GET":
            polled = operations.poll(request)
            if polled is not None:
                return polled
        for method, pattern, handler in self.routes:
            if method == request.method:
                match = pattern.match(request.path)
                if match:
                    return handler(request, match)
        return self.generic(request)

    # --- generic ARM behaviour ----------------------------------------------------------------------
    def generic(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        if request.method == "GET":
            item = self.store.get(path)
            if item is not None:
                return Response.json(item)
            if path.split("/")[-1].lower() in COLLECTIONS:
                values = self.store.children(path)
                if request.query.get("isDefault", "").lower() == "true":
                    values = [v for v in values if (v.get("properties") or {}).get("isDefault")]
                return Response.json({"value": values})
            return not_found(request)
        if request.method == "PUT":
            document = request.json() or {}
            return Response.json(self.store.put(path, document), 200)
        if request.method == "DELETE":
            return Response(200 if self.store.delete(path) else 204)
        return arm_error(405, "MethodNotAllowed", f"{request.method} {path}")


KNOWN_API_VERSIONS = {
    "2022-02-01-preview",
    "2023-04-01",
    "2023-04-01-preview",
    "2023-08-01-preview",
    "2023-10-01",  # batch endpoints (get, create, invoke's listing; recordings batch_services/*)
    "2024-01-01-preview",
    "2024-10-01-preview",
    "2025-01-01-preview",
}

COLLECTIONS = {
    "datastores",
    "data",
    "codes",
    "environments",
    "components",
    "models",
    "versions",
    "jobs",
    "onlineendpoints",
    "deployments",
    "batchendpoints",
    "computes",
}
