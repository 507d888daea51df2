"""The run report's short form for a CI run page (GitHub job summary, Azure DevOps build summary).

Markdown tables of the stages, the gate and the metrics; the charts are in the HTML report, which the
summary names and links (the run page's artifacts, when the CI system's variables give its address).
Every value from the run is escaped for Markdown and HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from amlops.report.facts import RunFacts
from amlops.report.svg import fmt

_SPECIAL = "\\`*_[]|#!"
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def md(text: str) -> str:
    """Text safe in a Markdown table cell: HTML's specials as entities, Markdown's backslash-escaped, line
    breaks as spaces."""
    out = "".join(_ENTITIES.get(c) or (f"\\{c}" if c in _SPECIAL else c) for c in str(text))
    return " ".join(out.splitlines())


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(md(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(md(c) for c in row) + " |" for row in rows]
    return lines


def render_markdown(
    facts: RunFacts, *, report_name: str = "report.html", artifact: str = "", artifact_url: str | None = None
) -> str:
    gate = "not gated" if facts.gate is None else ("passed" if facts.gate.passed else "rejected")
    lines = [f"## Run report: {md(facts.run_id)}", ""]
    lines.append(
        f"Pipeline run **{md(facts.status)}**, gate **{md(gate)}**"
        + (
            f", registered as {md(facts.model_name)} version {md(facts.registered_version)}"
            if facts.registered_version
            else ""
        )
        + "."
    )
    if facts.gate is not None and facts.gate.summary:
        lines += ["", md(facts.gate.summary)]
    if facts.stages:
        lines += [
            "",
            *_table(
                ("step", "status", "duration s"),
                (
                    (s.name, s.status, "" if s.duration_s is None else f"{s.duration_s:.1f}")
                    for s in facts.stages
                ),
            ),
        ]
    if facts.metrics:
        champion = f"champion v{facts.champion_version}" if facts.champion_version else "champion (none)"
        lines += [
            "",
            *_table(
                ("metric", "candidate", champion),
                ((m.name, fmt(m.candidate), fmt(m.champion)) for m in facts.metrics),
            ),
        ]
    extra = []
    if facts.validation is not None:
        extra.append(f"data validation: {facts.validation.status} ({facts.validation.data})")
    if facts.parity is not None and facts.parity.max_abs_diff is not None:
        extra.append(f"ONNX parity: max abs diff {fmt(facts.parity.max_abs_diff)}")
    if facts.drift is not None:
        drifted = [f.name for f in facts.drift.features if f.drifted]
        extra.append(
            "drift: " + (", ".join(drifted) if drifted else "none") + f" against {facts.drift.reference}"
        )
    lines += ["", *(f"- {md(e)}" for e in extra)] if extra else []
    where = f"the pipeline artifact **{md(artifact)}**" if artifact else "the run's MLflow artifacts"
    if artifact and artifact_url and artifact_url.startswith("https://"):
        where = f"the pipeline artifact [**{md(artifact)}**]({_url(artifact_url)})"
    lines += ["", f"Charts, lineage and every check: {md(report_name)} in {where}.", ""]
    return "\n".join(lines)


def _url(url: str) -> str:
    """A URL safe inside a Markdown link target."""
    return "".join(f"%{ord(c):02X}" if c in " ()<>[]\\`\"'" or ord(c) < 32 else c for c in url)
