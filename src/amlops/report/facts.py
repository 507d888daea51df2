"""The facts of one training run that the run report shows, as plain frozen records (no I/O here).

`amlops.verbs.report` gathers them from the backend; `amlops.report.html` and `amlops.report.markdown` turn
them into text. Every field a run may lack is optional: the report says "not recorded" rather than failing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from amlops.gating import Check as GateCheck  # one check of the decision, as the gate wrote it


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline job (or a verb of the pipeline around it)."""

    name: str
    status: str
    duration_s: float | None = None


@dataclass(frozen=True)
class Validation:
    """The data version's validate-data record (`amlops.validation*` tags): passed | failed | not recorded."""

    status: str
    data: str = ""  # NAME:VERSION
    contract: str = ""  # sha256 of the contract it was validated against
    at: str = ""


@dataclass(frozen=True)
class Gate:
    passed: bool
    summary: str
    checks: tuple[GateCheck, ...] = ()
    config: str = ""

    @classmethod
    def from_decision(cls, decision: Mapping[str, Any]) -> Gate:
        checks = tuple(
            GateCheck(
                check=str(r.get("check", "")),
                metric=str(r.get("metric", "")),
                value=_number(r.get("value")),
                op=str(r.get("op", "")),
                threshold=_number(r.get("threshold")),
                passed=bool(r.get("passed")),
                detail=str(r.get("detail", "")),
            )
            for r in decision.get("reasons") or ()
            if isinstance(r, Mapping)
        )
        return cls(
            passed=decision.get("passed") is True,
            summary=str(decision.get("summary", "")),
            checks=checks,
            config=str(decision.get("config", "")),
        )


@dataclass(frozen=True)
class MetricRow:
    """A metric of the candidate beside the champion's (None where one of them lacks it)."""

    name: str
    candidate: float | None
    champion: float | None = None


@dataclass(frozen=True)
class Evaluation:
    """What the evaluate component wrote to the bundle's evaluation.json: regression pairs or a confusion
    matrix (rows actual, columns predicted)."""

    task: str
    actual: tuple[float, ...] = ()
    predicted: tuple[float, ...] = ()
    classes: tuple[str, ...] = ()
    confusion: tuple[tuple[int, ...], ...] = ()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Evaluation:
        return cls(
            task=str(data.get("task", "")),
            actual=tuple(float(v) for v in data.get("actual") or ()),
            predicted=tuple(float(v) for v in data.get("predicted") or ()),
            classes=tuple(str(c) for c in data.get("classes") or ()),
            confusion=tuple(tuple(int(v) for v in row) for row in data.get("confusion") or ()),
        )


@dataclass(frozen=True)
class Parity:
    """ONNX export parity: max |sklearn - onnxruntime| on the test split, against the gate's tolerance."""

    max_abs_diff: float | None
    tolerance: float | None = None

    @property
    def passed(self) -> bool | None:
        if self.max_abs_diff is None or self.tolerance is None:
            return None
        return self.max_abs_diff <= self.tolerance


@dataclass(frozen=True)
class DriftFeature:
    name: str
    kind: str
    psi: float | None
    drifted: bool
    ks: float | None = None


@dataclass(frozen=True)
class Drift:
    """Per-feature drift of this run's data against a reference (the champion's training data)."""

    reference: str
    current: str
    drifted: bool
    threshold: float | None
    features: tuple[DriftFeature, ...] = ()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, reference: str, current: str) -> Drift:
        features = tuple(
            DriftFeature(
                name=str(name),
                kind=str(f.get("kind", "")),
                psi=_number(f.get("psi")),
                drifted=bool(f.get("drifted")),
                ks=_number(f.get("ks")),
            )
            for name, f in (data.get("features") or {}).items()
            if isinstance(f, Mapping)
        )
        return cls(
            reference=reference,
            current=current,
            drifted=bool(data.get("drifted")),
            threshold=_number(data.get("threshold")),
            features=features,
        )


@dataclass(frozen=True)
class RunFacts:
    run_id: str
    status: str
    model_name: str = ""
    task: str = ""
    started_at: str = ""
    duration_s: float | None = None
    stages: tuple[Stage, ...] = ()
    validation: Validation | None = None
    gate: Gate | None = None
    champion_version: str | None = None
    metrics: tuple[MetricRow, ...] = ()
    evaluation: Evaluation | None = None
    parity: Parity | None = None
    drift: Drift | None = None
    drift_note: str = ""  # why there is no drift section (no reference, same data...)
    lineage: tuple[tuple[str, str], ...] = ()
    registered_version: str | None = None
    backend: str = ""
    generated_at: str = ""
    notes: tuple[str, ...] = field(default=())


def metric_rows(
    candidate: Mapping[str, float], champion: Mapping[str, float] | None
) -> tuple[MetricRow, ...]:
    """The candidate's metrics in its order, then any the champion alone has."""
    champion = champion or {}
    rows = [MetricRow(name, _number(value), _number(champion.get(name))) for name, value in candidate.items()]
    rows += [MetricRow(name, None, _number(v)) for name, v in champion.items() if name not in candidate]
    return tuple(rows)


def lineage_items(tags: Mapping[str, str], keys: Sequence[str]) -> tuple[tuple[str, str], ...]:
    return tuple((key, str(tags[key])) for key in keys if tags.get(key) not in (None, ""))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
