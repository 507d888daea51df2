"""Data assets as content-hashed, versioned, read-only snapshots.

Layout: `<state>/data/<name>/<version>/asset.json` and the copied file or folder beside it under `data/`.
Registering content whose hash equals an existing version of the same name returns that version. The bytes of
a version never change; its `tags` in asset.json do (`tag`: validate-data's record), under a lock file.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

from amlops.backends.base import DataAsset
from amlops.backends.local._files import now_iso, read_json, write_json
from amlops.backends.local._locks import locked
from amlops.errors import NotFoundError, UsageError
from amlops.hashing import content_hash

__all__ = ["DataStore", "content_hash"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$")


class DataStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _asset(self, name: str, version_dir: Path) -> DataAsset:
        meta = read_json(version_dir / "asset.json")
        path = version_dir / "data" / meta["file"] if meta.get("file") else version_dir / "data"
        return DataAsset(
            name=name,
            version=str(meta["version"]),
            hash=meta["hash"],
            path=path,
            uri=str(path),
            created_at=meta.get("created_at", ""),
            source=meta.get("source", ""),
            tags={str(k): str(v) for k, v in (meta.get("tags") or {}).items()},
        )

    def _versions(self, name: str) -> list[Path]:
        folder = self.root / name
        if not folder.is_dir():
            return []
        found = [p for p in folder.iterdir() if p.name.isdigit() and (p / "asset.json").is_file()]
        return sorted(found, key=lambda p: int(p.name))

    def register(self, name: str, path: Path) -> DataAsset:
        if not _NAME.match(name):
            raise UsageError(f"invalid data asset name {name!r}: letters, digits, '-', '_', '.'")
        path = Path(path).resolve()
        if not path.exists():
            raise NotFoundError(f"no file or folder at {path}")
        digest = content_hash(path)
        versions = self._versions(name)
        for version_dir in versions:
            existing = self._asset(name, version_dir)
            if existing.hash == digest:
                return existing
        version = str(int(versions[-1].name) + 1 if versions else 1)
        final = self.root / name / version
        staging = self.root / name / f".{version}.staging"
        shutil.rmtree(staging, ignore_errors=True)
        (staging / "data").mkdir(parents=True)
        if path.is_file():
            shutil.copy2(path, staging / "data" / path.name)
        else:
            shutil.copytree(path, staging / "data", dirs_exist_ok=True)
        write_json(
            staging / "asset.json",
            {
                "name": name,
                "version": version,
                "hash": digest,
                "file": path.name if path.is_file() else None,
                "source": str(path),
                "created_at": now_iso(),
            },
        )
        staging.rename(final)  # the version appears complete or not at all
        asset = self._asset(name, final)
        return dataclasses.replace(asset, created=True)

    def get(self, name: str, version: str | None = None) -> DataAsset:
        versions = self._versions(name)
        if not versions:
            raise NotFoundError(f"no data asset named {name!r}; register it with `amlops register-data`")
        if version in (None, "", "latest"):
            return self._asset(name, versions[-1])
        for version_dir in versions:
            if version_dir.name == str(version):
                return self._asset(name, version_dir)
        known = ", ".join(v.name for v in versions)
        raise NotFoundError(f"data asset {name!r} has no version {version!r} (versions: {known})")

    def tag(self, name: str, version: str, tags: Mapping[str, str]) -> DataAsset:
        """Merge `tags` into the version's tags (asset.json rewritten atomically; the data stays as it is)."""
        asset = self.get(name, version)
        version_dir = self.root / name / asset.version
        with locked(self.root / name / f".{asset.version}.lock", what=f"data asset {name}:{asset.version}"):
            meta = read_json(version_dir / "asset.json")
            meta["tags"] = {**(meta.get("tags") or {}), **{str(k): str(v) for k, v in tags.items()}}
            write_json(version_dir / "asset.json", meta)
        return self._asset(name, version_dir)

    def list(self) -> list[DataAsset]:
        if not self.root.is_dir():
            return []
        return [
            self._asset(folder.name, version_dir)
            for folder in sorted(self.root.iterdir())
            if folder.is_dir()
            for version_dir in self._versions(folder.name)
        ]
