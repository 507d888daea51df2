"""Pipeline jobs and single components, run locally by `amlops.azureml`, tracked in MLflow.

A pipeline run gets a parent MLflow run and one child run per step (the step finds it through
`MLFLOW_RUN_ID`); its folder is `<state>/runs/<run_id>/` (the executor's layout) with `amlops.json`
(lineage and status) and, after `amlops gate`, `decision.json`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from amlops.backends.base import COMPLETED, FAILED, ComponentRun, DataAsset, EventCallback, PipelineRun
from amlops.backends.local._files import now_iso, read_json, tail, write_json
from amlops.backends.local.data import DataStore
from amlops.backends.local.tracking import Tracking, mlflow_environment
from amlops.errors import ConfigError, NotFoundError, UsageError
from amlops.lineage import run_tags

META_FILE = "amlops.json"
_RUN_FILES = {"decision.json"}


def new_run_id(job_file: Path) -> str:
    """`<job>-<UTC time>-<6 hex>`: sortable by time, unique without coordination."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{job_file.stem}-{stamp}-{secrets.token_hex(3)}"


def _experiment_name(job_file: Path) -> str:
    try:
        document = yaml.safe_load(job_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        document = None
    if isinstance(document, dict) and document.get("experiment_name"):
        return str(document["experiment_name"])
    return job_file.stem


def _status(executor_status: str) -> str:
    return COMPLETED if executor_status in ("completed", "reused") else FAILED


class Runs:
    def __init__(self, state_dir: Path, project_root: Path, tracking: Tracking, data: DataStore) -> None:
        self.root = state_dir / "runs"
        self.components_root = state_dir / "components"
        self.project_root = project_root
        self.tracking = tracking
        self.data = data

    def _resolver(self, used: list[DataAsset]) -> Callable[[str], Path]:
        def resolve(reference: str) -> Path:
            name, _, version = reference.partition(":")
            try:
                asset = self.data.get(name, version or None)
            except NotFoundError as exc:
                raise KeyError(exc.message) from None
            used.append(asset)
            return asset.path

        return resolve

    def run_pipeline(
        self,
        job_file: Path,
        *,
        inputs: Mapping[str, Any],
        tags: Mapping[str, str] | None = None,
        on_event: EventCallback | None = None,
    ) -> PipelineRun:
        from amlops.azureml import AzureMLExecutorError, run_pipeline_job

        job_file = Path(job_file).resolve()
        if not job_file.is_file():
            raise NotFoundError(f"no pipeline job file at {job_file}")
        run_id = new_run_id(job_file)
        run_dir = self.root / run_id
        experiment = _experiment_name(job_file)
        parent = self.tracking.start_run(experiment, run_name=run_id, tags={"pipeline_run_id": run_id})
        children: dict[str, str] = {}
        used: list[DataAsset] = []

        def step_env(step: str) -> dict[str, str]:
            if step not in children:
                children[step] = self.tracking.start_run(
                    experiment, run_name=step, parent=parent, tags={"pipeline_run_id": run_id, "step": step}
                )
            return {"MLFLOW_RUN_ID": children[step], "MLFLOW_EXPERIMENT_NAME": experiment}

        meta: dict[str, Any] = {
            "run_id": run_id,
            "job_file": str(job_file),
            "status": "Running",
            "started_at": now_iso(),
            "inputs": {k: str(v) for k, v in inputs.items()},
            "mlflow_run_id": parent,
            "tags": dict(tags or {}),
        }
        write_json(run_dir / META_FILE, meta)
        started = time.monotonic()
        try:
            result = run_pipeline_job(
                job_file,
                inputs=dict(inputs),
                run_dir=run_dir,
                env=mlflow_environment(self.tracking.uri),
                resolve_data=self._resolver(used),
                on_event=on_event,
                step_env=step_env,
            )
        except AzureMLExecutorError as exc:
            self._finish(meta, run_dir, parent, children, status=FAILED, error=str(exc))
            raise ConfigError(f"pipeline job {job_file.name} cannot run: {exc}") from None
        steps = {name: step.status for name, step in result.steps.items()}
        failed = next((name for name, step in result.steps.items() if step.status == "failed"), None)
        for name, child in children.items():
            step = result.steps.get(name)
            self.tracking.end_run(child, ok=step is not None and step.ok)
        meta.update(
            steps=steps,
            step_durations={
                name: step.duration_s for name, step in result.steps.items() if step.duration_s is not None
            },
            outputs={name: str(path) for name, path in result.outputs.items()},
            failed_step=failed,
            child_runs=children,
            tags={**run_tags(self.project_root, used, inputs), **meta["tags"]},
        )
        error = None
        if failed:
            log = result.steps[failed].log_path
            error = (
                f"step {failed!r} failed (exit {result.steps[failed].exit_code}); log: {log}\n{tail(log, 15)}"
            )
        meta["duration_s"] = round(time.monotonic() - started, 2)
        self._finish(meta, run_dir, parent, {}, status=_status(result.status), error=error)
        return self.get(run_id)

    def _finish(
        self,
        meta: dict[str, Any],
        run_dir: Path,
        parent: str,
        children: Mapping[str, str],
        *,
        status: str,
        error: str | None,
    ) -> None:
        meta.update(status=status, error=error, ended_at=now_iso())
        write_json(run_dir / META_FILE, meta)
        for child in children.values():
            self.tracking.end_run(child, ok=False)
        client = self.tracking.client
        for key, value in meta["tags"].items():
            client.set_tag(parent, key, value)
        self.tracking.end_run(parent, ok=status == COMPLETED)

    def get(self, run_id: str) -> PipelineRun:
        if not run_id or "/" in run_id or run_id.startswith("."):
            raise UsageError(f"invalid run id {run_id!r}")
        path = self.root / run_id / META_FILE
        if not path.is_file():
            raise NotFoundError(f"no pipeline run {run_id!r} in {self.root}")
        meta = read_json(path)
        seed = (meta.get("tags") or {}).get("seed")
        if seed is None:
            seed = self._executor_input(run_id, "seed")
        tags = dict(meta.get("tags") or {})
        if seed is not None:
            tags["seed"] = str(seed)
        return PipelineRun(
            run_id=run_id,
            status=meta.get("status", FAILED),
            run_dir=self.root / run_id,
            job_file=meta.get("job_file", ""),
            inputs=meta.get("inputs", {}),
            outputs={k: Path(v) for k, v in (meta.get("outputs") or {}).items()},
            tags=tags,
            steps=meta.get("steps", {}),
            step_durations=meta.get("step_durations", {}),
            failed_step=meta.get("failed_step"),
            error=meta.get("error"),
            started_at=meta.get("started_at", ""),
            duration_s=meta.get("duration_s"),
            mlflow_run_id=meta.get("mlflow_run_id"),
        )

    def _executor_input(self, run_id: str, name: str) -> Any:
        try:
            return read_json(self.root / run_id / "run.json").get("inputs", {}).get(name)
        except (OSError, ValueError):
            return None

    def list(self, limit: int) -> list[PipelineRun]:
        if not self.root.is_dir():
            return []
        ids = sorted(
            (p.name for p in self.root.iterdir() if (p / META_FILE).is_file()),
            key=lambda n: (self.root / n / META_FILE).stat().st_mtime,
        )
        return [self.get(i) for i in ids[-limit:]]

    def write_file(self, run_id: str, name: str, content: str) -> Path:
        self.get(run_id)
        if name not in _RUN_FILES:
            raise UsageError(f"run files are limited to {sorted(_RUN_FILES)}")
        path = self.root / run_id / name
        tmp = path.with_name(f".{name}.tmp")
        tmp.write_text(content, encoding="utf-8")
        tmp.replace(path)
        return path

    def read_file(self, run_id: str, name: str) -> str | None:
        self.get(run_id)
        path = self.root / run_id / name
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def log_artifact(self, run_id: str, path: Path, *, artifact_path: str = "") -> str:
        """Log `path` as an artifact of the run's parent MLflow run; its `runs:/` URI."""
        run = self.get(run_id)
        if not run.mlflow_run_id:
            raise NotFoundError(f"pipeline run {run_id!r} has no MLflow run")
        self.tracking.client.log_artifact(run.mlflow_run_id, str(path), artifact_path or None)
        inner = f"{artifact_path}/{path.name}" if artifact_path else path.name
        return f"runs:/{run.mlflow_run_id}/{inner}"

    # --- single components (validate-data, check-drift, batch scoring) ----------------------------------
    def run_component(
        self,
        component_file: Path,
        *,
        inputs: Mapping[str, Any],
        outputs: Mapping[str, Path] | None = None,
        label: str = "",
        on_event: EventCallback | None = None,
    ) -> ComponentRun:
        from amlops.azureml import AzureMLExecutorError, run_command_component

        component_file = Path(component_file).resolve()
        if not component_file.is_file():
            raise NotFoundError(f"no component spec at {component_file}")
        run_id = f"{label or component_file.stem}-{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
        run_dir = self.components_root / run_id
        try:
            result = run_command_component(
                component_file,
                inputs={k: Path(v) if isinstance(v, Path) else v for k, v in inputs.items()},
                outputs={k: Path(v) for k, v in (outputs or {}).items()} or None,
                run_dir=run_dir,
                env=mlflow_environment(self.tracking.uri),
                resolve_data=self._resolver([]),
                on_event=on_event,
                force=True,
            )
        except AzureMLExecutorError as exc:
            raise ConfigError(f"component {component_file.name} cannot run: {exc}") from None
        return ComponentRun(
            component=component_file.stem,
            status=_status(result.status),
            exit_code=result.exit_code,
            outputs=dict(result.outputs),
            log_path=result.log_path,
            log_tail=tail(result.log_path, 30),
        )
