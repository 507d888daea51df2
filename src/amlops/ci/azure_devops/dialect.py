"""The Azure DevOps dialect of the local runner (`amlops.ci.dialects`): a `RunRequest` run by `run_file`."""

from __future__ import annotations

import os
from pathlib import Path

from amlops.ci.azure_devops.options import RunOptions
from amlops.ci.azure_devops.run import run_file
from amlops.ci.azure_devops.statuses import WORDS
from amlops.ci.dialects import RunRequest
from amlops.ci.result import RunResult
from amlops.ci.signin import SERVICE_CONNECTIONS, load_service_connections


class AzureDevOps:
    title = "Azure DevOps"
    words = WORDS

    def run(self, path: Path, request: RunRequest) -> RunResult:
        webhooks = {}
        if request.external is not None and request.payload is not None:
            webhooks[request.external.webhook] = dict(request.payload)
        options = RunOptions(
            repo_root=request.repo_root,
            state_dir=request.state_dir,
            parameters=dict(request.parameters),
            variables=dict(request.variables),
            repos=dict(request.repos),
            var_groups=dict(request.var_groups),
            approve=request.approve,
            approval_environments=request.approval_environments,
            event=request.event,
            env={**os.environ, **request.env},
            out=request.out,
            webhooks=webhooks,
            service_connections=(
                load_service_connections(path.parent / SERVICE_CONNECTIONS)
                if request.service_connections is None
                else dict(request.service_connections)
            ),
        )
        return run_file(path, options)
