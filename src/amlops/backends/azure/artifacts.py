"""Files attached to a job on Azure ML, where its "Outputs + logs" show them.

A job's own files live in the workspace's artifact store (datastore `workspaceartifactstore`) under
`ExperimentRun/dcid.<job name>/`; `MLClient.jobs.download` (and `az ml job download`) fetch that folder as the
job's `default` output. A file is attached in two calls, as Azure's own SDKs attach evaluation results:
1. the blob is written there with the datastore's credentials (`datastores.get(include_secrets=True)`:
   the account key or a SAS; an identity-based datastore is written with the command's own credential);
2. it is registered with the artifact service, `POST {api}/artifact/v2.0{workspace}/artifacts/register`
   with `{origin: ExperimentRun, container: dcid.<job>, path, dataPath: {dataStoreName, relativePath}}`
   (azure-rest-api-specs, machinelearningservices data-plane artifact.json, Artifacts_Register), which is
   what lists it with the run. `{api}` is the `api` entry of the workspace's discovery document.
No MLflow plugin is needed (azureml-mlflow pins an older MLflow than the project's).
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from amlops.backends.azure.errors import service_call
from amlops.errors import FailedError

ARTIFACT_STORE = "workspaceartifactstore"
ORIGIN = "ExperimentRun"
ARM_SCOPE = "https://management.azure.com/.default"
TIMEOUT_S = 60


def container_of(run_id: str) -> str:
    return f"dcid.{run_id}"


def artifact_name(file_name: str, artifact_path: str = "") -> str:
    """The file's path among the run's artifacts (`report/report.html`)."""
    return str(PurePosixPath(artifact_path.strip("/"), file_name)) if artifact_path.strip("/") else file_name


def blob_name(run_id: str, name: str) -> str:
    return f"{ORIGIN}/{container_of(run_id)}/{name}"


def register_body(run_id: str, name: str) -> dict[str, Any]:
    """The artifact service's Artifact for a blob already in the artifact store."""
    return {
        "origin": ORIGIN,
        "container": container_of(run_id),
        "path": name,
        "dataPath": {"dataStoreName": ARTIFACT_STORE, "relativePath": blob_name(run_id, name)},
    }


def attach(connection: Any, run_id: str, file: Path, *, artifact_path: str = "") -> str:
    """Upload `file` into the job's artifacts and register it; the `azureml://` URI of the blob."""
    name = artifact_name(file.name, artifact_path)
    _upload(connection, blob_name(run_id, name), file)
    _register(connection, register_body(run_id, name))
    return f"azureml://datastores/{ARTIFACT_STORE}/paths/{blob_name(run_id, name)}"


def _upload(connection: Any, blob: str, file: Path) -> None:
    from azure.storage.blob import BlobClient, ContentSettings

    with service_call("get the artifact store of the workspace", ARTIFACT_STORE):
        store = connection.ml.datastores.get(ARTIFACT_STORE, include_secrets=True)
    secrets = getattr(store, "credentials", None)
    credential = (
        getattr(secrets, "account_key", None) or getattr(secrets, "sas_token", None) or connection.credential
    )
    client = BlobClient(
        account_url=f"https://{store.account_name}.blob.{store.endpoint}",
        container_name=store.container_name,
        blob_name=blob,
        credential=credential,
    )
    kind = "text/html" if file.suffix.lower() in (".html", ".htm") else "application/octet-stream"
    with service_call("upload a job artifact", blob), file.open("rb") as handle:
        client.upload_blob(handle, overwrite=True, content_settings=ContentSettings(content_type=kind))


def _register(connection: Any, body: dict[str, Any]) -> None:
    import requests  # azure-core's transport; honours HTTPS_PROXY and REQUESTS_CA_BUNDLE

    api = _api_url(connection)
    url = f"{api}/artifact/v2.0{connection.workspace.arm_id}/artifacts/register"
    token = connection.credential.get_token(ARM_SCOPE).token
    try:
        response = requests.post(
            url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT_S
        )
    except requests.RequestException as exc:
        raise FailedError(f"cannot register the job artifact {body['path']!r}: {exc}") from None
    if response.status_code != 200:
        raise FailedError(
            f"the artifact service refused to register {body['path']!r} with job "
            f"{body['container'].removeprefix('dcid.')}: HTTP {response.status_code} {response.text[:300]}"
        )


def _api_url(connection: Any) -> str:
    import requests

    with service_call("get workspace", connection.workspace.name):
        workspace = connection.ml.workspaces.get(connection.workspace.name)
    try:
        document = requests.get(workspace.discovery_url, timeout=TIMEOUT_S).json()
    except (requests.RequestException, ValueError) as exc:
        raise FailedError(f"cannot read the workspace's discovery document: {exc}") from None
    api = document.get("api") if isinstance(document, dict) else None
    if not api:
        raise FailedError(f"the workspace's discovery document ({workspace.discovery_url}) names no api host")
    return str(api).rstrip("/")
