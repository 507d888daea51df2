import json

import onnx
import pandas as pd
import pytest
from datascience.bundle import OnnxModel, find_bundle


def test_bundle_layout_and_metrics(taxi_trained, contract):
    assert taxi_trained.exit_codes == {"prep": 0, "train": 0, "evaluate": 0}
    bundle = taxi_trained.bundle
    assert sorted(p.name for p in bundle.iterdir()) == [
        "contract.yml",
        "evaluation.json",
        "metrics.json",
        "model.onnx",
        "smoke-request.json",
    ]
    assert (bundle / "contract.yml").read_text() == taxi_trained.contract.read_text()
    metrics = json.loads((bundle / "metrics.json").read_text())
    assert metrics["task"] == "regression"
    assert set(metrics["metrics"]) == {"rmse", "mae", "r2"}
    assert metrics["metrics"]["r2"] > 0.7
    assert metrics["onnx_max_abs_diff"] < 1e-3
    assert metrics["n_test_rows"] == len(pd.read_parquet(taxi_trained.prepared / "test.parquet"))
    assert metrics["seed"] == 3
    test = pd.read_parquet(taxi_trained.prepared / "test.parquet")
    assert metrics["label_std"] == pytest.approx(test[contract.target].std())
    evaluation = json.loads((bundle / "evaluation.json").read_text())
    assert evaluation["task"] == "regression"
    assert evaluation["n_rows"] == len(test)
    assert evaluation["actual"] == pytest.approx(test[contract.target].head(500).tolist(), abs=1e-5)
    assert len(evaluation["predicted"]) == len(evaluation["actual"])


def test_onnx_inputs_are_the_contract_model_inputs(taxi_trained, contract):
    model = onnx.load(str(taxi_trained.bundle / "model.onnx"))
    assert [i.name for i in model.graph.input] == [m.name for m in contract.model_inputs]
    kinds = {i.name: i.type.tensor_type.elem_type for i in model.graph.input}
    assert kinds["trip_distance"] == onnx.TensorProto.FLOAT
    assert kinds["vendor"] == onnx.TensorProto.STRING


def test_classification_bundle(iris_trained, iris_contract):
    assert iris_trained.exit_codes == {"prep": 0, "train": 0, "evaluate": 0}
    metrics = json.loads((iris_trained.bundle / "metrics.json").read_text())
    assert metrics["task"] == "classification"
    assert set(metrics["metrics"]) == {"accuracy", "f1_macro", "log_loss"}
    assert metrics["metrics"]["accuracy"] > 0.8
    assert metrics["onnx_max_abs_diff"] < 1e-4  # probabilities
    assert metrics["label_std"] is None  # the gate's scale check is for regression labels
    evaluation = json.loads((iris_trained.bundle / "evaluation.json").read_text())
    assert evaluation["classes"] == list(iris_contract.classes)
    confusion = evaluation["confusion"]
    assert sum(map(sum, confusion)) == metrics["n_test_rows"]
    diagonal = sum(confusion[i][i] for i in range(len(confusion)))
    assert diagonal / metrics["n_test_rows"] == pytest.approx(metrics["metrics"]["accuracy"])
    model = OnnxModel.from_bundle(iris_trained.bundle)
    assert model.classes == iris_contract.classes
    result = model.predict(pd.read_csv(iris_trained.data).head(4))
    assert result.probabilities.shape == (4, 3)
    assert set(result.values) <= set(iris_contract.classes)


def test_find_bundle_one_level_down(tmp_path, taxi_trained):
    nested = tmp_path / "model-1"
    nested.mkdir()
    for name in ("model.onnx", "contract.yml"):
        (nested / name).write_bytes((taxi_trained.bundle / name).read_bytes())
    assert find_bundle(tmp_path) == nested
    assert find_bundle(nested) == nested


def test_the_smoke_request_is_the_first_test_rows_input_columns(taxi_trained, contract):
    from datascience.score import request_problems

    request = json.loads((taxi_trained.bundle / "smoke-request.json").read_text())
    test = pd.read_parquet(taxi_trained.prepared / "test.parquet").head(5)
    assert [list(r) for r in request["data"]] == [[c.name for c in contract.input_columns]] * 5
    assert [r["trip_distance"] for r in request["data"]] == test["trip_distance"].tolist()
    assert request_problems(json.dumps(request), contract) == []


def test_smoke_request_skips_rows_that_break_the_contract(contract, taxi_data):
    from datascience.bundle import smoke_request

    frame = pd.read_parquet(taxi_data).head(8).reset_index(drop=True)
    frame.loc[[0, 2], "pickup_zone"] = "Atlantis"
    request = smoke_request(frame, contract, rows=3)
    zones = [r["pickup_zone"] for r in request["data"]]
    assert zones == frame.loc[[1, 3, 4], "pickup_zone"].tolist()
    frame["pickup_zone"] = "Atlantis"
    assert smoke_request(frame, contract) is None


def test_own_dataset_trains_with_onnx_parity(loan_trained):
    """Bools, gaps in nullable columns and classes listed out of alphabetical order: the ONNX model agrees
    with sklearn, and the metrics are those of a model that saw every feature."""
    assert loan_trained.exit_codes == {"prep": 0, "train": 0, "evaluate": 0}
    metrics = json.loads((loan_trained.bundle / "metrics.json").read_text())
    assert metrics["onnx_max_abs_diff"] < 1e-4
    assert metrics["metrics"]["accuracy"] > 0.85
    assert metrics["metrics"]["f1_macro"] > 0.8
    assert metrics["metrics"]["log_loss"] < 0.5
