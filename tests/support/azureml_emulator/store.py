"""The emulated workspace's resources: ARM documents keyed by their (case-insensitive) resource path."""

from __future__ import annotations

import copy
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

PROVIDER = "Microsoft.MachineLearningServices"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def resource_type(path: str) -> str:
    """`.../workspaces/ws/data/n/versions/1` -> `<provider>/workspaces/data/versions`."""
    parts = path.strip("/").split("/")
    index = next(i for i, p in enumerate(parts) if p.lower() == "workspaces")
    kinds = parts[index::2]
    return PROVIDER + "/" + "/".join(kinds)


class Store:
    def __init__(self) -> None:
        self._items: dict[str, dict[str, Any]] = {}
        self.lock = threading.RLock()

    def get(self, path: str) -> dict[str, Any] | None:
        with self.lock:
            item = self._items.get(path.lower().rstrip("/"))
            return copy.deepcopy(item) if item is not None else None

    def put(self, path: str, document: dict[str, Any]) -> dict[str, Any]:
        path = path.rstrip("/")
        with self.lock:
            previous = self._items.get(path.lower())
            stamp = now()
            created = (previous or {}).get("systemData", {}).get("createdAt", stamp)
            document = {
                **document,
                "id": path,
                "name": path.split("/")[-1],
                "type": resource_type(path),
                "systemData": {
                    "createdAt": created,
                    "createdBy": "amlops-tests",
                    "createdByType": "Application",
                    "lastModifiedAt": stamp,
                    "lastModifiedBy": "amlops-tests",
                    "lastModifiedByType": "Application",
                },
            }
            self._items[path.lower()] = document
            return copy.deepcopy(document)

    def update(self, path: str, **properties: Any) -> dict[str, Any] | None:
        with self.lock:
            item = self._items.get(path.lower().rstrip("/"))
            if item is None:
                return None
            item.setdefault("properties", {}).update(properties)
            return copy.deepcopy(item)

    def delete(self, path: str) -> bool:
        with self.lock:
            prefix = path.lower().rstrip("/")
            keys = [k for k in self._items if k == prefix or k.startswith(prefix + "/")]
            for key in keys:
                del self._items[key]
            return bool(keys)

    def children(self, collection: str) -> list[dict[str, Any]]:
        """Direct children of a collection path (`.../data/n/versions`)."""
        prefix = collection.lower().rstrip("/") + "/"
        with self.lock:
            return [
                copy.deepcopy(v)
                for k, v in sorted(self._items.items(), key=lambda kv: kv[1]["systemData"]["createdAt"])
                if k.startswith(prefix) and "/" not in k[len(prefix) :]
            ]


def new_id() -> str:
    return str(uuid.uuid4())
