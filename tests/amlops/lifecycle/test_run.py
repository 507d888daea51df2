"""run_lifecycle on a tiny Azure DevOps project whose steps only echo and append events (fast)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from amlops.ci.result import Status
from amlops.lifecycle.run import NOT_TRIGGERED, run_lifecycle

PR_CI = """trigger: none
pr:
  branches:
    include: [main]
parameters:
  - name: testPaths
    type: string
    default: tests
  - name: markers
    type: string
    default: ''
steps:
  - script: echo "tests ${{ parameters.testPaths }}"
"""
TRAIN = """trigger:
  branches:
    include: [main]
  paths:
    include: [data]
pr: none
steps:
  - script: |
      set -e
      test "$FAIL" != yes
      echo '{"type": "model-registered", "model": "m", "version": "4"}' >> "$AMLOPS_STATE_DIR/events.jsonl"
    env:
      FAIL: $(fail)
variables:
  fail: no
"""
DEPLOY = """trigger: none
pr: none
resources:
  webhooks:
    - webhook: modelRegistered
      connection: model-registry
      filters:
        - path: type
          value: model-registered
steps:
  - script: >-
      echo "${{ parameters.modelRegistered.model }}:${{ parameters.modelRegistered.version }}"
      > "$AMLOPS_STATE_DIR/deployed.txt"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    folder = root / "pipelines" / "azure-devops"
    folder.mkdir(parents=True)
    (folder / "pr-ci.yml").write_text(PR_CI)
    (folder / "train-model.yml").write_text(TRAIN)
    (folder / "deploy-model.yml").write_text(DEPLOY)
    return root


def test_the_registry_event_deploys_the_registered_version(project: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    out = io.StringIO()
    result = run_lifecycle(
        project, dialect="azure-devops", state_dir=state, approve=False, changed_paths=["data/x.csv"], out=out
    )
    assert [(p.stage, p.path.name if p.path else None, p.event, p.status) for p in result.pipelines] == [
        ("pr-ci", "pr-ci.yml", "manual", "succeeded"),
        ("train", "train-model.yml", "push", "succeeded"),
        ("deploy", "deploy-model.yml", "model-registered", "succeeded"),
    ]
    assert result.ok
    assert (result.model, result.version) == ("m", "4")
    assert (state / "deployed.txt").read_text().strip() == "m:4"
    assert "tests tests/amlops/test_gating.py" in out.getvalue()  # the small default selection
    assert "Lifecycle (azure-devops)" in result.table()


def test_no_new_event_means_no_deployment(project: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "events.jsonl").write_text(
        json.dumps({"type": "model-registered", "model": "m", "version": "3"}) + "\n"
    )
    train = project / "pipelines" / "azure-devops" / "train-model.yml"
    train.write_text(TRAIN.replace("fail: no", "fail: yes"))
    result = run_lifecycle(
        project,
        dialect="azure-devops",
        state_dir=state,
        approve=False,
        changed_paths=["data/x.csv"],
        out=io.StringIO(),
    )
    assert [p.status for p in result.pipelines] == ["succeeded", "failed", Status.NOT_RUN]
    assert not result.ok
    assert result.registered is None
    assert not (state / "deployed.txt").exists()


def test_a_push_outside_the_path_filters_trains_nothing(project: Path, tmp_path: Path) -> None:
    result = run_lifecycle(
        project,
        dialect="azure-devops",
        state_dir=tmp_path / "state",
        approve=False,
        changed_paths=["docs/readme.md"],
        out=io.StringIO(),
    )
    assert [p.status for p in result.pipelines] == ["succeeded", NOT_TRIGGERED, NOT_TRIGGERED]


def test_unknown_dialect(project: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="dialect must be one of"):
        run_lifecycle(project, dialect="jenkins", state_dir=tmp_path, approve=False)
