"""Credential choice, workspace coordinates and alias reading: pure functions, no SDK, no network."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from amlops.backends.azure.credentials import (
    AZURE_CLI,
    AZURE_PIPELINES,
    GITHUB,
    WORKLOAD_IDENTITY,
    choose_credential,
)
from amlops.backends.azure.registry import alias_holders
from amlops.backends.azure.workspace import resolve_workspace
from amlops.errors import UsageError

IDS = {"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c"}


def test_github_actions_gets_a_fresh_oidc_assertion_per_token() -> None:
    choice = choose_credential(
        {**IDS, "ACTIONS_ID_TOKEN_REQUEST_URL": "https://x/idtoken", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "r"}
    )
    assert choice.kind == GITHUB
    assert choice.options == {"request_url": "https://x/idtoken", "request_token": "r"}


def test_github_actions_without_id_token_permission_says_so() -> None:
    with pytest.raises(UsageError, match="id-token: write"):
        choose_credential({**IDS, "ACTIONS_ID_TOKEN_REQUEST_URL": "https://x/idtoken"})


def test_azure_devops_uses_the_service_connection() -> None:
    choice = choose_credential(
        {
            "SYSTEM_OIDCREQUESTURI": "https://dev.azure.com/o/p/_apis/oidctoken",
            "SYSTEM_ACCESSTOKEN": "s",
            "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID": "sc",
            "AZURESUBSCRIPTION_CLIENT_ID": "c",
            "AZURESUBSCRIPTION_TENANT_ID": "t",
        }
    )
    assert (choice.kind, choice.client_id, choice.tenant_id) == (AZURE_PIPELINES, "c", "t")
    assert choice.options["service_connection_id"] == "sc"


def test_azure_devops_without_the_access_token_names_it() -> None:
    with pytest.raises(UsageError, match=r"SYSTEM_ACCESSTOKEN.*System\.AccessToken"):
        choose_credential(
            {**IDS, "SYSTEM_OIDCREQUESTURI": "https://x", "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID": "sc"}
        )


def test_federated_token_file_and_laptop() -> None:
    assert choose_credential({**IDS, "AZURE_FEDERATED_TOKEN_FILE": "/f"}).kind == WORKLOAD_IDENTITY
    assert choose_credential({}, az_available=True).kind == AZURE_CLI


def test_no_credential_is_one_message_without_secrets() -> None:
    with pytest.raises(UsageError) as caught:
        choose_credential({}, az_available=False)
    message = caught.value.message
    assert "az login" in message
    assert "id-token: write" in message
    assert "\n" not in message
    assert "secret" in message  # it says none are used, and asks for none


def test_workspace_from_environment_then_settings_file(tmp_path: Path) -> None:
    env = {"AZURE_SUBSCRIPTION_ID": "s", "AZURE_RESOURCE_GROUP": "rg", "AZUREML_WORKSPACE_NAME": "w"}
    assert resolve_workspace(env, tmp_path).arm_id == (
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/w"
    )
    config = tmp_path / "pipelines" / "config"
    config.mkdir(parents=True)
    (config / "dev.yml").write_text(
        "variables:\n  azureSubscriptionId: s2\n  resourceGroup: rg2\n"
        "  workspaceName: w2\n  compute: serverless\n"
    )
    workspace = resolve_workspace({"AMLOPS_ENVIRONMENT": "dev"}, tmp_path)
    assert (workspace.subscription_id, workspace.name, workspace.compute) == ("s2", "w2", "serverless")
    assert workspace.source.endswith("dev.yml")


def test_missing_workspace_names_every_missing_variable(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_workspace({"AZURE_SUBSCRIPTION_ID": "s"}, tmp_path)
    assert "AZURE_RESOURCE_GROUP, AZUREML_WORKSPACE_NAME" in caught.value.message
    assert "AZURE_SUBSCRIPTION_ID," not in caught.value.message


def _version(number: str, **tags: str) -> SimpleNamespace:
    return SimpleNamespace(version=number, tags=tags)


def test_the_oldest_claim_holds_an_alias() -> None:
    # a move that claimed for 2 but never released 1 leaves 1 in force
    versions = [
        _version("1", champion="2026-01-01T00:00:00.000000Z"),
        _version("2", champion="2026-02-01T00:00:00.000000Z", challenger="2026-02-01T00:00:00.000000Z"),
        _version("3"),
    ]
    assert alias_holders(versions) == {"champion": "1", "challenger": "2"}
    assert alias_holders([versions[1], versions[2]]) == {"champion": "2", "challenger": "2"}
    assert alias_holders([versions[2]]) == {}
