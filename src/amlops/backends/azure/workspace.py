"""Where the azure backend works: the workspace's coordinates and the compute its jobs run on.

Read from the environment first (what the `connect-workspace` step exports), then from the environment
settings file `pipelines/config/<AMLOPS_ENVIRONMENT>.yml`. Pure functions over a mapping: no SDK here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from amlops.errors import ConfigError, UsageError

ENVIRONMENT_ENV = "AMLOPS_ENVIRONMENT"
COMPUTE_ENV = "AMLOPS_COMPUTE"
# environment variable -> key in the settings file's `variables:`
COORDINATES = {
    "AZURE_SUBSCRIPTION_ID": "azureSubscriptionId",
    "AZURE_RESOURCE_GROUP": "resourceGroup",
    "AZUREML_WORKSPACE_NAME": "workspaceName",
}
COMPUTE_KEY = "compute"


@dataclass(frozen=True)
class Workspace:
    subscription_id: str
    resource_group: str
    name: str
    compute: str | None = None  # a compute cluster name, "serverless", or None (the job file's default)
    source: str = "environment"

    @property
    def arm_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.MachineLearningServices/workspaces/{self.name}"
        )


def settings_file(project_root: Path, environment: str) -> Path:
    return project_root / "pipelines" / "config" / f"{environment}.yml"


def _settings_variables(path: Path) -> dict[str, object]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{ENVIRONMENT_ENV} names a settings file that does not exist: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    variables = document.get("variables") if isinstance(document, dict) else None
    if not isinstance(variables, dict):
        raise ConfigError(f"{path}: expected a mapping under `variables:`")
    return variables


def resolve_workspace(environ: Mapping[str, str], project_root: Path) -> Workspace:
    """The workspace from the environment, else from the settings file; UsageError says what to set."""
    values = {var: environ.get(var, "").strip() for var in COORDINATES}
    compute = environ.get(COMPUTE_ENV, "").strip() or None
    source = "environment"
    environment = environ.get(ENVIRONMENT_ENV, "").strip()
    if environment and not all(values.values()):
        path = settings_file(project_root, environment)
        variables = _settings_variables(path)
        for var, key in COORDINATES.items():
            if not values[var] and variables.get(key) not in (None, ""):
                values[var] = str(variables[key])
        if compute is None and variables.get(COMPUTE_KEY):
            compute = str(variables[COMPUTE_KEY])
        source = str(path)
    missing = [var for var, value in values.items() if not value]
    if missing:
        raise UsageError(
            "the azure backend needs the workspace: set "
            + ", ".join(missing)
            + " (the connect-workspace step exports them), or "
            + f"{ENVIRONMENT_ENV}=<environment> to read them from pipelines/config/<environment>.yml"
        )
    return Workspace(
        values["AZURE_SUBSCRIPTION_ID"],
        values["AZURE_RESOURCE_GROUP"],
        values["AZUREML_WORKSPACE_NAME"],
        compute=compute,
        source=source,
    )


def environment_workspace(project_root: Path, environment: str) -> Workspace:
    """The workspace the settings file of `environment` names (another environment's, for promotion)."""
    path = settings_file(project_root, environment)
    if not path.is_file():
        raise UsageError(f"no settings file for environment {environment!r}: {path} does not exist")
    variables = _settings_variables(path)
    values = {var: str(variables.get(key) or "").strip() for var, key in COORDINATES.items()}
    missing = [COORDINATES[var] for var, value in values.items() if not value]
    if missing:
        raise ConfigError(f"{path}: set {', '.join(missing)} (the workspace of environment {environment})")
    return Workspace(
        values["AZURE_SUBSCRIPTION_ID"],
        values["AZURE_RESOURCE_GROUP"],
        values["AZUREML_WORKSPACE_NAME"],
        source=str(path),
    )


def current_environ() -> Mapping[str, str]:
    return os.environ
