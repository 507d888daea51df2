"""The column-wise table checks give the per-record checks' verdict and message for every row."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from datascience.contract import load_contract
from datascience.features import as_read, record_problems
from datascience.frame_checks import row_errors
from datascience.generate import generate

from .conftest import CONTRACT, IRIS_CONTRACT, SAMPLE


def per_record(frame: pd.DataFrame, contract) -> list[str | None]:
    """The reference: one dict per row through `record_problems`, the first problem of each row."""
    errors: list[str | None] = [None] * len(frame)
    for problem in record_problems(as_read(frame, contract).to_dict(orient="records"), contract):
        if errors[problem.row] is None:
            errors[problem.row] = f"{problem.field}: {problem.message}"
    return errors


def assert_same(frame: pd.DataFrame, contract) -> list[str | None]:
    expected = per_record(frame, contract)
    assert row_errors(frame, contract).tolist() == expected
    return expected


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("path", [CONTRACT, IRIS_CONTRACT], ids=["taxi", "iris"])
def test_generated_defects_match_the_per_record_checks(path, suffix, tmp_path):
    contract = load_contract(path)
    data = tmp_path / f"data{suffix}"
    defects = generate(contract, data, rows=2_000, seed=11, bad_rows=40)
    frame = pd.read_csv(data) if suffix == ".csv" else pd.read_parquet(data)
    expected = assert_same(frame, contract)
    assert sorted(i for i, e in enumerate(expected) if e) == sorted(d.row for d in defects)


def taxi_frame() -> pd.DataFrame:
    return pd.read_parquet(SAMPLE).head(12).reset_index(drop=True)


def test_every_kind_of_bad_value_in_typed_columns():
    contract = load_contract(CONTRACT)
    frame = taxi_frame()
    frame["trip_distance"] = frame["trip_distance"].astype("float64")
    frame.loc[0, "trip_distance"] = math.inf
    frame.loc[1, "trip_distance"] = math.nan  # not nullable
    frame.loc[2, "trip_distance"] = 1e39  # beyond float32
    frame.loc[3, "trip_distance"] = 0.05  # below the minimum
    frame["passenger_count"] = frame["passenger_count"].astype("float64")
    frame.loc[4, "passenger_count"] = 2.5  # an int column
    frame.loc[5, "passenger_count"] = math.nan  # nullable: fine
    frame.loc[6, "passenger_count"] = 7.0  # above the maximum
    frame.loc[7, "pickup_zone"] = "Atlantis"
    frame.loc[8, "vendor"] = None
    frame.loc[9, "pickup_datetime"] = pd.Timestamp("2030-01-01 10:00")
    frame.loc[10, "pickup_datetime"] = pd.NaT
    frame.loc[11, "trip_distance"] = -math.inf
    expected = assert_same(frame, contract)
    assert expected[5] is None
    assert all(expected[i] for i in range(12) if i != 5)
    assert expected[6] == "passenger_count: 7 is above the maximum 6"


def test_text_columns_as_a_csv_with_bad_cells_reads_them():
    contract = load_contract(CONTRACT)
    frame = taxi_frame().astype(object)
    frame["pickup_datetime"] = [f"2024-03-0{i % 9 + 1}T1{i % 10}:15:00" for i in range(12)]
    frame.loc[0, "pickup_datetime"] = "not a date"
    frame.loc[1, "pickup_datetime"] = "2024-05-01"  # date only: a table's reader accepts it
    frame.loc[2, "pickup_datetime"] = "2024-05-01T10:00:00+05:00"
    frame.loc[3, "trip_distance"] = "twelve"
    frame.loc[4, "trip_distance"] = "3.5"  # reads as a number
    frame.loc[5, "passenger_count"] = True
    frame.loc[6, "vendor"] = 3
    frame.loc[7, "payment_type"] = ["card"]
    assert_same(frame, contract)


def test_mixed_utc_offsets_keep_each_rows_wall_time():
    contract = load_contract(CONTRACT)
    frame = taxi_frame()
    stamps = ["2024-02-01T08:00:00+01:00", "2024-02-01T08:00:00-05:00", "2026-02-01T08:00:00+00:00"]
    frame = frame.head(3).assign(pickup_datetime=stamps)
    expected = assert_same(frame, contract)
    assert [bool(e) for e in expected] == [False, False, True]


def test_unknown_and_missing_columns_reject_every_row():
    contract = load_contract(CONTRACT)
    assert_same(taxi_frame().assign(extra=1), contract)
    missing = assert_same(taxi_frame().drop(columns=["vendor"]), contract)
    assert set(missing) == {"vendor: required field is missing"}


def test_nullable_extension_dtypes_and_booleans(tmp_path):
    contract = load_contract(CONTRACT)
    frame = taxi_frame()
    frame["passenger_count"] = pd.array([1, None, 3, 9, 2, 2, 1, 1, 1, 1, 1, 1], dtype="Int64")
    frame["trip_distance"] = frame["trip_distance"].astype(bool)  # booleans are not numbers
    assert_same(frame, contract)


def test_a_table_of_no_rows():
    contract = load_contract(CONTRACT)
    assert row_errors(taxi_frame().head(0), contract).tolist() == []


def test_bool_and_string_columns_of_an_own_contract(tmp_path):
    path = tmp_path / "contract.yml"
    path.write_text(
        "name: own\ntask: regression\ntarget: y\ncolumns:\n"
        "  - {name: flag, type: bool}\n  - {name: note, type: string, nullable: true}\n"
        "  - {name: label, type: string}\n  - {name: y, type: float}\n"
    )
    contract = load_contract(path)
    frame = pd.DataFrame(
        {
            "flag": np.array([True, False, True, False]),
            "note": pd.array(["a", None, "c", "d"], dtype="str"),
            "label": pd.array(["x", "y", None, "z"], dtype="str"),
            "y": [1.0, 2.0, 3.0, 4.0],
        }
    )
    assert assert_same(frame, contract) == [None, None, "label: must not be null", None]
    assert_same(frame.astype(object).assign(flag=["yes", True, 1, None]), contract)
