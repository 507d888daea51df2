"""Errors of the CI runner: every one names a file, a line and the chain of templates that led there."""

from __future__ import annotations

from dataclasses import dataclass

from amlops.errors import ConfigError, FailedError


@dataclass(frozen=True)
class Loc:
    """A place in a YAML file: `file` as shown to people (relative to the repository), 1-based `line`.

    `chain` holds the call sites of the templates that led here, outermost first.
    """

    file: str
    line: int
    chain: tuple[Loc, ...] = ()

    def __str__(self) -> str:
        return " -> ".join(f"{c.file}:{c.line}" for c in (*self.chain, self))

    def within(self, chain: tuple[Loc, ...]) -> Loc:
        return Loc(self.file, self.line, chain)


class PipelineError(ConfigError):
    """A pipeline file is malformed or cannot be expanded: the message starts with `file:line`."""

    def __init__(self, message: str, loc: Loc | None = None) -> None:
        self.reason = message
        self.loc = loc
        super().__init__(f"{loc}: {message}" if loc is not None else message)


class PipelineRunError(FailedError):
    """A pipeline ran and something in it failed."""
