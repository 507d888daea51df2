"""The run report's HTML: every section from the facts, the charts as valid SVG, hostile text escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser

from amlops.report import render_html
from amlops.report.facts import Gate, GateCheck, RunFacts, Stage, metric_rows

from .samples import regression_facts

SVG = re.compile(r"<svg\b.*?</svg>", re.S)
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>&amp;"\'|'


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def charts(html: str) -> dict[str, ET.Element]:
    """Each chart's SVG parsed as XML (it must be well-formed), by its kind."""
    found = {}
    for text in SVG.findall(html):
        element = ET.fromstring(text)
        found[element.get("class", "").removeprefix("chart ")] = element
    return found


def test_a_regression_run_shows_every_section(regression: RunFacts) -> None:
    html = render_html(regression)
    assert html.startswith("<!DOCTYPE html>")
    for section in ("stages", "validation", "gate", "metrics", "evaluation", "parity", "drift", "lineage"):
        assert f'<section id="{section}">' in html
    drawn = charts(html)
    assert set(drawn) == {"metrics", "scatter", "drift"}
    ns = "{http://www.w3.org/2000/svg}"
    assert len(drawn["scatter"].findall(f"{ns}circle")) == 40
    bars = drawn["metrics"].findall(f".//{ns}rect[@class='bar candidate']")
    assert len(bars) == 3  # rmse, mae, r2
    assert [g.get("data-metric") for g in drawn["metrics"].findall(f"{ns}g")] == ["rmse", "mae", "r2"]
    drifted = drawn["drift"].findall(f"{ns}rect[@class='bar drifted']")
    assert len(drifted) == 1
    for element in drawn.values():
        assert float(element.get("width")) > 0
        assert float(element.get("height")) > 0
    assert "Predicted against actual" in html
    assert "champion: version 3" in html
    assert "taxi-model version 4" in html
    assert "0123456789abcdef" in html
    assert "40.0 s" in html
    assert "passed" in html


def test_a_classification_run_shows_the_confusion_matrix(classification: RunFacts) -> None:
    html = render_html(classification)
    drawn = charts(html)
    assert set(drawn) == {"metrics", "confusion"}
    cells = drawn["confusion"].findall("{http://www.w3.org/2000/svg}rect[@class='cell']")
    assert len(cells) == 9
    assert [c.findtext("{http://www.w3.org/2000/svg}title") for c in cells][5] == (
        "actual versicolor, predicted virginica: 2"
    )
    assert "Confusion matrix" in html
    assert "rejected" in html
    assert "no champion yet" in html
    assert "No reference data" in html
    assert "The run was not gated" not in html


def test_the_page_is_self_contained_and_forbids_scripts(regression: RunFacts) -> None:
    html = render_html(regression)
    found = tags(html)
    assert not [t for t, _ in found if t in ("script", "link", "img", "iframe", "object")]
    assert not [a for _, attrs in found for a in attrs if a in ("src", "href") or a.startswith("on")]
    csp = next(
        a["content"] for t, a in found if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    )
    assert "default-src 'none'" in csp
    assert "script-src" not in csp


def test_hostile_names_are_escaped_everywhere() -> None:
    facts = replace(
        regression_facts(name=HOSTILE),
        run_id=HOSTILE,
        model_name=HOSTILE,
        stages=(Stage(HOSTILE, HOSTILE, 1.0),),
        gate=Gate(False, HOSTILE, (GateCheck(HOSTILE, HOSTILE, 1.0, "<=", 2.0, False, HOSTILE),), HOSTILE),
        metrics=metric_rows({HOSTILE: 1.0}, {HOSTILE: 2.0}),
        lineage=((HOSTILE, HOSTILE),),
        notes=(HOSTILE,),
    )
    html = render_html(facts)
    assert "<script" not in html
    assert "<img" not in html
    assert "onerror=alert" not in html.replace("onerror=alert(1)&gt;", "")
    assert not [t for t, _ in tags(html) if t in ("script", "img")]
    assert "&lt;script&gt;" in html
    drawn = charts(html)  # still well-formed XML with the hostile text inside
    assert drawn["metrics"].find("{http://www.w3.org/2000/svg}g").get("data-metric") == HOSTILE
    assert HOSTILE in [
        f.findtext("{http://www.w3.org/2000/svg}title") or "" for f in drawn["drift"].iter()
    ] or any((t.text or "") == HOSTILE for t in drawn["drift"].iter("{http://www.w3.org/2000/svg}text"))


def test_a_run_without_facts_still_renders() -> None:
    html = render_html(RunFacts(run_id="r", status="Failed", notes=("error: step 'train' failed",)))
    assert "No step was recorded" in html
    assert "not gated" in html
    assert "no metrics" in html
    assert "step &#x27;train&#x27; failed" in html
    assert charts(html) == {}
