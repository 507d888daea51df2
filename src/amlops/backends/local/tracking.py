"""MLflow tracking and model registry on `sqlite:///<state>/mlflow.db`, artifacts under `<state>/mlartifacts`.

MLflow is imported on first use only (it takes seconds), so verbs that never touch it start fast.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from amlops.backends.base import ModelVersion
from amlops.errors import NotFoundError

_QUIET_LOGGERS = ("mlflow", "alembic")


def mlflow_environment(tracking_uri: str) -> dict[str, str]:
    """Variables every process that logs to this store needs (components, servers)."""
    return {
        "MLFLOW_TRACKING_URI": tracking_uri,
        "MLFLOW_REGISTRY_URI": tracking_uri,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    }


class Tracking:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.db = state_dir / "mlflow.db"
        self.artifacts = state_dir / "mlartifacts"
        self.uri = f"sqlite:///{self.db}"

    @cached_property
    def client(self) -> Any:
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        from mlflow import MlflowClient

        for name in _QUIET_LOGGERS:  # after the import: MLflow sets its own levels when imported
            logging.getLogger(name).setLevel(logging.WARNING)

        return MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)

    def experiment_id(self, name: str) -> str:
        experiment = self.client.get_experiment_by_name(name)
        if experiment is not None:
            return experiment.experiment_id
        return self.client.create_experiment(name, artifact_location=(self.artifacts / name).as_uri())

    # --- runs -------------------------------------------------------------------------------------------
    def start_run(
        self,
        experiment: str,
        *,
        run_name: str,
        tags: Mapping[str, str] | None = None,
        parent: str | None = None,
    ) -> str:
        all_tags = dict(tags or {})
        if parent:
            all_tags["mlflow.parentRunId"] = parent
        run = self.client.create_run(self.experiment_id(experiment), run_name=run_name, tags=all_tags)
        return run.info.run_id

    def end_run(self, run_id: str, *, ok: bool) -> None:
        run = self.client.get_run(run_id)
        if run.info.status == "RUNNING" or not ok:
            self.client.set_terminated(run_id, status="FINISHED" if ok else "FAILED")

    # --- registry ---------------------------------------------------------------------------------------
    def _model_version(self, mv: Any) -> ModelVersion:
        return ModelVersion(
            name=mv.name,
            version=str(mv.version),
            aliases=tuple(sorted(getattr(mv, "aliases", ()) or ())),
            tags=dict(mv.tags or {}),
            source=mv.source or "",
            created_at=str(mv.creation_timestamp or ""),
        )

    def _is_missing(self, exc: Exception) -> bool:
        return getattr(exc, "error_code", "") in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}

    def get_model_version(self, name: str, *, version: str | None, alias: str | None) -> ModelVersion:
        from mlflow.exceptions import MlflowException

        try:
            if alias:
                return self._model_version(self.client.get_model_version_by_alias(name, alias))
            if version not in (None, "", "latest"):
                return self._model_version(self.client.get_model_version(name, str(version)))
        except MlflowException as exc:
            if self._is_missing(exc):
                what = f"alias {alias!r}" if alias else f"version {version}"
                raise NotFoundError(f"model {name!r} has no {what}") from None
            raise
        versions = self.list_model_versions(name)
        if not versions:
            raise NotFoundError(f"no registered model named {name!r}")
        return versions[-1]

    def list_model_versions(self, name: str | None) -> list[ModelVersion]:
        filter_string = f"name='{name}'" if name else None
        found = [self._model_version(mv) for mv in self.client.search_model_versions(filter_string)]
        # Search results carry no aliases: take them from each registered model.
        aliases: dict[tuple[str, str], list[str]] = {}
        for model_name in {mv.name for mv in found}:
            for alias, version in (self.client.get_registered_model(model_name).aliases or {}).items():
                aliases.setdefault((model_name, str(version)), []).append(alias)
        found = [
            dataclasses.replace(mv, aliases=tuple(sorted(aliases.get((mv.name, mv.version), ()))))
            for mv in found
        ]
        return sorted(found, key=lambda mv: (mv.name, int(mv.version)))

    def find_model_version(self, name: str, *, pipeline_run_id: str) -> ModelVersion | None:
        matches = [mv for mv in self.list_model_versions(name) if mv.pipeline_run_id == pipeline_run_id]
        return matches[0] if matches else None

    def register_model_version(
        self, name: str, *, bundle_dir: Path, pipeline_run_id: str, tags: Mapping[str, str]
    ) -> ModelVersion:
        """Log the bundle as artifacts of a registration run, then create a model version from them."""
        from mlflow.exceptions import MlflowException

        run_id = self.start_run(
            "model-registration", run_name=f"register-{name}-{pipeline_run_id}", tags=dict(tags)
        )
        try:
            self.client.log_artifacts(run_id, str(bundle_dir), "model_bundle")
            try:
                self.client.create_registered_model(name)
            except MlflowException as exc:
                if getattr(exc, "error_code", "") != "RESOURCE_ALREADY_EXISTS":
                    raise
            artifact_uri = self.client.get_run(run_id).info.artifact_uri
            mv = self.client.create_model_version(
                name, source=f"{artifact_uri}/model_bundle", run_id=run_id, tags=dict(tags)
            )
        except BaseException:
            self.end_run(run_id, ok=False)
            raise
        self.end_run(run_id, ok=True)
        return self._model_version(mv)

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self.client.set_registered_model_alias(name, alias, str(version))

    def download_model(self, name: str, version: str, models_dir: Path) -> Path:
        """The model version's bundle in `<state>/models/<name>/<version>/` (downloaded once)."""
        target = models_dir / name / str(version)
        bundle = target / "model_bundle"
        if (target / ".complete").is_file():
            return bundle
        mv = self.get_model_version(name, version=version, alias=None)
        import mlflow.artifacts

        staging = target.with_name(f".{target.name}.staging")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        mlflow.artifacts.download_artifacts(
            artifact_uri=mv.source, dst_path=str(staging), tracking_uri=self.uri
        )
        (staging / ".complete").write_text(mv.source + "\n")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
        return bundle
