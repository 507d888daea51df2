"""The run report's charts as inline SVG: no script, no external asset, every text escaped.

Each function is pure and returns one `<svg class="chart ...">` element with explicit width and height.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from amlops.report.facts import DriftFeature, MetricRow

CANDIDATE = "#2563eb"
CHAMPION = "#9ca3af"
BAD = "#dc2626"
GOOD = "#16a34a"
FONT = "font-family:system-ui,sans-serif;font-size:12px"


def fmt(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.4g}"


def _svg(kind: str, width: int, height: int, title: str, body: Sequence[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" style="{FONT}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _text(
    x: float, y: float, text: str, *, anchor: str = "start", fill: str = "#111827", extra: str = ""
) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}"{extra}>{escape(text)}</text>'


def metric_bars(rows: Sequence[MetricRow]) -> str:
    """Candidate (blue) against champion (grey) per metric; each metric's bars share that metric's scale."""
    label_w, bar_w, value_w, row_h = 140, 300, 80, 44
    width, height = label_w + bar_w + value_w, 28 + row_h * max(len(rows), 1)
    body = [
        f'<rect x="{label_w}" y="6" width="10" height="10" fill="{CANDIDATE}"/>',
        _text(label_w + 14, 15, "candidate"),
        f'<rect x="{label_w + 90}" y="6" width="10" height="10" fill="{CHAMPION}"/>',
        _text(label_w + 104, 15, "champion"),
    ]
    for i, row in enumerate(rows):
        top = 28 + i * row_h
        values = [abs(v) for v in (row.candidate, row.champion) if v is not None and math.isfinite(v)]
        scale = max(values, default=0.0) or 1.0
        body.append(f'<g class="metric" data-metric="{escape(row.name)}">')
        body.append(_text(label_w - 8, top + 20, row.name, anchor="end"))
        for j, (value, colour, who) in enumerate(
            ((row.candidate, CANDIDATE, "candidate"), (row.champion, CHAMPION, "champion"))
        ):
            y = top + 4 + j * 18
            if value is None or not math.isfinite(value):
                body.append(_text(label_w + 4, y + 12, f"no {who} value", fill="#6b7280"))
                continue
            length = max(bar_w * abs(value) / scale, 1.0)
            body.append(
                f'<rect class="bar {who}" x="{label_w}" y="{y}" width="{length:.1f}" height="14" '
                f'fill="{colour}"><title>{escape(f"{row.name} {who}: {fmt(value)}")}</title></rect>'
            )
            body.append(_text(label_w + length + 4, y + 12, fmt(value)))
        body.append("</g>")
    return _svg("metrics", width, height, "candidate against champion per metric", body)


def _ticks(low: float, high: float) -> list[float]:
    span = high - low
    if span <= 0:
        return [low]
    step = 10 ** math.floor(math.log10(span / 4))
    for factor in (1, 2, 5, 10):
        if span / (step * factor) <= 6:
            step *= factor
            break
    first = math.ceil(low / step) * step
    return [first + k * step for k in range(int((high - first) / step) + 1)]


def scatter(actual: Sequence[float], predicted: Sequence[float]) -> str:
    """Predicted against actual (regression) with the y = x line."""
    size, pad = 360, 48
    points = [
        (a, p) for a, p in zip(actual, predicted, strict=False) if math.isfinite(a) and math.isfinite(p)
    ]
    values = [v for pair in points for v in pair] or [0.0, 1.0]
    low, high = min(values), max(values)
    if high == low:
        low, high = low - 1, high + 1
    span = high - low
    low, high = low - span * 0.04, high + span * 0.04
    inner = size - 2 * pad

    def x(v: float) -> float:
        return pad + (v - low) / (high - low) * inner

    def y(v: float) -> float:
        return size - pad - (v - low) / (high - low) * inner

    body = [
        f'<rect x="{pad}" y="{pad}" width="{inner}" height="{inner}" fill="#f9fafb" stroke="#d1d5db"/>',
        f'<line class="identity" x1="{x(low):.1f}" y1="{y(low):.1f}" x2="{x(high):.1f}" y2="{y(high):.1f}" '
        'stroke="#9ca3af" stroke-dasharray="4 3"/>',
    ]
    for tick in _ticks(low, high):
        body.append(_text(x(tick), size - pad + 16, fmt(tick), anchor="middle"))
        body.append(_text(pad - 6, y(tick) + 4, fmt(tick), anchor="end"))
    body += [
        _text(size / 2, size - 8, "actual", anchor="middle"),
        _text(14, size / 2, "predicted", anchor="middle", extra=f' transform="rotate(-90 14 {size / 2})"'),
    ]
    body += [
        f'<circle class="point" cx="{x(a):.1f}" cy="{y(p):.1f}" r="2.5" fill="{CANDIDATE}" '
        'fill-opacity="0.6"/>'
        for a, p in points
    ]
    return _svg("scatter", size, size, f"predicted against actual ({len(points)} test rows)", body)


def confusion(classes: Sequence[str], matrix: Sequence[Sequence[int]]) -> str:
    """The confusion matrix as a heat map: rows the actual class, columns the predicted one."""
    n = len(classes)
    cell, label_w, top = 56, 110, 60
    width, height = label_w + cell * max(n, 1) + 10, top + cell * max(n, 1) + 10
    body = [_text(label_w + cell * n / 2, 14, "predicted", anchor="middle")]
    body.append(
        _text(
            12,
            top + cell * n / 2,
            "actual",
            anchor="middle",
            extra=f' transform="rotate(-90 12 {top + cell * n / 2})"',
        )
    )
    for j, name in enumerate(classes):
        body.append(_text(label_w + j * cell + cell / 2, top - 10, name, anchor="middle"))
        body.append(_text(label_w - 8, top + j * cell + cell / 2 + 4, name, anchor="end"))
    for i, row in enumerate(matrix[:n]):
        total = max(sum(row), 1)
        for j, count in enumerate(row[:n]):
            share = count / total
            fill = (
                f"rgba(37,99,235,{0.08 + 0.85 * share:.2f})"
                if i == j
                else f"rgba(220,38,38,{0.06 + 0.8 * share:.2f})"
            )
            body.append(
                f'<rect class="cell" x="{label_w + j * cell}" y="{top + i * cell}" width="{cell - 2}" '
                f'height="{cell - 2}" fill="{fill}"><title>'
                f"{escape(f'actual {classes[i]}, predicted {classes[j]}: {count}')}</title></rect>"
            )
            colour = "#ffffff" if share > 0.6 else "#111827"
            body.append(
                _text(
                    label_w + j * cell + cell / 2 - 1,
                    top + i * cell + cell / 2 + 4,
                    str(count),
                    anchor="middle",
                    fill=colour,
                )
            )
    return _svg("confusion", width, height, "confusion matrix (rows actual, columns predicted)", body)


def drift_bars(features: Sequence[DriftFeature], threshold: float | None) -> str:
    """PSI per feature (red where the feature drifted), with the threshold as a dashed line."""
    label_w, bar_w, value_w, row_h = 160, 300, 70, 22
    width, height = label_w + bar_w + value_w, 16 + row_h * max(len(features), 1)
    values = [f.psi for f in features if f.psi is not None and math.isfinite(f.psi)]
    scale = max([*values, threshold or 0.0], default=0.0) or 1.0
    body = []
    for i, feature in enumerate(features):
        y = 8 + i * row_h
        body.append(_text(label_w - 8, y + 13, feature.name, anchor="end"))
        if feature.psi is None or not math.isfinite(feature.psi):
            body.append(_text(label_w + 4, y + 13, "n/a", fill="#6b7280"))
            continue
        length = max(bar_w * feature.psi / scale, 1.0)
        colour = BAD if feature.drifted else GOOD
        body.append(
            f'<rect class="bar{" drifted" if feature.drifted else ""}" x="{label_w}" y="{y + 2}" '
            f'width="{length:.1f}" height="14" fill="{colour}"><title>'
            f"{escape(f'{feature.name}: PSI {fmt(feature.psi)}')}</title></rect>"
        )
        body.append(_text(label_w + length + 4, y + 13, fmt(feature.psi)))
    if threshold is not None:
        tx = label_w + bar_w * threshold / scale
        body.append(
            f'<line class="threshold" x1="{tx:.1f}" y1="4" x2="{tx:.1f}" y2="{height - 4}" stroke="{BAD}" '
            f'stroke-dasharray="4 3"><title>{escape(f"threshold {fmt(threshold)}")}</title></line>'
        )
    return _svg("drift", width, height, "population stability index per feature", body)
