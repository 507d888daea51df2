"""Drive the lifecycle through one dialect's pipeline YAML: PR CI -> train -> registry event -> deploy.

`run_lifecycle(root, dialect=..., state_dir=..., approve=...)` is what `make demo` and the end-to-end tests
use. Every pipeline is chosen the way its trigger would choose it (`amlops.lifecycle.triggers`) and run by the
local runner exactly as `amlops run` runs it:

1. PR CI: the pipelines a pull request to `main` starts. With a test selection (`test_paths`, the default:
   a few fast tests, so that a pipeline run from inside the test suite does not run the whole suite again)
   they run by hand (Azure DevOps parameters `testPaths`/`markers`, GitHub `workflow_dispatch` inputs
   `test-paths`/`markers`: a pull_request event carries no inputs); `test_paths=None` runs them as the
   pull request itself would, every test.
2. Train: the pipelines a push to `main` touching `changed_paths` starts (by default a change of the data).
3. The registry event: if training appended a new `model-registered` record to `<state>/events.jsonl`,
   the pipelines listening for it (deploy-model) run with that record as payload. No new record (the gate
   rejected the candidate, or the same model was already registered): nothing is deployed.
4. Deploy: dev, then prod only with `approve=True` (otherwise the run stops at prod, "waiting-for-approval").

A failing pipeline stops the lifecycle; the later ones are reported as "not-run" (`Status.NOT_RUN`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from amlops.ci.dialects import DIALECTS, detect
from amlops.ci.result import Status
from amlops.lifecycle.commands_run import (
    OK,
    WAITING,
    newest_event,
    registry_events,
    run_pipeline,
    select_pipelines,
)
from amlops.lifecycle.events import MODEL_REGISTERED

PR_CI_TEST_PATHS = "tests/amlops/test_gating.py tests/data_science/test_contract.py"
"""The default PR CI test selection of a lifecycle run: fast, and no pipeline runs inside it."""
TRAIN_CHANGE = ("data-science/data/sample.parquet",)
"""The default push: a change of the training data on main."""
NOT_TRIGGERED = "not-triggered"
"""No pipeline listens for the event, or the event did not happen."""


@dataclass(frozen=True)
class PipelineStatus:
    """One pipeline of the lifecycle: status is succeeded, failed, waiting-for-approval (the pipeline's
    `Outcome.status`), not-run (an earlier pipeline failed) or not-triggered."""

    stage: str
    path: Path | None
    event: str
    status: Status | str
    seconds: float = 0.0
    run_dir: Path | None = None


@dataclass(frozen=True)
class LifecycleResult:
    dialect: str
    pipelines: tuple[PipelineStatus, ...]
    seconds: float
    registered: Mapping[str, Any] | None = None
    """The model-registered event that started the deployment (model, version, ...), if any."""
    events: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(p.status in (Status.SUCCEEDED, NOT_TRIGGERED) for p in self.pipelines)

    @property
    def model(self) -> str | None:
        return None if self.registered is None else str(self.registered.get("model"))

    @property
    def version(self) -> str | None:
        return None if self.registered is None else str(self.registered.get("version"))

    def table(self) -> str:
        lines = [f"Lifecycle ({self.dialect}) in {self.seconds:.1f} s"]
        for p in self.pipelines:
            name = p.path.name if p.path else "-"
            lines.append(f"  {p.stage:<8} {name:<20} {p.event:<18} {p.status:<22} {p.seconds:7.1f} s")
        if self.registered is not None:
            lines.append(f"  deployed {self.model} version {self.version}")
        return "\n".join(lines)


def _in_dialect(paths: Sequence[Path], kind: str) -> list[Path]:
    return [p for p in paths if detect(p) == kind]


def run_lifecycle(
    root: Path,
    *,
    dialect: str,
    state_dir: Path,
    approve: bool,
    test_paths: str | None = PR_CI_TEST_PATHS,
    markers: str = "",
    changed_paths: Sequence[str] = TRAIN_CHANGE,
    env: Mapping[str, str] | None = None,
    out: TextIO | None = None,
) -> LifecycleResult:
    """Run PR CI -> train-model (push) -> the registry event -> deploy-model for one dialect (module doc)."""
    if dialect not in DIALECTS:
        raise ValueError(f"dialect must be one of {', '.join(DIALECTS)}, not {dialect!r}")
    kind = dialect
    root = root.resolve()
    state_dir = state_dir.resolve()
    started = time.monotonic()
    done: list[PipelineStatus] = []
    stopped = False

    def run_all(stage: str, event: str, paths: Sequence[Path], **options: Any) -> None:
        nonlocal stopped
        if not paths:
            done.append(PipelineStatus(stage, None, event, NOT_TRIGGERED))
            return
        for path in paths:
            if stopped:
                done.append(PipelineStatus(stage, path, event, Status.NOT_RUN))
                continue
            outcome = run_pipeline(
                path, repo_root=root, state_dir=state_dir, event=event, env=env, out=out, **options
            )
            run_dir = outcome.result.run_dir
            done.append(PipelineStatus(stage, path, event, outcome.status, outcome.seconds, run_dir))
            if outcome.code not in (OK, WAITING):
                stopped = True

    pr_paths = _in_dialect(select_pipelines(root, "pull_request", dialect_only=kind), kind)
    if test_paths is None:
        run_all("pr-ci", "pull_request", pr_paths)
    else:
        selection = (
            {"inputs": {"test-paths": test_paths, "markers": markers}}
            if kind == "github"
            else {"parameters": {"testPaths": test_paths, "markers": markers}}
        )
        run_all("pr-ci", "manual", pr_paths, **selection)

    before = newest_event(state_dir, MODEL_REGISTERED)
    train_paths = _in_dialect(
        select_pipelines(root, "push", dialect_only=kind, changed_paths=list(changed_paths)), kind
    )
    run_all("train", "push", train_paths)

    registered = None
    if not stopped:
        newest = newest_event(state_dir, MODEL_REGISTERED)
        registered = newest if newest is not None and newest != before else None
    if registered is None:
        status = Status.NOT_RUN if stopped else NOT_TRIGGERED
        done.append(PipelineStatus("deploy", None, MODEL_REGISTERED, status))
    else:
        deploy_paths = _in_dialect(
            select_pipelines(root, MODEL_REGISTERED, dialect_only=kind, payload=registered), kind
        )
        run_all("deploy", MODEL_REGISTERED, deploy_paths, payload=registered, approve=approve)
    return LifecycleResult(
        kind, tuple(done), time.monotonic() - started, registered, tuple(registry_events(state_dir))
    )
