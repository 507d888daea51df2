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


def _collect(folder, frame, when):
    """`frame` as Azure ML's data collector stores it: one envelope line (records as sent) per 500 rows."""
    folder.mkdir(parents=True, exist_ok=True)
    text = frame.to_json(orient="records", date_format="iso")
    records = json.loads(text)
    lines = [
        json.dumps({"type": "azureml.inference.model_inputs", "time": when, "data": chunk})
        for chunk in (records[i : i + 500] for i in range(0, len(records), 500))
    ]
    (folder / f"{when[:13]}.jsonl").write_text("\n".join(lines) + "\n")


def test_collected_inputs_in_the_window_are_the_current_data(tmp_path, contract):
    ref = tmp_path / "ref.parquet"
    generate_chunk(contract, rows=2_000, rng=np.random.default_rng(1)).to_parquet(ref)
    collected = tmp_path / "model_inputs"
    old = generate_chunk(contract, rows=2_000, rng=np.random.default_rng(3), drift=1.0)
    recent = generate_chunk(contract, rows=2_000, rng=np.random.default_rng(2))
    _collect(collected / "2026/11/01/08", old, "2026-11-01T08:15:00Z")
    _collect(collected / "2026/12/01/08", recent, "2026-12-01T08:15:00Z")
    base = ["--contract", str(CONTRACT), "--reference", str(ref), "--current", str(collected)]
    # everything: the old, drifted inputs are part of it
    assert main([*base, "--output", str(tmp_path / "all")]) == 0
    everything = json.loads((tmp_path / "all" / "drift.json").read_text())
    assert (everything["current_rows"], everything["drifted"]) == (4_000, True)
    # the window keeps only the recent inputs, which are like the reference
    assert main([*base, "--output", str(tmp_path / "recent"), "--since", "2026-11-30T08:00:00Z"]) == 0
    window = json.loads((tmp_path / "recent" / "drift.json").read_text())
    assert (window["current_rows"], window["drifted"]) == (2_000, False)
    # nothing scored in the window: no drift measured, and the report says why
    assert main([*base, "--output", str(tmp_path / "none"), "--since", "2026-12-02T00:00:00Z"]) == 0
    nothing = json.loads((tmp_path / "none" / "drift.json").read_text())
    assert (nothing["current_rows"], nothing["drifted"]) == (0, False)
    assert "no scoring inputs were collected since 2026-12-02" in nothing["note"]


def test_a_collected_line_that_is_not_an_envelope_names_file_and_line(tmp_path, contract, capsys):
    ref = tmp_path / "ref.parquet"
    generate_chunk(contract, rows=200, rng=np.random.default_rng(1)).to_parquet(ref)
    collected = tmp_path / "model_inputs" / "2026" / "12" / "01" / "08"
    collected.mkdir(parents=True)
    (collected / "part.jsonl").write_text('{"time": "2026-12-01T08:00:00Z", "data": [1, 2]}\n')
    args = ["--contract", str(CONTRACT), "--reference", str(ref), "--current", str(tmp_path / "model_inputs")]
    assert main([*args, "--output", str(tmp_path / "out")]) == 1
    assert "part.jsonl, line 1: `data` must be a list of records" in capsys.readouterr().err
