"""The outcome of a local GitHub workflow run, parsed from act's `--json` log (one JSON object a line).

What act's log gives us, per line: `jobID` (the job's key; inside a called reusable workflow the inner
job's key, with `job` = "<caller>/<file>/<inner>"), `matrix`, `stepID` (a list: the step's id or index,
nested for steps of composite actions), `stage` (Pre/Main/Post), `stepResult` on a step's last line,
`jobResult` on a job's last line, `raw_output` on lines a step printed, and `command: set-output` with
`name`/`arg` for each step output. Jobs and steps that act skips print nothing at all: the runner adds
them from the workflow as read (`workflow.scan`), as "skipped" with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

SUCCESS = "success"
FAILURE = "failure"
SKIPPED = "skipped"
AWAITING_APPROVAL = "awaiting-approval"
"""A job held back because its environment requires an approval that was not given."""
NOT_RUN = "not-run"
"""A job that should have run by its `needs` and `if:` but that act did not run (our guard)."""


@dataclass(frozen=True)
class StepResult:
    """One step of one job run: `id` is the step's `id:` or act's index ("0", "1", ...).

    A step act did not run is "skipped", with `reason` (e.g. "if: steps.gate.outputs.passed == 'true' was
    false", "a previous step failed").
    """

    id: str
    name: str
    status: str
    outputs: dict[str, str] = field(default_factory=dict)
    reason: str = ""


@dataclass(frozen=True)
class JobRun:
    """One run of a job: a single one, or one matrix combination."""

    matrix: dict[str, Any]
    status: str
    steps: tuple[StepResult, ...]
    lines: tuple[str, ...]
    """What the job's steps printed, one item per line, in order."""
    name: str = ""
    """The job's name rendered for this run (`${{ matrix.x }}` / `${{ inputs.x }}` substituted)."""


@dataclass(frozen=True)
class JobResult:
    """A job's overall status ("success", "failure", "skipped", "awaiting-approval", "not-run") and its runs.

    A job calling a local reusable workflow has no runs of its own: its status sums up the called jobs,
    which appear in `RunResult.jobs` as "<caller>/<called job>". `message` says why a job was skipped,
    held or not run; `name` is the job's `name:` rendered where its inputs (and a single run's matrix)
    are known, else the job's id.
    """

    status: str
    runs: tuple[JobRun, ...] = ()
    message: str = ""
    name: str = ""

    @property
    def steps(self) -> tuple[StepResult, ...]:
        return tuple(step for run in self.runs for step in run.steps)

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(line for run in self.runs for line in run.lines)

    def step(self, step_id: str) -> StepResult:
        """The step of the (first) run with this id; KeyError if it did not run."""
        for candidate in self.steps:
            if candidate.id == step_id and candidate.status != SKIPPED:
                return candidate
        raise KeyError(step_id)


@dataclass(frozen=True)
class RunResult:
    """`ok` is true when act exited 0, no job failed and every job that should have run did run.

    `pending_approvals` lists the jobs held back for an environment approval; they do not make `ok` false
    (nothing failed), so callers decide how to report them.
    """

    ok: bool
    jobs: dict[str, JobResult]
    exit_code: int
    log: str
    pending_approvals: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(line for job in self.jobs.values() for line in job.lines)


def _job_key(record: dict[str, Any]) -> str:
    """ "<job>" for a job of the workflow run; "<caller>/<job>" for a job of a called reusable workflow."""
    job_id = str(record.get("jobID", ""))
    parts = str(record.get("job", "")).strip().split("/")
    if len(parts) >= 3:
        return f"{parts[0]}/{job_id}"
    return job_id


def _run_key(record: dict[str, Any]) -> str:
    return str(record.get("job", "")).strip() + json.dumps(record.get("matrix") or {}, sort_keys=True)


class _Run:
    def __init__(self, matrix: dict[str, Any]) -> None:
        self.matrix = matrix
        self.status: str | None = None
        self.steps: dict[str, dict[str, Any]] = {}
        self.lines: list[str] = []

    def freeze(self) -> JobRun:
        steps = tuple(
            StepResult(id=key, name=s["name"], status=s["status"] or FAILURE, outputs=s["outputs"])
            for key, s in self.steps.items()
        )
        return JobRun(self.matrix, self.status or FAILURE, steps, tuple(self.lines))


def parse_log(lines: Iterable[str]) -> tuple[dict[str, list[JobRun]], list[str]]:
    """Group act's JSON log by job; return the runs per job key and the text log (non-JSON lines kept)."""
    runs: dict[str, _Run] = {}
    job_of_run: dict[str, str] = {}
    text: list[str] = []
    for raw in lines:
        try:
            record = json.loads(raw)
        except ValueError:
            text.append(raw.rstrip("\n"))
            continue
        if not isinstance(record, dict):
            continue
        message = str(record.get("msg", ""))
        if "jobID" not in record:
            text.append(message.rstrip("\n"))
            continue
        key = _run_key(record)
        run = runs.get(key)
        if run is None:
            run = runs[key] = _Run(dict(record.get("matrix") or {}))
            job_of_run[key] = _job_key(record)
        job = job_of_run[key]
        text.append(f"[{job}] {message.rstrip(chr(10))}")
        if "jobResult" in record:
            run.status = str(record["jobResult"])
            continue
        if "Skipping unsupported platform" in message:
            run.status = NOT_RUN
            continue
        step_path = record.get("stepID")
        top_level = isinstance(step_path, list) and len(step_path) == 1
        if record.get("raw_output"):
            run.lines.extend(message.rstrip("\n").split("\n"))
            continue
        if not top_level or record.get("stage") not in (None, "Main"):
            if top_level and record.get("stepResult") == FAILURE:
                run.steps.setdefault(str(step_path[0]), _step(record))["status"] = FAILURE
            continue
        step = run.steps.setdefault(str(step_path[0]), _step(record))
        if record.get("command") == "set-output":
            step["outputs"][str(record.get("name"))] = str(record.get("arg", ""))
        if "stepResult" in record:
            step["status"] = str(record["stepResult"])
    grouped: dict[str, list[JobRun]] = {}
    for key, run in runs.items():
        grouped.setdefault(job_of_run[key], []).append(run.freeze())
    return grouped, text


def _step(record: dict[str, Any]) -> dict[str, Any]:
    return {"name": str(record.get("step", "")), "status": None, "outputs": {}}


def summarize(runs: list[JobRun]) -> str:
    """A job's status from its runs: not-run if act skipped them all, failure if any failed, else success."""
    if runs and all(run.status == NOT_RUN for run in runs):
        return NOT_RUN
    if any(run.status != SUCCESS for run in runs):
        return FAILURE
    return SUCCESS
