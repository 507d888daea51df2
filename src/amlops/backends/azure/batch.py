"""Batch endpoints on Azure ML: a `ModelBatchDeployment` per model version, batch jobs, their outputs.

The endpoint is created on first deploy from `pipelines/azureml/batch-endpoint.yml`. The deployment is
built as an entity from the project's `batch-deployment.yml`, read by `amlops.azureml.batch` (the same
parser the local backend uses: azure-ai-ml's public loader rejects the current `type: model` + `settings:`
format), with the model version, the code folder (uploaded as a code snapshot), the environment and the
compute cluster (the environment settings' compute when it names a cluster, else the spec's: batch
deployments cannot run on serverless compute). It becomes the endpoint's default deployment.

A batch job is `batch_endpoints.invoke` over the input folder (uploaded by the SDK), followed until a
terminal status with the same polling and timeout as pipeline jobs, then `jobs.download(output_name=
"score")`: the files the scoring script wrote land in the output folder.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from amlops.azureml.batch import BatchDeploymentSpec, load_batch_deployment
from amlops.backends.azure.client import Connection
from amlops.backends.azure.errors import finish, service_call
from amlops.backends.azure.jobs import status_text
from amlops.backends.azure.online import model_of
from amlops.backends.base import BatchJob, Deployment, Endpoint, ModelVersion
from amlops.errors import ConfigError, FailedError, NotFoundError


def batch_compute(spec: BatchDeploymentSpec, workspace_compute: str | None) -> str:
    """The cluster a batch deployment runs on: the environment's (unless serverless), else the spec's."""
    if workspace_compute and workspace_compute != "serverless":
        return workspace_compute
    if spec.compute and spec.compute != "serverless":
        return spec.compute
    raise ConfigError(
        f"{spec.source}: a batch deployment needs a compute cluster (`compute: azureml:<cluster>`), "
        "and the environment settings name none (batch deployments cannot use serverless compute)"
    )


class AzureBatch:
    def __init__(self, connection: Connection, registry: Any, jobs: Any, cache_dir: Path) -> None:
        self.connection = connection
        self.registry = registry
        self.jobs = jobs
        self.cache_dir = cache_dir

    # --- reading ------------------------------------------------------------------------------------
    def _get(self, name: str) -> Any | None:
        try:
            with service_call("get batch endpoint", name):
                return self.connection.ml.batch_endpoints.get(name)
        except NotFoundError:
            return None

    def list_endpoints(self) -> list[Endpoint]:
        ml = self.connection.ml
        with service_call("list batch endpoints"):
            entities = list(ml.batch_endpoints.list())
        out = []
        for entity in entities:
            default = getattr(entity.defaults, "deployment_name", None) if entity.defaults else None
            with service_call("list deployments of batch endpoint", entity.name):
                deployments = list(ml.batch_deployments.list(entity.name))
            records = []
            for d in deployments:
                name, version = model_of(d)
                records.append(
                    Deployment(
                        d.name,
                        entity.name,
                        name,
                        version,
                        status_text(d.provisioning_state).lower() or "ready",
                        scoring_uri=entity.scoring_uri or "",
                        traffic=100 if d.name == default else 0,
                    )
                )
            out.append(
                Endpoint(
                    entity.name,
                    "batch",
                    tuple(sorted(records, key=lambda r: r.name)),
                    {default or "": 100},
                    scoring_uri=entity.scoring_uri or "",
                )
            )
        return out

    # --- changing -----------------------------------------------------------------------------------
    def _ensure_endpoint(self, name: str, spec_dir: Path) -> Any:
        existing = self._get(name)
        if existing is not None:
            return existing
        from azure.ai.ml import load_batch_endpoint
        from azure.ai.ml.entities import BatchEndpoint

        spec = spec_dir / "batch-endpoint.yml"
        if spec.is_file():
            try:
                entity = load_batch_endpoint(spec, params_override=[{"name": name}])
            except Exception as exc:
                raise ConfigError(
                    f"{spec}: azure-ai-ml cannot load it: {' '.join(str(exc).split())[:400]}"
                ) from None
        else:
            entity = BatchEndpoint(name=name)
        with service_call("create batch endpoint", name):
            poller = self.connection.ml.batch_endpoints.begin_create_or_update(entity)
            return finish(poller, "create batch endpoint", name)

    def _entity(self, spec: BatchDeploymentSpec, endpoint: str, deployment: str, model: ModelVersion) -> Any:
        from azure.ai.ml.entities import Environment

        if not isinstance(spec.environment, str | Mapping) or (
            isinstance(spec.environment, Mapping) and not spec.environment.get("image")
        ):
            raise ConfigError(f"{spec.source}: `environment` needs an `image` (and a `conda_file`) or a name")
        try:
            environment: Any = (
                spec.environment
                if isinstance(spec.environment, str)
                else Environment(
                    image=str(spec.environment["image"]), conda_file=spec.environment.get("conda_file")
                )
            )
            return self._build(spec, endpoint, deployment, model, environment=environment)
        except ConfigError:
            raise
        except Exception as exc:  # azure-ai-ml's ValidationException: the spec holds something it refuses
            raise ConfigError(
                f"{spec.source}: azure-ai-ml refuses the batch deployment: {' '.join(str(exc).split())[:400]}"
            ) from None

    def _build(
        self,
        spec: BatchDeploymentSpec,
        endpoint: str,
        deployment: str,
        model: ModelVersion,
        *,
        environment: Any,
    ) -> Any:
        from azure.ai.ml.entities import (
            BatchRetrySettings,
            CodeConfiguration,
            ModelBatchDeployment,
            ModelBatchDeploymentSettings,
            ResourceConfiguration,
        )

        settings = spec.settings
        append_file = settings.output_file_name if settings.output_action == "append_row" else None
        return ModelBatchDeployment(
            name=deployment,
            endpoint_name=endpoint,
            description=spec.description,
            model=self.connection.asset_id("models", model.name, model.version),
            code_configuration=CodeConfiguration(code=str(spec.code), scoring_script=spec.scoring_script),
            environment=environment,
            compute=batch_compute(spec, self.connection.workspace.compute),
            resources=ResourceConfiguration(instance_count=settings.instance_count),
            settings=ModelBatchDeploymentSettings(
                mini_batch_size=settings.mini_batch_size,
                max_concurrency_per_instance=settings.max_concurrency_per_instance,
                output_action=settings.output_action,
                output_file_name=append_file,
                retry_settings=BatchRetrySettings(
                    max_retries=settings.max_retries, timeout=settings.timeout_s
                ),
                environment_variables=dict(settings.environment_variables) or None,
                error_threshold=settings.error_threshold,
                logging_level=settings.logging_level,
            ),
        )

    def deploy_batch(
        self, endpoint: str, deployment: str, model: ModelVersion, *, deployment_spec: Path
    ) -> Deployment:
        spec = load_batch_deployment(deployment_spec)
        entity = self._entity(spec, endpoint, deployment, model)
        self._ensure_endpoint(endpoint, spec.source.parent)
        ml = self.connection.ml
        with (
            contextlib.chdir(spec.source.parent),
            service_call("create batch deployment", f"{endpoint}/{deployment}"),
        ):
            poller = ml.batch_deployments.begin_create_or_update(entity)
            created = finish(poller, "create batch deployment", f"{endpoint}/{deployment}")
        current = self._get(endpoint)
        if current is None:
            raise NotFoundError(f"batch endpoint {endpoint!r} disappeared while deploying to it")
        if getattr(current.defaults, "deployment_name", None) != deployment:
            if current.defaults is None:  # the service may leave `defaults` out of the endpoint
                current.defaults = {"deployment_name": deployment}
            else:
                current.defaults.deployment_name = deployment
            with service_call("set the default deployment of batch endpoint", endpoint):
                poller = ml.batch_endpoints.begin_create_or_update(current)
                finish(poller, "set the default deployment of batch endpoint", endpoint)
        return Deployment(
            deployment,
            endpoint,
            model.name,
            model.version,
            status_text(created.provisioning_state).lower() or "ready",
            traffic=100,
        )

    # --- jobs ---------------------------------------------------------------------------------------
    def run_batch(self, endpoint: str, *, input_dir: Path) -> BatchJob:
        from azure.ai.ml import Input

        current = self._get(endpoint)
        if current is None:
            raise NotFoundError(f"no batch endpoint named {endpoint!r}; create it with `amlops deploy-batch`")
        deployment = getattr(current.defaults, "deployment_name", None) or ""
        ml = self.connection.ml
        # No deployment_name: the endpoint's default runs (and the SDK adds no shared header).
        with service_call("invoke batch endpoint", endpoint):
            job = ml.batch_endpoints.invoke(
                endpoint_name=endpoint, input=Input(type="uri_folder", path=str(Path(input_dir).resolve()))
            )
        status = self.jobs.wait(job.name, None)
        if status != "Completed":
            studio = ""
            # The link is a courtesy: the failure is reported either way.
            with contextlib.suppress(Exception), service_call("get batch job", job.name):
                studio = getattr(ml.jobs.get(job.name), "studio_url", None) or ""
            raise FailedError(
                f"batch job {job.name} on {endpoint}/{deployment} ended {status} on Azure ML"
                + (f"; its logs (Outputs + logs, logs/user): {studio}" if studio else ""),
                result={"job": job.name, "endpoint": endpoint, "deployment": deployment, "status": status},
            )
        target = (self.cache_dir / job.name / "score").resolve()
        target.mkdir(parents=True, exist_ok=True)
        scratch = self.cache_dir / job.name / ".download"
        shutil.rmtree(scratch, ignore_errors=True)
        with service_call("download the output of batch job", job.name):
            ml.jobs.download(job.name, download_path=str(scratch), output_name="score")
        # Batch jobs land straight in the download folder; jobs the service tags as pipeline jobs land in
        # named-outputs/score/ (azure-ai-ml `_job_operations.download`): take the files from there then.
        nested = scratch / "named-outputs" / "score"
        source = nested if nested.is_dir() else scratch
        for item in source.iterdir() if source.is_dir() else ():
            destination = target / item.name
            if destination.is_dir():
                shutil.rmtree(destination)
            shutil.move(str(item), destination)
        shutil.rmtree(scratch, ignore_errors=True)
        return BatchJob(endpoint, deployment, "completed", target, {"score": target}, "", job=job.name)
