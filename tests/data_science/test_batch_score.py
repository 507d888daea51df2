import numpy as np
import pandas as pd
import pytest
from datascience import batch_score
from datascience.bundle import OnnxModel
from datascience.generate import generate


def test_bad_rows_are_reported_not_scored(taxi_trained, contract, tmp_path):
    data = tmp_path / "bad.csv"
    defects = generate(contract, data, rows=1_000, seed=5, bad_rows=4)
    model = OnnxModel.from_bundle(taxi_trained.bundle)
    out = batch_score.score_frame(model, pd.read_csv(data), source="bad.csv")
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
    out = batch_score.score_frame(model, pd.read_csv(iris_trained.data).head(5))
    assert out["source_row"].tolist() == [0, 1, 2, 3, 4]  # no id column in this contract: the row number
    assert [c for c in out.columns if c.startswith("probability_")] == [
        "probability_setosa",
        "probability_versicolor",
        "probability_virginica",
    ]
    assert (out["prediction"] == "setosa").all()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_main_scores_a_folder_in_mini_batches(taxi_trained, tmp_path, fmt):
    inputs = tmp_path / "in"
    inputs.mkdir()
    frame = pd.read_parquet(taxi_trained.data).head(30)
    for i in range(3):
        frame.iloc[i * 10 : (i + 1) * 10].to_parquet(inputs / f"part-{i}.parquet")
    out = tmp_path / "out"
    args = ["--model", str(taxi_trained.bundle), "--input", str(inputs), "--output", str(out)]
    assert batch_score.main([*args, "--mini-batch-size", "2", "--format", fmt]) == 0
    target = out / f"predictions.{fmt}"
    result = pd.read_parquet(target) if fmt == "parquet" else pd.read_csv(target)
    assert result["trip_id"].tolist() == frame["trip_id"].tolist()
    assert batch_score.main([*args, "--mini-batch-size", "0"]) == 2
