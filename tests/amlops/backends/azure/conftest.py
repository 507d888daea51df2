"""Fixtures for the azure backend: a connected environment per test, the CLI run in this process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from amlops.cli import main

ROOT = Path(__file__).resolve().parents[4]
AZURE_VARIABLES = (
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "SYSTEM_OIDCREQUESTURI",
    "SYSTEM_ACCESSTOKEN",
    "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_SUBSCRIPTION_ID",
    "AZURE_RESOURCE_GROUP",
    "AZUREML_WORKSPACE_NAME",
    "AMLOPS_ENVIRONMENT",
    "AMLOPS_COMPUTE",
)


@dataclass
class Result:
    code: int
    result: dict[str, Any]
    stderr: str


@pytest.fixture
def no_azure_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in AZURE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no `az` either


@pytest.fixture
def azure(azureml_service: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """The emulator, with this test's process connected to it (GitHub OIDC credential by default).
    Fails the test if a request went to a host the emulator does not serve, or used an api-version it
    does not know."""
    for name in AZURE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in azureml_service.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AMLOPS_AZURE_POLL_S", "0.3")
    monkeypatch.setenv("AMLOPS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("AMLOPS_PROJECT_DIR", str(ROOT))
    refused, unknown = len(azureml_service.proxy.refused), len(azureml_service.arm.unknown_api_versions)
    yield azureml_service
    for what, at in zip(
        azureml_service.proxy.refused[refused:], azureml_service.proxy.refused_at[refused:], strict=False
    ):
        print("REFUSED", what, "after", azureml_service.proxy.log[max(0, at - 3) : at])
    assert azureml_service.proxy.refused[refused:] == [], "requests left the emulated service"
    assert azureml_service.arm.unknown_api_versions[unknown:] == [], "api-versions the emulator does not know"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    code = main(["--backend", "azure", *args])
    out, err = capsys.readouterr()
    lines = [line for line in out.strip().splitlines() if line.strip()]
    return Result(code, json.loads(lines[-1]) if lines else {}, err)
