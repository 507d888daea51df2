"""The gate is pure: table-driven cases, including a candidate worse than the champion."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from amlops.errors import ConfigError
from amlops.gating import Comparison, GateConfig, Metrics, TaskGate, Threshold, decide, unreachable_thresholds

REPO = Path(__file__).resolve().parents[2]

CONFIG = GateConfig(
    tasks={
        "regression": TaskGate(
            thresholds=(Threshold("rmse", max=8.0), Threshold("r2", min=0.7)),
            compare=Comparison("rmse", "lower", min_improvement=0.0, min_relative_improvement=0.01),
        ),
        "classification": TaskGate(
            thresholds=(Threshold("accuracy", min=0.8),),
            compare=Comparison("accuracy", "higher", min_improvement=0.01),
        ),
    },
    onnx_parity_tolerance=0.01,
)


def reg(rmse: float, r2: float = 0.9, diff: float | None = 1e-4) -> Metrics:
    return Metrics("regression", {"rmse": rmse, "r2": r2}, diff)


def clf(accuracy: float, diff: float | None = 0.0) -> Metrics:
    return Metrics("classification", {"accuracy": accuracy}, diff)


CASES = [
    # id, candidate, champion, passed, failing checks
    ("first model within thresholds", reg(5.0), None, True, []),
    ("rmse above max", reg(9.0), None, False, ["threshold:rmse"]),
    ("r2 below min", reg(5.0, r2=0.5), None, False, ["threshold:r2"]),
    ("threshold bounds are inclusive", reg(8.0, r2=0.7), None, True, []),
    ("better than champion by margin", reg(4.0), reg(5.0), True, []),
    ("worse than champion", reg(6.0), reg(5.0), False, ["champion:rmse"]),
    ("equal to champion is not enough", reg(5.0), reg(5.0), False, ["champion:rmse"]),
    ("better but under the relative margin", reg(4.96), reg(5.0), False, ["champion:rmse"]),
    ("worse and over threshold", reg(9.0), reg(5.0), False, ["threshold:rmse", "champion:rmse"]),
    ("onnx parity off", reg(5.0, diff=0.5), None, False, ["onnx_parity:onnx_max_abs_diff"]),
    ("onnx parity missing", reg(5.0, diff=None), None, False, ["onnx_parity:onnx_max_abs_diff"]),
    ("nan metric fails", reg(math.nan), None, False, ["threshold:rmse"]),
    ("higher is better: better", clf(0.95), clf(0.90), True, []),
    ("higher is better: worse", clf(0.85), clf(0.90), False, ["champion:accuracy"]),
    ("higher is better: below absolute margin", clf(0.905), clf(0.90), False, ["champion:accuracy"]),
    ("champion without the metric: only thresholds", reg(5.0), Metrics("regression", {}, 0.0), True, []),
    ("unknown task", Metrics("ranking", {"ndcg": 0.9}, 0.0), None, False, ["task:task"]),
]


@pytest.mark.parametrize(
    ("candidate", "champion", "passed", "failing"),
    [pytest.param(c, ch, p, f, id=i) for i, c, ch, p, f in CASES],
)
def test_decide(candidate: Metrics, champion: Metrics | None, passed: bool, failing: list[str]) -> None:
    decision = decide(candidate, champion, CONFIG)
    assert decision.passed is passed
    assert [f"{c.check}:{c.metric}" for c in decision.reasons if not c.passed] == failing
    assert decision.summary.startswith("passed" if passed else "rejected")


def test_reasons_carry_value_threshold_and_outcome() -> None:
    decision = decide(reg(6.0), reg(5.0), CONFIG)
    champ = next(c for c in decision.reasons if c.check == "champion")
    assert champ.value == 6.0
    assert champ.op == "<="
    assert champ.threshold == pytest.approx(4.95)
    assert champ.passed is False
    assert decision.champion_compared is True
    doc = decision.to_dict()
    assert doc["passed"] is False
    assert {"check", "metric", "value", "op", "threshold", "passed", "detail"} <= set(doc["reasons"][0])


def test_no_champion_means_no_comparison() -> None:
    decision = decide(reg(5.0), None, CONFIG)
    assert decision.champion_compared is False
    assert all(c.check != "champion" for c in decision.reasons)


def test_committed_gate_config_parses() -> None:
    config = GateConfig.from_mapping(yaml.safe_load((REPO / "data-science/gate.yml").read_text()))
    assert {"regression", "classification"} <= set(config.tasks)
    assert config.onnx_parity_tolerance is not None
    for task in config.tasks.values():
        assert task.compare is not None


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({}, "missing required key"),
        ({"tasks": {}}, "at least one task"),
        ({"tasks": {"regression": {"thresholds": {"rmse": {"maximum": 1}}}}}, "unknown key"),
        ({"tasks": {"regression": {"thresholds": {"rmse": {}}}}}, "give min, max or both"),
        ({"tasks": {"regression": {"thresholds": {"rmse": {"min": 2, "max": 1}}}}}, "above max"),
        ({"tasks": {"regression": {"compare": {"metric": "rmse", "direction": "down"}}}}, "direction"),
        ({"tasks": {"regression": {"thresholds": {"rmse": {"max": "low"}}}}}, "finite number"),
        ({"tasks": {"regression": {}}, "onnx_parity_tolerance": -1}, ">= 0"),
    ],
)
def test_bad_config_is_refused(doc: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        GateConfig.from_mapping(doc)


def _gate(thresholds: dict, task: str = "regression") -> GateConfig:
    return GateConfig.from_mapping({"tasks": {task: {"thresholds": thresholds}}})


def test_error_threshold_far_below_the_label_spread_is_unreachable() -> None:
    candidate = Metrics("regression", {"rmse": 250.0, "mae": 180.0}, 0.0, label_std=1200.0)
    hints = unreachable_thresholds(candidate, _gate({"rmse": {"max": 8.0}, "mae": {"max": 500.0}}))
    assert hints == [
        "tasks.regression.thresholds.rmse.max 8 is below 1% of the label's standard deviation on the test "
        "split (1200): no model will pass it on data of this scale; set it in the label's unit "
        "(e.g. a fraction of 1200)"
    ]


def test_threshold_within_the_label_scale_gives_no_hint() -> None:
    candidate = Metrics("regression", {"rmse": 3.0}, 0.0, label_std=10.0)
    assert unreachable_thresholds(candidate, _gate({"rmse": {"max": 0.5}})) == []


def test_scale_check_without_label_std_says_it_was_skipped() -> None:
    hints = unreachable_thresholds(Metrics("regression", {"rmse": 3.0}), _gate({"rmse": {"max": 1.0}}))
    assert hints == ["the scale check of rmse/mae thresholds was skipped: metrics.json has no label_std"]


def test_bounded_metrics_beyond_their_bound_are_unreachable() -> None:
    hints = unreachable_thresholds(
        Metrics("classification", {"accuracy": 0.9}), _gate({"accuracy": {"min": 1.5}}, "classification")
    )
    assert hints == ["tasks.classification.thresholds.accuracy.min 1.5 can never pass: accuracy is at most 1"]


def test_label_std_is_read_from_metrics_json() -> None:
    doc = {"task": "regression", "metrics": {"rmse": 1}, "label_std": 4.5}
    assert Metrics.from_mapping(doc).label_std == 4.5
    assert Metrics.from_mapping({"task": "regression", "metrics": {}}).label_std is None
