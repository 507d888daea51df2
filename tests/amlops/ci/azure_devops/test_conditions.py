"""`amlops.ci.azure_devops.conditions`: status functions of stages, jobs and steps, and skip reasons."""

from __future__ import annotations

import pytest

from amlops.ci.azure_devops.conditions import condition, dependency_status, skip_reason, step_status
from amlops.ci.errors import PipelineError
from amlops.ci.result import Status

RESULTS = {"a": Status.SUCCEEDED, "b": Status.FAILED, "c": Status.SUCCEEDED_WITH_ISSUES}


@pytest.mark.parametrize(
    ("text", "deps", "expected"),
    [
        ("succeeded()", ("a", "c"), True),
        ("succeeded()", ("a", "b"), False),
        ("failed()", ("a", "b"), True),
        ("failed('a')", ("a", "b"), False),
        ("succeededOrFailed()", ("a", "b"), True),
        ("always()", ("b",), True),
        ("canceled()", ("a",), False),
    ],
)
def test_dependency_status(text: str, deps: tuple[str, ...], expected: bool) -> None:
    assert condition(text, {}, dependency_status(RESULTS, deps, "job"), None, "job 'x'") is expected


def test_an_unknown_dependency_is_an_error_naming_it() -> None:
    with pytest.raises(PipelineError, match="no job named 'z'"):
        condition("succeeded('z')", {}, dependency_status(RESULTS, ("a",), "job"), None, "job 'x'")


@pytest.mark.parametrize(
    ("text", "failed", "expected"),
    [
        ("succeeded()", False, True),
        ("succeeded()", True, False),
        ("failed()", True, True),
        ("always()", True, True),
    ],
)
def test_step_status(text: str, failed: bool, expected: bool) -> None:
    assert condition(text, {}, step_status(failed), None, "step 'x'") is expected


def test_skip_reason_names_the_unmet_dependency_or_the_condition() -> None:
    assert skip_reason(None, "succeeded()", {"b": Status.FAILED}, "job") == "dependency job 'b': Failed"
    assert skip_reason("eq(1, 2)", "eq(1, 2)", {}, "job") == "condition: eq(1, 2) was false"
