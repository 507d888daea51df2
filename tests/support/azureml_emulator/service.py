"""The emulated Azure Machine Learning service: two workspaces (dev, and prod for promotion), reachable
through the HTTPS proxy. Each has its own datastores (a blob container of its own) and compute; jobs run
in either, the tests train in the first (`workspace`) and promote into `prod_workspace`.

Hosts served (everything else is refused and recorded):
- login.microsoftonline.com             Entra ID token endpoint (identity.py)
- pipelines.actions.githubusercontent.com  GitHub Actions OIDC token endpoint
- dev.azure.com                         Azure DevOps OIDC token endpoint and incoming webhooks
                                        (azure_devops_webhooks.py)
- api.github.com                        GitHub's repository_dispatch API (github_api.py)
- management.azure.com                  ARM: the workspace and its resources (arm.py + the routes below)
- <region>.api.azureml.ms               discovery and run history (jobs.py)
- <account>.blob.core.windows.net       Azurite
- <endpoint>.<region>.inference.ml.azure.com  scoring hosts: online endpoints (online.py), batch
                                        endpoint invocations (batch.py)
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from pathlib import Path
from typing import Any

from . import github_api
from .arm import Arm
from .azure_devops_webhooks import IncomingWebhooks
from .azurite import Azurite
from .github_api import GitHubApi
from .http import HttpsProxy, forward
from .identity import ADO_ACCESS_TOKEN, ADO_HOST, GITHUB_HOST, GITHUB_REQUEST_TOKEN, Identity
from .store import Store, new_id, now

SUBSCRIPTION = "00000000-0000-0000-0000-00000000c0de"
RESOURCE_GROUP = "rg-amlops-test"
WORKSPACE = "mlw-amlops-test"
PROD_WORKSPACE = "mlw-amlops-test-prod"
LOCATION = "westeurope"
TENANT = "00000000-0000-0000-0000-0000000000e1"
CLIENT = "00000000-0000-0000-0000-0000000000c1"
ACCOUNT = "stamlopstest"
CONTAINER = "azureml-blobstore-5b5bd5a6-0000-4000-8000-000000000001"
PROD_CONTAINER = "azureml-blobstore-5b5bd5a6-0000-4000-8000-000000000002"


class AzureMLEmulator:
    def __init__(self, folder: Path) -> None:
        from .tls import CertificateAuthority

        self.folder = folder
        self.subscription = SUBSCRIPTION
        self.resource_group = RESOURCE_GROUP
        self.workspace = WORKSPACE
        self.prod_workspace = PROD_WORKSPACE
        self.workspaces = {WORKSPACE: CONTAINER, PROD_WORKSPACE: PROD_CONTAINER}  # name -> blob container
        self.location = LOCATION
        self.account = ACCOUNT
        self.default_container = CONTAINER
        self.ca = CertificateAuthority(folder / "ca")
        self.proxy = HttpsProxy(self.ca)
        self.identity = Identity(TENANT, CLIENT)
        self.store = Store()
        self.arm = Arm(self.store, self.identity.verify)
        self.azurite = Azurite(folder / "azurite", ACCOUNT)
        self.lock = threading.RLock()
        self.extensions: list[Any] = []
        self.github_api = GitHubApi()
        self.webhooks = IncomingWebhooks()

    # --- coordinates --------------------------------------------------------------------------------
    @property
    def workspace_path(self) -> str:
        return self.workspace_path_of(self.workspace)

    def workspace_path_of(self, workspace: str) -> str:
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.MachineLearningServices/workspaces/{workspace}"
        )

    def path(self, *parts: str, workspace: str | None = None) -> str:
        return "/".join([self.workspace_path_of(workspace or self.workspace), *parts])

    @property
    def datastore_path(self) -> str:
        return self.path("datastores", "workspaceblobstore")

    def environment(self, *, credential: str = "github") -> dict[str, str]:
        """What a CI job (or a laptop) that is connected to this workspace has in its environment."""
        env = {
            "HTTPS_PROXY": self.proxy.url,
            "https_proxy": self.proxy.url,
            "NO_PROXY": "",
            "no_proxy": "",
            "REQUESTS_CA_BUNDLE": str(self.ca.bundle),
            "SSL_CERT_FILE": str(self.ca.bundle),
            "CURL_CA_BUNDLE": str(self.ca.bundle),
            "AZURE_SUBSCRIPTION_ID": self.subscription,
            "AZURE_RESOURCE_GROUP": self.resource_group,
            "AZUREML_WORKSPACE_NAME": self.workspace,
            "AZURE_TENANT_ID": self.identity.tenant_id,
            "AZURE_CLIENT_ID": self.identity.client_id,
            # azure-ai-ml caches anonymous components on disk per workspace; each emulator starts empty.
            "AZURE_ML_DISABLE_ON_DISK_CACHE": "true",
        }
        if credential == "github":
            env["ACTIONS_ID_TOKEN_REQUEST_URL"] = (
                f"https://{GITHUB_HOST}/00000000/_apis/distributedtask/hubs/Actions/plans/1/jobs/1"
                "/idtoken?api-version=2.0"
            )
            env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = GITHUB_REQUEST_TOKEN
        elif credential == "azure-devops":
            env["SYSTEM_OIDCREQUESTURI"] = (
                f"https://{ADO_HOST}/org/00000000-0000-0000-0000-000000000001/_apis/distributedtask/hubs/build"
                "/plans/1/jobs/1/oidctoken"
            )
            env["SYSTEM_ACCESSTOKEN"] = ADO_ACCESS_TOKEN
            env["AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"] = "00000000-0000-0000-0000-0000000000d1"
        return env

    # --- life cycle ---------------------------------------------------------------------------------
    def start(self) -> AzureMLEmulator:
        self.azurite.start()
        self._create_blob_container()
        self.proxy.route("login.microsoftonline.com", self.identity.entra)
        self.proxy.route(GITHUB_HOST, self.identity.github)
        self.proxy.route(ADO_HOST, self._azure_devops)
        self.proxy.route(github_api.HOST, self.github_api)
        self.proxy.route("management.azure.com", self.arm)
        self.proxy.route(f"{ACCOUNT}.blob.core.windows.net", forward(self.azurite.port))
        self._seed()
        from . import assets, batch, jobs, online

        self.assets = assets.install(self)
        self.jobs = jobs.install(self)
        self.online = online.install(self)
        self.batch = batch.install(self)
        self.extensions.extend([self.assets, self.jobs, self.online])
        self.proxy.start()
        return self

    def _azure_devops(self, request: Any) -> Any:
        """dev.azure.com: the incoming webhooks, else the OIDC token endpoint."""
        if self.webhooks.handles(request):
            return self.webhooks(request)
        return self.identity.azure_devops(request)

    def stop(self) -> None:
        for extension in self.extensions:
            stop = getattr(extension, "stop", None)
            if stop:
                stop()
        self.proxy.stop()
        self.azurite.stop()

    def blob_service(self) -> Any:
        """A client straight to Azurite (path-style, no proxy), for the emulator's own reads and writes."""
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient(
            f"http://127.0.0.1:{self.azurite.port}/{ACCOUNT}",
            credential={"account_name": ACCOUNT, "account_key": self.azurite.key},
            proxies={},
        )

    def container(self, name: str = CONTAINER) -> Any:
        return self.blob_service().get_container_client(name)

    def _create_blob_container(self) -> None:
        for container in self.workspaces.values():
            self.ensure_container(container)

    def _seed(self) -> None:
        for workspace in self.workspaces:
            self._seed_workspace(workspace)

    def _seed_workspace(self, workspace: str) -> None:
        workspace_path = self.workspace_path_of(workspace)
        container = self.workspaces[workspace]
        # workspaceRP.json Workspace; fields azure-ai-ml reads: location, discoveryUrl, mlFlowTrackingUri,
        # storageAccount, workspaceId (recordings: workspace/*, "discoveryUrl": "https://<region>.api.azureml.ms/discovery").
        self.store.put(
            workspace_path,
            {
                "location": self.location,
                "kind": "Default",
                "identity": {"type": "SystemAssigned", "principalId": new_id(), "tenantId": TENANT},
                "sku": {"name": "Basic", "tier": "Basic"},
                "tags": {},
                "properties": {
                    "friendlyName": workspace,
                    "workspaceId": str(uuid.uuid5(uuid.NAMESPACE_DNS, workspace)),
                    "discoveryUrl": f"https://{self.location}.api.azureml.ms/discovery",
                    "mlFlowTrackingUri": (
                        f"azureml://{self.location}.api.azureml.ms/mlflow/v1.0{workspace_path}"
                    ),
                    "storageAccount": (
                        f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
                        f"/providers/Microsoft.Storage/storageAccounts/{ACCOUNT}"
                    ),
                    "provisioningState": "Succeeded",
                    "publicNetworkAccess": "Enabled",
                    "hbiWorkspace": False,
                    "v1LegacyMode": False,
                    "creationTime": now(),
                },
            },
        )
        # mfe.json ComputeResource (AmlCompute); recordings: compute/*.
        self.store.put(
            self.path("computes", "cpu-cluster", workspace=workspace),
            {
                "location": self.location,
                "properties": {
                    "computeType": "AmlCompute",
                    "provisioningState": "Succeeded",
                    "properties": {
                        "vmSize": "STANDARD_DS3_V2",
                        "vmPriority": "Dedicated",
                        "scaleSettings": {
                            "minNodeCount": 0,
                            "maxNodeCount": 2,
                            "nodeIdleTimeBeforeScaleDown": "PT120S",
                        },
                    },
                },
            },
        )
        # mfe.json Datastore (AzureBlobDatastore); recordings: datastore/*.
        self.store.put(
            self.path("datastores", "workspaceblobstore", workspace=workspace),
            {
                "properties": {
                    "datastoreType": "AzureBlob",
                    "accountName": ACCOUNT,
                    "containerName": container,
                    "endpoint": "core.windows.net",
                    "protocol": "https",
                    "serviceDataAccessAuthIdentity": "WorkspaceSystemAssignedIdentity",
                    "isDefault": True,
                    "credentials": {"credentialsType": "AccountKey"},
                    "description": None,
                    "tags": {},
                    "properties": {},
                }
            },
        )

        # The artifact store (run logs under ExperimentRun/dcid.<run id>/) shares the blob container here.
        self.store.put(
            self.path("datastores", "workspaceartifactstore", workspace=workspace),
            {
                "properties": {
                    **self.store.get(self.path("datastores", "workspaceblobstore", workspace=workspace))[
                        "properties"
                    ],
                    "isDefault": False,
                }
            },
        )

    # --- shared helpers for the extensions ----------------------------------------------------------
    def ensure_container(self, name: str) -> None:
        from azure.core.exceptions import ResourceExistsError

        with contextlib.suppress(ResourceExistsError):
            self.blob_service().get_container_client(name).create_container()

    def sas_for(self, container: str = CONTAINER, *, write: bool) -> str:
        """A container SAS signed with Azurite's key (so a tampered one fails with 403, as on Azure)."""
        from datetime import UTC, datetime, timedelta

        from azure.storage.blob import ContainerSasPermissions, generate_container_sas

        return generate_container_sas(
            ACCOUNT,
            container,
            account_key=self.azurite.key,
            permission=ContainerSasPermissions(read=True, list=True, write=write, create=write, add=write),
            expiry=datetime.now(UTC) + timedelta(hours=2),
        )

    def blob_url(self, path: str = "", *, container: str = CONTAINER) -> str:
        return f"https://{ACCOUNT}.blob.core.windows.net/{container}/{path}".rstrip("/")

    def upload_folder(self, folder: Path, prefix: str, container: Any = None) -> None:
        container = container or self.container()
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = f"{prefix.strip('/')}/{file.relative_to(folder).as_posix()}"
            with file.open("rb") as handle:
                container.upload_blob(name, handle, overwrite=True)
