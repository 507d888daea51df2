"""The sign-in stand-ins (Azure DevOps AzureCLI@2, GitHub azure/login) against the emulated Entra ID and CI
OIDC issuers: a declared identity signs in for real (an ARM token is issued), a refused one fails the step
with Entra's reason and the script after it never runs."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from git_repository import commit_repository

from amlops.ci.azure_devops.options import RunOptions
from amlops.ci.azure_devops.run import run_file
from amlops.ci.github import run_workflow
from amlops.ci.result import RunResult, Status
from amlops.ci.signin import ServiceConnection

COORDINATES = ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP")
CONNECTION_ID = "00000000-0000-0000-0000-0000000000d1"

AZURE_DEVOPS = """
steps:
  - task: AzureCLI@2
    name: connect
    inputs:
      azureSubscription: amlops-dev
      scriptType: bash
      scriptLocation: inlineScript
      addSpnToEnvironment: true
      inlineScript: |
        echo "spn=$servicePrincipalId tenant=$tenantId connection=$AZURESUBSCRIPTION_SERVICE_CONNECTION_ID"
        echo "id-token=${idToken:+present} subscription=$AZURE_SUBSCRIPTION_ID"
  - bash: echo "access-token=${SYSTEM_ACCESSTOKEN:+mapped}"
    env:
      SYSTEM_ACCESSTOKEN: $(System.AccessToken)
"""

GITHUB = """
on: push
jobs:
  deploy:
    runs-on: ubuntu-latest
    permissions:
      id-token: write
    steps:
      - uses: azure/login@a457da9ea143d694b1b9c7c869ebb04ebe844ef5  # v2
        with:
          client-id: {client}
          tenant-id: {tenant}
          subscription-id: {subscription}
      - run: echo "reached-$((1+1))"
"""


def _issuer_environment(service: Any, credential: str) -> dict[str, str]:
    """The machine's side only (proxy, trust, the CI's OIDC issuer): the pipeline supplies the identity."""
    env = {k: v for k, v in os.environ.items() if k not in COORDINATES and not k.startswith("SYSTEM_")}
    env.update({k: v for k, v in service.environment(credential=credential).items() if k not in COORDINATES})
    return env


def _run_azure_devops(service: Any, tmp_path: Path, client_id: str) -> tuple[RunResult, str]:
    (tmp_path / "pipeline.yml").write_text(AZURE_DEVOPS, encoding="utf-8")
    connection = ServiceConnection(
        "amlops-dev", CONNECTION_ID, client_id, service.identity.tenant_id, service.subscription
    )
    out = io.StringIO()
    result = run_file(
        tmp_path / "pipeline.yml",
        RunOptions(
            repo_root=tmp_path,
            state_dir=tmp_path / "state",
            env=_issuer_environment(service, "azure-devops"),
            out=out,
            service_connections={"amlops-dev": connection},
        ),
    )
    return result, out.getvalue()


def test_azure_cli_task_signs_in_through_the_service_connection(azureml_service: Any, tmp_path: Path) -> None:
    issued = len(azureml_service.identity.issued)
    result, log = _run_azure_devops(azureml_service, tmp_path, azureml_service.identity.client_id)
    assert result.status == Status.SUCCEEDED, log
    client, tenant = azureml_service.identity.client_id, azureml_service.identity.tenant_id
    assert f"spn={client} tenant={tenant} connection={CONNECTION_ID}" in log
    assert f"id-token=present subscription={azureml_service.subscription}" in log
    assert "access-token=mapped" in log
    assert "azure-devops-system-access-token" not in log  # System.AccessToken is masked
    tokens = azureml_service.identity.issued[issued:]
    assert [t["audience"] for t in tokens] == ["https://management.azure.com"]
    assert tokens[0]["issuer"].startswith("https://vstoken.dev.azure.com/")


def test_azure_cli_task_fails_when_entra_refuses_the_federation(azureml_service: Any, tmp_path: Path) -> None:
    result, log = _run_azure_devops(azureml_service, tmp_path, "00000000-0000-0000-0000-00000000bad1")
    assert result.status == Status.FAILED
    job = next(iter(result.jobs.values()))
    assert job.steps[0].status == Status.FAILED
    assert "AADSTS700016" in job.steps[0].reason
    assert "Entra ID refused the federated sign-in of client 00000000-0000-0000-0000-00000000bad1" in log
    assert "AADSTS700016" in log
    assert "spn=" not in log


def _run_github(service: Any, tmp_path: Path, client_id: str) -> RunResult:
    workflow = tmp_path / "repo" / ".github" / "workflows" / "main.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(
        GITHUB.format(client=client_id, tenant=service.identity.tenant_id, subscription=service.subscription),
        encoding="utf-8",
    )
    repo = commit_repository(tmp_path / "repo", origin="https://github.com/owner/project.git", message="x")
    environment = _issuer_environment(service, "github")
    extra = {k: v for k, v in environment.items() if os.environ.get(k) != v}
    return run_workflow(workflow, event="push", repo_root=repo, env=extra, run_dir=tmp_path / "run")


@pytest.mark.timeout(180)
def test_azure_login_signs_in_with_the_jobs_oidc_token(azureml_service: Any, tmp_path: Path) -> None:
    issued, requests = len(azureml_service.identity.issued), azureml_service.identity.oidc_requests
    result = _run_github(azureml_service, tmp_path, azureml_service.identity.client_id)
    assert result.status == Status.SUCCEEDED, result.log
    assert "reached-2" in result.log
    assert azureml_service.identity.oidc_requests == requests + 1
    tokens = azureml_service.identity.issued[issued:]
    assert [(t["audience"], t["issuer"]) for t in tokens] == [
        ("https://management.azure.com", "https://token.actions.githubusercontent.com")
    ]


@pytest.mark.timeout(180)
def test_azure_login_fails_when_entra_refuses_the_federation(azureml_service: Any, tmp_path: Path) -> None:
    result = _run_github(azureml_service, tmp_path, "00000000-0000-0000-0000-00000000bad1")
    assert result.status == Status.FAILED
    assert result.jobs["deploy"].status == Status.FAILED
    assert "AADSTS700016" in result.log
    assert "reached-2" not in result.log
