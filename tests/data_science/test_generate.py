import numpy as np
import pandas as pd
import pytest
from datascience.generate import (
    UNKNOWN_CATEGORY,
    WRONG_TYPE_VALUE,
    category_weights,
    generate,
    generate_chunk,
    inject_bad_rows,
    main,
)

from .conftest import CONTRACT, SAMPLE


def test_chunks_are_deterministic_per_seed(contract):
    first = generate_chunk(contract, rows=500, rng=np.random.default_rng(5))
    again = generate_chunk(contract, rows=500, rng=np.random.default_rng(5))
    other = generate_chunk(contract, rows=500, rng=np.random.default_rng(6))
    pd.testing.assert_frame_equal(first, again)
    assert not first["fare_amount"].equals(other["fare_amount"])


def test_values_follow_the_contract(contract):
    frame = generate_chunk(contract, rows=3_000, rng=np.random.default_rng(1))
    assert list(frame.columns) == list(contract.names)
    assert frame["trip_id"].is_unique
    for column in contract.columns:
        values = frame[column.name].dropna()
        if column.categories:
            assert set(values) <= set(column.categories)
            assert len(set(values)) == len(column.categories)  # every category occurs in 3000 rows
        elif column.type in ("float", "int"):
            assert values.min() >= column.min
            assert values.max() <= column.max
    assert frame["passenger_count"].isna().any()  # nullable in the contract, so sometimes missing
    assert not frame.drop(columns="passenger_count").isna().any().any()


def test_fare_grows_with_distance(contract):
    frame = generate_chunk(contract, rows=5_000, rng=np.random.default_rng(2))
    assert np.corrcoef(frame["trip_distance"], frame["fare_amount"])[0, 1] > 0.8


def test_drift_shifts_distances_zones_and_hours(contract):
    base = generate_chunk(contract, rows=5_000, rng=np.random.default_rng(3))
    moved = generate_chunk(contract, rows=5_000, rng=np.random.default_rng(3), drift=1.0)
    assert moved["trip_distance"].median() > 1.5 * base["trip_distance"].median()
    zones = contract.column("pickup_zone").categories
    assert (moved["pickup_zone"] == zones[-1]).mean() > (base["pickup_zone"] == zones[-1]).mean() + 0.1
    assert not (moved["pickup_datetime"].dt.hour == base["pickup_datetime"].dt.hour).all()
    assert category_weights(zones, 0.0)[0] > category_weights(zones, 0.0)[-1]


@pytest.mark.parametrize("csv", [True, False])
def test_bad_rows_cycle_through_defects(contract, csv):
    frame = generate_chunk(contract, rows=1_000, rng=np.random.default_rng(4))
    broken, defects = inject_bad_rows(frame, contract, count=8, rng=np.random.default_rng(4), csv=csv)
    kinds = [d.kind for d in defects]
    assert kinds == ["null", "out_of_range", "unknown_category", "wrong_type"] * 2
    assert len({d.row for d in defects}) == 8
    for defect in defects:
        value = broken.loc[defect.row, defect.column]
        if defect.kind == "null":
            assert value is None or pd.isna(value)
        elif defect.kind == "out_of_range":
            assert float(value) > contract.column(defect.column).max
        elif defect.kind == "unknown_category":
            assert value == UNKNOWN_CATEGORY
        else:
            assert value == WRONG_TYPE_VALUE
    wrong = next(d.column for d in defects if d.kind == "wrong_type")
    typed = broken[wrong].dropna().map(type).unique().tolist()
    assert typed == [str] if not csv else str in typed and float in typed


def test_generate_writes_csv_in_chunks(tmp_path, contract):
    path = tmp_path / "trips.csv"
    generate(contract, path, rows=2_500, seed=1, chunk_rows=1_000)
    frame = pd.read_csv(path)
    assert len(frame) == 2_500
    assert frame["trip_id"].is_unique
    again = tmp_path / "again.csv"
    generate(contract, again, rows=2_500, seed=1, chunk_rows=1_000)
    assert path.read_bytes() == again.read_bytes()


def test_parquet_with_wrong_type_stores_the_column_as_text(tmp_path, contract):
    path = tmp_path / "bad.parquet"
    defects = generate(contract, path, rows=2_000, seed=1, bad_rows=4, chunk_rows=1_000)
    frame = pd.read_parquet(path)
    wrong = next(d.column for d in defects if d.kind == "wrong_type")
    assert len(frame) == 2_000
    assert pd.api.types.is_string_dtype(frame[wrong])
    assert (frame[wrong] == WRONG_TYPE_VALUE).sum() == 1


def test_main(tmp_path, capsys):
    out = tmp_path / "d.parquet"
    assert main(["--contract", str(CONTRACT), "--output", str(out), "--rows", "1000", "--bad-rows", "2"]) == 0
    assert len(pd.read_parquet(out)) == 1_000
    assert "broken row" in capsys.readouterr().err
    assert main(["--contract", str(CONTRACT), "--output", str(out), "--rows", "10"]) == 2
    assert main(["--contract", str(CONTRACT), "--output", str(tmp_path / "d.json")]) == 2


def test_committed_sample_is_small_and_clean(contract):
    assert SAMPLE.stat().st_size <= 2 * 1024 * 1024
    frame = pd.read_parquet(SAMPLE)
    assert len(frame) == 20_000
    assert list(frame.columns) == list(contract.names)
    assert set(frame["pickup_zone"]) <= set(contract.column("pickup_zone").categories)
