"""`amlops.ci.azure_devops.predefined`: the predefined variables (pure) and the counters file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from amlops.ci.azure_devops.predefined import load_counters, predefined_variables, save_counters


def _values(tmp_path: Path, **given: object) -> dict[str, str]:
    arguments: dict = {
        "build_id": 4,
        "run_dir": tmp_path / "runs" / "4",
        "repo_root": tmp_path / "repo",
        "definition": "train-model",
        "event": "push",
        "head": ("feature", "abc123"),
        "now": datetime(2026, 1, 2, tzinfo=UTC),
        "variables": {},
    }
    return predefined_variables(**{**arguments, **given})


def test_predefined_variables_name_the_run_its_folders_and_its_source(tmp_path: Path) -> None:
    values = _values(tmp_path)
    assert values["Build.BuildNumber"] == "20260102.4"
    assert values["Build.Reason"] == "IndividualCI"
    assert values["Build.SourceBranch"] == "refs/heads/feature"
    assert values["Build.SourceBranchName"] == "feature"
    assert values["Build.SourceVersion"] == "abc123"
    assert values["Pipeline.Workspace"] == str(tmp_path / "runs" / "4")
    assert values["Build.ArtifactStagingDirectory"] == str(tmp_path / "runs" / "4" / "a")
    assert values["Agent.JobStatus"] == "Succeeded"


def test_a_queue_time_source_branch_wins_and_other_events_are_resource_triggers(tmp_path: Path) -> None:
    values = _values(tmp_path, event="model-registered", variables={"build.sourceBranch": "refs/heads/rel/1"})
    assert values["Build.SourceBranch"] == "refs/heads/rel/1"
    assert values["Build.SourceBranchName"] == "1"
    assert values["Build.Reason"] == "ResourceTrigger"


def test_counters_survive_from_run_to_run(tmp_path: Path) -> None:
    assert load_counters(tmp_path / "state") == {}
    save_counters(tmp_path / "state", {"build": 3})
    assert load_counters(tmp_path / "state") == {"build": 3}
