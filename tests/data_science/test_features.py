import math

import numpy as np
import pandas as pd
from datascience.contract import parse_contract
from datascience.features import model_frame, request_records, typed_frame
from datascience.prep import prepare

CONTRACT = parse_contract(
    {
        "name": "small",
        "task": "classification",
        "target": "label",
        "columns": [
            {"name": "key", "type": "string", "role": "id"},
            {"name": "at", "type": "datetime", "role": "timestamp", "derive": ["month"]},
            {"name": "count", "type": "int", "nullable": True},
            {"name": "ratio", "type": "float"},
            {"name": "flag", "type": "bool"},
            {"name": "kind", "type": "category", "categories": ["a", "b"], "nullable": True},
            {"name": "label", "type": "category", "categories": ["yes", "no"]},
        ],
    }
)
RAW = pd.DataFrame(
    {
        "key": ["k1", "k2"],
        "at": pd.to_datetime(["2024-03-01 08:30:00", "2024-04-02 17:00:05"]),
        "count": pd.array([3, None], dtype="Int64"),
        "ratio": [0.5, 2.0],
        "flag": [True, False],
        "kind": ["a", None],
        "label": ["yes", "no"],
    }
)


def test_bools_survive_a_second_coercion():
    """prep writes bool columns as 1.0/0.0; train and evaluate coerce those again (a bool feature was all NaN
    in training, and the ONNX model disagreed with sklearn)."""
    once = typed_frame(RAW, CONTRACT)
    assert once["flag"].tolist() == [1.0, 0.0]
    assert typed_frame(once, CONTRACT)["flag"].tolist() == [1.0, 0.0]
    assert model_frame(prepare(RAW, CONTRACT), CONTRACT)["flag"].tolist() == [1.0, 0.0]


def test_request_records_are_json_values_of_the_input_columns():
    expected = [
        {"at": "2024-03-01T08:30:00", "count": 3, "ratio": 0.5, "flag": True, "kind": "a"},
        {"at": "2024-04-02T17:00:05", "count": None, "ratio": 2.0, "flag": False, "kind": None},
    ]
    assert request_records(RAW, CONTRACT) == expected
    assert request_records(prepare(RAW, CONTRACT), CONTRACT) == expected  # typed: ints as floats, bools 1.0


def test_request_records_keep_types_exact():
    records = request_records(RAW, CONTRACT)
    assert type(records[0]["count"]) is int
    assert type(records[0]["flag"]) is bool
    assert not any(isinstance(v, float) and math.isnan(v) for r in records for v in r.values())
    assert not any(isinstance(v, np.generic) for r in records for v in r.values())
