"""Local stand-ins for the CI sign-in steps: the federated token exchange they do, with azure-identity.

- Azure DevOps `AzureCLI@2` on a workload-identity-federation service connection: the agent asks the
  organisation's OIDC issuer (`SYSTEM_OIDCREQUESTURI`, authorised by `System.AccessToken`) for a token of
  that service connection and exchanges it at Entra ID for the connection's app registration. Locally
  the service connection's identifiers come from `local/service-connections.yml` beside the pipeline file
  (what Azure DevOps keeps in the connection; identifiers, never secrets) and the issuer from the machine's
  environment (`SYSTEM_OIDCREQUESTURI`, `SYSTEM_ACCESSTOKEN`), as an agent has them.
- GitHub `azure/login` with OIDC: the job's ID-token endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL`/`_TOKEN`,
  granted by `permissions: id-token: write`) gives a token for `api://AzureADTokenExchange`, exchanged at
  Entra ID for the `client-id` input's identity.

Either way the stand-in signs in for real (an ARM token is obtained; a refused federation fails the step
with Entra's reason), so a wrong client id, tenant or issuer fails where it would on Azure. It does not
run `az login`: the amlops verbs sign in themselves (azure-identity, see amlops.backends.azure.credentials),
and scripts that call `az` need azure-cli and your own `az login` on the machine.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from amlops.errors import UsageError

ARM_SCOPE = "https://management.azure.com/.default"
SERVICE_CONNECTIONS = "local/service-connections.yml"
"""Read from the folder of the pipeline file that runs (pipelines/azure-devops/, or a generated project's
.azure-pipelines/), unless `amlops run --service-connections FILE` names another."""
CONNECTION_KEYS = {
    "id": "the service connection's id",
    "clientId": "the app registration or managed identity it signs in as",
    "tenantId": "its Microsoft Entra tenant",
    "subscriptionId": "the subscription it is scoped to",
}


class SignInError(UsageError):
    """The sign-in cannot happen: a missing issuer, an unknown service connection, a refused exchange."""


@dataclass(frozen=True)
class ServiceConnection:
    name: str
    id: str
    client_id: str
    tenant_id: str
    subscription_id: str


def parse_service_connections(document: Any, source: str) -> dict[str, ServiceConnection]:
    """`name -> {id, clientId, tenantId, subscriptionId}` (pure); a wrong shape names the file and key."""
    if document is None:
        return {}
    if not isinstance(document, Mapping):
        raise SignInError(f"{source}: expected a mapping of service connection name -> its identifiers")
    connections = {}
    for name, entry in document.items():
        if not isinstance(entry, Mapping):
            raise SignInError(f"{source}: '{name}' must be a mapping with {', '.join(CONNECTION_KEYS)}")
        missing = [key for key in CONNECTION_KEYS if not str(entry.get(key) or "").strip()]
        if missing:
            raise SignInError(
                f"{source}: '{name}' lacks "
                + ", ".join(f"'{key}' ({CONNECTION_KEYS[key]})" for key in missing)
            )
        unknown = sorted(set(map(str, entry)) - set(CONNECTION_KEYS))
        if unknown:
            raise SignInError(
                f"{source}: '{name}' has unknown keys {unknown} (known: {list(CONNECTION_KEYS)})"
            )
        connections[str(name)] = ServiceConnection(
            str(name),
            str(entry["id"]).strip(),
            str(entry["clientId"]).strip(),
            str(entry["tenantId"]).strip(),
            str(entry["subscriptionId"]).strip(),
        )
    return connections


def load_service_connections(path: Path) -> dict[str, ServiceConnection]:
    """The declarations of `path`; none when the file does not exist."""
    if not path.is_file():
        return {}
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SignInError(f"{path}: {exc}") from None
    return parse_service_connections(document, str(path))


def _session(environ: Mapping[str, str]) -> Any:
    """A requests session with the step's proxy and trust settings (not this process's environment)."""
    import requests

    session = requests.Session()
    session.trust_env = False
    proxy = environ.get("HTTPS_PROXY") or environ.get("https_proxy") or ""
    if proxy:
        session.proxies = {"https": proxy}
    session.verify = environ.get("REQUESTS_CA_BUNDLE") or environ.get("SSL_CERT_FILE") or True
    return session


def azure_devops_id_token(
    request_uri: str,
    access_token: str,
    connection_id: str,
    environ: Mapping[str, str],
    *,
    timeout: float = 30,
) -> str:
    """The OIDC token Azure DevOps issues for a service connection (what the agent gives `az login`)."""
    import requests

    separator = "&" if "?" in request_uri else "?"
    url = f"{request_uri}{separator}api-version=7.1&serviceConnectionId={connection_id}"
    with _session(environ) as session:
        try:
            response = session.post(url, headers={"Authorization": f"Bearer {access_token}"}, timeout=timeout)
        except requests.RequestException as exc:
            where = request_uri.split("?", maxsplit=1)[0]
            raise SignInError(f"the Azure DevOps OIDC issuer {where} is unreachable: {exc}") from None
    is_json = response.headers.get("content-type", "").startswith("application/json")
    body: Any = response.json() if is_json else {}
    token = body.get("oidcToken") if isinstance(body, dict) else None
    if response.status_code != 200 or not token:
        reason = body.get("message") if isinstance(body, dict) else ""
        raise SignInError(
            f"the Azure DevOps OIDC issuer refused a token for service connection {connection_id} "
            f"(HTTP {response.status_code}{': ' + reason if reason else ''})"
        )
    return str(token)


def exchange(
    tenant_id: str, client_id: str, assertion: Callable[[], str], environ: Mapping[str, str]
) -> None:
    """Exchange a federated token at Entra ID for an ARM token, as `az login --federated-token` does."""
    from azure.core.exceptions import ClientAuthenticationError
    from azure.core.pipeline.transport import RequestsTransport
    from azure.identity import ClientAssertionCredential

    session = _session(environ)
    transport = RequestsTransport(
        session=session, session_owner=False, use_env_settings=False, connection_verify=session.verify
    )
    credential = ClientAssertionCredential(tenant_id, client_id, assertion, transport=transport)
    try:
        credential.get_token(ARM_SCOPE)
    except ClientAuthenticationError as exc:
        first = str(exc.message or exc).strip().splitlines()[0]
        raise SignInError(
            f"Entra ID refused the federated sign-in of client {client_id} in tenant {tenant_id}: {first}"
        ) from None
    finally:
        credential.close()
        session.close()


def azure_cli_task(connection: ServiceConnection, environ: Mapping[str, str], *, spn: bool) -> dict[str, str]:
    """Sign in as `AzureCLI@2` does for a workload-identity connection; the variables its script gets."""
    request_uri = environ.get("SYSTEM_OIDCREQUESTURI", "")
    access_token = environ.get("SYSTEM_ACCESSTOKEN", "")
    if not (request_uri and access_token):
        raise SignInError(
            f"service connection '{connection.name}' signs in with workload identity federation, which needs "
            "the Azure DevOps OIDC issuer an agent has: set SYSTEM_OIDCREQUESTURI and SYSTEM_ACCESSTOKEN in "
            "the environment of `amlops run` (the tests' emulated service provides them)"
        )
    id_token = azure_devops_id_token(request_uri, access_token, connection.id, environ)
    exchange(connection.tenant_id, connection.client_id, lambda: id_token, environ)
    env = {
        "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID": connection.id,
        "AZURESUBSCRIPTION_CLIENT_ID": connection.client_id,
        "AZURESUBSCRIPTION_TENANT_ID": connection.tenant_id,
    }
    if spn:  # addSpnToEnvironment: true
        env.update(servicePrincipalId=connection.client_id, tenantId=connection.tenant_id, idToken=id_token)
    return env


def github_login(client_id: str, tenant_id: str, environ: Mapping[str, str]) -> None:
    """Sign in as `azure/login` does with OIDC: the job's ID token exchanged for `client_id`."""
    from amlops.backends.azure.credentials import github_id_token

    missing = [name for name, value in (("client-id", client_id), ("tenant-id", tenant_id)) if not value]
    if missing:
        raise SignInError(f"azure/login with OIDC needs the inputs {', '.join(missing)}")
    url = environ.get("ACTIONS_ID_TOKEN_REQUEST_URL", "")
    token = environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "")
    if not (url and token):
        raise SignInError(
            "azure/login with OIDC needs the job's ID-token endpoint (ACTIONS_ID_TOKEN_REQUEST_URL and "
            "_TOKEN, which GitHub gives a job with `permissions: id-token: write`); none is set for this "
            "local run (the tests' emulated service provides one)"
        )
    exchange(tenant_id, client_id, lambda: github_id_token(url, token), environ)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m amlops.ci.signin github --client-id ID --tenant-id ID`: azure/login's stand-in."""
    import os

    parser = argparse.ArgumentParser(prog="python -m amlops.ci.signin", description=main.__doc__)
    parser.add_argument("kind", choices=["github"])
    parser.add_argument("--client-id", default="")
    parser.add_argument("--tenant-id", default="")
    args = parser.parse_args(argv)
    try:
        github_login(args.client_id.strip(), args.tenant_id.strip(), os.environ)
    except SignInError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    print(f"signed in to tenant {args.tenant_id} as client {args.client_id} (OIDC, federated token exchange)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
