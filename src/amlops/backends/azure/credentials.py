"""Which azure-identity credential to use, chosen from the environment; never a client secret.

- GitHub Actions (job with `id-token: write`): `ClientAssertionCredential` whose assertion is a fresh
  GitHub OIDC token per Azure token (GitHub ID tokens live 5 minutes; jobs outlive them), from
  `ACTIONS_ID_TOKEN_REQUEST_URL`/`_TOKEN`, `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`.
- Azure DevOps (workload identity federation service connection): `AzurePipelinesCredential` (a fresh
  OIDC token per request), from `SYSTEM_OIDCREQUESTURI`, `SYSTEM_ACCESSTOKEN`, the service connection id
  (`AZURESUBSCRIPTION_SERVICE_CONNECTION_ID`) and the client and tenant ids
  (`AZURESUBSCRIPTION_CLIENT_ID`/`_TENANT_ID` or `AZURE_CLIENT_ID`/`_TENANT_ID`).
- Kubernetes, or any federated token file: `WorkloadIdentityCredential`, from `AZURE_FEDERATED_TOKEN_FILE`,
  `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`.
- A laptop: `AzureCliCredential` (`az login`).

`choose_credential` is pure (a mapping in, a `CredentialChoice` out); `build_credential` imports
azure-identity.
"""

from __future__ import annotations

import shutil
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from amlops.errors import UsageError

GITHUB_AUDIENCE = "api://AzureADTokenExchange"
GITHUB = "github-oidc"
AZURE_PIPELINES = "azure-pipelines"
WORKLOAD_IDENTITY = "workload-identity"
AZURE_CLI = "azure-cli"


@dataclass(frozen=True)
class CredentialChoice:
    kind: str
    tenant_id: str = ""
    client_id: str = ""
    options: Mapping[str, str] = field(default_factory=dict)


def _first(environ: Mapping[str, str], *names: str) -> str:
    return next((environ[n].strip() for n in names if environ.get(n, "").strip()), "")


def choose_credential(environ: Mapping[str, str], *, az_available: bool | None = None) -> CredentialChoice:
    tenant = _first(environ, "AZURE_TENANT_ID", "AZURESUBSCRIPTION_TENANT_ID")
    client = _first(environ, "AZURE_CLIENT_ID", "AZURESUBSCRIPTION_CLIENT_ID")
    if environ.get("ACTIONS_ID_TOKEN_REQUEST_URL"):
        missing = [n for n, v in (("AZURE_TENANT_ID", tenant), ("AZURE_CLIENT_ID", client)) if not v]
        if not environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
            missing.append("ACTIONS_ID_TOKEN_REQUEST_TOKEN (grant the job `permissions: id-token: write`)")
        if missing:
            raise UsageError("GitHub OIDC sign-in needs " + ", ".join(missing))
        return CredentialChoice(
            GITHUB,
            tenant,
            client,
            {
                "request_url": environ["ACTIONS_ID_TOKEN_REQUEST_URL"],
                "request_token": environ["ACTIONS_ID_TOKEN_REQUEST_TOKEN"],
            },
        )
    if environ.get("SYSTEM_OIDCREQUESTURI"):
        connection = _first(
            environ, "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID", "AMLOPS_SERVICE_CONNECTION_ID"
        )
        token = _first(environ, "SYSTEM_ACCESSTOKEN")
        missing = [
            name
            for name, value in (
                ("AZURE_TENANT_ID (or AZURESUBSCRIPTION_TENANT_ID)", tenant),
                ("AZURE_CLIENT_ID (or AZURESUBSCRIPTION_CLIENT_ID)", client),
                ("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID", connection),
                ("SYSTEM_ACCESSTOKEN (map $(System.AccessToken) into the step's env)", token),
            )
            if not value
        ]
        if missing:
            raise UsageError("Azure Pipelines workload identity sign-in needs " + ", ".join(missing))
        return CredentialChoice(
            AZURE_PIPELINES,
            tenant,
            client,
            {"service_connection_id": connection, "system_access_token": token},
        )
    if environ.get("AZURE_FEDERATED_TOKEN_FILE"):
        if not (tenant and client):
            raise UsageError("AZURE_FEDERATED_TOKEN_FILE is set: set AZURE_TENANT_ID and AZURE_CLIENT_ID too")
        return CredentialChoice(
            WORKLOAD_IDENTITY, tenant, client, {"token_file_path": environ["AZURE_FEDERATED_TOKEN_FILE"]}
        )
    if az_available is None:
        az_available = shutil.which("az") is not None
    if az_available:
        return CredentialChoice(AZURE_CLI, tenant)
    raise UsageError(
        "no Azure credential: run in GitHub Actions with `id-token: write` and "
        "AZURE_CLIENT_ID/AZURE_TENANT_ID, "
        "in Azure DevOps through a workload-identity service connection, with AZURE_FEDERATED_TOKEN_FILE, "
        "or sign in with `az login` (no client secrets are used)"
    )


def github_id_token(request_url: str, request_token: str, *, timeout: float = 30.0) -> str:
    """A fresh GitHub Actions OIDC token for Entra's token exchange audience."""
    import requests  # azure-core's transport; honours HTTPS_PROXY and REQUESTS_CA_BUNDLE at each call

    separator = "&" if urllib.parse.urlsplit(request_url).query else "?"
    url = f"{request_url}{separator}audience={urllib.parse.quote(GITHUB_AUDIENCE, safe='')}"
    response = requests.get(url, headers={"Authorization": f"bearer {request_token}"}, timeout=timeout)
    if response.status_code != 200:
        raise UsageError(
            f"the GitHub OIDC token endpoint answered HTTP {response.status_code}; "
            "grant the job `permissions: id-token: write`"
        )
    document: Any = response.json()
    value = document.get("value") if isinstance(document, dict) else None
    if not value:
        raise UsageError(
            f"the GitHub OIDC token endpoint answered without a token ({url.split('?', maxsplit=1)[0]})"
        )
    return str(value)


def build_credential(choice: CredentialChoice) -> Any:
    from azure import identity

    if choice.kind == GITHUB:
        url, token = choice.options["request_url"], choice.options["request_token"]
        return identity.ClientAssertionCredential(
            choice.tenant_id, choice.client_id, lambda: github_id_token(url, token)
        )
    if choice.kind == AZURE_PIPELINES:
        return identity.AzurePipelinesCredential(
            tenant_id=choice.tenant_id,
            client_id=choice.client_id,
            service_connection_id=choice.options["service_connection_id"],
            system_access_token=choice.options["system_access_token"],
        )
    if choice.kind == WORKLOAD_IDENTITY:
        return identity.WorkloadIdentityCredential(
            tenant_id=choice.tenant_id,
            client_id=choice.client_id,
            token_file_path=choice.options["token_file_path"],
        )
    return identity.AzureCliCredential(tenant_id=choice.tenant_id or None)
