"""The operations a verb needs from where the work runs, as small `Protocol`s, plus the records they return.

Verbs hold a `Backend` and never know whether it is the embedded local one or Azure Machine Learning.
`Backend` is the union of seven sub-protocols (data, jobs, registry, promotion, online, batch, events);
each backend implements them in its own modules. Records are frozen dataclasses free of local-only ideas
(no process ids, ports or server logs: those stay inside the local backend); paths are local paths (the
azure backend downloads before returning). Logic both backends need (alias moves through `set_alias`,
batch-input staging, idempotent model registration, the digest checks of a promotion) lives in the verbs,
written once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from amlops.errors import FailedError

# Pipeline run status values (Azure ML's names).
COMPLETED = "Completed"
FAILED = "Failed"

CHAMPION = "champion"
STOPPED = "stopped"  # Deployment.state of an online deployment whose server is not running
CHALLENGER = "challenger"


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class _Record:
    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))  # type: ignore[call-overload]


@dataclass(frozen=True)
class DataAsset(_Record):
    """A registered, immutable data snapshot: `azureml:<name>:<version>`."""

    name: str
    version: str
    hash: str
    path: Path | None  # a local copy of the bytes (local backend); None where they live in the cloud
    uri: str = ""  # where the bytes are: a local path, or the asset's azureml:// datastore URI
    created_at: str = ""
    source: str = ""
    created: bool = False  # True only on the call that registered it
    # Mutable metadata on the immutable version: validate-data's record (`amlops.validation`, ...).
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def reference(self) -> str:
        return f"azureml:{self.name}:{self.version}"


@dataclass(frozen=True)
class ComponentRun(_Record):
    """One command component run on its own (validate-data, check-drift, batch scoring)."""

    component: str
    status: str
    exit_code: int | None
    outputs: Mapping[str, Path]
    log_path: Path | None
    log_tail: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == COMPLETED


@dataclass(frozen=True)
class PipelineRun(_Record):
    """A pipeline job run. `tags` carry lineage: data asset name/version/hash, seed, git SHA."""

    run_id: str
    status: str
    run_dir: Path
    job_file: str
    inputs: Mapping[str, Any] = field(default_factory=dict)
    outputs: Mapping[str, Path] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    steps: Mapping[str, str] = field(default_factory=dict)  # step name -> status
    step_durations: Mapping[str, float] = field(default_factory=dict)  # step name -> seconds, when known
    failed_step: str | None = None
    error: str | None = None
    started_at: str = ""
    duration_s: float | None = None
    mlflow_run_id: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == COMPLETED


@dataclass(frozen=True)
class ModelVersion(_Record):
    name: str
    version: str
    aliases: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    created_at: str = ""
    created: bool = False  # True only on the call that registered it

    @property
    def pipeline_run_id(self) -> str | None:
        return self.tags.get("pipeline_run_id")

    def metrics(self) -> dict[str, float]:
        """The `metric.<name>` tags as floats."""
        out: dict[str, float] = {}
        for key, value in self.tags.items():
            if key.startswith("metric."):
                try:
                    out[key.removeprefix("metric.")] = float(value)
                except ValueError:
                    continue
        return out


@dataclass(frozen=True)
class Deployment(_Record):
    name: str
    endpoint: str
    model_name: str
    model_version: str
    state: str  # "running" | "stopped" | "failed" | "ready" (batch)
    scoring_uri: str = ""
    traffic: int = 0


@dataclass(frozen=True)
class Endpoint(_Record):
    name: str
    kind: str  # "online" | "batch"
    deployments: tuple[Deployment, ...] = ()
    traffic: Mapping[str, int] = field(default_factory=dict)
    scoring_uri: str = ""
    # Previous states, newest last: {"traffic": {...}, "model_name": ..., "champion_version": ...}
    history: tuple[Mapping[str, Any], ...] = ()

    def deployment(self, name: str) -> Deployment | None:
        return next((d for d in self.deployments if d.name == name), None)

    @property
    def live(self) -> Deployment | None:
        """The deployment taking the most traffic (None when no deployment takes any)."""
        weighted = [d for d in self.deployments if self.traffic.get(d.name, 0) > 0]
        return max(weighted, key=lambda d: self.traffic.get(d.name, 0), default=None)


@dataclass(frozen=True)
class InvokeResponse(_Record):
    status_code: int
    body: str
    deployment: str
    elapsed_ms: float = 0.0

    def json(self) -> Any:
        import json

        return json.loads(self.body)


@dataclass(frozen=True)
class BatchJob(_Record):
    endpoint: str
    deployment: str
    status: str
    output_dir: Path
    outputs: Mapping[str, Path] = field(default_factory=dict)
    log_tail: str = ""
    job: str = ""


Event = Mapping[str, Any]
EventCallback = Callable[[Mapping[str, Any]], None]


class DataAssets(Protocol):
    def register_data(self, name: str, path: Path) -> DataAsset:
        """A new version, or the existing one whose content hash (`amlops.hashing`) is the same."""
        ...

    def get_data(self, name: str, version: str | None = None) -> DataAsset: ...
    def list_data(self) -> list[DataAsset]: ...
    def tag_data(self, name: str, version: str, tags: Mapping[str, str]) -> DataAsset:
        """Set `tags` on an existing version (other tags stay; the bytes never change); the updated asset."""
        ...


class Jobs(Protocol):
    def run_component(
        self,
        component_file: Path,
        *,
        inputs: Mapping[str, Any],
        outputs: Mapping[str, Path] | None = None,
        label: str = "",
        on_event: EventCallback | None = None,
    ) -> ComponentRun: ...
    def run_pipeline(
        self,
        job_file: Path,
        *,
        inputs: Mapping[str, Any],
        tags: Mapping[str, str] | None = None,
        on_event: EventCallback | None = None,
    ) -> PipelineRun: ...
    def get_run(self, run_id: str) -> PipelineRun: ...
    def list_runs(self, limit: int = 10) -> list[PipelineRun]: ...
    def write_run_file(self, run_id: str, name: str, content: str) -> Path: ...
    def read_run_file(self, run_id: str, name: str) -> str | None: ...
    def log_run_artifact(self, run_id: str, path: Path, *, artifact_path: str = "") -> str | None:
        """Attach the file `path` to the pipeline run's record, where the run's page shows it (local: an
        MLflow artifact of the run; azure: the job's "Outputs + logs"); where it is now (a `runs:/` or
        `azureml://` URI), or None where the backend cannot attach files."""
        ...


class Registry(Protocol):
    def get_model_version(
        self, name: str, *, version: str | None = None, alias: str | None = None
    ) -> ModelVersion: ...
    def find_model_version(self, name: str, *, pipeline_run_id: str) -> ModelVersion | None: ...
    def list_model_versions(self, name: str | None = None) -> list[ModelVersion]: ...
    def register_model_version(
        self, name: str, *, bundle_dir: Path, pipeline_run_id: str, tags: Mapping[str, str]
    ) -> ModelVersion: ...
    def set_alias(self, name: str, alias: str, version: str) -> None:
        """Move `alias` to `version`: a reader sees the old holder until the move is complete."""
        ...

    def download_model(self, name: str, version: str) -> Path: ...


class EnvironmentRegistry(Registry, Protocol):
    """Another environment's registry as promotion reads it: model versions and the data they trained on."""

    def get_data(self, name: str, version: str | None = None) -> DataAsset: ...
    def download_data(self, name: str, version: str) -> Path:
        """The version's bytes on this machine: its file, or the folder holding its files."""
        ...


