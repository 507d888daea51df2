"""Pipeline runs: executed by amlops.azureml, a parent MLflow run with one child per step, lineage tags."""

from __future__ import annotations

from pathlib import Path

import pytest

from amlops.backends.base import COMPLETED, FAILED
from amlops.backends.local import LocalBackend
from amlops.config import resolve_settings
from amlops.errors import NotFoundError


@pytest.fixture
def backend(state_dir: Path, project: Path) -> LocalBackend:
    return LocalBackend(resolve_settings(state_dir=state_dir, project_dir=project, environ={}))


def test_pipeline_run_tracks_steps_and_lineage(backend: LocalBackend, project: Path) -> None:
    asset = backend.register_data("d", project / "data/good.csv")
    events: list[object] = []
    run = backend.run_pipeline(
        project / "pipelines/azureml/train-pipeline.yml",
        inputs={"raw_data": asset.reference, "seed": "7"},
        on_event=events.append,
    )
    assert run.status == COMPLETED
    assert dict(run.steps) == {"validate": "completed", "train": "completed"}
    assert run.run_dir == backend.state_dir / "runs" / run.run_id
    bundle = run.outputs["model_bundle"]
    assert (bundle / "metrics.json").is_file()
    assert run.tags["data_asset"] == "d"
    assert run.tags["data_version"] == "1"
    assert run.tags["data_hash"] == asset.hash
    assert run.tags["seed"] == "7"
    assert events  # progress streamed

    client = backend.tracking.client
    parent = client.get_run(run.mlflow_run_id)
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["data_version"] == "1"
    child_id = (bundle / "mlflow_run_id.txt").read_text()  # the step saw its own MLFLOW_RUN_ID
    child = client.get_run(child_id)
    assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert child.data.tags["step"] == "train"
    assert child.info.status == "FINISHED"
    assert backend.get_run(run.run_id) == run
    assert [r.run_id for r in backend.list_runs()] == [run.run_id]


def test_failed_step_is_recorded(backend: LocalBackend, project: Path) -> None:
    run = backend.run_pipeline(
        project / "pipelines/azureml/train-pipeline.yml",
        inputs={"raw_data": str(project / "data/good.csv"), "fail_train": "true"},
    )
    assert run.status == FAILED
    assert run.failed_step == "train"
    assert "simulated failure" in (run.error or "")
    assert "model_bundle" not in run.outputs
    assert backend.tracking.client.get_run(run.mlflow_run_id).info.status == "FAILED"


def test_unknown_run(backend: LocalBackend) -> None:
    with pytest.raises(NotFoundError):
        backend.get_run("nope")
