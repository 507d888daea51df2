"""The embedded `local` backend: everything in one state folder, nothing leaves the machine.

<state>/mlflow.db, mlartifacts/   MLflow tracking + model registry (SQLite)
<state>/data/<name>/<version>/    data asset snapshots (content-hashed)
<state>/runs/<run_id>/            pipeline runs (executor layout + amlops.json + decision.json)
<state>/components/<id>/          single component runs (validate-data, check-drift, batch jobs)
<state>/models/<name>/<version>/  downloaded model bundles (what deployments serve)
<state>/endpoints/<name>.json     online endpoints (keys: <name>.keys)
<state>/endpoints/<name>/         each deployment's served copy (code, model, spec) and server log
<state>/batch-endpoints/          batch endpoints
<state>/events.jsonl              registry changes, one JSON object per line
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from amlops.backends.base import (
    BatchJob,
    ComponentRun,
    DataAsset,
    Deployment,
    Endpoint,
    EventCallback,
    InvokeResponse,
    ModelVersion,
    PipelineRun,
)
from amlops.backends.local.batch import BatchEndpoints
from amlops.backends.local.data import DataStore
from amlops.backends.local.endpoints import OnlineEndpoints
from amlops.backends.local.events import EventLog
from amlops.backends.local.runs import Runs
from amlops.backends.local.tracking import Tracking
from amlops.config import Settings
from amlops.errors import UsageError

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


class LocalBackend:
    name = "local"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.state_dir = settings.state_dir
        self.tracking = Tracking(self.state_dir)
        self.data = DataStore(self.state_dir / "data")
        self.events = EventLog(self.state_dir / "events.jsonl")
        self.online = OnlineEndpoints(self.state_dir)
        self.batch = BatchEndpoints(self.state_dir)

    @cached_property
    def runs(self) -> Runs:
        return Runs(self.state_dir, self.settings.project.root, self.tracking, self.data)

    # data assets
    def register_data(self, name: str, path: Path) -> DataAsset:
        return self.data.register(name, path)

    def get_data(self, name: str, version: str | None = None) -> DataAsset:
        return self.data.get(name, version)

    def list_data(self) -> list[DataAsset]:
        return self.data.list()

    def tag_data(self, name: str, version: str, tags: Mapping[str, str]) -> DataAsset:
        return self.data.tag(name, version, tags)

    # components and pipelines
    def run_component(
        self,
        component_file: Path,
        *,
        inputs: Mapping[str, Any],
        outputs: Mapping[str, Path] | None = None,
        label: str = "",
        on_event: EventCallback | None = None,
    ) -> ComponentRun:
        return self.runs.run_component(
            component_file, inputs=inputs, outputs=outputs, label=label, on_event=on_event
        )

    def run_pipeline(
        self,
        job_file: Path,
        *,
        inputs: Mapping[str, Any],
        tags: Mapping[str, str] | None = None,
        on_event: EventCallback | None = None,
    ) -> PipelineRun:
        return self.runs.run_pipeline(job_file, inputs=inputs, tags=tags, on_event=on_event)

    def get_run(self, run_id: str) -> PipelineRun:
        return self.runs.get(run_id)

    def list_runs(self, limit: int = 10) -> list[PipelineRun]:
        return self.runs.list(limit)

    def write_run_file(self, run_id: str, name: str, content: str) -> Path:
        return self.runs.write_file(run_id, name, content)

    def read_run_file(self, run_id: str, name: str) -> str | None:
        return self.runs.read_file(run_id, name)

    def log_run_artifact(self, run_id: str, path: Path, *, artifact_path: str = "") -> str | None:
        return self.runs.log_artifact(run_id, path, artifact_path=artifact_path)

    # model registry
    def get_model_version(
        self, name: str, *, version: str | None = None, alias: str | None = None
    ) -> ModelVersion:
        return self.tracking.get_model_version(name, version=version, alias=alias)

    def find_model_version(self, name: str, *, pipeline_run_id: str) -> ModelVersion | None:
        return self.tracking.find_model_version(name, pipeline_run_id=pipeline_run_id)

    def list_model_versions(self, name: str | None = None) -> list[ModelVersion]:
        return self.tracking.list_model_versions(name)

    def register_model_version(
        self, name: str, *, bundle_dir: Path, pipeline_run_id: str, tags: Mapping[str, str]
    ) -> ModelVersion:
        existing = self.find_model_version(name, pipeline_run_id=pipeline_run_id)
        if existing is not None:
            return existing
        mv = self.tracking.register_model_version(
            name,
            bundle_dir=bundle_dir,
            pipeline_run_id=pipeline_run_id,
            tags={**tags, "pipeline_run_id": pipeline_run_id},
        )
        return dataclasses.replace(mv, created=True)

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self.tracking.set_alias(name, alias, version)

    def download_model(self, name: str, version: str) -> Path:
        return self.tracking.download_model(name, version, self.state_dir / "models")

    # promotion: one local registry serves every environment
    def environment_registry(self, environment: str) -> None:
        return None

    def import_model_version(
        self, name: str, version: str, *, bundle_dir: Path, tags: Mapping[str, str]
    ) -> ModelVersion:
        raise UsageError(
            f"the local backend has one registry for every environment: {name}:{version} needs no copy"
        )

    # online endpoints
    def get_endpoint(self, name: str) -> Endpoint | None:
        return self.online.get(name)

    def list_endpoints(self) -> list[Endpoint]:
        return self.online.list() + self.batch.list()

    def create_online_deployment(
        self, endpoint: str, deployment: str, model: ModelVersion, *, deployment_spec: Path
    ) -> Deployment:
        model_dir = self.download_model(model.name, model.version)
        return self.online.create_deployment(
            endpoint, deployment, model, model_dir=model_dir, deployment_spec=deployment_spec
        )

    def set_traffic(
        self,
        endpoint: str,
        traffic: Mapping[str, int],
        *,
        history: tuple[Mapping[str, Any], ...] | None = None,
    ) -> Endpoint:
        return self.online.set_traffic(endpoint, traffic, history=history)

    def delete_deployment(self, endpoint: str, deployment: str) -> None:
        self.online.delete_deployment(endpoint, deployment)

    def delete_endpoint(self, endpoint: str) -> None:
        self.online.delete(endpoint)

    def invoke(self, endpoint: str, body: bytes, *, deployment: str | None = None) -> InvokeResponse:
        return self.online.invoke(endpoint, body, deployment=deployment)

    def collected_inputs(self, endpoint: str) -> DataAsset:
        return self.online.collected_inputs(endpoint)

    def endpoint_lock(self, endpoint: str) -> contextlib.AbstractContextManager[None]:
        """Held by deploy-online and rollback: one of them per endpoint at a time, across processes."""
        return self.online.lock(endpoint)

    def endpoint_keys(self, endpoint: str) -> dict[str, Any]:
        """The endpoint's auth mode and keys (the local counterpart of `az ml online-endpoint
        get-credentials`)."""
        return self.online.keys(endpoint)

    # batch endpoints
    def deploy_batch(
        self, endpoint: str, deployment: str, model: ModelVersion, *, deployment_spec: Path
    ) -> Deployment:
        model_dir = self.download_model(model.name, model.version)
        return self.batch.deploy(
            endpoint, deployment, model, model_dir=model_dir, deployment_spec=deployment_spec
        )

    def run_batch(self, endpoint: str, *, input_dir: Path) -> BatchJob:
        return self.batch.run(endpoint, input_dir=input_dir)

    # events
    def append_event(self, event: Mapping[str, Any]) -> None:
        self.events.append(event)

    def read_events(self) -> list[dict[str, Any]]:
        return self.events.read()

    def close(self) -> None:
        """Nothing to release: servers are meant to outlive the command."""
