import json

import numpy as np
import pandas as pd
import pytest
from datascience.drift import categorical_drift, compare, main, numeric_drift, psi
from datascience.generate import generate_chunk

from .conftest import CONTRACT


def test_psi_is_zero_for_equal_and_grows_with_shift():
    assert psi(np.array([10, 20, 30]), np.array([1, 2, 3])) == pytest.approx(0.0)
    small = psi(np.array([50, 50]), np.array([55, 45]))
    large = psi(np.array([50, 50]), np.array([90, 10]))
    assert 0 < small < 0.05 < large


def test_numeric_drift_detects_a_shift():
    rng = np.random.default_rng(0)
    reference = rng.normal(0, 1, 5_000)
    assert numeric_drift(reference, rng.normal(0, 1, 5_000))["psi"] < 0.05
    moved = numeric_drift(reference, rng.normal(1, 1, 5_000))
    assert moved["psi"] > 0.2
    assert moved["ks"] > 0.3


def test_categorical_drift_counts_unknown_values():
    reference = pd.Series(["a"] * 50 + ["b"] * 50)
    assert categorical_drift(reference, reference, ["a", "b"])["psi"] == pytest.approx(0.0)
    assert categorical_drift(reference, pd.Series(["zzz"] * 100), ["a", "b"])["psi"] > 1


def test_compare_flags_drifted_features(contract):
    reference = generate_chunk(contract, rows=4_000, rng=np.random.default_rng(1))
    same = generate_chunk(contract, rows=4_000, rng=np.random.default_rng(2))
    moved = generate_chunk(contract, rows=4_000, rng=np.random.default_rng(2), drift=0.8)
    assert not compare(reference, same, contract, threshold=0.2)["drifted"]
    report = compare(reference, moved, contract, threshold=0.2)
    assert report["drifted"]
    assert {"trip_distance", "pickup_zone", "pickup_datetime_hour"} <= set(report["drifted_features"])
    assert set(report["features"]) == {m.name for m in contract.model_inputs}
    assert report["features"]["trip_distance"]["ks"] > 0.1


def test_main(tmp_path, contract):
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    generate_chunk(contract, rows=2_000, rng=np.random.default_rng(1)).to_parquet(ref)
    generate_chunk(contract, rows=2_000, rng=np.random.default_rng(2), drift=1.0).to_parquet(cur)
    args = [
        "--contract",
        str(CONTRACT),
        "--reference",
        str(ref),
        "--current",
        str(cur),
        "--output",
        str(tmp_path),
    ]
    assert main(args) == 0
    assert json.loads((tmp_path / "drift.json").read_text())["drifted"] is True
    assert main([*args, "--fail-on-drift"]) == 1
    assert main([*args[:-2], "--output", str(tmp_path), "--current", str(ref), "--fail-on-drift"]) == 0
