"""Conditions of stages, jobs and steps: evaluated with the status functions of their scope
(`succeeded()`, `failed()`, ... over the dependencies, or over the job's steps so far), and the reason a
stage or job whose condition was false shows."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from amlops.ci.azure_devops.expr import Context, ExpressionError, evaluate, to_bool
from amlops.ci.azure_devops.statuses import FAILED, WORDS
from amlops.ci.errors import PipelineError
from amlops.ci.result import Status
from amlops.yamlsource import Loc

StatusFunction = Callable[[str, tuple[str, ...]], bool]
"""A status function of conditions: its name (lower case) and the names it was given -> true or false."""


def condition(text: str, named: dict[str, Any], status: StatusFunction, loc: Loc | None, what: str) -> bool:
    """Whether the condition `text` of `what` holds; a malformed one is a `PipelineError` at `loc`."""
    try:
        return to_bool(evaluate(text, Context(named=named, status=status, where="conditions")))
    except ExpressionError as exc:
        column = f" (at column {exc.column})" if exc.column else ""
        raise PipelineError(f"condition of {what}: {exc.message}{column} in '{text.strip()}'", loc) from None


def dependency_status(results: Mapping[str, Status], deps: tuple[str, ...], what: str) -> StatusFunction:
    """The status functions of a stage's or job's condition, over its dependencies (`what`: stage, job)."""

    def status(fn: str, names: tuple[str, ...]) -> bool:
        chosen = names or deps
        unknown = [n for n in names if n not in results]
        if unknown:
            raise ExpressionError(f"{fn}(): no {what} named '{unknown[0]}' among the dependencies")
        values = [results[n] for n in chosen]
        if fn == "always":
            return True
        if fn == "canceled":
            return False
        if fn == "succeeded":
            return all(v.ok for v in values)
        if fn == "failed":
            return any(v == FAILED for v in values)
        return all(v.ok or v == FAILED for v in values)  # succeededOrFailed

    return status


def step_status(failed: bool) -> StatusFunction:
    """The status functions of a step's condition; `failed`: an earlier step of the job failed."""

    def status(fn: str, names: tuple[str, ...]) -> bool:
        if fn in {"always", "succeededorfailed"}:
            return True
        if fn == "canceled":
            return False
        return failed if fn == "failed" else not failed

    return status


def skip_reason(written: str | None, effective: str, dependencies: Mapping[str, Status], what: str) -> str:
    """Why a stage or job whose condition was false did not run: the dependencies that did not succeed
    when the condition is the default `succeeded()`, else the condition as written."""
    if written is None:
        unmet = [f"dependency {what} '{n}': {WORDS[r]}" for n, r in dependencies.items() if not r.ok]
        if unmet:
            return ", ".join(unmet)
    return f"condition: {(written if written is not None else effective).strip()} was false"
