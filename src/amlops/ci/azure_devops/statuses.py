"""Azure Pipelines' names of the statuses (`amlops.ci.result.Status`) and the aliases the runner uses."""

from __future__ import annotations

from amlops.ci.result import Status

SUCCEEDED, WITH_ISSUES, FAILED, SKIPPED, WAITING = (
    Status.SUCCEEDED,
    Status.SUCCEEDED_WITH_ISSUES,
    Status.FAILED,
    Status.SKIPPED,
    Status.WAITING_FOR_APPROVAL,
)
WORDS: dict[Status, str] = {
    SUCCEEDED: "Succeeded",
    WITH_ISSUES: "SucceededWithIssues",
    FAILED: "Failed",
    SKIPPED: "Skipped",
    WAITING: "WaitingForApproval",
}
"""Azure Pipelines' names of the statuses: what `dependencies.<name>.result`, `Agent.JobStatus`, the log
and the summary show."""
