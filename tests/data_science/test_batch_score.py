from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from datascience import batch_score
from datascience.bundle import OnnxModel
from datascience.chunked import score_frame
from datascience.generate import generate


def test_bad_rows_are_reported_not_scored(taxi_trained, contract, tmp_path):
    data = tmp_path / "bad.csv"
    defects = generate(contract, data, rows=1_000, seed=5, bad_rows=4)
    model = OnnxModel.from_bundle(taxi_trained.bundle)
    out = score_frame(model, pd.read_csv(data), source="bad.csv")
    assert list(out.columns) == ["source_file", "trip_id", "prediction", "error"]
    assert len(out) == 1_000
    bad = sorted(d.row for d in defects)
    assert sorted(np.flatnonzero(out["error"].notna())) == bad
    assert out.loc[bad, "prediction"].isna().all()
    assert out.drop(index=bad)["prediction"].notna().all()
    assert any("pickup_zone" in e for e in out.loc[bad, "error"])


def test_init_and_run_follow_the_batch_contract(taxi_trained, tmp_path, monkeypatch):
    frame = pd.read_parquet(taxi_trained.data).head(50)
    files = [tmp_path / "a.parquet", tmp_path / "b.csv"]
    frame.head(20).to_parquet(files[0])
    frame.tail(30).to_csv(files[1], index=False)
    output = tmp_path / "out"
    output.mkdir()
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(taxi_trained.bundle))
    monkeypatch.setenv("AZUREML_BI_OUTPUT_PATH", str(output))
    batch_score.init()
    assert batch_score.run([str(f) for f in files]) == ["a.parquet", "b.csv"]
    monkeypatch.setattr(batch_score, "_model", None)
    written = list(output.iterdir())
    assert len(written) == 1
    assert written[0].name.startswith("predictions-")
    out = pd.read_csv(written[0])
    assert out["source_file"].value_counts().to_dict() == {"b.csv": 30, "a.parquet": 20}
    assert out["trip_id"].tolist() == frame["trip_id"].tolist()
    assert out["error"].isna().all()


def test_classification_columns(iris_trained):
    model = OnnxModel.from_bundle(iris_trained.bundle)
    out = score_frame(model, pd.read_csv(iris_trained.data).head(5))
    assert out["source_row"].tolist() == [0, 1, 2, 3, 4]  # no id column in this contract: the row number
    assert [c for c in out.columns if c.startswith("probability_")] == [
        "probability_setosa",
        "probability_versicolor",
        "probability_virginica",
    ]
    assert (out["prediction"] == "setosa").all()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_main_scores_a_folder(taxi_trained, tmp_path, fmt):
    inputs = tmp_path / "in"
    inputs.mkdir()
    frame = pd.read_parquet(taxi_trained.data).head(30)
    for i in range(3):
        frame.iloc[i * 10 : (i + 1) * 10].to_parquet(inputs / f"part-{i}.parquet")
    out = tmp_path / "out"
    args = ["--model", str(taxi_trained.bundle), "--input", str(inputs), "--output", str(out)]
    assert batch_score.main([*args, "--format", fmt]) == 0
    target = out / f"predictions.{fmt}"
    result = pd.read_parquet(target) if fmt == "parquet" else pd.read_csv(target)
    assert result["trip_id"].tolist() == frame["trip_id"].tolist()
    assert batch_score.main([*args, "--chunk-rows", "0"]) == 2
    assert batch_score.main([*args, "--workers", "0"]) == 2


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_chunks_and_workers_change_nothing_in_the_output(iris_trained, contract, tmp_path, fmt):
    """Small chunks in two processes give the rows, keys and errors of one chunk in this process."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    frame = pd.read_csv(iris_trained.data)
    frame.head(40).to_parquet(inputs / "a.parquet")
    tail = frame.iloc[40:].reset_index(drop=True).astype({"sepal_length": object})
    tail.loc[[3, 17, 30], "sepal_length"] = "wide"  # bad cells in three of the csv's chunks only
    tail.to_csv(inputs / "b.csv", index=False)
    model = ["--model", str(iris_trained.bundle), "--input", str(inputs), "--format", fmt]
    assert batch_score.main([*model, "--output", str(tmp_path / "one"), "--workers", "1"]) == 0
    argv = [*model, "--output", str(tmp_path / "two"), "--workers", "2", "--chunk-rows", "7"]
    assert batch_score.main(argv) == 0
    read = pd.read_parquet if fmt == "parquet" else pd.read_csv
    one, two = (read(tmp_path / side / f"predictions.{fmt}") for side in ("one", "two"))
    pd.testing.assert_frame_equal(one, two)
    assert len(two) == len(frame)
    assert two["source_row"].tolist() == [*range(40), *range(len(frame) - 40)]
    rejected = two[two["error"].notna()]
    assert rejected["source_row"].tolist() == [3, 17, 30]
    assert set(rejected["source_file"]) == {"b.csv"}
    assert rejected["error"].str.startswith("sepal_length: expected a number").all()


def test_a_run_that_dies_half_way_leaves_no_predictions(taxi_trained, tmp_path, capsys):
    inputs = tmp_path / "in"
    inputs.mkdir()
    pd.read_parquet(taxi_trained.data).head(30).to_parquet(inputs / "a.parquet")
    (inputs / "b.parquet").write_bytes(b"PAR1 this is not a parquet file")
    out = tmp_path / "out"
    argv = ["--model", str(taxi_trained.bundle), "--input", str(inputs), "--output", str(out)]
    assert batch_score.main([*argv, "--chunk-rows", "10", "--workers", "1"]) == 1
    assert "b.parquet" in capsys.readouterr().err
    assert list(out.iterdir()) == []


def test_the_scoring_script_loads_from_its_path_as_azure_ml_loads_it(taxi_trained, tmp_path, monkeypatch):
    """Azure ML imports the deployment's scoring_script from its file, not as datascience.batch_score."""
    import importlib.util

    import datascience

    path = Path(datascience.__file__).parent / "batch_score.py"
    spec = importlib.util.spec_from_file_location("azureml_scoring_script", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # not registered in sys.modules, as the platform's driver does
    data = tmp_path / "a.parquet"
    pd.read_parquet(taxi_trained.data).head(5).to_parquet(data)
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(taxi_trained.bundle))
    monkeypatch.setenv("AZUREML_BI_OUTPUT_PATH", str(tmp_path))
    module.init()
    assert module.run([str(data)]) == ["a.parquet"]
    assert len(pd.read_csv(next(tmp_path.glob("predictions-*.csv")))) == 5
