"""The project's own Azure ML pipeline job, run end to end by the local executor on the sample data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amlops.azureml import run_pipeline_job

REPO = Path(__file__).resolve().parents[3]
JOB = REPO / "pipelines" / "azureml" / "train-pipeline.yml"
SAMPLE = REPO / "data-science" / "data" / "sample.parquet"
CONTRACT = REPO / "data-science" / "contract.yml"


def failure_report(result) -> str:
    lines = []
    for name, step in result.steps.items():
        lines.append(f"--- {name}: {step.status} ({step.reason})")
        if step.log_path is not None and step.log_path.exists():
            lines.append(step.log_path.read_text()[-3000:])
    return "\n".join(lines)


@pytest.mark.slow
def test_train_pipeline_runs_locally_and_reruns_from_cache(tmp_path: Path) -> None:
    for required in (JOB, SAMPLE, CONTRACT):
        assert required.is_file(), f"{required} is missing"
    import mlflow

    tracking_uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    # Artifacts of an experiment created without a location would land in the component's working folder.
    mlflow.MlflowClient(tracking_uri).create_experiment(
        "train-pipeline-test", artifact_location=(tmp_path / "artifacts").as_uri()
    )
    env = {
        "MLFLOW_TRACKING_URI": tracking_uri,
        "MLFLOW_EXPERIMENT_NAME": "train-pipeline-test",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    inputs = {"raw_data": SAMPLE, "contract": CONTRACT, "seed": 7}

    result = run_pipeline_job(JOB, inputs=inputs, run_dir=tmp_path / "run", env=env)

    assert result.status == "completed", failure_report(result)
    assert all(step.status == "completed" for step in result.steps.values())
    bundle = result.outputs["model_bundle"]
    assert {"model.onnx", "contract.yml", "metrics.json"} <= {path.name for path in bundle.iterdir()}
    metrics = json.loads((bundle / "metrics.json").read_text())
    assert metrics["seed"] == 7
    assert metrics["task"] in {"regression", "classification"}
    assert metrics["metrics"]
    assert all(isinstance(value, float) for value in metrics["metrics"].values())
    assert metrics["n_test_rows"] > 0

    again = run_pipeline_job(JOB, inputs=inputs, run_dir=tmp_path / "run", env=env)
    assert again.status == "completed"
    assert {step.status for step in again.steps.values()} == {"reused"}, "unchanged steps must be reused"
