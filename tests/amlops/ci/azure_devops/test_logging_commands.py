"""`amlops.ci.azure_devops.logging_commands`: `##vso[...]` read and applied to the job."""

from __future__ import annotations

import io

from amlops.ci.azure_devops.job_state import JobState, StepState
from amlops.ci.azure_devops.log import Printer
from amlops.ci.azure_devops.logging_commands import apply, parse_line
from amlops.ci.azure_devops.variables import Variables
from amlops.ci.result import Record, Status


def _apply(
    line: str, job_vars: Variables, jr: JobState, log: Printer, records: list[Record]
) -> Status | None:
    command = parse_line(line)
    assert command is not None
    return apply(command, step_name="s", job_vars=job_vars, jr=jr, line=line, log=log, records=records)


def test_variables_outputs_secrets_results_and_records() -> None:
    job_vars, records, lines = Variables(), [], []
    jr = JobState("__default", "job", Status.SUCCEEDED, steps=[StepState("s", "s", Status.SUCCEEDED)])
    log = Printer(io.StringIO(), lines)
    assert _apply("##vso[task.setvariable variable=x]1", job_vars, jr, log, records) is None
    assert job_vars.get("X") == "1"
    _apply("##vso[task.setvariable variable=out;isoutput=true]2", job_vars, jr, log, records)
    assert jr.outputs == {"s.out": "2"}
    assert jr.steps[-1].outputs == {"out": "2"}
    _apply("##vso[task.setvariable variable=token;issecret=true]hunter2", job_vars, jr, log, records)
    log("the token is hunter2")
    assert lines[-1] == "the token is ***"
    assert _apply("##vso[task.complete result=SucceededWithIssues]done", job_vars, jr, log, records) == (
        Status.SUCCEEDED_WITH_ISSUES
    )
    _apply("##vso[build.addbuildtag]nightly", job_vars, jr, log, records)
    assert records == [Record("build.addbuildtag", properties={"message": "nightly"})]
