"""The run report as one self-contained HTML page: inline CSS and SVG, no script, no external request.

The page carries a Content-Security-Policy that forbids scripts and every fetch, so it is safe to open
from a pipeline artifact or MLflow's artifact view. Every value from the run is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from amlops.report import svg
from amlops.report.facts import RunFacts

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#111827;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #e5e7eb}
table{border-collapse:collapse;margin:.5rem 0}
th,td{text-align:left;padding:.25rem .75rem;border-bottom:1px solid #f3f4f6}
th{background:#f9fafb}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:.1rem .5rem;border-radius:.25rem;font-weight:600;color:#fff;
background:#6b7280}
.ok{background:#16a34a}.bad{background:#dc2626}.warn{background:#d97706}
.muted{color:#6b7280}code{font-size:.9em}svg.chart{display:block;margin:.75rem 0;max-width:100%}
"""

_OK = {"completed", "succeeded", "passed", "reused", "true", "ok", "no drift"}
_BAD = {"failed", "rejected", "canceled", "false", "drifted"}


def badge(text: str) -> str:
    word = text.lower()
    kind = "ok" if word in _OK else "bad" if word in _BAD else "warn" if word == "skipped" else ""
    return f'<span class="badge {kind}">{escape(text)}</span>'


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, numeric: Sequence[int] = ()) -> str:
    """A table whose cells are HTML already (callers escape text; badges are markup)."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    head = f"<thead><tr>{head}</tr></thead>" if any(headers) else ""
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table>{head}<tbody>{body}</tbody></table>"


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.1f} s"


def _section(title: str, body: str, section_id: str) -> str:
    return f'<section id="{section_id}"><h2>{escape(title)}</h2>{body}</section>'


def _stages(facts: RunFacts) -> str:
    if not facts.stages:
        return '<p class="muted">No step was recorded.</p>'
    rows = [(escape(s.name), badge(s.status), escape(_seconds(s.duration_s))) for s in facts.stages]
    total = f"<p>Pipeline run: {badge(facts.status)} {escape(_seconds(facts.duration_s))}</p>"
    return total + table(("step", "status", "duration"), rows, numeric=(2,))


def _validation(facts: RunFacts) -> str:
    v = facts.validation
    if v is None:
        return '<p class="muted">No data asset is bound to this run: nothing to show.</p>'
    parts = [f"<p>Data <code>{escape(v.data)}</code>: {badge(v.status)}"]
    if v.at:
        parts.append(f" at {escape(v.at)}")
    parts.append("</p>")
    if v.contract:
        parts.append(f'<p class="muted">contract sha256 <code>{escape(v.contract)}</code></p>')
    return "".join(parts)


def _gate(facts: RunFacts) -> str:
    g = facts.gate
    if g is None:
        return '<p class="muted">The run was not gated (no decision.json).</p>'
    head = f"<p>{badge('passed' if g.passed else 'rejected')} {escape(g.summary)}</p>"
    if g.config:
        head += f'<p class="muted">gate configuration <code>{escape(g.config)}</code></p>'
    rows = [
        (
            escape(c.check),
            escape(c.metric),
            escape(svg.fmt(c.value)),
            escape(f"{c.op} {svg.fmt(c.threshold)}" if c.op else ""),
            badge("passed" if c.passed else "failed"),
            escape(c.detail),
        )
        for c in g.checks
    ]
    return head + (
        table(("check", "metric", "value", "bound", "result", "detail"), rows, numeric=(2,)) if rows else ""
    )


def _metrics(facts: RunFacts) -> str:
    if not facts.metrics:
        return '<p class="muted">The run has no metrics (no model bundle).</p>'
    who = (
        f"champion: version {escape(facts.champion_version)}"
        if facts.champion_version
        else "no champion yet (the first model is compared with the thresholds only)"
    )
    rows = [
        (escape(m.name), escape(svg.fmt(m.candidate)), escape(svg.fmt(m.champion))) for m in facts.metrics
    ]
    return (
        f'<p class="muted">{who}</p>'
        + svg.metric_bars(facts.metrics)
        + table(("metric", "candidate", "champion"), rows, numeric=(1, 2))
    )


def _evaluation(facts: RunFacts) -> str:
    e = facts.evaluation
    if e is None:
        return '<p class="muted">The bundle has no evaluation.json.</p>'
    if e.confusion and e.classes:
        return svg.confusion(e.classes, e.confusion)
    if e.actual:
        return svg.scatter(e.actual, e.predicted)
    return '<p class="muted">evaluation.json holds no rows.</p>'


def _parity(facts: RunFacts) -> str:
    p = facts.parity
    if p is None or p.max_abs_diff is None:
        return '<p class="muted">No ONNX parity was recorded.</p>'
    verdict = {True: badge("passed"), False: badge("failed"), None: ""}[p.passed]
    bound = f" (tolerance {escape(svg.fmt(p.tolerance))})" if p.tolerance is not None else ""
    value = escape(svg.fmt(p.max_abs_diff))
    return f"<p>max |sklearn - onnxruntime| = <code>{value}</code>{bound} {verdict}</p>"


def _drift(facts: RunFacts) -> str:
    d = facts.drift
    if d is None:
        return f'<p class="muted">{escape(facts.drift_note or "No reference data: drift not computed.")}</p>'
    head = (
        f"<p>{badge('drifted' if d.drifted else 'no drift')} <code>{escape(d.current)}</code> against the "
        f"reference <code>{escape(d.reference)}</code> (threshold {escape(svg.fmt(d.threshold))})</p>"
    )
    rows = [
        (
            escape(f.name),
            escape(f.kind),
            escape(svg.fmt(f.psi)),
            escape(svg.fmt(f.ks)),
            badge("drifted" if f.drifted else "ok"),
        )
        for f in d.features
    ]
    return (
        head
        + svg.drift_bars(d.features, d.threshold)
        + table(("feature", "kind", "PSI", "KS", ""), rows, numeric=(2, 3))
    )


def _lineage(facts: RunFacts) -> str:
    items = [("run id", facts.run_id), *facts.lineage]
    if facts.registered_version:
        items.append(("registered", f"{facts.model_name} version {facts.registered_version}"))
    return table(("", ""), [(escape(k), f"<code>{escape(v)}</code>") for k, v in items])


def render_html(facts: RunFacts) -> str:
    title = f"Run report: {facts.run_id}"
    meta = " · ".join(
        escape(part)
        for part in (
            f"model {facts.model_name}" if facts.model_name else "",
            f"task {facts.task}" if facts.task else "",
            f"backend {facts.backend}" if facts.backend else "",
            f"generated {facts.generated_at}" if facts.generated_at else "",
        )
        if part
    )
    notes = "".join(f'<p class="muted">{escape(n)}</p>' for n in facts.notes)
    sections = [
        _section("Stages", _stages(facts), "stages"),
        _section("Data validation", _validation(facts), "validation"),
        _section("Gate", _gate(facts), "gate"),
        _section("Candidate against champion", _metrics(facts), "metrics"),
        _section(
            "Confusion matrix" if facts.task == "classification" else "Predicted against actual",
            _evaluation(facts),
            "evaluation",
        ),
        _section("ONNX parity", _parity(facts), "parity"),
        _section("Data drift", _drift(facts), "drift"),
        _section("Lineage", _lineage(facts), "lineage"),
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><p>{badge(facts.status)} {meta}</p>{notes}</header>"
        + "".join(sections)
        + "</body></html>\n"
    )
