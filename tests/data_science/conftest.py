"""Shared fixtures: small generated data and one trained bundle per example contract, and one for a contract
the repository does not ship (tests/support/own_dataset.py), each built once per session through the
components' own `main([...])`, so the expensive steps run once."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA_SCIENCE = REPO / "data-science"
CONTRACT = DATA_SCIENCE / "contract.yml"
IRIS_CONTRACT = DATA_SCIENCE / "examples" / "iris" / "contract.yml"
IRIS_DATA = DATA_SCIENCE / "examples" / "iris" / "iris.csv"
SAMPLE = DATA_SCIENCE / "data" / "sample.parquet"


@dataclass(frozen=True)
class Trained:
    contract: Path
    data: Path
    prepared: Path
    model: Path
    bundle: Path
    exit_codes: dict[str, int]


@pytest.fixture(scope="session")
def contract():
    from datascience.contract import load_contract

    return load_contract(CONTRACT)


@pytest.fixture(scope="session")
def iris_contract():
    from datascience.contract import load_contract

    return load_contract(IRIS_CONTRACT)


@pytest.fixture(scope="session")
def mlflow_tracking(tmp_path_factory):
    """An SQLite MLflow store for the session, artifacts included; no run leaks into the repository
    (with an SQLite store and no experiment artifact location, MLflow writes artifacts to ./mlruns)."""
    import mlflow

    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    names = ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_DISABLE_TELEMETRY")
    previous = {name: os.environ.get(name) for name in names}
    os.environ["MLFLOW_TRACKING_URI"] = uri
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    mlflow.set_tracking_uri(uri)
    mlflow.create_experiment("data-science-tests", artifact_location=(folder / "artifacts").as_uri())
    os.environ["MLFLOW_EXPERIMENT_NAME"] = "data-science-tests"
    yield uri
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def taxi_data(tmp_path_factory, contract) -> Path:
    from datascience.generate import generate

    path = tmp_path_factory.mktemp("taxi") / "trips.parquet"
    generate(contract, path, rows=2_000, seed=11)
    return path


def _train(root: Path, contract: Path, data: Path, *, n_estimators: int) -> Trained:
    from datascience import evaluate, prep, train

    prepared, model, bundle = root / "prepared", root / "model", root / "bundle"
    codes = {
        "prep": prep.main(
            ["--contract", str(contract), "--data", str(data), "--output", str(prepared), "--seed", "3"]
        ),
        "train": train.main(
            [
                "--contract",
                str(contract),
                "--prepared",
                str(prepared),
                "--output",
                str(model),
                "--seed",
                "3",
                "--n-estimators",
                str(n_estimators),
                "--no-log-model",
            ]
        ),
        "evaluate": evaluate.main(
            [
                "--contract",
                str(contract),
                "--prepared",
                str(prepared),
                "--model",
                str(model),
                "--output",
                str(bundle),
                "--seed",
                "3",
            ]
        ),
    }
    return Trained(contract, data, prepared, model, bundle, codes)


@pytest.fixture(scope="session")
def taxi_trained(tmp_path_factory, mlflow_tracking, taxi_data) -> Trained:
    return _train(tmp_path_factory.mktemp("taxi_run"), CONTRACT, taxi_data, n_estimators=40)


@pytest.fixture(scope="session")
def iris_trained(tmp_path_factory, mlflow_tracking) -> Trained:
    return _train(tmp_path_factory.mktemp("iris_run"), IRIS_CONTRACT, IRIS_DATA, n_estimators=20)


@pytest.fixture(scope="session")
def loan_contract_file(tmp_path_factory) -> Path:
    from own_dataset import write_dataset

    folder = tmp_path_factory.mktemp("loan")
    write_dataset(folder / "contract.yml", folder / "loans.parquet", rows=900)
    return folder / "contract.yml"


@pytest.fixture(scope="session")
def loan_trained(tmp_path_factory, mlflow_tracking, loan_contract_file) -> Trained:
    """A binary classifier on the own dataset: bool, nullable features with gaps, classes not in
    alphabetical order, no id column."""
    data = loan_contract_file.parent / "loans.parquet"
    return _train(tmp_path_factory.mktemp("loan_run"), loan_contract_file, data, n_estimators=40)
