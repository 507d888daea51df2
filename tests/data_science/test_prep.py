import json

import pandas as pd
import pytest
from datascience.prep import check_validation_report, main, prepare, split

from .conftest import IRIS_CONTRACT, IRIS_DATA


def test_split_is_seeded_disjoint_and_sized():
    frame = pd.DataFrame({"x": range(1_000)})
    first = split(frame, validation_ratio=0.2, test_ratio=0.1, seed=7)
    again = split(frame, validation_ratio=0.2, test_ratio=0.1, seed=7)
    other = split(frame, validation_ratio=0.2, test_ratio=0.1, seed=8)
    assert (len(first.train), len(first.validation), len(first.test)) == (700, 200, 100)
    assert first.test["x"].tolist() == again.test["x"].tolist() != other.test["x"].tolist()
    ids = [set(part["x"]) for part in (first.train, first.validation, first.test)]
    assert not (ids[0] & ids[1])
    assert not (ids[0] & ids[2])
    assert not (ids[1] & ids[2])
    assert set.union(*ids) == set(range(1_000))


def test_split_rejects_bad_ratios():
    with pytest.raises(ValueError, match="sum to less than 1"):
        split(pd.DataFrame({"x": range(10)}), validation_ratio=0.5, test_ratio=0.5, seed=1)


def test_classification_split_is_stratified(iris_contract):
    frame = prepare(pd.read_csv(IRIS_DATA), iris_contract)
    parts = split(frame, validation_ratio=0.2, test_ratio=0.2, seed=1, stratify=frame["species"])
    assert parts.test["species"].value_counts().tolist() == [10, 10, 10]


def test_prepare_keeps_contract_columns_and_drops_missing_targets(contract, taxi_data):
    frame = pd.read_parquet(taxi_data).head(10)
    frame["extra"] = 1
    frame.loc[0, "fare_amount"] = None
    prepared = prepare(frame, contract)
    assert list(prepared.columns) == list(contract.names)
    assert len(prepared) == 9
    with pytest.raises(ValueError, match="lacks contract column"):
        prepare(frame.drop(columns="vendor"), contract)


def test_failed_validation_report_is_refused(tmp_path):
    (tmp_path / "result.json").write_text(json.dumps({"success": False, "failures": [{"column": "vendor"}]}))
    with pytest.raises(ValueError, match="validation failed for column"):
        check_validation_report(tmp_path)


def test_main(tmp_path, capsys):
    report = tmp_path / "report"
    report.mkdir()
    (report / "result.json").write_text(json.dumps({"success": True, "failures": []}))
    out = tmp_path / "prepared"
    args = ["--contract", str(IRIS_CONTRACT), "--data", str(IRIS_DATA), "--output", str(out), "--seed", "2"]
    assert main([*args, "--validation-report", str(report)]) == 0
    assert sum(len(pd.read_parquet(out / f"{n}.parquet")) for n in ("train", "validation", "test")) == 150
    (report / "result.json").write_text(json.dumps({"success": False, "failures": [{"column": "species"}]}))
    assert main([*args, "--validation-report", str(report)]) == 1
    assert "species" in capsys.readouterr().err
