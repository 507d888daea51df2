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
