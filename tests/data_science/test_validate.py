import json

import pandas as pd
import pytest
from datascience.features import as_read
from datascience.generate import generate
from datascience.validate import failure_message, main, render_html, run_validation, summarise

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
            {
                "column": "zone",
                "expectation": "expect_column_values_to_be_in_set",
                "unexpected_count": 3,
                "message": "column 'zone' has 3 row(s) with a category the contract does not list",
            }
        ],
    }
    assert "  column 'zone' has 3 row(s) with a category the contract does not list" in summarise(report)
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
    assert "column 'pickup_zone' has 2 row(s) with a category the contract does not list" in err
    assert "column 'passenger_count' has 2 row(s) outside the contract range: must be between 1 and 6" in err
    assert "expect_column_values_to_be_in_set" in (report_dir / "data_docs" / "index.html").read_text()


@pytest.mark.slow
def test_missing_column_and_iris(tmp_path, iris_contract):
    frame = pd.read_csv(IRIS_DATA).drop(columns="petal_width")
    report = run_validation(frame, iris_contract)
    assert [(f["column"], f["expectation"]) for f in report["failures"]] == [
        ("petal_width", "expect_column_to_exist")
    ]
    renamed = pd.read_csv(IRIS_DATA).rename(columns={"petal_width": "petal_w"})
    assert [f["message"] for f in run_validation(renamed, iris_contract)["failures"]] == [
        "column 'petal_width' is missing; the data has a column 'petal_w' the contract does not know"
    ]
    assert main(["--contract", str(IRIS_CONTRACT), "--data", str(IRIS_DATA), "--report", str(tmp_path)]) == 0
    assert (
        main(["--contract", str(IRIS_CONTRACT), "--data", str(tmp_path / "none.csv"), "--report", "x"]) == 2
    )


def _failed(expectation, column, count=None, examples=()):
    return {
        "expectation": expectation,
        "column": column,
        "unexpected_count": count,
        "partial_unexpected_list": list(examples),
    }


@pytest.mark.parametrize(
    ("result", "unknown", "message"),
    [
        (
            _failed("expect_column_to_exist", "trip_distance"),
            ["trip_km"],
            "column 'trip_distance' is missing; the data has a column 'trip_km' the contract does not know",
        ),
        (_failed("expect_column_to_exist", "trip_distance"), [], "column 'trip_distance' is missing"),
        (_failed("expect_table_row_count_to_be_between", None), [], "the data has no rows"),
        (
            _failed("expect_column_values_to_not_be_null", "trip_distance", 2),
            [],
            "column 'trip_distance' has 2 row(s) with no value, and the contract says it is not nullable",
        ),
        (
            _failed("expect_column_values_to_be_in_type_list", "trip_distance", 1, ["oops"]),
            [],
            "column 'trip_distance' has 1 row(s) that are not of the contract type float (e.g. 'oops')",
        ),
        (
            _failed("expect_column_values_to_be_between", "passenger_count", 2, [9.0, 12.0]),
            [],
            "column 'passenger_count' has 2 row(s) outside the contract range: must be between 1 and 6 "
            "(e.g. 9, 12)",
        ),
        (
            _failed("expect_column_values_to_be_in_set", "vendor", 1, ["XYZ"]),
            [],
            "column 'vendor' has 1 row(s) with a category the contract does not list (CMT, VTS, DDS) "
            "(e.g. 'XYZ')",
        ),
    ],
)
def test_every_generated_expectation_has_a_plain_message(contract, result, unknown, message):
    assert failure_message(result, contract, unknown) == message
