"""The one `MLClient` of a command, built on first use (importing azure-ai-ml takes about 2 s)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from amlops.backends.azure.credentials import CredentialChoice, build_credential, choose_credential
from amlops.backends.azure.workspace import Workspace, resolve_workspace
from amlops.errors import UsageError


class Connection:
    """Workspace coordinates and the credential are checked at construction (no network); the SDK
    client, the credential object and the workspace's details come on first use."""

    def __init__(self, environ: Mapping[str, str], project_root: Path, cache_dir: Path) -> None:
        problems = []
        try:
            self.workspace: Workspace = resolve_workspace(environ, project_root)
        except UsageError as exc:
            problems.append(exc.message)
        try:
            self.choice: CredentialChoice = choose_credential(environ)
        except UsageError as exc:
            problems.append(exc.message)
        if problems:
            raise UsageError("; ".join(problems))
        self.cache_dir = cache_dir

    @cached_property
    def credential(self) -> Any:
        return build_credential(self.choice)

    @cached_property
    def ml(self) -> Any:
        from azure.ai.ml import MLClient

        # azure-ai-ml warns "This is an experimental class" for its own schema classes whenever it loads a
        # job or component spec: six lines in every step's log that no user can act on.
        logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)
        return MLClient(
            self.credential,
            subscription_id=self.workspace.subscription_id,
            resource_group_name=self.workspace.resource_group,
            workspace_name=self.workspace.name,
            show_progress=False,
            enable_telemetry=False,
        )

    def elsewhere(self, workspace: Workspace) -> Connection:
        """The same identity connected to another workspace, sharing the credential (and its tokens)."""
        self.credential  # built here (no network), so that both hold the one object  # noqa: B018
        other = copy.copy(self)
        other.__dict__.pop("ml", None)
        other.workspace = workspace
        return other

    def asset_id(self, collection: str, name: str, version: str) -> str:
        return f"{self.workspace.arm_id}/{collection}/{name}/versions/{version}"

    def close(self) -> None:
        if "credential" in self.__dict__ and hasattr(self.credential, "close"):
            self.credential.close()
