import json

import pandas as pd
import pytest
from datascience.features import as_read
from datascience.generate import generate
from datascience.validate import main, render_html, run_validation, summarise

from .conftest import CONTRACT, IRIS_CONTRACT, IRIS_DATA


def test_as_read_keeps_only_unreadable_values_as_text(contract):
    frame = pd.DataFrame(
        {"trip_distance": ["1.5", "oops", None], "pickup_datetime": ["2024-01-01 10:00", "nope", None]}
    )
    view = as_read(frame, contract)
    assert view["trip_distance"].tolist()[:2] == [1.5, "oops"]
    assert isinstance(view["pickup_datetime"][0], pd.Timestamp)
    assert view["pickup_datetime"][1] == "nope"


def test_summary_and_html_name_columns_and_counts():
    report = {
        "success": False,
        "contract": "c",
        "row_count": 10,
        "statistics": {"evaluated": 2, "failed": 1},
        "results": [
            {
                "suite": "values",
                "column": "zone",
                "expectation": "expect_column_values_to_be_in_set",
                "kwargs": {},
                "success": False,
                "unexpected_count": 3,
                "partial_unexpected_list": ["<Mars>"],
            },
            {
                "suite": "schema",
                "column": "zone",
                "expectation": "expect_column_to_exist",
                "kwargs": {},
                "success": True,
                "unexpected_count": None,
                "partial_unexpected_list": [],
            },
        ],
        "failures": [
            {"column": "zone", "expectation": "expect_column_values_to_be_in_set", "unexpected_count": 3}
        ],
    }
    assert "zone: expect_column_values_to_be_in_set: 3 unexpected value(s)" in summarise(report)
    page = render_html(report)
    assert "FAILED" in page
    assert "&lt;Mars&gt;" in page
    assert "<Mars>" not in page


@pytest.mark.slow
def test_clean_data_passes(tmp_path, taxi_data, contract):
    report = run_validation(pd.read_parquet(taxi_data), contract)
    assert report["success"], report["failures"]
    expectations = {(r["column"], r["expectation"]) for r in report["results"]}
    assert ("trip_distance", "expect_column_values_to_be_between") in expectations
    assert ("pickup_zone", "expect_column_values_to_be_in_set") in expectations
    assert ("passenger_count", "expect_column_values_to_not_be_null") not in expectations  # nullable


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_bad_rows_fail_naming_columns_and_counts(tmp_path, contract, capsys, suffix):
    data = tmp_path / f"bad{suffix}"
    generate(contract, data, rows=1_000, seed=9, bad_rows=8)
    report_dir = tmp_path / "report"
    assert main(["--contract", str(CONTRACT), "--data", str(data), "--report", str(report_dir)]) == 1
    result = json.loads((report_dir / "result.json").read_text())
    failures = {(f["column"], f["expectation"]): f["unexpected_count"] for f in result["failures"]}
    assert failures == {
        ("trip_distance", "expect_column_values_to_be_in_type_list"): 2,
        ("trip_distance", "expect_column_values_to_not_be_null"): 2,
        ("passenger_count", "expect_column_values_to_be_between"): 2,
        ("pickup_zone", "expect_column_values_to_be_in_set"): 2,
    }
    err = capsys.readouterr().err
    assert "pickup_zone: expect_column_values_to_be_in_set: 2 unexpected value(s)" in err
    assert "expect_column_values_to_be_in_set" in (report_dir / "data_docs" / "index.html").read_text()


@pytest.mark.slow
def test_missing_column_and_iris(tmp_path, iris_contract):
    frame = pd.read_csv(IRIS_DATA).drop(columns="petal_width")
    report = run_validation(frame, iris_contract)
    assert [(f["column"], f["expectation"]) for f in report["failures"]] == [
        ("petal_width", "expect_column_to_exist")
    ]
    assert main(["--contract", str(IRIS_CONTRACT), "--data", str(IRIS_DATA), "--report", str(tmp_path)]) == 0
    assert (
        main(["--contract", str(IRIS_CONTRACT), "--data", str(tmp_path / "none.csv"), "--report", "x"]) == 2
    )
