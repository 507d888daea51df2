"""The one exception hierarchy of amlops; `cli.main` maps each type to a message and an exit code.

Exit codes: 0 ok, 1 failed (data invalid, step failed, smoke test failed), 2 usage error (bad arguments,
unknown names, bad configuration), 3 refused (an action its preconditions forbid, e.g. registering a model
whose gate did not pass).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class AmlopsError(Exception):
    """Base class. `result` is the machine-readable document printed as the last stdout line."""

    exit_code = 1

    def __init__(self, message: str, *, result: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.result = dict(result or {})


class FailedError(AmlopsError):
    """The work ran and failed: invalid data, a failed pipeline step, a failed smoke test."""

    exit_code = 1


class UsageError(AmlopsError):
    """Bad arguments or configuration: fix the command line or the file it names."""

    exit_code = 2


class NotFoundError(UsageError):
    """A named thing (data asset, run, model version, endpoint) does not exist."""


class ConfigError(UsageError):
    """A configuration file (gate config, pipeline spec) is malformed."""


class NotImplementedInVersionError(UsageError):
    """A feature (e.g. the azure backend) that this version of amlops does not ship."""


class RefusedError(AmlopsError):
    """The action is forbidden by a precondition, e.g. register-model without a passed gate decision."""

    exit_code = 3
