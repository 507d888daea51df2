"""The `azure` backend: every verb on Azure Machine Learning through azure-ai-ml and azure-identity.

Imported only when `--backend azure` is chosen (azure-ai-ml takes about 2 s to import, lazily, on the
first service call). Constructing it checks the workspace coordinates and the credential source without
touching the network; each part below implements one sub-protocol of `amlops.backends.base.Backend`:

data.py      data assets (Data versions tagged with their content hash)
jobs.py      pipeline and command jobs (submit, follow, download outputs and logs)
artifacts.py files attached to a job's "Outputs + logs" (the run report)
registry.py  model versions; champion/challenger as version tags; copies from another environment's
             workspace (promotion)
online.py    managed online endpoints and deployments, scoring through `scoring_uri`
batch.py     batch endpoints, ModelBatchDeployment, batch jobs

Events (`model-registered`, ...) go to the same append-only log in the state folder as with the local
backend, where `amlops run --event` reads them; on Azure the CI systems are told through their own
triggers (see pipelines/README.md).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from amlops.backends.azure.client import Connection
from amlops.backends.azure.data import AzureData
from amlops.backends.azure.jobs import AzureJobs
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
from amlops.backends.local.events import EventLog
from amlops.config import Settings


class AzureBackend:
    name = "azure"

    def __init__(self, settings: Settings, environ: Mapping[str, str] | None = None) -> None:
        self.settings = settings
        self.connection = Connection(
            os.environ if environ is None else environ, settings.project.root, settings.state_dir / "azure"
        )
        self.data = AzureData(self.connection)
        self.jobs = AzureJobs(self.connection, settings.state_dir, settings.project.root, self.data)
        self.events = EventLog(settings.state_dir / "events.jsonl")

    @cached_property
    def registry(self) -> Any:
        from amlops.backends.azure.registry import AzureRegistry

        return AzureRegistry(self.connection, self.settings.state_dir / "azure" / "models")

    @cached_property
    def online(self) -> Any:
        from amlops.backends.azure.online import AzureOnline

        return AzureOnline(self.connection, self.registry)

    @cached_property
    def batch(self) -> Any:
        from amlops.backends.azure.batch import AzureBatch

        return AzureBatch(
            self.connection, self.registry, self.jobs, self.settings.state_dir / "azure" / "batch"
        )

    # data assets
    def register_data(self, name: str, path: Path) -> DataAsset:
        return self.data.register_data(name, path)

    def get_data(self, name: str, version: str | None = None) -> DataAsset:
        return self.data.get_data(name, version)

    def list_data(self) -> list[DataAsset]:
        return self.data.list_data()

    def tag_data(self, name: str, version: str, tags: Mapping[str, str]) -> DataAsset:
        return self.data.tag_data(name, version, tags)

    # jobs
    def run_component(
        self,
        component_file: Path,
        *,
        inputs: Mapping[str, Any],
        outputs: Mapping[str, Path] | None = None,
        label: str = "",
        on_event: EventCallback | None = None,
    ) -> ComponentRun:
        return self.jobs.run_component(
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
        return self.jobs.run_pipeline(job_file, inputs=inputs, tags=tags, on_event=on_event)

    def get_run(self, run_id: str) -> PipelineRun:
        return self.jobs.get_run(run_id)

    def list_runs(self, limit: int = 10) -> list[PipelineRun]:
        return self.jobs.list_runs(limit)

    def write_run_file(self, run_id: str, name: str, content: str) -> Path:
        return self.jobs.write_run_file(run_id, name, content)

    def read_run_file(self, run_id: str, name: str) -> str | None:
        return self.jobs.read_run_file(run_id, name)

    def log_run_artifact(self, run_id: str, path: Path, *, artifact_path: str = "") -> str | None:
        from amlops.backends.azure.artifacts import attach

        return attach(self.connection, run_id, path, artifact_path=artifact_path)

    # registry
    def get_model_version(
        self, name: str, *, version: str | None = None, alias: str | None = None
    ) -> ModelVersion:
        return self.registry.get_model_version(name, version=version, alias=alias)

    def find_model_version(self, name: str, *, pipeline_run_id: str) -> ModelVersion | None:
        return self.registry.find_model_version(name, pipeline_run_id=pipeline_run_id)

    def list_model_versions(self, name: str | None = None) -> list[ModelVersion]:
        return self.registry.list_model_versions(name)

    def register_model_version(
        self, name: str, *, bundle_dir: Path, pipeline_run_id: str, tags: Mapping[str, str]
    ) -> ModelVersion:
        return self.registry.register_model_version(
            name, bundle_dir=bundle_dir, pipeline_run_id=pipeline_run_id, tags=tags
        )

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self.registry.set_alias(name, alias, version)

    def download_model(self, name: str, version: str) -> Path:
        return self.registry.download_model(name, version)

    # promotion
    def environment_registry(self, environment: str) -> Any:
        """The registry of the workspace `pipelines/config/<environment>.yml` names, with this backend's
        credential (None when it is this backend's own workspace)."""
        from amlops.backends.azure.registry import AzureRegistry
        from amlops.backends.azure.workspace import environment_workspace

        workspace = environment_workspace(self.settings.project.root, environment)
        if workspace.arm_id.lower() == self.connection.workspace.arm_id.lower():
            return None
        cache = self.settings.state_dir / "azure" / "models"
        return AzureRegistry(self.connection.elsewhere(workspace), cache)

    def import_model_version(
        self, name: str, version: str, *, bundle_dir: Path, tags: Mapping[str, str]
    ) -> ModelVersion:
        return self.registry.import_model_version(name, version, bundle_dir=bundle_dir, tags=tags)

    # online endpoints
    def get_endpoint(self, name: str) -> Endpoint | None:
        return self.online.get_endpoint(name)

    def list_endpoints(self) -> list[Endpoint]:
        return self.online.list_endpoints() + self.batch.list_endpoints()

    def create_online_deployment(
        self, endpoint: str, deployment: str, model: ModelVersion, *, deployment_spec: Path
    ) -> Deployment:
        return self.online.create_online_deployment(
            endpoint, deployment, model, deployment_spec=deployment_spec
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
        self.online.delete_endpoint(endpoint)

    def invoke(self, endpoint: str, body: bytes, *, deployment: str | None = None) -> InvokeResponse:
        return self.online.invoke(endpoint, body, deployment=deployment)

    def collected_inputs(self, endpoint: str) -> DataAsset:
        return self.online.collected_inputs(endpoint)

    # batch endpoints
    def deploy_batch(
        self, endpoint: str, deployment: str, model: ModelVersion, *, deployment_spec: Path
    ) -> Deployment:
        return self.batch.deploy_batch(endpoint, deployment, model, deployment_spec=deployment_spec)

    def run_batch(self, endpoint: str, *, input_dir: Path) -> BatchJob:
        return self.batch.run_batch(endpoint, input_dir=input_dir)

    # events
    def append_event(self, event: Mapping[str, Any]) -> None:
        self.events.append(event)

    def read_events(self) -> list[dict[str, Any]]:
        return self.events.read()

    def close(self) -> None:
        self.connection.close()  # the other environments' connections share its credential
