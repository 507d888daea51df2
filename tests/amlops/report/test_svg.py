"""The charts on awkward data: one value, non-finite values, nothing at all; always well-formed SVG."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from amlops.report import svg
from amlops.report.facts import DriftFeature, MetricRow

NS = "{http://www.w3.org/2000/svg}"


def parsed(text: str) -> ET.Element:
    element = ET.fromstring(text)
    assert float(element.get("width")) > 0
    assert float(element.get("height")) > 0
    return element


@pytest.mark.parametrize(
    ("actual", "predicted", "points"),
    [
        ([3.0, 3.0, 3.0], [3.0, 3.0, 3.0], 3),  # one value: the axes still span something
        ([1.0, math.nan, 2.0], [1.0, 2.0, math.inf], 1),  # non-finite pairs are left out
        ([], [], 0),
    ],
)
def test_scatter_on_awkward_data(actual: list[float], predicted: list[float], points: int) -> None:
    chart = parsed(svg.scatter(actual, predicted))
    assert len(chart.findall(f"{NS}circle")) == points
    coordinates = [float(c.get(k)) for c in chart.findall(f"{NS}circle") for k in ("cx", "cy")]
    assert all(0 <= v <= 360 for v in coordinates)


def test_metric_bars_without_values_say_so() -> None:
    chart = parsed(svg.metric_bars([MetricRow("rmse", None, None), MetricRow("r2", 0.0, -0.5)]))
    texts = [t.text for t in chart.iter(f"{NS}text")]
    assert "no candidate value" in texts
    assert "no champion value" in texts
    widths = [float(r.get("width")) for r in chart.iter(f"{NS}rect") if "bar" in (r.get("class") or "")]
    assert all(w >= 1.0 for w in widths)  # a zero still shows as a sliver


def test_drift_bars_scale_to_the_threshold_when_every_psi_is_small() -> None:
    features = [DriftFeature("a", "numeric", 0.01, False), DriftFeature("b", "numeric", None, False)]
    chart = parsed(svg.drift_bars(features, 0.2))
    [line] = chart.findall(f"{NS}line")
    assert float(line.get("x1")) == pytest.approx(160 + 300)  # the threshold is the largest value


def test_an_empty_confusion_matrix_is_still_a_chart() -> None:
    parsed(svg.confusion([], []))


def test_ticks_are_round_numbers_inside_the_range() -> None:
    ticks = svg._ticks(0.3, 41.7)
    assert ticks == [10, 20, 30, 40]
    assert svg._ticks(0.0, 1.0) == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    assert svg._ticks(5.0, 5.0) == [5.0]
