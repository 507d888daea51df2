"""The GitHub Actions dialect of the local runner (`amlops.ci.dialects`): a `RunRequest` run with act."""

from __future__ import annotations

from pathlib import Path

from amlops.ci.dialects import RunRequest
from amlops.ci.github.actlog import WORDS
from amlops.ci.github.run import run_workflow
from amlops.ci.result import RunResult
from amlops.ci.run_dirs import numbered_run_dir


class GitHub:
    title = "GitHub Actions"
    words = WORDS

    def run(self, path: Path, request: RunRequest) -> RunResult:
        _, run_dir = numbered_run_dir(request.state_dir / "ci-runs" / "github")
        header = f"Run of {path.name} ({self.title}, {request.event}) in {run_dir}"
        print(header, file=request.out, flush=True)
        external = request.external
        result = run_workflow(
            path,
            event="repository_dispatch" if external is not None else request.event,
            dispatch_type=external.dispatch_type if external is not None else None,
            inputs=request.inputs,
            repo_root=request.repo_root,
            env=request.env,
            payload=request.payload,
            approve=request.approve,
            approval_environments=request.approval_environments,
            ref=request.ref,
            run_dir=run_dir,
            repositories={name: folder for name, folder in request.repos.items() if "/" in name},
        )
        print(result.log, file=request.out, flush=True)
        return result
