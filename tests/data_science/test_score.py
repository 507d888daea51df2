import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from datascience import score
from datascience.bundle import OnnxModel

from .conftest import DATA_SCIENCE

SCORE_PY = DATA_SCIENCE / "src" / "datascience" / "score.py"


def _records(trained, rows=3):
    frame = pd.read_parquet(trained.prepared / "test.parquet").head(rows)
    frame["pickup_datetime"] = frame["pickup_datetime"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    records = frame.drop(columns=["fare_amount"]).to_dict(orient="records")
    return [{k: (None if pd.isna(v) else v) for k, v in r.items()} for r in records]


@pytest.fixture
def loaded(taxi_trained, tmp_path, monkeypatch):
    """init() with the bundle one folder below AZUREML_MODEL_DIR, as Azure ML mounts it."""
    nested = tmp_path / "taxi-fares" / "bundle"
    nested.parent.mkdir()
    nested.symlink_to(taxi_trained.bundle, target_is_directory=True)
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(nested.parent))
    score.init()
    yield taxi_trained
    monkeypatch.setattr(score, "_model", None)


def test_good_request_in_both_shapes(loaded):
    records = _records(loaded)
    body = score.run(json.dumps({"data": records}))
    expected = OnnxModel.from_bundle(loaded.bundle).predict(pd.DataFrame(records)).values
    assert body["predictions"] == pytest.approx(list(expected))
    columns = list(records[0])
    split = {"input_data": {"columns": columns, "data": [[r[c] for c in columns] for r in records]}}
    assert score.run(split)["predictions"] == body["predictions"]


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        (lambda r: r.update(trip_distance="far"), "trip_distance", "expected a number"),
        (lambda r: r.update(pickup_zone="Atlantis"), "pickup_zone", "not an allowed category"),
        (lambda r: r.pop("vendor"), "vendor", "required field is missing"),
        (lambda r: r.update(trip_distance=-1.0), "trip_distance", "below the minimum"),
        (lambda r: r.update(pickup_datetime="yesterday"), "pickup_datetime", "ISO 8601"),
        (lambda r: r.update(colour="red"), "colour", "unknown field"),
        (lambda r: r.update(passenger_count=None), None, None),  # nullable: accepted
    ],
)
def test_malformed_record_gets_400_naming_the_field(loaded, change, field, fragment):
    records = _records(loaded)
    change(records[1])
    response = score.run(json.dumps({"data": records}))
    if field is None:
        assert len(response["predictions"]) == 3
        return
    assert response.status_code == 400
    body = json.loads(response.get_data(as_text=True))
    assert body["field"] == field
    assert body["row"] == 1
    assert fragment in body["error"]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("{not json", None),
        (json.dumps([1, 2]), None),
        (json.dumps({"rows": []}), "data"),
        (json.dumps({"data": []}), "data"),
        (json.dumps({"data": [1]}), "data"),
        (json.dumps({"input_data": {"columns": ["a"], "data": [[1, 2]]}}), "input_data.data"),
    ],
)
def test_malformed_body_gets_400(loaded, raw, field):
    response = score.run(raw)
    assert response.status_code == 400
    assert json.loads(response.get_data(as_text=True))["field"] == field


def test_classification_returns_labels_and_probabilities(iris_trained):
    model = OnnxModel.from_bundle(iris_trained.bundle)
    records = (
        pd.read_csv(iris_trained.data).drop(columns="species").iloc[[0, 75, 149]].to_dict(orient="records")
    )
    body = score.predict(model, {"data": records})
    assert body["predictions"] == ["setosa", "versicolor", "virginica"]
    assert [sorted(p) for p in body["probabilities"]] == [["setosa", "versicolor", "virginica"]] * 3
    assert all(abs(sum(p.values()) - 1) < 1e-5 for p in body["probabilities"])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, payload: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=payload.encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.slow
