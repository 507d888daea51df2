"""Model registry on MLflow/SQLite: bundles become versions, idempotent by pipeline run id, aliases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from amlops.backends.local import LocalBackend
from amlops.config import resolve_settings
from amlops.errors import NotFoundError


@pytest.fixture
def backend(state_dir: Path, tmp_path: Path) -> LocalBackend:
    return LocalBackend(resolve_settings(state_dir=state_dir, project_dir=tmp_path, environ={}))


def make_bundle(folder: Path, rmse: float) -> Path:
    folder.mkdir(parents=True)
    (folder / "model.onnx").write_bytes(b"onnx")
    (folder / "metrics.json").write_text(json.dumps({"task": "regression", "metrics": {"rmse": rmse}}))
    return folder


def test_register_alias_download(backend: LocalBackend, tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "b1", 3.0)
    mv = backend.register_model_version(
        "m", bundle_dir=bundle, pipeline_run_id="run-1", tags={"metric.rmse": "3.0"}
    )
    assert (mv.version, mv.created) == ("1", True)
    assert mv.tags["pipeline_run_id"] == "run-1"
    assert mv.metrics() == {"rmse": 3.0}
    assert (backend.state_dir / "mlflow.db").is_file()
    assert mv.source.startswith((backend.state_dir / "mlartifacts").as_uri())

    again = backend.register_model_version("m", bundle_dir=bundle, pipeline_run_id="run-1", tags={})
    assert (again.version, again.created) == ("1", False)
    assert backend.find_model_version("m", pipeline_run_id="run-1").version == "1"
    assert backend.find_model_version("m", pipeline_run_id="run-2") is None

    backend.set_alias("m", "champion", "1")
    assert backend.get_model_version("m", alias="champion").version == "1"
    assert backend.list_model_versions("m")[0].aliases == ("champion",)
    with pytest.raises(NotFoundError, match="no alias 'challenger'"):
        backend.get_model_version("m", alias="challenger")
    with pytest.raises(NotFoundError):
        backend.get_model_version("m", version="9")
    with pytest.raises(NotFoundError):
        backend.get_model_version("nope")

    downloaded = backend.download_model("m", "1")
    assert (downloaded / "model.onnx").read_bytes() == b"onnx"
    assert downloaded.is_relative_to(backend.state_dir / "models")
    assert backend.download_model("m", "1") == downloaded
