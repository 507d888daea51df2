"""The gate, as a pure function: may this candidate model replace the champion?

`decide(candidate, champion, config)` checks, in order:
  1. absolute thresholds per metric (`min` and/or `max`), from the gate config for the candidate's task;
  2. against the champion (the version holding the `champion` alias), on one metric in one direction,
     requiring at least `min_improvement` (absolute) and `min_relative_improvement` (fraction of the
     champion's value); without a champion only the thresholds apply;
  3. ONNX parity: the bundle's max |sklearn - onnxruntime| difference within tolerance.
Every check is reported with its value, threshold and outcome. A missing or non-finite metric fails its
check. No knowledge of columns: metrics are compared by name and direction only.

`unreachable_thresholds(candidate, config)` says which thresholds no model could pass: a bounded metric
(r2, accuracy, f1_macro at most 1; error metrics at least 0) asked to go beyond its bound, or, for
regression, an error-metric maximum (rmse, mae: in the label's unit) below `SCALE_FRACTION` (1 %) of the
label's standard deviation on the test split (`label_std` in metrics.json, written by evaluate). Without
`label_std` the scale half is skipped and the hint says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from amlops.errors import ConfigError

Direction = Literal["higher", "lower"]
_DIRECTIONS = ("higher", "lower")


@dataclass(frozen=True)
class Metrics:
    """A model's evaluation, as written to the bundle's metrics.json (see docs/interfaces.md)."""

    task: str
    values: Mapping[str, float]
    onnx_max_abs_diff: float | None = None
    label_std: float | None = None  # regression: std of the label on the test split

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Metrics:
        if not isinstance(data, Mapping) or not isinstance(data.get("metrics"), Mapping):
            raise ConfigError("metrics document must hold a 'metrics' mapping of name -> number")
        diff = data.get("onnx_max_abs_diff")
        spread = data.get("label_std")
        return cls(
            task=str(data.get("task", "")),
            values={str(k): _to_float(v) for k, v in data["metrics"].items()},
            onnx_max_abs_diff=None if diff is None else _to_float(diff),
            label_std=None if spread is None else _to_float(spread),
        )


def _to_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


@dataclass(frozen=True)
class Threshold:
    metric: str
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Comparison:
    metric: str
    direction: Direction
    min_improvement: float = 0.0
    min_relative_improvement: float = 0.0


@dataclass(frozen=True)
class TaskGate:
    thresholds: tuple[Threshold, ...]
    compare: Comparison | None


@dataclass(frozen=True)
class GateConfig:
    tasks: Mapping[str, TaskGate]
    onnx_parity_tolerance: float | None = None

    @classmethod
    def from_mapping(cls, data: Any, *, source: str = "gate config") -> GateConfig:
        return _parse_config(data, source)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where} must be a finite number, got {value!r}")
    return float(value)


def _keys(data: Any, allowed: set[str], where: str, required: set[str] = frozenset()) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where} must be a mapping, got {type(data).__name__}")
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    missing = sorted(required - set(data))
    if missing:
        raise ConfigError(f"{where}: missing required key(s) {', '.join(missing)}")
    return data


def _parse_config(data: Any, source: str) -> GateConfig:
    top = _keys(data, {"tasks", "onnx_parity_tolerance", "description"}, source, {"tasks"})
    tolerance = top.get("onnx_parity_tolerance")
    if tolerance is not None:
        tolerance = _number(tolerance, f"{source}: onnx_parity_tolerance")
        if tolerance < 0:
            raise ConfigError(f"{source}: onnx_parity_tolerance must be >= 0")
    tasks_raw = _keys(top["tasks"], set(top["tasks"] or {}), f"{source}: tasks")
    if not tasks_raw:
        raise ConfigError(f"{source}: tasks must configure at least one task")
    tasks: dict[str, TaskGate] = {}
    for task, task_raw in tasks_raw.items():
        where = f"{source}: tasks.{task}"
        body = _keys(task_raw, {"thresholds", "compare"}, where)
        thresholds: list[Threshold] = []
        for metric, bounds_raw in (body.get("thresholds") or {}).items():
            bounds = _keys(bounds_raw, {"min", "max"}, f"{where}.thresholds.{metric}")
            if not bounds:
                raise ConfigError(f"{where}.thresholds.{metric}: give min, max or both")
            lo = (
                None
                if bounds.get("min") is None
                else _number(bounds["min"], f"{where}.thresholds.{metric}.min")
            )
            hi = (
                None
                if bounds.get("max") is None
                else _number(bounds["max"], f"{where}.thresholds.{metric}.max")
            )
            if lo is not None and hi is not None and lo > hi:
                raise ConfigError(f"{where}.thresholds.{metric}: min {lo} is above max {hi}")
            thresholds.append(Threshold(str(metric), lo, hi))
        compare = None
        if body.get("compare") is not None:
            c = _keys(
                body["compare"],
                {"metric", "direction", "min_improvement", "min_relative_improvement"},
                f"{where}.compare",
                {"metric", "direction"},
            )
            if c["direction"] not in _DIRECTIONS:
                raise ConfigError(f"{where}.compare.direction must be one of {', '.join(_DIRECTIONS)}")
            compare = Comparison(
                metric=str(c["metric"]),
                direction=c["direction"],
                min_improvement=_number(c.get("min_improvement", 0.0), f"{where}.compare.min_improvement"),
                min_relative_improvement=_number(
                    c.get("min_relative_improvement", 0.0), f"{where}.compare.min_relative_improvement"
                ),
            )
        tasks[str(task)] = TaskGate(tuple(thresholds), compare)
    return GateConfig(tasks=tasks, onnx_parity_tolerance=tolerance)


@dataclass(frozen=True)
class Check:
    """One check: `value` compared with `threshold` by `op` (`>=` or `<=`)."""

    check: str  # "threshold" | "champion" | "onnx_parity" | "task"
    metric: str
    value: float | None
    op: str
    threshold: float | None
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class Decision:
    passed: bool
    reasons: tuple[Check, ...]
    task: str
    champion_compared: bool = False
    summary: str = field(default="")

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "summary": self.summary,
            "task": self.task,
            "champion_compared": self.champion_compared,
            "reasons": [asdict(r) for r in self.reasons],
        }


def _fmt(x: float | None) -> str:
    return "missing" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.6g}"


def _bound(metric: str, value: float | None, op: str, threshold: float, *, kind: str, what: str) -> Check:
    ok = (
        value is not None
        and math.isfinite(value)
        and (value >= threshold if op == ">=" else value <= threshold)
    )
    return Check(
        kind,
        metric,
        value,
        op,
        threshold,
        ok,
        f"{what} {metric} = {_fmt(value)}, needs {op} {_fmt(threshold)}",
    )


def decide(candidate: Metrics, champion: Metrics | None, config: GateConfig) -> Decision:
    """Pass only if every configured check passes. Pure: no I/O, no clock, no randomness."""
    task_gate = config.tasks.get(candidate.task)
    checks: list[Check] = []
    if task_gate is None:
        checks.append(
            Check(
                "task",
                "task",
                None,
                "in",
                None,
                False,
                f"no gate configured for task {candidate.task!r} "
                f"(configured: {', '.join(sorted(config.tasks))})",
            )
        )
        return _decision(checks, candidate.task, compared=False)

    for t in task_gate.thresholds:
        value = candidate.values.get(t.metric)
        if t.min is not None:
            checks.append(_bound(t.metric, value, ">=", t.min, kind="threshold", what="candidate"))
        if t.max is not None:
            checks.append(_bound(t.metric, value, "<=", t.max, kind="threshold", what="candidate"))

    compared = False
    cmp = task_gate.compare
    if cmp is not None and champion is not None:
        champ_value = champion.values.get(cmp.metric)
        if champ_value is None or not math.isfinite(champ_value):
            checks.append(
                Check(
                    "champion",
                    cmp.metric,
                    candidate.values.get(cmp.metric),
                    "n/a",
                    None,
                    True,
                    f"champion has no {cmp.metric}; comparison skipped",
                )
            )
        else:
            compared = True
            margin = max(cmp.min_improvement, cmp.min_relative_improvement * abs(champ_value))
            if cmp.direction == "higher":
                checks.append(
                    _bound(
                        cmp.metric,
                        candidate.values.get(cmp.metric),
                        ">=",
                        champ_value + margin,
                        kind="champion",
                        what=f"champion {cmp.metric} = {_fmt(champ_value)} (+{_fmt(margin)} required);",
                    )
                )
            else:
                checks.append(
                    _bound(
                        cmp.metric,
                        candidate.values.get(cmp.metric),
                        "<=",
                        champ_value - margin,
                        kind="champion",
                        what=f"champion {cmp.metric} = {_fmt(champ_value)} (-{_fmt(margin)} required);",
                    )
                )
            # A candidate equal to the champion with zero margin passes `<=`/`>=`; strictly worse never does.

    if config.onnx_parity_tolerance is not None:
        checks.append(
            _bound(
                "onnx_max_abs_diff",
                candidate.onnx_max_abs_diff,
                "<=",
                config.onnx_parity_tolerance,
                kind="onnx_parity",
                what="ONNX parity",
            )
        )
    return _decision(checks, candidate.task, compared=compared)


def _decision(checks: list[Check], task: str, *, compared: bool) -> Decision:
    failed = [c for c in checks if not c.passed]
    passed = not failed
    if passed:
        summary = f"passed {len(checks)} check(s)" + ("" if compared else " (no champion to compare with)")
    else:
        summary = "rejected: " + "; ".join(c.detail for c in failed)
    return Decision(
        passed=passed, reasons=tuple(checks), task=task, champion_compared=compared, summary=summary
    )


SCALE_FRACTION = 0.01  # an error threshold below 1 % of the label's standard deviation is unreachable
LABEL_UNIT_ERRORS = ("rmse", "mae")  # regression error metrics in the label's unit
AT_MOST_ONE = ("r2", "accuracy", "f1_macro")
AT_LEAST_ZERO = ("rmse", "mae", "log_loss")


def unreachable_thresholds(candidate: Metrics, config: GateConfig) -> list[str]:
    """Thresholds of the candidate's task that no model could pass (see the module docstring). Pure."""
    task_gate = config.tasks.get(candidate.task)
    if task_gate is None:
        return []
    hints: list[str] = []
    where = f"tasks.{candidate.task}.thresholds"
    scale_skipped = False
    for t in task_gate.thresholds:
        if t.metric in AT_MOST_ONE and t.min is not None and t.min > 1:
            hints.append(f"{where}.{t.metric}.min {_fmt(t.min)} can never pass: {t.metric} is at most 1")
        if t.metric in AT_LEAST_ZERO and t.max is not None and t.max < 0:
            hints.append(f"{where}.{t.metric}.max {_fmt(t.max)} can never pass: {t.metric} is at least 0")
        if candidate.task != "regression" or t.metric not in LABEL_UNIT_ERRORS or t.max is None:
            continue
        spread = candidate.label_std
        if spread is None or not math.isfinite(spread):
            scale_skipped = True
        elif spread > 0 and t.max < SCALE_FRACTION * spread:
            hints.append(
                f"{where}.{t.metric}.max {_fmt(t.max)} is below {SCALE_FRACTION:.0%} of the label's standard "
                f"deviation on the test split ({_fmt(spread)}): no model will pass it on data of this "
                f"scale; set it in the label's unit (e.g. a fraction of {_fmt(spread)})"
            )
    if scale_skipped:
        hints.append("the scale check of rmse/mae thresholds was skipped: metrics.json has no label_std")
    return hints