def test_real_inference_server(taxi_trained, tmp_path):
    server = Path(sys.executable).parent / "azmlinfsrv"
    port, health_port = _free_port(), _free_port()
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "AML_APP_ROOT": str(tmp_path)}
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [
            str(server),
            "--entry_script",
            str(SCORE_PY),
            "--model_dir",
            str(taxi_trained.bundle.parent),
            "--port",
            str(port),
            "--health_port",
            str(health_port),
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            try:
                with urllib.request.urlopen(base + "/", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.5)
        records = _records(taxi_trained)
        status, body = _post(base + "/score", json.dumps({"data": records}))
        assert status == 200
        expected = OnnxModel.from_bundle(taxi_trained.bundle).predict(pd.DataFrame(records)).values
        assert body["predictions"] == pytest.approx(list(expected), rel=1e-5)
        records[0]["pickup_zone"] = "Atlantis"
        status, body = _post(base + "/score", json.dumps({"data": records}))
        assert status == 400
        assert body["field"] == "pickup_zone"
        status, body = _post(base + "/score", json.dumps({"data": _records(taxi_trained, rows=1)}))
        assert status == 200
        assert len(body["predictions"]) == 1
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
        log.close()


def test_request_path_predicts_exactly_what_the_dataframe_path_does(taxi_trained):
    """The online path (records_feed, no pandas) and the batch/evaluate path (model_frame) agree."""
    model = OnnxModel.from_bundle(taxi_trained.bundle)
    records = _records(taxi_trained, rows=200)
    records[0]["pickup_datetime"] = records[0]["pickup_datetime"] + "+02:00"  # wall time is what counts
    frame = pd.DataFrame.from_records(records)
    np.testing.assert_array_equal(model.predict_records(records).values, model.predict(frame).values)


def test_request_path_agrees_for_classification(iris_trained):
    model = OnnxModel.from_bundle(iris_trained.bundle)
    records = pd.read_csv(iris_trained.data).drop(columns="species").to_dict(orient="records")
    by_records = model.predict_records(records)
    by_frame = model.predict(pd.DataFrame.from_records(records))
    np.testing.assert_array_equal(by_records.values, by_frame.values)
    np.testing.assert_array_equal(by_records.probabilities, by_frame.probabilities)


TAXI_REQUEST = DATA_SCIENCE / "examples" / "taxi-request.json"


def test_committed_taxi_request_fits_the_taxi_contract(contract):
    request = TAXI_REQUEST.read_text()
    assert score.request_problems(request, contract) == []


def test_taxi_request_against_another_contract_names_row_and_field(iris_contract):
    request = TAXI_REQUEST.read_text()
    problems = score.request_problems(request, iris_contract)
    assert problems[0] == "row 0, field 'trip_id': unknown field"
    assert "row 0, field 'sepal_length': required field is missing" in problems


def test_malformed_smoke_request_is_one_problem(contract):
    assert score.request_problems('{"rows": []}', contract) == [
        'the body must have a "data" or an "input_data" key (it has \'rows\')'
    ]


@pytest.mark.parametrize("name", ["taxi_trained", "iris_trained", "loan_trained"])
def test_the_bundles_own_smoke_request_is_answered(name, request, monkeypatch):
    """evaluate writes smoke-request.json from test rows; the scoring script takes it as it is, whatever the
    contract (an id column or none, a timestamp, bools, nulls in nullable columns)."""
    trained = request.getfixturevalue(name)
    sent = json.loads((trained.bundle / "smoke-request.json").read_text())
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(trained.bundle))
    score.init()
    try:
        answer = score.run(json.dumps(sent))
    finally:
        monkeypatch.setattr(score, "_model", None)
    assert isinstance(answer, dict), answer.get_data(as_text=True)
    assert len(answer["predictions"]) == len(sent["data"]) == 5


def test_own_dataset_probabilities_name_both_classes(loan_trained):
    from own_dataset import CLASSES, as_request, loan_table

    model = OnnxModel.from_bundle(loan_trained.bundle)
    rows = loan_table(40, seed=8)
    gaps = rows[rows[["income_k", "years_employed", "region"]].isna().any(axis=1)]
    assert len(gaps), "the sample has rows with missing values"
    answer = score.predict(model, as_request(gaps))
    assert set(answer["predictions"]) <= set(CLASSES)
    assert all(set(p) == set(CLASSES) for p in answer["probabilities"])
    assert all(sum(p.values()) == pytest.approx(1.0, abs=1e-5) for p in answer["probabilities"])
