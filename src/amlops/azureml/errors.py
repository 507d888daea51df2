"""The executor's errors: every failure to understand a job names the file, line, step or binding at fault.

They belong to amlops' one hierarchy (`amlops.errors`): a job that cannot be understood is a usage or
configuration error (exit code 2). A step that runs and fails raises nothing; it is reported in the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from amlops.errors import ConfigError, UsageError


class AzureMLExecutorError(UsageError):
    """Base class of every error raised by `amlops.azureml` before or while running a job."""


class PipelineSpecError(AzureMLExecutorError, ConfigError):
    """A job or component file is unreadable, malformed, or uses something the local executor cannot run."""

    def __init__(self, message: str, *, file: Path | None = None, line: int | None = None) -> None:
        self.problem = message
        self.file = file
        self.line = line
        super().__init__(f"{self.location}: {message}" if self.location else message)

    @property
    def location(self) -> str:
        """`file:line`, `file`, or an empty string when neither is known."""
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line is not None else str(self.file)


class BindingError(AzureMLExecutorError):
    """An input or output binding cannot be resolved: undeclared name, missing value, wrong type."""

    def __init__(self, message: str, *, step: str | None = None, binding: str | None = None) -> None:
        self.problem = message
        self.step = step
        self.binding = binding
        where = f"step '{step}'" if step else "pipeline"
        if binding:
            where += f", binding '{binding}'"
        super().__init__(f"{where}: {message}")


class CycleError(AzureMLExecutorError, ConfigError):
    """The steps' data bindings form a cycle; `cycle` lists it with the first step repeated at the end."""

    def __init__(self, cycle: Sequence[str]) -> None:
        self.cycle = tuple(cycle)
        super().__init__("steps depend on each other in a cycle: " + " -> ".join(self.cycle))
