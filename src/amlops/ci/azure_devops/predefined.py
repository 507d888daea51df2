"""The predefined variables of an Azure Pipelines run on this machine, and the run's folder layout."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from amlops.ci.azure_devops.statuses import SUCCEEDED, WORDS

REASONS = {
    "push": "IndividualCI",
    "pull_request": "PullRequest",
    "schedule": "Schedule",
    "workflow_dispatch": "Manual",
    "manual": "Manual",
}
"""`Build.Reason` by event; any other event is a resource trigger."""
RUN_FOLDERS = ("_temp", "a", "b", "TestResults", "artifacts")
"""The folders of a run folder: temporary files, staged artifacts, binaries, test results, artifacts."""
COUNTERS = "ci-counters.json"
"""The file of `<state>` keeping the values of `counter()` expressions from run to run."""


def predefined_variables(
    *,
    build_id: int,
    run_dir: Path,
    repo_root: Path,
    definition: str,
    event: str,
    head: tuple[str, str],
    now: datetime,
    variables: Mapping[str, str],
) -> dict[str, str]:
    """The `Build.*`, `System.*`, `Pipeline.*` and `Agent.*` variables of run `build_id` of pipeline
    `definition`; `head` is the checked-out branch and commit, `variables` the queue-time ones (a given
    `Build.SourceBranch` wins)."""
    branch, sha = head
    source_branch = f"refs/heads/{branch}"
    values = {
        "Build.BuildId": str(build_id),
        "Build.BuildNumber": f"{now:%Y%m%d}.{build_id}",
        "Build.SourcesDirectory": str(repo_root),
        "Build.Repository.LocalPath": str(repo_root),
        "Build.Repository.Name": repo_root.name,
        "Build.DefinitionName": definition,
        "Build.SourceBranch": source_branch,
        "Build.SourceVersion": sha,
        "Build.Reason": REASONS.get(event, "ResourceTrigger"),
        "Build.ArtifactStagingDirectory": str(run_dir / "a"),
        "Build.StagingDirectory": str(run_dir / "a"),
        "Build.BinariesDirectory": str(run_dir / "b"),
        "Common.TestResultsDirectory": str(run_dir / "TestResults"),
        "System.DefaultWorkingDirectory": str(repo_root),
        "System.TeamProject": "local",
        "System.CollectionUri": "https://localhost/",
        "Pipeline.Workspace": str(run_dir),
        "Agent.BuildDirectory": str(run_dir),
        "Agent.TempDirectory": str(run_dir / "_temp"),
        "Agent.OS": "Linux",
        "Agent.Name": "local",
        "Agent.JobStatus": WORDS[SUCCEEDED],
        "TF_BUILD": "True",
    }
    given = {k.upper(): v for k, v in variables.items()}
    if "BUILD.SOURCEBRANCH" in given:
        values["Build.SourceBranch"] = given["BUILD.SOURCEBRANCH"]
    values["Build.SourceBranchName"] = values["Build.SourceBranch"].rsplit("/", 1)[-1]
    return values


def load_counters(state_dir: Path) -> dict[str, int]:
    file = state_dir / COUNTERS
    return json.loads(file.read_text(encoding="utf-8")) if file.is_file() else {}


def save_counters(state_dir: Path, counters: Mapping[str, int]) -> None:
    file = state_dir / COUNTERS
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(json.dumps(dict(counters), indent=2), encoding="utf-8")