class Promotion(Protocol):
    """Another environment's model registry, for promoting a version into this one (dev -> prod)."""

    def environment_registry(self, environment: str) -> EnvironmentRegistry | None:
        """The registry the settings of `environment` name, or None when it is this backend's own
        (one registry serves both environments: nothing to copy)."""
        ...

    def import_model_version(
        self, name: str, version: str, *, bundle_dir: Path, tags: Mapping[str, str]
    ) -> ModelVersion:
        """Register `bundle_dir` as exactly `name:version` here (a copy of another registry's version)."""
        ...


class OnlineEndpoints(Protocol):
    def get_endpoint(self, name: str) -> Endpoint | None: ...
    def list_endpoints(self) -> list[Endpoint]: ...
    def create_online_deployment(
        self, endpoint: str, deployment: str, model: ModelVersion, *, deployment_spec: Path
    ) -> Deployment: ...
    def set_traffic(
        self,
        endpoint: str,
        traffic: Mapping[str, int],
        *,
        history: tuple[Mapping[str, Any], ...] | None = None,
    ) -> Endpoint:
        """Set the traffic map (and, when given, replace the endpoint's rollback history) in one write;
        every deployment given traffic serves afterwards."""
        ...

    def delete_deployment(self, endpoint: str, deployment: str) -> None: ...
    def delete_endpoint(self, endpoint: str) -> None: ...
    def invoke(self, endpoint: str, body: bytes, *, deployment: str | None = None) -> InvokeResponse: ...
    def collected_inputs(self, endpoint: str) -> DataAsset:
        """The scoring inputs the data collector of `endpoint`'s live deployment logs (its `model_inputs`
        collection): a folder of JSON Lines, here (`path`) or in the workspace's blob store (`uri`, ending in
        `/`). NotFoundError without a live deployment; FailedError when it collects no model inputs."""
        ...


COLLECTED_INPUTS = "model_inputs"  # the data collector's collection `collected_inputs` reads


def not_collecting(endpoint: str, deployment: str) -> FailedError:
    """The error of `collected_inputs` for a live deployment whose spec collects no model inputs."""
    return FailedError(
        f"deployment {endpoint}/{deployment} collects no {COLLECTED_INPUTS}: enable it under data_collector "
        "in the online deployment spec (pipelines/azureml/online-deployment.yml) and redeploy"
    )


class BatchEndpoints(Protocol):
    def deploy_batch(
        self, endpoint: str, deployment: str, model: ModelVersion, *, deployment_spec: Path
    ) -> Deployment:
        """Create or update `deployment` from a model batch deployment spec and make it the default."""
        ...

    def run_batch(self, endpoint: str, *, input_dir: Path) -> BatchJob:
        """Score the folder `input_dir` with the endpoint's default deployment; the job's files are in a
        folder of their own (`BatchJob.output_dir`, under the state folder). Raises FailedError."""
        ...


class Events(Protocol):
    """Registry changes (`amlops run --event` listens to them)."""

    def append_event(self, event: Mapping[str, Any]) -> None: ...
    def read_events(self) -> list[dict[str, Any]]: ...


class Backend(DataAssets, Jobs, Registry, Promotion, OnlineEndpoints, BatchEndpoints, Events, Protocol):
    """What verbs need. Every method raises `amlops.errors` types; none prints."""

    name: str

    def close(self) -> None: ...
