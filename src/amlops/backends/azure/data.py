"""Data assets as Azure ML `Data` versions (uri_file / uri_folder), the content hash as a tag.

Registering content whose hash a version of the same name already carries returns that version; a new
version number is the highest existing one plus one, given explicitly (never the SDK's guess). A version's
tags can be changed after it is made (the service keeps its `dataUri` and `dataType` immutable, not its tags
or description: `az ml data update`): `tag_data` PUTs the same version back with the tags merged.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from amlops.backends.azure.client import Connection
from amlops.backends.azure.errors import service_call
from amlops.backends.base import DataAsset
from amlops.errors import NotFoundError, UsageError
from amlops.hashing import content_hash

HASH_TAG = "amlops.content_hash"
SOURCE_TAG = "amlops.source"


def _record(data: Any, *, created: bool = False) -> DataAsset:
    tags = dict(data.tags or {})
    return DataAsset(
        name=data.name,
        version=str(data.version),
        hash=tags.get(HASH_TAG, ""),
        path=None,
        uri=str(data.path or ""),
        created_at=str((data.creation_context.created_at if data.creation_context else "") or ""),
        source=tags.get(SOURCE_TAG, ""),
        created=created,
        tags={str(k): str(v) for k, v in tags.items()},
    )


class AzureData:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def _versions(self, name: str) -> list[Any]:
        from azure.core.exceptions import ResourceNotFoundError

        with service_call("list data asset versions of", name):
            try:
                return list(self.connection.ml.data.list(name=name))
            except ResourceNotFoundError:
                return []

    def register_data(self, name: str, path: Path) -> DataAsset:
        from azure.ai.ml.constants import AssetTypes
        from azure.ai.ml.entities import Data

        path = Path(path).resolve()
        if not path.exists():
            raise NotFoundError(f"no file or folder at {path}")
        digest = content_hash(path)
        versions = self._versions(name)
        for version in versions:
            if (version.tags or {}).get(HASH_TAG) == digest:
                return _record(version)
        numbers = [int(v.version) for v in versions if str(v.version).isdigit()]
        next_version = str(max(numbers) + 1 if numbers else 1)
        entity = Data(
            name=name,
            version=next_version,
            path=str(path),
            type=AssetTypes.URI_FILE if path.is_file() else AssetTypes.URI_FOLDER,
            tags={HASH_TAG: digest, SOURCE_TAG: path.name},
            description=f"Registered by amlops from {path.name}",
        )
        with service_call("register data asset", f"{name}:{next_version}"):
            created = self.connection.ml.data.create_or_update(entity)
        return _record(created, created=True)

    def get_data(self, name: str, version: str | None = None) -> DataAsset:
        return _record(self._get(name, version))

    def download_data(self, name: str, version: str, target: Path) -> Path:
        """The bytes downloaded into `target`: the file (uri_file), or `target` holding its files."""
        # azure-ai-ml has no public download of a data asset's bytes; this is the function its job and
        # model downloads use, with the datastore's own credentials.
        from azure.ai.ml._artifacts._artifact_utilities import download_artifact_from_aml_uri

        data = self._get(name, version)
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        with service_call("download data asset", f"{name}:{version}"):
            download_artifact_from_aml_uri(str(data.path), str(target), self.connection.ml.datastores)
        files = [p for p in target.rglob("*") if p.is_file()]
        if not files:
            raise NotFoundError(f"data asset {name}:{version} has no files at {data.path}")
        return files[0] if str(data.type).lower() == "uri_file" and len(files) == 1 else target

    def _get(self, name: str, version: str | None) -> Any:
        if version in (None, "", "latest"):
            versions = self._versions(name)
            numbered = [v for v in versions if str(v.version).isdigit()]
            if not numbered:
                raise NotFoundError(f"no data asset named {name!r}; register it with `amlops register-data`")
            return max(numbered, key=lambda v: int(v.version))
        if not str(version).replace(".", "").isalnum():
            raise UsageError(f"invalid data asset version {version!r}")
        with service_call("get data asset", f"{name}:{version}"):
            return self.connection.ml.data.get(name, version=str(version))

    def tag_data(self, name: str, version: str, tags: Mapping[str, str]) -> DataAsset:
        data = self._get(name, version)
        # The entity as the service returned it: its path is the datastore URI, so nothing is uploaded again.
        data.tags = {**(data.tags or {}), **{str(k): str(v) for k, v in tags.items()}}
        with service_call("update the tags of data asset", f"{name}:{data.version}"):
            return _record(self.connection.ml.data.create_or_update(data))

    def list_data(self) -> list[DataAsset]:
        with service_call("list data assets"):
            containers = list(self.connection.ml.data.list())
        return [asset for container in containers for asset in map(_record, self._versions(container.name))]
