"""Errors of the CI runner: every one names a file, a line and the chain of templates that led there."""

from __future__ import annotations

from amlops.errors import ConfigError, FailedError
from amlops.yamlsource import Loc


class PipelineError(ConfigError):
    """A pipeline file is malformed or cannot be expanded: the message starts with `file:line`."""

    def __init__(self, message: str, loc: Loc | None = None) -> None:
        self.reason = message
        self.loc = loc
        super().__init__(f"{loc}: {message}" if loc is not None else message)


class PipelineRunError(FailedError):
    """A pipeline ran and something in it failed."""
