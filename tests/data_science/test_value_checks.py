"""The column-wise checker (fast paths) says exactly what `value_problem` says, for every column type."""

import math

import numpy as np
import pandas as pd
import pytest
from datascience.features import record_problems, value_checker, value_problem
from datascience.strict_json import BadNumber

VALUES = [
    None,
    math.nan,
    0,
    1,
    6,
    7,
    -1,
    1.5,
    2.0,
    0.05,
    150.0,
    150.5,
    1e39,
    math.inf,
    -math.inf,
    10**400,
    True,
    False,
    np.float64(3.2),
    np.int64(3),
    "SoHo",
    "Atlantis",
    "",
    "6",
    "2024-03-06T18:05:20",
    "2024-03-06",
    "2024-03-06T18:05:20+02:00",
    "2023-12-31T23:59:59",
    "2026-01-01T00:00:00",
    "2024-02-30T10:00:00",
    "2024-W10-3",
    pd.Timestamp("2024-05-01 10:00"),
    [1],
    {"a": 1},
    BadNumber("1e309", "overflows a 64-bit float"),
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_checker_agrees_with_value_problem(contract, iris_contract, value):
    for column in (*contract.columns, *iris_contract.columns):
        assert value_checker(column)(value) == value_problem(value, column), column.name


def test_problems_come_out_by_row_then_unknown_fields_then_contract_order(contract):
    good = {
        "pickup_datetime": "2024-03-06T18:05:20",
        "trip_distance": 6.08,
        "passenger_count": 1,
        "pickup_zone": "SoHo",
        "dropoff_zone": "SoHo",
        "vendor": "VTS",
        "payment_type": "card",
    }
    records = [
        {**good, "vendor": "X", "colour": "red", "trip_distance": -1},
        "not a record",
        good,
        {k: v for k, v in good.items() if k != "pickup_zone"},
    ]
    found = [(p.row, p.field) for p in record_problems(records, contract)]
    assert found == [(0, "colour"), (0, "trip_distance"), (0, "vendor"), (1, ""), (3, "pickup_zone")]


def one_at_a_time(records, contract):
    """The reference: each record checked alone (a request this small takes the per-value path)."""
    return [
        (row, problem.field, problem.message)
        for row, record in enumerate(records)
        for problem in record_problems([record], contract)
    ]


@pytest.mark.parametrize("bad", [None, *VALUES], ids=repr)
def test_a_large_request_gets_the_problems_of_its_records_checked_one_at_a_time(contract, bad):
    """Column-wise fast paths decide large requests; one odd value anywhere gives the per-value verdicts."""
    from datascience.features import request_records

    from .conftest import SAMPLE

    records = request_records(pd.read_parquet(SAMPLE).head(300), contract)
    if bad is not None:
        for row, name in ((7, "pickup_datetime"), (150, "trip_distance"), (151, "passenger_count")):
            records[row] = {**records[row], name: bad}
        records[299] = {**records[299], "pickup_zone": bad, "vendor": bad}
    found = [(p.row, p.field, p.message) for p in record_problems(records, contract)]
    assert found == one_at_a_time(records, contract)


def test_large_requests_with_nulls_offsets_and_missing_fields(contract):
    from datascience.features import request_records

    from .conftest import SAMPLE

    records = request_records(pd.read_parquet(SAMPLE).head(200), contract)
    records[3] = {**records[3], "pickup_datetime": "2024-03-06T18:05:20+02:00"}
    records[4] = {**records[4], "pickup_datetime": "2024-03-06 18:05"}
    records[5] = {k: v for k, v in records[5].items() if k != "vendor"}
    records[6] = {**records[6], "passenger_count": None}  # nullable
    records[7] = {**records[7], "trip_distance": None}  # not nullable
    records[8] = {**records[8], "pickup_datetime": "2024-01-01T23:59:60"}
    found = [(p.row, p.field, p.message) for p in record_problems(records, contract)]
    assert found == one_at_a_time(records, contract)
    assert [row for row, *_ in found] == [5, 7, 8]
