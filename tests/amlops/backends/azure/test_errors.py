"""How azure-core / azure-ai-ml exceptions become amlops errors (exit codes and messages), and the
long-running-operation bound; real SDK exception types, no service."""

from __future__ import annotations

import pytest

from amlops.backends.azure.errors import LRO_TIMEOUT_ENV, describe, finish
from amlops.errors import ConfigError, FailedError, UsageError


class _Response:
    def __init__(self, status: int, reason: str = "") -> None:
        self.status_code, self.reason = status, reason
        self.headers: dict[str, str] = {}

    def text(self) -> str:
        return ""


def test_an_entity_azure_ai_ml_refuses_is_a_config_error() -> None:
    from azure.ai.ml.exceptions import ErrorTarget, ValidationException

    exc = ValidationException(
        message="Can't set instance_count when resources is provided.",
        no_personal_data_message="x",
        target=ErrorTarget.BATCH_DEPLOYMENT,
    )
    error = describe(exc, "create batch deployment", "e/d")
    assert isinstance(error, ConfigError)
    assert str(error) == (
        "create batch deployment e/d: azure-ai-ml refuses it: "
        "Can't set instance_count when resources is provided."
    )


def test_a_failed_long_running_operation_is_not_called_an_http_error() -> None:
    from azure.core.exceptions import HttpResponseError

    exc = HttpResponseError(message="(DeploymentFailed) the image build failed", response=_Response(200))
    error = describe(exc, "create online deployment", "e/blue")
    assert isinstance(error, FailedError)
    assert "create online deployment e/blue: the operation failed (" in str(error)
    assert "HTTP 200" not in str(error)


class _Poller:
    def __init__(self, finishes: bool) -> None:
        self.finishes, self.waited = finishes, None

    def wait(self, timeout: float) -> None:
        self.waited = timeout

    def done(self) -> bool:
        return self.finishes

    def status(self) -> str:
        return "InProgress"

    def result(self) -> str:
        return "created"


def test_finish_waits_at_most_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LRO_TIMEOUT_ENV, "7")
    done = _Poller(True)
    assert finish(done, "create", "x") == "created"
    assert done.waited == 7.0
    with pytest.raises(FailedError, match=r"create x: still InProgress after 7 s"):
        finish(_Poller(False), "create", "x")
    monkeypatch.setenv(LRO_TIMEOUT_ENV, "soon")
    with pytest.raises(
        UsageError, match=r"AMLOPS_AZURE_LRO_TIMEOUT_S must be a number of seconds, got 'soon'"
    ):
        finish(_Poller(True), "create", "x")
