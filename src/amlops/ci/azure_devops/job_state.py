"""Jobs and steps while the run goes on, frozen into `amlops.ci.result` shapes at the end."""

from __future__ import annotations

from dataclasses import dataclass, field

from amlops.ci.azure_devops.parse import DEFAULT_STAGE
from amlops.ci.result import JobResult, JobRun, Status, StepResult


@dataclass
class StepState:
    """A step while the job runs. `message`: a failed step's error, or why a skipped step was skipped."""

    name: str
    label: str
    status: Status
    message: str = ""
    outputs: dict[str, str] = field(default_factory=dict)

    def freeze(self) -> StepResult:
        return StepResult(self.name, self.label, self.status, dict(self.outputs), self.message)


@dataclass
class JobState:
    """A job while the run goes on. `message`: why it was skipped or waits; `display_name`: its
    `displayName` with macros expanded; `ran`: it got as far as its steps; `lines`: what they printed."""

    stage: str
    name: str
    status: Status
    steps: list[StepState] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    message: str = ""
    display_name: str = ""
    ran: bool = False
    lines: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.name if self.stage == DEFAULT_STAGE else f"{self.stage}/{self.name}"

    def freeze(self) -> JobResult:
        steps = tuple(step.freeze() for step in self.steps)
        run = JobRun(self.status, steps, lines=tuple(self.lines), name=self.display_name)
        return JobResult(self.status, (run,) if self.ran else (), self.message, self.display_name)
