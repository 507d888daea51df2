"""The one approval rule of both dialects (`amlops.ci.approvals`), table-driven."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from amlops.ci import dialects
from amlops.ci.approvals import PROTECTED, needs_approval, pending_approval
from amlops.ci.azure_devops.options import RunOptions
from amlops.ci.azure_devops.run import run_file
from amlops.ci.github import dialect as github_dialect
from amlops.ci.result import Approval, RunResult, Status


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ("prod", True),
        ("Production", True),
        ("ml-prod", True),
        ("production-eu", True),
        ("prod.weu", True),
        ("ml prod", True),
        ("ml_prod", True),
        ("dev", False),
        ("products", False),
        ("preprod-test", False),
        ("${{ inputs.environment }}", True),
    ],
)
def test_needs_approval_by_a_part_of_the_name(environment: str, expected: bool) -> None:
    assert needs_approval(environment) is expected


def test_the_protected_names_are_configurable_and_case_insensitive() -> None:
    assert PROTECTED == ("prod", "production")
    assert needs_approval("ml-Staging", ["STAGING"]) is True
    assert needs_approval("prod", ["staging"]) is False


@pytest.mark.parametrize(
    ("environments", "approve", "expected"),
    [
        (("prod",), False, Approval("deploy", ("prod",))),
        (("prod",), True, None),
        (("dev",), False, None),
        ((), False, None),
        (("prod", "dev", "ml-prod", "prod"), False, Approval("deploy", ("ml-prod", "prod"))),
    ],
)
def test_pending_approval_names_the_job_and_its_protected_environments(
    environments: tuple[str, ...], approve: bool, expected: Approval | None
) -> None:
    assert pending_approval("deploy", environments, approve=approve) == expected


def test_azure_devops_reports_the_rules_approval(tmp_path: Path) -> None:
    (tmp_path / "pipeline.yml").write_text(
        "stages:\n- stage: prod\n  jobs:\n  - deployment: deploy\n    environment: ml-prod\n"
        "    strategy:\n      runOnce:\n        deploy:\n          steps:\n          - script: echo hi\n",
        encoding="utf-8",
    )
    options = RunOptions(repo_root=tmp_path, state_dir=tmp_path / "state", out=io.StringIO())
    result = run_file(tmp_path / "pipeline.yml", options)
    assert result.status == Status.WAITING_FOR_APPROVAL
    assert result.pending_approvals == (pending_approval("prod/deploy", ("ml-prod",), approve=False),)


def _request(tmp_path: Path, **fields: object) -> dialects.RunRequest:
    return dialects.RunRequest(repo_root=tmp_path, state_dir=tmp_path / "state", out=io.StringIO(), **fields)


def test_both_dialects_take_the_protected_names_from_the_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _request(tmp_path).approval_environments == PROTECTED
    (tmp_path / "pipeline.yml").write_text(
        "jobs:\n- deployment: deploy\n  environment: ml-staging\n"
        "  strategy:\n    runOnce:\n      deploy:\n        steps:\n        - script: echo hi\n",
        encoding="utf-8",
    )
    azure = dialects.get_dialect("azure-devops")
    held = azure.run(tmp_path / "pipeline.yml", _request(tmp_path, approval_environments=("staging",)))
    assert held.pending_approvals == (Approval("deploy", ("ml-staging",)),)
    assert azure.run(tmp_path / "pipeline.yml", _request(tmp_path)).status == Status.SUCCEEDED

    seen: list[object] = []

    def run_workflow(path: Path, **kwargs: object) -> RunResult:
        seen.append(kwargs["approval_environments"])
        return RunResult(Status.SUCCEEDED, {})

    monkeypatch.setattr(github_dialect, "run_workflow", run_workflow)
    dialects.get_dialect("github").run(
        tmp_path / "w.yml", _request(tmp_path, approval_environments=("staging",))
    )
    assert seen == [("staging",)]
