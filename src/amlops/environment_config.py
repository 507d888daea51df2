"""The one schema of an environment settings file, `pipelines/config/<environment>.yml`.

Both dialects read these files (Azure DevOps as a variable template, GitHub through the validate-config
action), and the azure backend reads the workspace coordinates and `compute` from them
(`amlops.backends.azure.workspace`). The settings live under `variables:`; booleans are YAML booleans and
numbers are numbers, read as the pipelines read YAML (`amlops.yamlsource.PIPELINES`: the YAML 1.2 core schema,
`yes` is a string). `check_settings` is pure: text in, problems (file, line, key, message) out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from amlops.yamlsource import YamlError, YMap, load_text, plain


class EnvironmentSettings(BaseModel):
    """Every key of `variables:`; all are required except `compute` and `modelRegisteredWebhookUrl`. No other
    key is allowed."""

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
    # Azure DevOps: the incoming-webhook URL deploy-model listens on; the training pipeline announces each new
    # registered version there (`amlops announce`). '' or absent: not announced (a warning says so).
    modelRegisteredWebhookUrl: str = ""


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
        document = load_text(text, file)
    except YamlError as exc:
        problem = exc.problem.removeprefix("invalid YAML: ")
        return {}, [Problem(file, exc.line, "(file)", f"not valid YAML: {problem}")]
    variables = document.get("variables") if isinstance(document, YMap) else None
    variables_line = document.line_of("variables") if isinstance(document, YMap) else None
    if not isinstance(variables, YMap):
        return {}, [Problem(file, variables_line, "variables", "expected a mapping of settings")]
    lines = {str(key): variables.line_of(key) for key in variables}
    settings: dict[str, Any] = plain(variables)
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
