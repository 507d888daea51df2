"""The local runner's dialects, registered in one dict: name -> "module:Class", imported lazily (act is
only needed for GitHub workflows).

A dialect runs one pipeline file for a `RunRequest` and returns the one `amlops.ci.result.RunResult`
shape; its `words` are its own names of the statuses, for its summary. `detect(path)` tells which
dialect a file is written in.
"""

from __future__ import annotations

import importlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

import yaml

from amlops.ci.approvals import PROTECTED
from amlops.ci.result import RunResult, Status
from amlops.ci.signin import ServiceConnection
from amlops.yamlsource import safe_load

DIALECTS: dict[str, str] = {
    "azure-devops": "amlops.ci.azure_devops.dialect:AzureDevOps",
    "github": "amlops.ci.github.dialect:GitHub",
}


@dataclass(frozen=True)
class ExternalEvent:
    """An event from outside the repository as both dialects receive it: on GitHub a `repository_dispatch`
    whose type (`github.event.action`) is `dispatch_type` and whose `client_payload` is the request's
    `payload`; on Azure DevOps a run started through the `resources.webhooks` alias `webhook`, whose
    parameter of that name is the `payload`. Which events exist is the caller's business
    (`amlops.lifecycle.events`)."""

    dispatch_type: str
    webhook: str


@dataclass(frozen=True)
class RunRequest:
    """One run of one pipeline file; each dialect reads the fields it has a use for.

    `parameters`, `variables` and `var_groups` are Azure DevOps', `inputs` GitHub's (workflow_dispatch);
    `repos` maps Azure DevOps repository aliases and GitHub `owner/repo` (names with a "/") to local
    folders; `service_connections` are Azure DevOps' (None: `local/service-connections.yml` beside the
    pipeline file); `approve` grants every approval and `approval_environments` names the protected
    environments (`amlops.ci.approvals`, the one rule of both dialects); `external` says how an event from
    outside the repository arrives (`event` is then its name, for the log) and `payload` is the event's
    record; `env` is what the runner adds to every step's environment on top of the host's; `out`
    receives the log.
    """

    repo_root: Path
    state_dir: Path
    out: TextIO
    event: str = "manual"
    parameters: Mapping[str, Any] = field(default_factory=dict)
    variables: Mapping[str, str] = field(default_factory=dict)
    inputs: Mapping[str, str] = field(default_factory=dict)
    repos: Mapping[str, Path] = field(default_factory=dict)
    var_groups: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    service_connections: Mapping[str, ServiceConnection] | None = None
    approve: bool = False
    approval_environments: Collection[str] = PROTECTED
    external: ExternalEvent | None = None
    payload: Mapping[str, Any] | None = None
    ref: str = "refs/heads/main"
    env: Mapping[str, str] = field(default_factory=dict)


class Dialect(Protocol):
    title: str
    """How the log names the dialect ("Azure DevOps", "GitHub Actions")."""
    words: Mapping[Status, str]
    """The dialect's own names of the statuses, as its summary prints them."""

    def run(self, path: Path, request: RunRequest) -> RunResult: ...


def get_dialect(name: str) -> Dialect:
    try:
        target = DIALECTS[name]
    except KeyError:
        raise ValueError(f"dialect must be one of {', '.join(DIALECTS)}, not {name!r}") from None
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)()


_UNREAD = object()


def detect(path: Path, document: Any = _UNREAD) -> str:
    """The dialect of a pipeline file: "github" for a workflow (top-level `on:` and `jobs:` whose jobs have
    `runs-on:` or `uses:`), else "azure-devops". `document`: the file already read with
    `amlops.yamlsource.safe_load` (`amlops graph` reads it for its own check first), else it is read here."""
    if document is _UNREAD:
        try:
            document = safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            return "azure-devops"  # the Azure DevOps loader reports the syntax error with file and line
    if isinstance(document, Mapping):
        has_on = "on" in document or True in document  # YAML 1.1 reads a bare `on` key as True
        jobs = document.get("jobs")
        if (
            has_on
            and isinstance(jobs, Mapping)
            and any(isinstance(j, Mapping) and ("runs-on" in j or "uses" in j) for j in jobs.values())
        ):
            return "github"
    return "azure-devops"
