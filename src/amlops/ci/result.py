"""The outcome of a local CI run: one shape for both dialects (Azure DevOps, GitHub Actions through act).

A run has jobs, a job has runs (one, or one per matrix combination), a run has steps: act's shape. Every
status is a `Status`; each dialect keeps its own words for them (Azure DevOps `Succeeded`, act `success`)
for its logs, its expressions and its summary (`Dialect.words`), never in this shape.

Job keys: the job's id (`job:` / the key under `jobs:`), `stage/job` for a job of an Azure DevOps stage
other than the default one, `caller/job` for a job of a GitHub reusable workflow called by job `caller`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class Status(StrEnum):
    """How a run, a stage, a job or a step ended."""

    SUCCEEDED = "succeeded"
    SUCCEEDED_WITH_ISSUES = "succeeded-with-issues"
    """Azure DevOps: a failure that `continueOnError` let pass (GitHub reports it as a success)."""
    FAILED = "failed"
    SKIPPED = "skipped"
    """Not run because of a condition (`if:`/`condition:`, a failed dependency, an earlier failed step)."""
    WAITING_FOR_APPROVAL = "waiting-for-approval"
    """A deployment held back: its environment needs an approval that was not given."""
    NOT_RUN = "not-run"
    """Should have run by its needs and condition but did not (a GitHub job act left out)."""

    @property
    def ok(self) -> bool:
        return self in (Status.SUCCEEDED, Status.SUCCEEDED_WITH_ISSUES)


@dataclass(frozen=True)
class StepResult:
    """One step of one job run. `id`: the step's `id:`/`name:`, else its position ("0", "step1", ...);
    `name`: its display name; `outputs`: the output variables it set; `reason`: why it was skipped (the
    condition as written, "a previous step failed", ...) or, on Azure DevOps, how it failed."""

    id: str
    name: str
    status: Status
    outputs: Mapping[str, str] = field(default_factory=dict)
    reason: str = ""


@dataclass(frozen=True)
class JobRun:
    """One run of a job: the only one, or one matrix combination. `lines`: what its steps printed, in order;
    `name`: the job's name rendered for this run (inputs, matrix values, macros substituted)."""

    status: Status
    steps: tuple[StepResult, ...] = ()
    matrix: Mapping[str, Any] = field(default_factory=dict)
    lines: tuple[str, ...] = ()
    name: str = ""


@dataclass(frozen=True)
class JobResult:
    """A job's status and its runs (none when it did not run). `reason`: why it was skipped, waits or did
    not run; `name`: its display name rendered where it is known, else "".

    A GitHub job that calls a local reusable workflow has no runs of its own: its status sums up the
    called jobs, which are jobs of the run as "<caller>/<called job>".
    """

    status: Status
    runs: tuple[JobRun, ...] = ()
    reason: str = ""
    name: str = ""

    @property
    def steps(self) -> tuple[StepResult, ...]:
        return tuple(step for run in self.runs for step in run.steps)

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(line for run in self.runs for line in run.lines)

    @property
    def outputs(self) -> dict[str, str]:
        """Every output of the job's steps as `step.name` -> value (Azure DevOps' `dependencies` form)."""
        return {f"{step.id}.{name}": value for step in self.steps for name, value in step.outputs.items()}

    def step(self, step_id: str) -> StepResult:
        """The step of the (first) run with this id that ran; KeyError if none did."""
        for candidate in self.steps:
            if candidate.id == step_id and candidate.status != Status.SKIPPED:
                return candidate
        raise KeyError(step_id)


@dataclass(frozen=True)
class Approval:
    """A job held back until its environments are approved (`amlops run --approve`)."""

    job: str
    environments: tuple[str, ...]


@dataclass(frozen=True)
class Record:
    """Something a run left for later: kind "artifact" (`name`, `files`: its folder), "test-results"
    (`files`: the report files or patterns the step named), or an Azure DevOps logging command
    (`build.addbuildtag`, `task.uploadfile`, ...: `properties` holds its message and properties)."""

    kind: str
    name: str = ""
    files: tuple[str, ...] = ()
    properties: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunResult:
    """One pipeline run. `status`: failed if any job failed or did not run, else waiting-for-approval if a
    job waits for an approval, else succeeded(-with-issues). `stages`: Azure DevOps stages (none on
    GitHub); `log`: the run's text log; `run_dir`: where the run kept its files (None once removed)."""

    status: Status
    jobs: Mapping[str, JobResult]
    stages: Mapping[str, Status] = field(default_factory=dict)
    pending_approvals: tuple[Approval, ...] = ()
    records: tuple[Record, ...] = ()
    log: str = ""
    run_dir: Path | None = None

    @property
    def ok(self) -> bool:
        return self.status.ok

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(line for job in self.jobs.values() for line in job.lines)


def overall(statuses: Iterable[Status], *, waiting: bool) -> Status:
    """A run's status from its jobs' (and stages') statuses: a failure outranks a pending approval."""
    values = set(statuses)
    if values & {Status.FAILED, Status.NOT_RUN}:
        return Status.FAILED
    if waiting:
        return Status.WAITING_FOR_APPROVAL
    if Status.SUCCEEDED_WITH_ISSUES in values:
        return Status.SUCCEEDED_WITH_ISSUES
    return Status.SUCCEEDED


def _titled(key: str, name: str) -> str:
    """A job's key, with its rendered name when it has one of its own."""
    return f"{key} '{name}'" if name and name != key.rsplit("/", 1)[-1] else key


def _step_line(indent: str, width: int, word: str, step: StepResult) -> str:
    reason = f" ({step.reason})" if step.reason and step.status == Status.SKIPPED else ""
    return f"{indent}{word:<{width}} step {step.name or step.id}{reason}"


def summary_lines(result: RunResult, words: Mapping[Status, str]) -> list[str]:
    """The summary printed after a run, statuses in the dialect's `words`: one line per job (with the
    reason it was skipped, waits or did not run), per matrix run when there are several, and per step
    (skipped ones with the reason)."""

    def word(status: Status) -> str:
        return words.get(status, status.value)

    lines = ["", "Summary"]
    for key, job in result.jobs.items():
        reason = f" ({job.reason})" if job.reason else ""
        lines.append(f"  {word(job.status):<20} job  {_titled(key, job.name)}{reason}")
        runs = job.runs if len(job.runs) > 1 else ()
        for run in runs:
            lines.append(
                f"    {word(run.status):<18} run  {run.name or json.dumps(dict(run.matrix), sort_keys=True)}"
            )
            lines.extend(_step_line("      ", 16, word(s.status), s) for s in run.steps)
        if not runs:
            lines.extend(_step_line("    ", 18, word(s.status), s) for s in job.steps)
    shown = word(result.status)
    if result.status == Status.WAITING_FOR_APPROVAL:
        shown += f" ({', '.join(a.job for a in result.pending_approvals)})"
    lines.append(f"Result: {shown}")
    return lines
