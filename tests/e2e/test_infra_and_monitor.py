"""End to end: the deploy-infra and monitor pipelines of both dialects, chosen by their triggers and run
by the local runner (the lifecycle pipelines are covered in test_lifecycle.py).

- deploy-infra: a push under infrastructure/ selects it; locally its plan/apply steps run the offline
  checks (parse, fmt, checkov) and say that nothing was deployed. Without approval the run stops before
  prod (exit 3); with approval both environments pass.
- monitor: the schedule selects it; current data (a file given to the run) like the training snapshot does
  not drift and training does not run; drifted data (the generator's `--drift`) is detected and the retrain
  job runs. Monitoring what prod's endpoint collected is in test_lifecycle.py.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from drifted_data import drifted_table

from amlops import cli
from amlops.lifecycle.commands_run import run_pipeline, select_pipelines

from .test_lifecycle import settings

pytestmark = pytest.mark.slow
NOTHING_DEPLOYED = "Nothing was deployed"


def _run(path: Path, project: Path, state: Path, event: str, **options: object) -> tuple[int, str]:
    out = io.StringIO()
    outcome = run_pipeline(path, repo_root=project, state_dir=state, event=event, out=out, **options)
    return outcome.code, out.getvalue()


@pytest.mark.parametrize(("dialect", "approve"), [("azure-devops", False), ("github", True)])
def test_deploy_infra_runs_the_offline_checks_dev_then_prod_behind_approval(
    project: Path, tmp_path: Path, dialect: str, approve: bool
) -> None:
    [path] = select_pipelines(
        project, "push", dialect_only=dialect, changed_paths=["infrastructure/terraform/main.tf"]
    )
    assert path.stem == "deploy-infra"
    code, log = _run(path, project, tmp_path / "state", "push", approve=approve)
    if approve:
        assert code == 0, log[-6000:]
        assert log.count(NOTHING_DEPLOYED) >= 2, log[-6000:]  # dev and prod, both offline
    else:
        assert code == 3, log[-6000:]  # dev done, prod waits for its approval
        assert NOTHING_DEPLOYED in log
        assert "approv" in log.lower()


def _register_training_snapshot(project: Path, state: Path) -> None:
    variables = settings(project, "prod")
    code = cli.main(
        [
            "--state-dir",
            str(state),
            "--project-dir",
            str(project),
            "register-data",
            "--name",
            variables["dataName"],
            "--path",
            str(project / variables["dataPath"]),
        ]
    )
    assert code == 0


def test_monitor_without_drift_does_not_retrain(project: Path, tmp_path: Path) -> None:
    selected = select_pipelines(project, "schedule", dialect_only="azure-devops")
    assert "monitor" in [p.stem for p in selected]  # the weekly training schedule is selected too
    [path] = [p for p in selected if p.stem == "monitor"]
    state = tmp_path / "state"
    _register_training_snapshot(project, state)
    # a scheduled run reads what prod's endpoint collected (test_lifecycle.py); here the data is given
    code, log = _run(
        path, project, state, "schedule", parameters={"currentData": "data-science/data/sample.parquet"}
    )
    assert code == 0, log[-6000:]
    assert '{"drifted":false,' in log, log[-6000:]  # the verb's result line (compact JSON)
    assert not (state / "runs").is_dir() or not any((state / "runs").glob("*/decision.json"))


def test_monitor_with_drift_retrains(project: Path, tmp_path: Path) -> None:
    [path] = [p for p in select_pipelines(project, "schedule", dialect_only="github") if p.stem == "monitor"]
    state = tmp_path / "state"
    _register_training_snapshot(project, state)
    target = project / "drifted" / "current.parquet"
    target.parent.mkdir(exist_ok=True)
    drifted = drifted_table(project, target, rows=3000, seed=11)
    code, log = _run(
        path,
        project,
        state,
        "workflow_dispatch",
        inputs={"current-data": drifted.relative_to(project).as_posix()},
    )
    assert code == 0, log[-6000:]
    assert '{"drifted":true,' in log, log[-6000:]  # the verb's result line (compact JSON)
    assert any((state / "runs").glob("*/decision.json")), "the retrain job did not run the training pipeline"
