"""act's `--json` log (one JSON object a line), read into the runs of each job.

What act's log gives us, per line: `jobID` (the job's key; inside a called reusable workflow the inner
job's key, with `job` = "<caller>/<file>/<inner>"), `matrix`, `stepID` (a list: the step's id or index,
nested for steps of composite actions), `stage` (Pre/Main/Post), `stepResult` on a step's last line,
`jobResult` on a job's last line, `raw_output` on lines a step printed, and `command: set-output` with
`name`/`arg` for each step output. Jobs and steps that act skips print nothing at all: the runner adds
them from the workflow as read (`workflow.scan`), as skipped with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from amlops.ci.result import JobRun, Status, StepResult

ACT_STATUSES = {"success": Status.SUCCEEDED, "failure": Status.FAILED, "skipped": Status.SKIPPED}
"""act's words for a job's or step's result; any other word (or none) is a failure."""
WORDS: dict[Status, str] = {
    Status.SUCCEEDED: "success",
    Status.FAILED: "failure",
    Status.SKIPPED: "skipped",
    Status.WAITING_FOR_APPROVAL: "awaiting-approval",
    Status.NOT_RUN: "not-run",
}
"""The statuses as the GitHub runner's log and summary show them (act's words, and ours for the rest)."""


def act_status(word: str | None) -> Status:
    return ACT_STATUSES.get(word or "", Status.FAILED)


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
        self.status: Status | None = None
        self.steps: dict[str, dict[str, Any]] = {}
        self.lines: list[str] = []

    def freeze(self) -> JobRun:
        steps = tuple(
            StepResult(id=key, name=s["name"], status=act_status(s["status"]), outputs=s["outputs"])
            for key, s in self.steps.items()
        )
        return JobRun(self.status or Status.FAILED, steps, self.matrix, tuple(self.lines))


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
            run.status = act_status(str(record["jobResult"]))
            continue
        if "Skipping unsupported platform" in message:
            run.status = Status.NOT_RUN
            continue
        step_path = record.get("stepID")
        top_level = isinstance(step_path, list) and len(step_path) == 1
        if record.get("raw_output"):
            run.lines.extend(message.rstrip("\n").split("\n"))
            continue
        if not top_level or record.get("stage") not in (None, "Main"):
            if top_level and record.get("stepResult") == "failure":
                run.steps.setdefault(str(step_path[0]), _step(record))["status"] = "failure"
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


def summarize(runs: list[JobRun]) -> Status:
    """A job's status from its runs: not-run if act skipped them all, failed if any failed, else succeeded."""
    if runs and all(run.status == Status.NOT_RUN for run in runs):
        return Status.NOT_RUN
    if any(run.status != Status.SUCCEEDED for run in runs):
        return Status.FAILED
    return Status.SUCCEEDED
