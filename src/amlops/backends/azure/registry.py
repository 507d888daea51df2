"""The model registry on Azure ML: model versions, and champion/challenger as version tags.

Azure ML model versions have no aliases (azure-ai-ml resolves only the `latest` label), so an alias is a
version tag whose value is the time the version *claimed* it (`champion: 2026-12-01T10:00:00.000001Z`).
Moving an alias is a hand-over in two writes: the new version claims (tag added), then every other
version releases (tag removed). The holder a reader sees is the version with the **oldest** claim:

- before and during the move, the previous holder stays in force (its claim is older);
- after the release, the new version is the only claimant;
- a failure between the two writes leaves the previous holder in force and a newer, inert claim behind,
  which the next move of that alias (or re-running the same deploy) releases.

So at most one version holds an alias as any reader sees it. In the Studio: Models -> the model ->
Versions, filter by tag `champion`; if two versions show it, the one with the earlier value is the
champion (a move did not finish).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from amlops.backends.azure.client import Connection
from amlops.backends.azure.errors import service_call
from amlops.backends.base import CHALLENGER, CHAMPION, DataAsset, ModelVersion
from amlops.errors import NotFoundError, UsageError

ALIASES = (CHAMPION, CHALLENGER)
RUN_TAG = "pipeline_run_id"


def _claim_stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def alias_holders(versions: list[Any]) -> dict[str, str]:
    """alias -> version, by the oldest claim among the versions carrying the alias tag (pure)."""
    holders: dict[str, str] = {}
    for alias in ALIASES:
        claims = [(str((v.tags or {})[alias]), str(v.version)) for v in versions if alias in (v.tags or {})]
        if claims:
            holders[alias] = min(claims)[1]
    return holders


def _record(model: Any, holders: Mapping[str, str], *, created: bool = False) -> ModelVersion:
    tags = {k: str(v) for k, v in (model.tags or {}).items() if k not in ALIASES}
    version = str(model.version)
    return ModelVersion(
        name=model.name,
        version=version,
        aliases=tuple(a for a in ALIASES if holders.get(a) == version),
        tags=tags,
        source=str(model.path or ""),
        created_at=str(model.creation_context.created_at) if model.creation_context else "",
        created=created,
    )


class AzureRegistry:
    def __init__(self, connection: Connection, cache_dir: Path) -> None:
        self.connection = connection
        self.cache_dir = cache_dir

    # the data a version trained on, as promotion reads it from another environment's workspace
    def get_data(self, name: str, version: str | None = None) -> DataAsset:
        from amlops.backends.azure.data import AzureData

        return AzureData(self.connection).get_data(name, version)

    def download_data(self, name: str, version: str) -> Path:
        from amlops.backends.azure.data import AzureData

        target = self.cache_dir.parent / "data" / self.connection.workspace.name / name / str(version)
        return AzureData(self.connection).download_data(name, version, target)

    def _versions(self, name: str) -> list[Any]:
        from azure.core.exceptions import ResourceNotFoundError

        with service_call("list versions of model", name):
            try:
                return list(self.connection.ml.models.list(name=name))
            except ResourceNotFoundError:
                return []

    def get_model_version(
        self, name: str, *, version: str | None = None, alias: str | None = None
    ) -> ModelVersion:
        versions = self._versions(name)
        if not versions:
            raise NotFoundError(f"no registered model named {name!r}")
        holders = alias_holders(versions)
        if alias is not None:
            if alias not in ALIASES:
                raise UsageError(f"unknown alias {alias!r}; azure models have: {', '.join(ALIASES)}")
            if alias not in holders:
                raise NotFoundError(f"model {name!r} has no version with alias {alias!r}")
            version = holders[alias]
        if version in (None, "", "latest"):
            version = str(max(int(v.version) for v in versions if str(v.version).isdigit()))
        match = next((v for v in versions if str(v.version) == str(version)), None)
        if match is None:
            raise NotFoundError(f"model {name!r} has no version {version!r}")
        return _record(match, holders)

    def find_model_version(self, name: str, *, pipeline_run_id: str) -> ModelVersion | None:
        versions = self._versions(name)
        holders = alias_holders(versions)
        found = next((v for v in versions if (v.tags or {}).get(RUN_TAG) == pipeline_run_id), None)
        return _record(found, holders) if found is not None else None

    def list_model_versions(self, name: str | None = None) -> list[ModelVersion]:
        if name is not None:
            names = [name]
        else:
            with service_call("list models"):
                names = [m.name for m in self.connection.ml.models.list()]
        out = []
        for model_name in names:
            versions = self._versions(model_name)
            holders = alias_holders(versions)
            out.extend(_record(v, holders) for v in sorted(versions, key=lambda v: int(v.version)))
        return out

    def register_model_version(
        self, name: str, *, bundle_dir: Path, pipeline_run_id: str, tags: Mapping[str, str]
    ) -> ModelVersion:
        from azure.ai.ml.constants import AssetTypes
        from azure.ai.ml.entities import Model

        versions = self._versions(name)
        numbers = [int(v.version) for v in versions if str(v.version).isdigit()]
        version = str(max(numbers) + 1 if numbers else 1)
        entity = Model(
            name=name,
            version=version,
            path=str(Path(bundle_dir).resolve()),
            type=AssetTypes.CUSTOM_MODEL,
            tags={**{k: str(v) for k, v in tags.items()}, RUN_TAG: pipeline_run_id},
            description=f"Model bundle of pipeline run {pipeline_run_id}, registered by amlops (gate passed)",
        )
        with service_call("register model", f"{name}:{version}"):
            created = self.connection.ml.models.create_or_update(entity)
        return _record(created, alias_holders(versions), created=True)

    def _write_tags(self, model: Any, tags: dict[str, str]) -> None:
        model.tags = tags
        with service_call("update the tags of model", f"{model.name}:{model.version}"):
            self.connection.ml.models.create_or_update(model)

    def set_alias(self, name: str, alias: str, version: str) -> None:
        if alias not in ALIASES:
            raise UsageError(f"unknown alias {alias!r}; azure models have: {', '.join(ALIASES)}")
        versions = self._versions(name)
        target = next((v for v in versions if str(v.version) == str(version)), None)
        if target is None:
            raise NotFoundError(f"model {name!r} has no version {version!r}")
        if alias not in (target.tags or {}):  # 1. claim
            self._write_tags(target, {**(target.tags or {}), alias: _claim_stamp()})
        for other in versions:  # 2. release
            if str(other.version) != str(version) and alias in (other.tags or {}):
                self._write_tags(other, {k: v for k, v in (other.tags or {}).items() if k != alias})

    def import_model_version(
        self, name: str, version: str, *, bundle_dir: Path, tags: Mapping[str, str]
    ) -> ModelVersion:
        """Register `bundle_dir` as exactly `name:version` (a copy from another workspace)."""
        from azure.ai.ml.constants import AssetTypes
        from azure.ai.ml.entities import Model

        entity = Model(
            name=name,
            version=str(version),
            path=str(Path(bundle_dir).resolve()),
            type=AssetTypes.CUSTOM_MODEL,
            tags={k: str(v) for k, v in tags.items() if k not in ALIASES},
            description=f"Model bundle {name}:{version}, promoted by amlops (digest checked)",
        )
        with service_call("copy model", f"{name}:{version}"):
            created = self.connection.ml.models.create_or_update(entity)
        return _record(created, alias_holders(self._versions(name)), created=True)

    def download_model(self, name: str, version: str) -> Path:
        # per workspace: dev's and prod's name:version are different versions (a copy is checked, not assumed)
        target = self.cache_dir / self.connection.workspace.name / name / str(version)
        if target.is_dir():
            return target
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=self.cache_dir) as scratch:
            with service_call("download model", f"{name}:{version}"):
                self.connection.ml.models.download(name, version=str(version), download_path=scratch)
            marker = next(Path(scratch).rglob("metrics.json"), None) or next(
                Path(scratch).rglob("*.onnx"), None
            )
            if marker is None:
                raise NotFoundError(f"model {name}:{version} has no bundle (no metrics.json or model.onnx)")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(marker.parent), target)
        return target
