"""Managed online endpoints: deployments beside the live one, traffic, rollback history, scoring.

The endpoint is created on first deploy from `pipelines/azureml/online-endpoint.yml` (auth mode from it).
The rollback history (previous traffic maps and champions) lives in one endpoint tag, `amlops.history`,
written in the same PUT as the traffic it belongs to. Scoring POSTs to the endpoint's `scoring_uri`
with the endpoint key (or an Entra token for `aad_token` endpoints) and, to pin a deployment, the
`azureml-model-deployment` header; azure-ai-ml's `online_endpoints.invoke` is not used, because it keeps
that header in a shared dict and later calls without a deployment still carry it.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from amlops.backends.azure.client import Connection
from amlops.backends.azure.errors import finish, service_call
from amlops.backends.azure.jobs import status_text
from amlops.backends.base import (
    COLLECTED_INPUTS,
    DataAsset,
    Deployment,
    Endpoint,
    InvokeResponse,
    ModelVersion,
    not_collecting,
)
from amlops.errors import ConfigError, FailedError, NotFoundError

HISTORY_TAG = "amlops.history"
INVOKE_TIMEOUT_S = 90.0
_MODEL_ID = re.compile(r"/models/(?P<name>[^/]+)/versions/(?P<version>[^/]+)$")
_DATA_ID = re.compile(r"/data/(?P<name>[^/]+)/versions/(?P<version>[^/]+)$")
_STATES = {"Succeeded": "running", "Failed": "failed", "Creating": "starting", "Updating": "starting"}


def model_of(deployment: Any) -> tuple[str, str]:
    """(name, version) of the model an online or batch deployment entity refers to."""
    model = deployment.model
    text = (
        model
        if isinstance(model, str)
        else getattr(model, "id", None) or getattr(model, "asset_id", "") or ""
    )
    match = _MODEL_ID.search(str(text))
    if match:
        return match["name"], match["version"]
    if isinstance(text, str) and text.startswith("azureml:") and text.count(":") == 2:
        _, name, version = text.split(":")
        return name, version
    return str(getattr(model, "name", "") or text), str(getattr(model, "version", "") or "")


class AzureOnline:
    def __init__(self, connection: Connection, registry: Any) -> None:
        self.connection = connection
        self.registry = registry

    # --- reading ------------------------------------------------------------------------------------
    def _endpoint(self, entity: Any, deployments: list[Any]) -> Endpoint:
        traffic = {k: int(v) for k, v in (entity.traffic or {}).items()}
        records = []
        for d in deployments:
            model_name, model_version = model_of(d)
            records.append(
                Deployment(
                    name=d.name,
                    endpoint=entity.name,
                    model_name=model_name,
                    model_version=model_version,
                    state=_STATES.get(
                        status_text(d.provisioning_state), status_text(d.provisioning_state).lower()
                    ),
                    scoring_uri=entity.scoring_uri or "",
                    traffic=traffic.get(d.name, 0),
                )
            )
        try:
            history = tuple(json.loads((entity.tags or {}).get(HISTORY_TAG, "[]")))
        except ValueError:
            history = ()
        return Endpoint(
            name=entity.name,
            kind="online",
            deployments=tuple(sorted(records, key=lambda r: r.name)),
            traffic={d.name: traffic.get(d.name, 0) for d in records},
            scoring_uri=entity.scoring_uri or "",
            history=history,
        )

    def _get(self, name: str) -> Any | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            with service_call("get online endpoint", name):
                return self.connection.ml.online_endpoints.get(name)
        except NotFoundError:
            return None
        except ResourceNotFoundError:
            return None

    def _deployments(self, name: str) -> list[Any]:
        with service_call("list deployments of online endpoint", name):
            return list(self.connection.ml.online_deployments.list(name))

    def get_endpoint(self, name: str) -> Endpoint | None:
        entity = self._get(name)
        return None if entity is None else self._endpoint(entity, self._deployments(name))

    def list_endpoints(self) -> list[Endpoint]:
        with service_call("list online endpoints"):
            entities = list(self.connection.ml.online_endpoints.list())
        return [self._endpoint(e, self._deployments(e.name)) for e in entities]

    # --- changing -----------------------------------------------------------------------------------
    def _ensure_endpoint(self, name: str, spec_dir: Path) -> Any:
        existing = self._get(name)
        if existing is not None:
            return existing
        from azure.ai.ml import load_online_endpoint
        from azure.ai.ml.entities import ManagedOnlineEndpoint

        spec = spec_dir / "online-endpoint.yml"
        if spec.is_file():
            try:
                entity = load_online_endpoint(spec, params_override=[{"name": name}])
            except Exception as exc:
                raise ConfigError(
                    f"{spec}: azure-ai-ml cannot load it: {' '.join(str(exc).split())[:400]}"
                ) from None
        else:
            entity = ManagedOnlineEndpoint(name=name, auth_mode="key")
        entity.tags = {**(entity.tags or {}), HISTORY_TAG: "[]"}
        with service_call("create online endpoint", name):
            poller = self.connection.ml.online_endpoints.begin_create_or_update(entity)
            return finish(poller, "create online endpoint", name)

    def collected_inputs(self, endpoint: str) -> DataAsset:
        """The data asset Azure ML's data collector writes the live deployment's `model_inputs` to
        (azure-ai-ml registers `<endpoint>-<deployment>-model_inputs` on deploy: a blob store folder)."""
        entity = self._get(endpoint)
        if entity is None:
            raise NotFoundError(f"no online endpoint named {endpoint!r}")
        weights = {name: int(weight) for name, weight in (entity.traffic or {}).items() if int(weight) > 0}
        if not weights:
            raise NotFoundError(f"online endpoint {endpoint!r} has no deployment taking traffic")
        live = max(weights, key=lambda name: weights[name])
        with service_call("get online deployment", f"{endpoint}/{live}"):
            deployment = self.connection.ml.online_deployments.get(live, endpoint_name=endpoint)
        collector = getattr(deployment, "data_collector", None)
        collection = (getattr(collector, "collections", None) or {}).get(COLLECTED_INPUTS)
        if collection is None or str(collection.enabled).lower() != "true":
            raise not_collecting(endpoint, live)
        match = _DATA_ID.search(str(getattr(collection, "data", "") or ""))
        name, version = (
            (match["name"], match["version"]) if match else (f"{endpoint}-{live}-{COLLECTED_INPUTS}", "1")
        )
        with service_call("get data asset", f"{name}:{version}"):
            data = self.connection.ml.data.get(name, version=version)
        return DataAsset(
            name=name,
            version=version,
            hash="",
            path=None,
            uri=str(data.path).rstrip("/") + "/",
            source=f"{endpoint}/{live}",
        )

    def create_online_deployment(
        self, endpoint: str, deployment: str, model: ModelVersion, *, deployment_spec: Path
    ) -> Deployment:
        from azure.ai.ml import load_online_deployment

        deployment_spec = Path(deployment_spec).resolve()
        self._ensure_endpoint(endpoint, deployment_spec.parent)
        try:
            entity = load_online_deployment(
                deployment_spec, params_override=[{"name": deployment}, {"endpoint_name": endpoint}]
            )
        except Exception as exc:
            raise ConfigError(
                f"{deployment_spec}: azure-ai-ml cannot load it: {' '.join(str(exc).split())[:400]}"
            ) from None
        entity.model = self.connection.asset_id("models", model.name, model.version)
        try:
            with (
                contextlib.chdir(deployment_spec.parent),
                service_call("create online deployment", f"{endpoint}/{deployment}"),
            ):
                poller = self.connection.ml.online_deployments.begin_create_or_update(
                    entity, skip_script_validation=True
                )
                created = finish(poller, "create online deployment", f"{endpoint}/{deployment}")
        except FailedError as exc:
            logs = self._logs(endpoint, deployment)
            raise FailedError(exc.message + (f"; last lines of its log:\n{logs}" if logs else "")) from None
        name, version = model_of(created)
        return Deployment(
            deployment,
            endpoint,
            name,
            version,
            _STATES.get(status_text(created.provisioning_state), "running"),
        )

    def _logs(self, endpoint: str, deployment: str) -> str:
        try:
            with service_call("get logs of", f"{endpoint}/{deployment}"):
                return str(self.connection.ml.online_deployments.get_logs(deployment, endpoint, lines=30))
        except Exception:
            return ""

    def set_traffic(
        self,
        endpoint: str,
        traffic: Mapping[str, int],
        *,
        history: tuple[Mapping[str, Any], ...] | None = None,
    ) -> Endpoint:
        entity = self._get(endpoint)
        if entity is None:
            raise NotFoundError(f"no online endpoint named {endpoint!r}")
        entity.traffic = {k: int(v) for k, v in traffic.items()}
        if history is not None:
            entity.tags = {
                **(entity.tags or {}),
                HISTORY_TAG: json.dumps(list(history), separators=(",", ":")),
            }
        with service_call("set the traffic of online endpoint", endpoint):
            poller = self.connection.ml.online_endpoints.begin_create_or_update(entity)
            finish(poller, "set the traffic of online endpoint", endpoint)
        found = self.get_endpoint(endpoint)
        assert found is not None
        return found

    def delete_deployment(self, endpoint: str, deployment: str) -> None:
        with service_call("delete online deployment", f"{endpoint}/{deployment}"):
            poller = self.connection.ml.online_deployments.begin_delete(
                name=deployment, endpoint_name=endpoint
            )
            finish(poller, "delete online deployment", f"{endpoint}/{deployment}")

    def delete_endpoint(self, endpoint: str) -> None:
        with service_call("delete online endpoint", endpoint):
            poller = self.connection.ml.online_endpoints.begin_delete(name=endpoint)
            finish(poller, "delete online endpoint", endpoint)

    # --- scoring ------------------------------------------------------------------------------------
    def _authorization(self, entity: Any) -> str:
        if status_text(entity.auth_mode).lower() in ("aad_token", "aadtoken"):
            token = self.connection.credential.get_token("https://ml.azure.com/.default").token
            return f"Bearer {token}"
        with service_call("get the keys of online endpoint", entity.name):
            keys = self.connection.ml.online_endpoints.get_keys(entity.name)
        return f"Bearer {keys.primary_key}"

    def invoke(self, endpoint: str, body: bytes, *, deployment: str | None = None) -> InvokeResponse:
        import requests

        entity = self._get(endpoint)
        if entity is None:
            raise NotFoundError(f"no online endpoint named {endpoint!r}")
        if not entity.scoring_uri:
            raise FailedError(f"online endpoint {endpoint!r} has no scoring URI yet (still provisioning?)")
        headers = {"Content-Type": "application/json", "Authorization": self._authorization(entity)}
        if deployment:
            headers["azureml-model-deployment"] = deployment
        started = time.monotonic()
        try:
            response = requests.post(entity.scoring_uri, data=body, headers=headers, timeout=INVOKE_TIMEOUT_S)
        except requests.RequestException as exc:
            raise FailedError(f"cannot reach {entity.scoring_uri}: {exc}") from None
        return InvokeResponse(
            status_code=response.status_code,
            body=response.text,
            deployment=response.headers.get("azureml-model-deployment") or deployment or "",
            elapsed_ms=round((time.monotonic() - started) * 1000, 2),
        )
