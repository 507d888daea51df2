"""The CI summary: the run's tables in Markdown, every value escaped."""

from __future__ import annotations

from dataclasses import replace

from amlops.report import render_markdown
from amlops.report.facts import RunFacts, Stage

from .samples import regression_facts


def test_the_summary_has_the_stages_metrics_and_where_the_report_is(regression: RunFacts) -> None:
    text = render_markdown(regression, artifact="run-report")
    assert text.startswith("## Run report: train-pipeline-20261202-010203-abcdef\n")
    assert "Pipeline run **Completed**, gate **passed**, registered as taxi-model version 4." in text
    assert "| train | completed | 40.0 |" in text
    assert "| rmse | 2.5 | 3 |" in text
    assert "- drift: fare against azureml:taxi:1" in text
    assert text.rstrip().endswith("report.html in the pipeline artifact **run-report**.")


def test_hostile_cells_cannot_break_the_table_or_inject_html() -> None:
    facts = replace(regression_facts(), stages=(Stage("a|b<img src=x>", "ok\nnext", 1.0),))
    text = render_markdown(facts)
    assert "| a\\|b&lt;img src=x&gt; | ok next | 1.0 |" in text
    assert "<img" not in text
