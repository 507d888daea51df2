"""Run facts for the report's tests: a regression run with a champion and drift, a classification run."""

from __future__ import annotations

from amlops.report.facts import (
    Drift,
    DriftFeature,
    Evaluation,
    Gate,
    GateCheck,
    Parity,
    RunFacts,
    Stage,
    Validation,
    metric_rows,
)


def regression_facts(name: str = "fare") -> RunFacts:
    actual = tuple(float(v) for v in range(1, 41))
    return RunFacts(
        run_id="train-pipeline-20261202-010203-abcdef",
        status="Completed",
        model_name="taxi-model",
        task="regression",
        duration_s=61.5,
        stages=(
            Stage("validate", "completed", 4.2),
            Stage("prep", "completed", 3.1),
            Stage("train", "completed", 40.0),
            Stage("evaluate", "completed", 9.9),
        ),
        validation=Validation("passed", "taxi:2", "ab" * 32, "2026-12-02T01:00:00+00:00"),
        gate=Gate(
            passed=True,
            summary="all 5 checks passed",
            checks=(
                GateCheck("threshold", "rmse", 2.5, "<=", 8.0, True),
                GateCheck("champion", "rmse", 2.5, "<=", 2.98, True, "champion 3.0"),
                GateCheck("onnx_parity", "onnx_max_abs_diff", 1e-6, "<=", 0.01, True),
            ),
            config="data-science/gate.yml",
        ),
        champion_version="3",
        metrics=metric_rows({"rmse": 2.5, "mae": 1.8, "r2": 0.91}, {"rmse": 3.0, "mae": 2.0, "r2": 0.88}),
        evaluation=Evaluation("regression", actual=actual, predicted=tuple(v * 1.05 - 0.3 for v in actual)),
        parity=Parity(1e-6, 0.01),
        drift=Drift(
            reference="azureml:taxi:1",
            current="azureml:taxi:2",
            drifted=True,
            threshold=0.2,
            features=(
                DriftFeature("trip_distance", "numeric", 0.05, False, 0.03),
                DriftFeature(name, "numeric", 0.4, True, 0.2),
                DriftFeature("vendor", "categorical", 0.01, False),
            ),
        ),
        lineage=(("git_sha", "0123456789abcdef"), ("data_version", "2"), ("seed", "42")),
        registered_version="4",
        backend="local",
        generated_at="2026-12-02T01:05:00+00:00",
    )


def classification_facts() -> RunFacts:
    classes = ("setosa", "versicolor", "virginica")
    return RunFacts(
        run_id="train-iris-1",
        status="Completed",
        model_name="iris",
        task="classification",
        stages=(Stage("train", "completed", 5.0),),
        gate=Gate(passed=False, summary="f1_macro 0.7 < 0.8", checks=()),
        metrics=metric_rows({"accuracy": 0.9, "f1_macro": 0.7}, None),
        evaluation=Evaluation(
            "classification", classes=classes, confusion=((10, 0, 0), (0, 8, 2), (0, 3, 7))
        ),
        parity=Parity(2e-5, 1e-4),
    )
