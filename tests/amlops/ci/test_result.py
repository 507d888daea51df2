"""The one result shape of the local runner: the run's status rule, a job's outputs and steps, the summary."""

from __future__ import annotations

import pytest

from amlops.ci.result import (
    Approval,
    JobResult,
    JobRun,
    RunResult,
    Status,
    StepResult,
    overall,
    summary_lines,
)

S = Status
WORDS = {S.SUCCEEDED: "ok", S.FAILED: "bad", S.SKIPPED: "skip", S.WAITING_FOR_APPROVAL: "held"}


@pytest.mark.parametrize(
    ("statuses", "waiting", "expected"),
    [
        ((S.SUCCEEDED, S.SKIPPED), False, S.SUCCEEDED),
        ((), False, S.SUCCEEDED),
        ((S.SUCCEEDED, S.SUCCEEDED_WITH_ISSUES), False, S.SUCCEEDED_WITH_ISSUES),
        ((S.SUCCEEDED, S.WAITING_FOR_APPROVAL, S.SKIPPED), True, S.WAITING_FOR_APPROVAL),
        ((S.FAILED, S.WAITING_FOR_APPROVAL), True, S.FAILED),  # a failure outranks a pending approval
        ((S.SUCCEEDED, S.NOT_RUN), False, S.FAILED),  # a job that should have run and did not
        ((S.SUCCEEDED_WITH_ISSUES, S.FAILED), False, S.FAILED),
    ],
)
def test_overall(statuses: tuple[Status, ...], waiting: bool, expected: Status) -> None:
    assert overall(statuses, waiting=waiting) == expected


def test_ok_statuses() -> None:
    assert {s for s in Status if s.ok} == {S.SUCCEEDED, S.SUCCEEDED_WITH_ISSUES}
    assert not RunResult(S.WAITING_FOR_APPROVAL, {}).ok


def test_job_outputs_steps_and_lines_span_its_runs() -> None:
    job = JobResult(
        S.SUCCEEDED,
        (
            JobRun(S.SUCCEEDED, (StepResult("gate", "Gate", S.SUCCEEDED, {"passed": "true"}),), lines=("a",)),
            JobRun(S.SUCCEEDED, (StepResult("report", "Report", S.SKIPPED, reason="no"),), lines=("b",)),
        ),
    )
    assert job.outputs == {"gate.passed": "true"}
    assert job.lines == ("a", "b")
    assert job.step("gate").name == "Gate"
    with pytest.raises(KeyError):
        job.step("report")  # skipped: it did not run
    assert RunResult(S.SUCCEEDED, {"j": job}).lines == ("a", "b")


PYTEST = StepResult("0", "pytest", S.SUCCEEDED)


def test_summary_lines_in_the_dialects_words() -> None:
    result = RunResult(
        S.WAITING_FOR_APPROVAL,
        {
            "build": JobResult(
                S.SUCCEEDED,
                (
                    JobRun(
                        S.SUCCEEDED,
                        (
                            StepResult("0", "compile", S.SUCCEEDED),
                            StepResult("1", "", S.FAILED, reason="exit code 2"),
                            StepResult("2", "publish", S.SKIPPED, reason="a previous step failed"),
                        ),
                    ),
                ),
                name="Build it",
            ),
            "test": JobResult(
                S.SUCCEEDED,
                (
                    JobRun(S.SUCCEEDED, (PYTEST,), {"py": "3.11"}),
                    JobRun(S.SUCCEEDED, (PYTEST,), {"py": "3.12"}, name="T 3.12"),
                ),
            ),
            "Deploy/prod": JobResult(S.WAITING_FOR_APPROVAL, reason="environment 'prod' requires approval"),
            "Deploy/prod-smoke": JobResult(S.NOT_RUN, name="prod-smoke"),
        },
        pending_approvals=(Approval("Deploy/prod", ("prod",)),),
    )
    assert summary_lines(result, WORDS) == [
        "",
        "Summary",
        "  ok                   job  build 'Build it'",
        "    ok                 step compile",
        "    bad                step 1",  # a failed step's message is in the log, not the summary
        "    skip               step publish (a previous step failed)",
        "  ok                   job  test",
        '    ok                 run  {"py": "3.11"}',
        "      ok               step pytest",
        "    ok                 run  T 3.12",
        "      ok               step pytest",
        "  held                 job  Deploy/prod (environment 'prod' requires approval)",
        "  not-run              job  Deploy/prod-smoke",  # no word of the dialect's: the status itself
        "Result: held (Deploy/prod)",
    ]


def test_a_failed_run_does_not_list_its_pending_approvals_as_the_result() -> None:
    held = Approval("deploy", ("prod",))
    result = RunResult(S.FAILED, {"deploy": JobResult(S.WAITING_FOR_APPROVAL)}, pending_approvals=(held,))
    assert summary_lines(result, WORDS)[-1] == "Result: bad"
