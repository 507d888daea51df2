"""Datastores, versioned assets (data, codes, environments, components, models) and their uploads.

Routes follow mfe.json (2024-10-01-preview / 2025-01-01-preview): `{collection}/{name}/versions/{version}`
with a container `{collection}/{name}` the service keeps (`latestVersion`, `nextVersion`), POST
`datastores/{name}/listSecrets` (the account key), POST
`{codes|models}/{name}/versions/{v}/startPendingUpload`
(a SAS for a temporary blob folder; recordings: code/, model/ `*startPendingUpload*`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from .arm import Arm, not_found
from .http import Request, Response

VERSIONED = ("data", "codes", "environments", "components", "models")
# What the service fills that azure-ai-ml needs (recordings: model/test_crud_file: "flavors": {}).
DEFAULTS: dict[str, dict[str, Any]] = {
    "models": {"flavors": {}, "jobName": None, "modelType": "custom_model", "stage": None},
    "data": {"isAnonymous": False, "isArchived": False, "autoDeleteSetting": None},
    "codes": {"isAnonymous": False, "isArchived": False},
    "environments": {
        "isAnonymous": False,
        "isArchived": False,
        "osType": "Linux",
        "environmentType": "UserCreated",
    },
    "components": {"isAnonymous": False, "isArchived": False},
}


class Assets:
    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        arm: Arm = emulator.arm
        arm.route("POST", r"/datastores/(?P<name>[^/]+)/listsecrets", self.list_secrets)
        for collection in VERSIONED:
            arm.route(
                "PUT",
                rf"/(?P<collection>{collection})/(?P<name>[^/]+)/versions/(?P<version>[^/]+)",
                self.put_version,
            )
            arm.route(
                "GET",
                rf"/(?P<collection>{collection})/(?P<name>[^/]+)/versions",
                self.list_versions,
            )
        for collection in ("codes", "models", "data"):
            arm.route(
                "POST",
                rf"/(?P<collection>{collection})/(?P<name>[^/]+)/versions/(?P<version>[^/]+)/startpendingupload",
                self.start_pending_upload,
            )

    def list_secrets(self, request: Request, match: re.Match[str]) -> Response:
        if self.emulator.store.get(request.path.rsplit("/", 1)[0]) is None:
            return not_found(request)
        # mfe.json AccountKeyDatastoreSecrets
        return Response.json({"secretsType": "AccountKey", "key": self.emulator.azurite.key})

    def put_version(self, request: Request, match: re.Match[str]) -> Response:
        collection, name, version = match["collection"].lower(), match["name"], match["version"]
        container_path = request.path.rsplit("/versions/", 1)[0]
        existing = self.emulator.store.get(request.path)
        body = request.json() or {}
        properties = {**DEFAULTS.get(collection, {}), **(body.get("properties") or {})}
        if existing is not None and collection in ("data", "models"):
            # Asset versions are immutable except for tags, description and stage.
            old = existing["properties"]
            for key in ("dataUri", "modelUri", "dataType", "modelType"):
                if key in properties and key in old and properties[key] != old[key]:
                    return Response.json(
                        {
                            "error": {
                                "code": "UserError",
                                "message": f"{collection} {name}:{version} exists with another {key}",
                            }
                        },
                        409,
                    )
        document = self.emulator.store.put(request.path, {"properties": properties})
        self._touch_container(container_path, collection, version)
        return Response.json(document, 200 if existing else 201)

    def _touch_container(self, path: str, collection: str, version: str) -> None:
        store = self.emulator.store
        container = store.get(path)
        versions = [v["name"] for v in store.children(path + "/versions")]
        numeric = [int(v) for v in versions if v.isdigit()]
        latest = str(max(numeric)) if numeric else version
        properties = {
            **((container or {}).get("properties") or {"description": None, "tags": {}, "properties": {}}),
            "isArchived": False,
            "latestVersion": latest,
            "nextVersion": str(int(latest) + 1) if latest.isdigit() else None,
        }
        if collection == "data":
            properties.setdefault("dataType", "uri_file")
        store.put(path, {"properties": properties})

    def list_versions(self, request: Request, match: re.Match[str]) -> Response:
        digest = request.query.get("hash")
        if digest and match["collection"].lower() == "codes":
            # The content-hash lookup searches the whole workspace, not one name (how code is deduped).
            found = []
            codes = request.path.split("/codes/")[0] + "/codes"  # this workspace's, not another's
            for container in self.emulator.store.children(codes):
                for version in self.emulator.store.children(container["id"] + "/versions"):
                    if digest in json.dumps(version["properties"]):
                        found.append(version)
            return Response.json({"value": found[:1]})
        values = self.emulator.store.children(request.path)
        order = request.query.get("$orderBy") or request.query.get("$orderby") or ""
        if "desc" in order.lower():
            values.reverse()
        top = request.query.get("$top")
        if top and top.isdigit():
            values = values[: int(top)]
        return Response.json({"value": values})

    def start_pending_upload(self, request: Request, match: re.Match[str]) -> Response:
        # The reference is a container (azure-ai-ml opens it with ContainerClient.from_container_url and
        # uploads under it); the workspace's blob container with a SAS signed by Azurite's key.
        import hashlib

        key = f"{match['ws']}/{match['collection']}/{match['name']}/{match['version']}".lower()
        container = "upload-" + hashlib.sha1(key.encode()).hexdigest()[:32]
        self.emulator.ensure_container(container)
        sas = self.emulator.sas_for(container, write=True)
        # mfe.json PendingUploadResponseDto (recordings: code/*startPendingUpload*).
        return Response.json(
            {
                "blobReferenceForConsumption": {
                    "blobUri": self.emulator.blob_url(container=container),
                    "storageAccountArmId": (
                        f"/subscriptions/{self.emulator.subscription}/resourceGroups/"
                        f"{self.emulator.resource_group}/providers/Microsoft.Storage/storageAccounts/"
                        f"{self.emulator.account}"
                    ),
                    "credential": {
                        "credentialType": "SAS",
                        "sasUri": f"{self.emulator.blob_url(container=container)}?{sas}",
                    },
                },
                "pendingUploadId": f"{match['collection']}-{match['name']}-{match['version']}",
                "pendingUploadType": "TemporaryBlobReference",
            }
        )


def install(emulator: Any) -> Assets:
    return Assets(emulator)
