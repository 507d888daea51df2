"""What one Azure Pipelines run is given (`RunOptions`), and the host environment its steps start from."""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from amlops.ci.approvals import PROTECTED
from amlops.ci.azure_devops.expand import Limits
from amlops.ci.signin import ServiceConnection


@dataclass
class RunOptions:
    repo_root: Path
    state_dir: Path
    parameters: Mapping[str, Any] = field(default_factory=dict)
    variables: Mapping[str, str] = field(default_factory=dict)
    repos: Mapping[str, Path] = field(default_factory=dict)
    var_groups: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    approve: bool = False
    event: str = "manual"
    env: Mapping[str, str] | None = None
    out: TextIO | None = None
    limits: Limits | None = None
    webhooks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """`resources.webhooks` alias -> payload of the event that started the run."""
    service_connections: Mapping[str, ServiceConnection] = field(default_factory=dict)
    """Service connection name -> its identifiers, for the tasks that sign in (AzureCLI@2)."""
    approval_environments: Collection[str] = PROTECTED
    """The protected environment names of `amlops.ci.approvals`."""


def host_environment(options: RunOptions) -> dict[str, str]:
    """The environment every step starts from: `options.env`, else this process's."""
    return dict(options.env if options.env is not None else os.environ)
