from pathlib import Path

import numpy as np
import pandas as pd
from datascience.train import HyperParameters, build_pipeline, fit, pip_requirements
from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor


def test_estimator_follows_the_task(contract, iris_contract):
    params = HyperParameters(n_estimators=5)
    assert isinstance(build_pipeline(contract, params, seed=1)[-1], GradientBoostingRegressor)
    assert isinstance(build_pipeline(iris_contract, params, seed=1)[-1], GradientBoostingClassifier)
    columns = build_pipeline(contract, params, seed=1).steps[0][1].transformers
    assert [name for name, _, _ in columns] == ["numeric", "categorical"]
    assert "pickup_datetime_hour" in columns[0][2]
    assert "vendor" in columns[1][2]


def test_fit_is_seeded(contract, taxi_data):
    frame = pd.read_parquet(taxi_data).head(600)
    params = HyperParameters(n_estimators=10, subsample=0.7)
    a = fit(contract, frame, params, seed=4).predict(_x(frame, contract))
    b = fit(contract, frame, params, seed=4).predict(_x(frame, contract))
    c = fit(contract, frame, params, seed=5).predict(_x(frame, contract))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def _x(frame, contract):
    from datascience.features import model_frame

    return model_frame(frame, contract)


def test_pip_requirements_are_pinned():
    requirements = pip_requirements()
    assert any(r.startswith("scikit-learn==") for r in requirements)
    assert all("==" in r for r in requirements)


def test_main_saves_an_mlflow_model(taxi_trained):
    assert taxi_trained.exit_codes["train"] == 0
    model = taxi_trained.model
    assert (model / "MLmodel").is_file()
    requirements = (model / "requirements.txt").read_text()
    assert "scikit-learn==" in requirements
    assert "mlflow==" in requirements
    import mlflow.sklearn

    loaded = mlflow.sklearn.load_model(str(model))
    assert loaded.predict(
        _x(pd.read_parquet(taxi_trained.prepared / "test.parquet").head(3), _contract())
    ).shape == (3,)


def _contract():
    from datascience.contract import load_contract

    from .conftest import CONTRACT

    return load_contract(CONTRACT)


def test_the_logged_model_is_the_output_folder(taxi_trained, mlflow_tracking, tmp_path):
    """With --log-model the pipeline is serialised once: the run's logged model and the output folder hold
    the same files."""
    import mlflow
    from datascience import train

    from .conftest import CONTRACT

    output = tmp_path / "model"
    argv = ["--contract", str(CONTRACT), "--prepared", str(taxi_trained.prepared), "--output", str(output)]
    with mlflow.start_run() as run:
        assert train.main([*argv, "--seed", "3", "--n-estimators", "5", "--log-model"]) == 0
    (logged,) = mlflow.search_logged_models(
        filter_string=f"source_run_id = '{run.info.run_id}'", output_format="list"
    )
    copy = Path(
        mlflow.artifacts.download_artifacts(
            artifact_uri=logged.artifact_location, dst_path=str(tmp_path / "d")
        )
    )
    files = sorted(p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file())
    files.remove("registered_model_meta")  # MLflow's marker of a models:/ download
    assert files == sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file())
    assert "model.skops" in files
    assert all((output / f).read_bytes() == (copy / f).read_bytes() for f in files)
    assert mlflow.sklearn.load_model(str(output)).predict is not None
