"""The one schema of an environment settings file, `pipelines/config/<environment>.yml`.

Both dialects read these files (Azure DevOps as a variable template, GitHub through the validate-config
action), and the azure backend reads the workspace coordinates and `compute` from them
(`amlops.backends.azure.workspace`). The settings live under `variables:`; booleans are YAML booleans and
numbers are numbers. `check_settings` is pure: text in, problems (file, line, key, message) out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class EnvironmentSettings(BaseModel):
    """Every key of `variables:`; all are required except `compute`. No other key is allowed."""

    model_config = ConfigDict(extra="forbid", strict=True)

    environmentName: str = Field(min_length=1)
    serviceConnection: str  # Azure DevOps: the workload-identity-federation service connection
    azureClientId: str  # GitHub: the identity trusted for the repository's OIDC tokens
    azureTenantId: str
    azureSubscriptionId: str
    resourceGroup: str
    workspaceName: str
    dataName: str = Field(min_length=1)
    dataPath: str = Field(min_length=1)
    modelName: str = Field(min_length=1)
    onlineEndpoint: str
    batchEndpoint: str
    smokeRequest: str
    batchInput: str
    driftThreshold: float = Field(gt=0)
    retrainOnDrift: bool
    approvalRequired: bool
    # A compute cluster name or `serverless`; absent: the pipeline job's own default (cpu-cluster).
    compute: str | None = None


KEYS: tuple[str, ...] = tuple(EnvironmentSettings.model_fields)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.key}: {self.message}"


def _key_lines(text: str) -> tuple[int | None, dict[str, int]]:
    """1-based lines of `variables:` and of each key under it (best effort: {} if the YAML is odd)."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return None, {}
    if not isinstance(root, yaml.MappingNode):
        return None, {}
    for key, value in root.value:
        if key.value == "variables":
            lines = {}
            if isinstance(value, yaml.MappingNode):
                lines = {k.value: k.start_mark.line + 1 for k, _ in value.value}
            return key.start_mark.line + 1, lines
    return None, {}


def _message(error: Any) -> str:
    if error["type"] == "missing":
        return "missing"
    if error["type"] == "extra_forbidden":
        return f"not a known setting (known: {', '.join(KEYS)})"
    value = error.get("input")
    return f"{error['msg'].replace('Input should be', 'should be')} (got {type(value).__name__} {value!r})"


def check_settings(text: str, file: str) -> tuple[dict[str, Any], list[Problem]]:
    """The settings under `variables:` of the file's text, and every problem with them (none: valid)."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        return {}, [Problem(file, line, "(file)", f"not valid YAML: {exc}")]
    variables_line, lines = _key_lines(text)
    if not isinstance(document, dict) or not isinstance(document.get("variables"), dict):
        return {}, [Problem(file, variables_line, "variables", "expected a mapping of settings")]
    settings: dict[str, Any] = document["variables"]
    try:
        EnvironmentSettings.model_validate(settings)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"]) or "variables"
            line = lines.get(key, variables_line)
            problems.append(Problem(file, line, key, _message(error)))
        return settings, sorted(problems, key=lambda p: (p.line or 0, p.key))
    return settings, []
